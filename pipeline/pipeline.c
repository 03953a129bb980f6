/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* pipeline.c - building a pipeline from an INI file (checking all of it
 * first, reporting every problem), and running its document stages. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlpipe/nlpipe.h"
#include "nlpipe/trainer.h"
#include "pipeline/internal.h"

typedef struct pl_stage {
	char *name;
	const nlp_stage_class *cls;
	nlp_kind produces; /* what this instance gives (nlp_stage_produces) */
	const nlp_module_info *module;
	nlp_config *cfg;
	void *self;
	size_t *in; /* [n_in] the earlier stages it reads; none for the first */
	size_t n_in;
	size_t *readers; /* [n_readers] the later stages that read it */
	size_t n_readers;
	int named;       /* its inputs are not "the stage before" (INI input = ...) */
	int dim;         /* its output's width once set up; 0 for token ids */
	int stream;      /* its id stream (batch stages), -1 for document stages */
	double lr_scale; /* INI lr_scale: its learning rate is the global one times this */
	int frozen;      /* training leaves its parameters (nlp_pipeline_set_frozen) */
	int still;       /* it and every stage it reads (directly or not) are frozen
	                    or have no parameters: training skips its backward */
} pl_stage;

struct nlp_pipeline {
	nlp_ini *ini; /* borrowed */
	pl_stage *s;
	size_t n;
	size_t text_end;
	int n_streams;   /* stages that map tokens to ids */
	int linear;      /* every stage reads the one before it */
	void *run_ws;    /* the runner's workspace (runner.c), or NULL */
	char *init_from; /* [pipeline] init_from, resolved; "" when unset */
};

/* One id stream of a worker: what one id stage gave. */
typedef struct wk_ids {
	int32_t *ids;
	size_t n, cap;
} wk_ids;

struct nlp_worker {
	nlp_pipeline *p;
	void **self;      /* [n] own instances of the document stages, or NULL */
	nlp_tokens *tok;  /* [n] each document stage's output tokens */
	nlp_tokens empty; /* what a run of no stage gives */
	wk_ids *ids;      /* [n_streams] */
	int32_t *cat;     /* the streams one after another (several streams) */
	size_t cat_cap;
	uint32_t *streams; /* [n_streams]: n_streams, then where streams 0.. end */
	nlp_doc doc;
};

static const nlp_option pipeline_opts[] = {
        {"stages", NLP_OPT_LIST, NULL, 1, 0, NULL,
         "stage instances in order; each has a section of its own"},
        {"plugin_path", NLP_OPT_LIST, "", 1, 0, NULL,
         "folders searched for modules first, relative to this file"},
        {"init_from", NLP_OPT_PATH, "", 1, 0, NULL,
         "a model whose stages of the same section name and class give theirs their "
         "parameters and state (fine-tuning), relative to this file"},
        {NULL, NLP_OPT_END, NULL, 0, 0, NULL, NULL},
};

static void stage_free(pl_stage *s)
{
	if (s->self)
		s->cls->destroy(s->self);
	nlp_config_free(s->cfg);
	free(s->name);
	free(s->in);
	free(s->readers);
}

void nlp_pipeline_free(nlp_pipeline *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		stage_free(&p->s[i]);
	nlp_run_ws_free(p->run_ws);
	free(p->init_from);
	free(p->s);
	free(p);
}

/* Add the folders of [pipeline] plugin_path to the host's search path,
 * relative to the INI file's folder. */
static int add_plugin_path(nlp_host *h, const nlp_ini *ini, nlp_err *err)
{
	nlp_config *c = nlp_config_new("pipeline", pipeline_opts);
	nlp_msgs msgs = {0};
	const char *const *dirs;
	size_t nd;
	int rc = NLP_OK;

	if (!c)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	nlp_config_fill(c, ini, "pipeline", 0, &msgs); /* problems are reported later */
	dirs = nlp_config_list(c, "plugin_path", &nd);
	for (size_t i = 0; i < nd && !rc; i++) {
		char buf[4096];
		if (dirs[i][0] == '/')
			snprintf(buf, sizeof buf, "%s", dirs[i]);
		else
			snprintf(buf, sizeof buf, "%s%s", nlp_ini_dir(ini), dirs[i]);
		rc = nlp_host_add_path(h, buf, err);
	}
	nlp_msgs_free(&msgs);
	nlp_config_free(c);
	return rc;
}

static void known_classes(const nlp_host *h, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < nlp_host_class_count(h); i++) {
		const nlp_stage_class *c = nlp_host_class(h, i, NULL);
		int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", c->name);
		if (n < 0 || (size_t)n >= size - used)
			break;
		used += (size_t)n;
	}
	if (!buf[0])
		snprintf(buf, size, "none (no modules were loaded)");
}

static int is_text_kind(nlp_kind k)
{
	return k == NLP_KIND_TEXT || k == NLP_KIND_TOKENS;
}

/* Every section of ini is a listed stage, [pipeline], or a declared
 * section; problems go to msgs. */
static void check_sections(nlp_ini *ini, const char *const *names, size_t nnames, nlp_msgs *msgs)
{
	const char *file = nlp_ini_name(ini);

	for (size_t i = 0; i < nlp_ini_section_count(ini); i++) {
		int line, listed = 0;
		const char *sec = nlp_ini_section(ini, i, &line);
		const nlp_option *decl = nlp_ini_declared(ini, sec);
		if (!decl && strcmp(sec, "train") == 0)
			decl = nlp_train_options;
		/* [tune] is read by nlpipe tune (nlpipe/tune.h), which checks it. */
		if (strcmp(sec, "pipeline") == 0 || strcmp(sec, "tune") == 0)
			continue;
		for (size_t k = 0; k < nnames; k++)
			listed |= strcmp(names[k], sec) == 0;
		if (listed)
			continue;
		if (decl) {
			nlp_config *dc = nlp_config_new(sec, decl);
			if (!dc) {
				msgs->oom = 1;
				continue;
			}
			nlp_config_fill(dc, ini, sec, 0, msgs);
			nlp_config_free(dc);
		} else if (nlp_ini_get(ini, sec, "type")) {
			nlp_msgs_add(msgs,
			             "%s:%d: section [%s] is a stage but is not listed in "
			             "[pipeline] stages; add it there or remove the section",
			             file, line, sec);
		} else {
			nlp_msgs_add(msgs,
			             "%s:%d: unknown section [%s]: sections are [pipeline], one "
			             "per stage listed in 'stages', and those a command reads "
			             "(such as [train] and [tune])",
			             file, line, sec);
		}
	}
}

/* "unknown stage class" for stage section sec, with the nearest class name
 * when one is close. */
static void unknown_class(nlp_host *h, nlp_ini *ini, const char *sec, const char *type,
                          nlp_msgs *msgs)
{
	const char *file = nlp_ini_name(ini), *best = NULL;
	const int line = nlp_ini_line(ini, sec, "type");
	char known[1024];
	size_t bd = 99;

	for (size_t i = 0; i < nlp_host_class_count(h); i++) {
		const char *cn = nlp_host_class(h, i, NULL)->name;
		size_t d = nlp_edit_distance(type, cn);
		if (d < bd) {
			bd = d;
			best = cn;
		}
	}
	known_classes(h, known, sizeof known);
	if (best && bd <= 2)
		nlp_msgs_add(msgs,
		             "%s:%d: [%s] unknown stage class '%s'; did you mean '%s'? (known: %s)",
		             file, line, sec, type, best, known);
	else
		nlp_msgs_add(msgs, "%s:%d: [%s] unknown stage class '%s' (known: %s)", file, line,
		             sec, type, known);
}

/* Check stage k of names (listed at stages_line) and append it to p with
 * its options; problems go to msgs. */
static void add_stage(nlp_pipeline *p, nlp_host *h, nlp_ini *ini, const char *const *names,
                      size_t k, int stages_line, nlp_msgs *msgs)
{
	const char *file = nlp_ini_name(ini), *type;
	pl_stage *s = &p->s[p->n];
	const int sline = nlp_ini_line(ini, names[k], NULL);
	int dup = 0;

	for (size_t j = 0; j < k; j++)
		dup |= strcmp(names[j], names[k]) == 0;
	if (dup) {
		nlp_msgs_add(msgs,
		             "%s:%d: stage '%s' is listed twice in [pipeline] stages; give "
		             "each instance its own section name",
		             file, stages_line, names[k]);
		return;
	}
	if (strcmp(names[k], "pipeline") == 0 || strcmp(names[k], "train") == 0 ||
	    strcmp(names[k], "tune") == 0 || nlp_ini_declared(ini, names[k])) {
		nlp_msgs_add(msgs, "%s:%d: '%s' cannot be a stage name: it is a reserved section",
		             file, stages_line, names[k]);
		return;
	}
	if (sline == 0 && nlp_ini_key_count(ini, names[k]) == 0) {
		nlp_msgs_add(msgs,
		             "%s:%d: stage '%s' is listed in [pipeline] stages but has no "
		             "[%s] section",
		             file, stages_line, names[k], names[k]);
		return;
	}
	type = nlp_ini_get(ini, names[k], "type");
	if (!type) {
		nlp_msgs_add(msgs, "%s:%d: [%s] needs 'type = CLASS' (see `nlpipe plugins`)", file,
		             sline, names[k]);
		return;
	}
	s->cls = nlp_host_find_class(h, type, &s->module);
	if (!s->cls) {
		unknown_class(h, ini, names[k], type, msgs);
		return;
	}
	s->name = strdup(names[k]);
	s->cfg = nlp_config_new(names[k], s->cls->options);
	if (s->cfg)
		nlp_config_set_owner(s->cfg, h, s->cls->name);
	if (!s->name || !s->cfg) {
		free(s->name);
		nlp_config_free(s->cfg);
		s->name = NULL;
		s->cfg = NULL;
		msgs->oom = 1;
		return;
	}
	{
		const size_t before = msgs->n;
		nlp_config_fill(s->cfg, ini, names[k], 1, msgs);
		/* produces_for reads validated options only */
		s->produces =
		        msgs->n == before ? nlp_stage_produces(s->cls, s->cfg) : s->cls->produces;
	}
	if (s->produces < NLP_KIND_TEXT || s->produces > NLP_KIND_SCORES) {
		nlp_msgs_add(msgs,
		             "%s:%d: [%s] (%s): module %s gives an unknown kind (%d) for these "
		             "options; report it to the module's authors",
		             file, sline, names[k], s->cls->name, s->module->name,
		             (int)s->produces);
		s->produces = s->cls->produces;
	}
	p->n++;
}

static int is_id_stage(const pl_stage *s)
{
	return is_text_kind(s->cls->consumes) && !is_text_kind(s->produces);
}

static int stage_index(const nlp_pipeline *p, const char *name)
{
	for (size_t j = 0; j < p->n; j++)
		if (strcmp(p->s[j].name, name) == 0)
			return (int)j;
	return -1;
}

void nlp_key_where(const nlp_ini *ini, const char *sec, const char *key, char *buf, size_t n)
{
	int line = nlp_ini_line(ini, sec, key);

	if (line)
		snprintf(buf, n, "%s:%d", nlp_ini_name(ini), line);
	else
		snprintf(buf, n, "--set %s.%s", sec, key);
}

/* Stage i's lr_scale key (a host key, like type and input): a number 0 or
 * more, on a trainable stage only; 1 when unset.  Problems go to msgs. */
static void read_lr_scale(nlp_pipeline *p, nlp_ini *ini, size_t i, nlp_msgs *msgs)
{
	pl_stage *s = &p->s[i];
	const char *v = nlp_ini_get(ini, s->name, "lr_scale");
	char where[400], *end = NULL;
	double f;

	s->lr_scale = 1.0;
	if (!v)
		return;
	nlp_key_where(ini, s->name, "lr_scale", where, sizeof where);
	if (!s->cls->train) {
		nlp_msgs_add(msgs,
		             "%s: [%s] lr_scale: %s is not a trainable stage (it has no "
		             "parameters); remove the key",
		             where, s->name, s->cls->name);
		return;
	}
	f = strtod(v, &end);
	if (!*v || *end || !(f >= 0) || f > 1e6) {
		nlp_msgs_add(msgs,
		             "%s: [%s] lr_scale = %s: must be a number from 0 to 1e6 (the "
		             "stage's learning rate is [train] learning_rate times it; 0 "
		             "freezes the stage)",
		             where, s->name, v);
		return;
	}
	s->lr_scale = f;
}

/* Stage i's inputs: those its `input` key names (checked: known, listed
 * before it, named once), else the stage before it.  Returns the number of
 * problems reported. */
static int read_inputs(nlp_pipeline *p, nlp_ini *ini, size_t i, nlp_msgs *msgs)
{
	pl_stage *s = &p->s[i];
	const char *v = nlp_ini_get(ini, s->name, "input");
	char **words = NULL, where[400];
	size_t nw = 0;
	int bad = 0;

	s->in = malloc((i ? i : 1) * sizeof *s->in);
	if (!s->in || (v && nlp_list_split(v, &words, &nw))) {
		msgs->oom = 1;
		nlp_list_free(words, nw);
		return 1;
	}
	if (!v) {
		s->n_in = i ? 1 : 0;
		s->in[0] = i - 1;
		return 0;
	}
	nlp_key_where(ini, s->name, "input", where, sizeof where);
	if (nw == 0) {
		nlp_msgs_add(msgs,
		             "%s: [%s] input is empty: name the stages it reads, or remove the "
		             "key (the default is the stage before it)",
		             where, s->name);
		bad++;
	}
	for (size_t k = 0; k < nw; k++) {
		int j = stage_index(p, words[k]), twice = 0;
		for (size_t m = 0; m < k; m++)
			twice |= strcmp(words[m], words[k]) == 0;
		if (j < 0)
			nlp_msgs_add(msgs,
			             "%s: [%s] input: no stage '%s' in [pipeline] stages; name "
			             "stages listed there",
			             where, s->name, words[k]);
		else if ((size_t)j >= i)
			nlp_msgs_add(msgs,
			             "%s: [%s] input: '%s' is not listed before '%s' in [pipeline] "
			             "stages; a stage reads only stages listed before it",
			             where, s->name, words[k], s->name);
		else if (twice)
			nlp_msgs_add(msgs, "%s: [%s] input: '%s' is named twice", where, s->name,
			             words[k]);
		else
			s->in[s->n_in++] = (size_t)j;
		bad += j < 0 || (size_t)j >= i || twice;
	}
	nlp_list_free(words, nw);
	s->named = !(s->n_in == 1 && s->in[0] == i - 1);
	return bad;
}

/* The kinds on stage i's input edges: one input of the kind it consumes,
 * or several vectors joined into a stage that consumes vectors. */
static void check_edges(const nlp_pipeline *p, nlp_ini *ini, size_t i, int stages_line,
                        nlp_msgs *msgs)
{
	const pl_stage *s = &p->s[i];
	const nlp_kind want = s->cls->consumes;
	char where[400];

	nlp_key_where(ini, s->name, "input", where, sizeof where);
	if (!s->named) {
		nlp_kind got = i ? p->s[i - 1].produces : NLP_KIND_TEXT;
		if (want != got)
			nlp_msgs_add(msgs,
			             "%s:%d: stage '%s' (%s) consumes %s, but %s gives %s; reorder "
			             "the stages or add one between",
			             nlp_ini_name(ini), stages_line, s->name, s->cls->name,
			             nlp_kind_name(want),
			             i ? p->s[i - 1].name : "the document reader",
			             nlp_kind_name(got));
		return;
	}
	if (s->n_in > 1 && want != NLP_KIND_VECTOR) {
		nlp_msgs_add(msgs,
		             "%s: [%s] input: a stage of class %s consumes %s and reads one "
		             "stage; several inputs are joined only into a stage that consumes "
		             "vector",
		             where, s->name, s->cls->name, nlp_kind_name(want));
		return;
	}
	for (size_t k = 0; k < s->n_in; k++) {
		const pl_stage *from = &p->s[s->in[k]];
		if (from->produces != want)
			nlp_msgs_add(
			        msgs,
			        "%s: [%s] input: '%s' (%s) gives %s, but '%s' (%s) consumes %s; "
			        "name a stage that gives %s",
			        where, s->name, from->name, from->cls->name,
			        nlp_kind_name(from->produces), s->name, s->cls->name,
			        nlp_kind_name(want), nlp_kind_name(want));
	}
}

/* Who reads each stage; every stage but the last must be read. */
static void link_readers(nlp_pipeline *p, nlp_ini *ini, nlp_msgs *msgs)
{
	for (size_t i = 0; i < p->n; i++) {
		pl_stage *s = &p->s[i];
		s->readers = malloc(p->n * sizeof *s->readers);
		if (!s->readers) {
			msgs->oom = 1;
			return;
		}
		for (size_t c = i + 1; c < p->n; c++)
			for (size_t k = 0; k < p->s[c].n_in; k++)
				if (p->s[c].in[k] == i)
					s->readers[s->n_readers++] = c;
		if (s->n_readers == 0 && i + 1 < p->n)
			nlp_msgs_add(msgs,
			             "%s:%d: [%s] (%s): no stage reads its output; name it in a "
			             "later stage's 'input', or remove it from [pipeline] stages",
			             nlp_ini_name(ini), nlp_ini_line(ini, s->name, NULL), s->name,
			             s->cls->name);
	}
}

/* The graph: each stage's inputs, the kinds on every edge, that every
 * output is read, and the id streams. */
static void check_graph(nlp_pipeline *p, nlp_ini *ini, int stages_line, nlp_msgs *msgs)
{
	int bad = 0;

	p->linear = 1;
	for (size_t i = 0; i < p->n; i++) {
		int b = read_inputs(p, ini, i, msgs);
		if (!b)
			check_edges(p, ini, i, stages_line, msgs);
		bad += b;
		p->linear &= !p->s[i].named;
	}
	if (!bad && !msgs->oom)
		link_readers(p, ini, msgs);
	for (size_t i = 0; i < p->n; i++) {
		pl_stage *s = &p->s[i];
		if (is_text_kind(s->produces))
			s->stream = -1;
		else if (is_id_stage(s))
			s->stream = p->n_streams++;
		else
			s->stream = s->n_in ? p->s[s->in[0]].stream : -1;
	}
}

/* Everything checked: make the instances.  Returns NLP_OK, or the first
 * stage's own failure code unless every failure is a configuration
 * problem (NLP_ECONFIG); the messages go to msgs. */
static int create_stages(nlp_pipeline *p, nlp_ini *ini, nlp_msgs *msgs)
{
	int rc = NLP_ECONFIG;
	nlp_err e;

	for (size_t i = 0; i < p->n; i++) {
		int crc;
		memset(&e, 0, sizeof e);
		crc = p->s[i].cls->create(&p->s[i].self, p->s[i].cfg, &e);
		if (crc != NLP_OK) {
			if (crc != NLP_ECONFIG && rc == NLP_ECONFIG)
				rc = crc;
			p->s[i].self = NULL;
			nlp_msgs_add(msgs, "%s:%d: [%s] (%s): %s", nlp_ini_name(ini),
			             nlp_ini_line(ini, p->s[i].name, NULL), p->s[i].name,
			             p->s[i].cls->name,
			             e.msg[0] ? e.msg : "cannot create the stage");
		}
	}
	return msgs->n ? rc : NLP_OK;
}

int nlp_pipeline_new(nlp_pipeline **out, nlp_host *h, nlp_ini *ini, nlp_err *err)
{
	const char *file = nlp_ini_name(ini);
	nlp_pipeline *p = NULL;
	nlp_config *pc = NULL;
	nlp_msgs msgs = {0};
	const char *const *names = NULL;
	size_t nnames = 0;
	int rc = NLP_OK, stages_line;

	*out = NULL;
	rc = add_plugin_path(h, ini, err);
	if (!rc)
		rc = nlp_host_add_default_paths(h, err);
	if (rc)
		goto out;
	{
		nlp_err le = {0};
		/* Loading again is cheap: modules already loaded are skipped. */
		if (nlp_host_load_modules(h, &le))
			nlp_msgs_add(&msgs, "%s", le.msg);
	}
	p = calloc(1, sizeof *p);
	pc = nlp_config_new("pipeline", pipeline_opts);
	if (!p || !pc) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	p->ini = ini;
	if (nlp_ini_line(ini, "pipeline", NULL) == 0 && !nlp_ini_get(ini, "pipeline", "stages")) {
		nlp_msgs_add(&msgs,
		             "%s:1: no [pipeline] section: start the file with [pipeline] "
		             "and 'stages = ...'",
		             file);
	} else {
		nlp_config_fill(pc, ini, "pipeline", 0, &msgs);
		names = nlp_config_list(pc, "stages", &nnames);
		if (nlp_ini_get(ini, "pipeline", "stages") && nnames == 0)
			nlp_msgs_add(&msgs, "%s:%d: [pipeline] stages is empty: name the stages",
			             file, nlp_ini_line(ini, "pipeline", "stages"));
	}
	stages_line = nlp_ini_line(ini, "pipeline", "stages");
	p->s = calloc(nnames ? nnames : 1, sizeof *p->s);
	if (!p->s) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	check_sections(ini, names, nnames, &msgs);
	for (size_t k = 0; k < nnames; k++)
		add_stage(p, h, ini, names, k, stages_line, &msgs);
	for (size_t i = 0; i < p->n; i++)
		read_lr_scale(p, ini, i, &msgs);
	p->init_from = strdup(nlp_config_str(pc, "init_from"));
	if (!p->init_from)
		msgs.oom = 1;
	if (p->n == nnames)
		check_graph(p, ini, stages_line, &msgs);
	if (msgs.oom) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	if (msgs.n) {
		rc = nlp_msgs_to_err(&msgs, err, NLP_ECONFIG);
		goto out;
	}
	p->text_end = p->n;
	for (size_t i = 0; i < p->n; i++) {
		if (!is_text_kind(p->s[i].produces)) {
			p->text_end = i;
			break;
		}
	}
	rc = create_stages(p, ini, &msgs);
	if (rc) {
		rc = nlp_msgs_to_err(&msgs, err, rc);
		goto out;
	}
	*out = p;
	p = NULL;
out:
	nlp_config_free(pc);
	nlp_pipeline_free(p);
	nlp_msgs_free(&msgs);
	return rc;
}

size_t nlp_pipeline_stage_count(const nlp_pipeline *p)
{
	return p->n;
}

const char *nlp_pipeline_stage_name(const nlp_pipeline *p, size_t i)
{
	return i < p->n ? p->s[i].name : NULL;
}

const nlp_stage_class *nlp_pipeline_stage_class(const nlp_pipeline *p, size_t i)
{
	return i < p->n ? p->s[i].cls : NULL;
}

nlp_kind nlp_pipeline_stage_produces(const nlp_pipeline *p, size_t i)
{
	return i < p->n ? p->s[i].produces : NLP_KIND_NONE;
}

const nlp_config *nlp_pipeline_stage_config(const nlp_pipeline *p, size_t i)
{
	return i < p->n ? p->s[i].cfg : NULL;
}

void *nlp_pipeline_stage_instance(const nlp_pipeline *p, size_t i)
{
	return i < p->n ? p->s[i].self : NULL;
}

const nlp_module_info *nlp_pipeline_stage_module(const nlp_pipeline *p, size_t i)
{
	return i < p->n ? p->s[i].module : NULL;
}

size_t nlp_pipeline_text_end(const nlp_pipeline *p)
{
	return p->text_end;
}

double nlp_pipeline_stage_lr_scale(const nlp_pipeline *p, size_t i)
{
	return i < p->n ? p->s[i].lr_scale : 1.0;
}

void nlp_pipeline_set_frozen(nlp_pipeline *p, size_t i, int frozen)
{
	if (i >= p->n)
		return;
	p->s[i].frozen = frozen;
	/* Inputs come before their readers. */
	for (size_t j = 0; j < p->n; j++) {
		pl_stage *s = &p->s[j];
		s->still = s->frozen || !s->cls->train;
		for (size_t k = 0; k < s->n_in && s->still; k++)
			s->still = p->s[s->in[k]].still;
	}
}

int nlp_pipeline_stage_still(const nlp_pipeline *p, size_t i)
{
	return i < p->n && p->s[i].still;
}

const char *nlp_pipeline_init_from(const nlp_pipeline *p)
{
	return p->init_from;
}

nlp_ini *nlp_pipeline_ini(const nlp_pipeline *p)
{
	return p->ini;
}

size_t nlp_pipeline_stage_inputs(const nlp_pipeline *p, size_t i, const size_t **in)
{
	*in = i < p->n ? p->s[i].in : NULL;
	return i < p->n ? p->s[i].n_in : 0;
}

size_t nlp_pipeline_stage_readers(const nlp_pipeline *p, size_t i, const size_t **readers)
{
	*readers = i < p->n ? p->s[i].readers : NULL;
	return i < p->n ? p->s[i].n_readers : 0;
}

int nlp_pipeline_is_linear(const nlp_pipeline *p)
{
	return p->linear;
}

int nlp_pipeline_streams(const nlp_pipeline *p)
{
	return p->n_streams;
}

int nlp_pipeline_stage_stream(const nlp_pipeline *p, size_t i)
{
	return i < p->n ? p->s[i].stream : -1;
}

int nlp_pipeline_stage_dim(const nlp_pipeline *p, size_t i)
{
	return i < p->n ? p->s[i].dim : 0;
}

int nlp_pipeline_stage_in_dim(const nlp_pipeline *p, size_t i)
{
	int d = 0;

	if (i >= p->n || is_text_kind(p->s[i].cls->consumes))
		return 0;
	for (size_t k = 0; k < p->s[i].n_in; k++)
		d += p->s[p->s[i].in[k]].dim;
	return d;
}

void nlp_pipeline_set_dim(nlp_pipeline *p, size_t i, int dim)
{
	if (i < p->n)
		p->s[i].dim = dim;
}

void **nlp_pipeline_run_ws(nlp_pipeline *p)
{
	return &p->run_ws;
}

/* Stage i's inputs as INI text ("a, b"), into buf. */
static void inputs_text(const nlp_pipeline *p, size_t i, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < p->s[i].n_in && used < size; k++) {
		int n = snprintf(buf + used, size - used, "%s%s", k ? ", " : "",
		                 p->s[p->s[i].in[k]].name);
		used += n > 0 ? (size_t)n : 0;
	}
}

const char *nlp_pipeline_stage_input_text(const nlp_pipeline *p, size_t i, char *buf, size_t size)
{
	if (i >= p->n || !p->s[i].named)
		return NULL;
	inputs_text(p, i, buf, size);
	return buf;
}

void nlp_pipeline_print_graph(const nlp_pipeline *p, FILE *out)
{
	size_t w = 4;

	for (size_t i = 0; i < p->n; i++)
		w = strlen(p->s[i].name) > w ? strlen(p->s[i].name) : w;
	fprintf(out, "# graph: each stage <- what it reads (%s)\n",
	        p->linear ? "a chain" : "with branches");
	for (size_t i = 0; i < p->n; i++) {
		char in[1024];
		inputs_text(p, i, in, sizeof in);
		fprintf(out, "#   %-*s <- %s\n", (int)w, p->s[i].name,
		        p->s[i].n_in ? in : "(the document)");
	}
}

void nlp_pipeline_print(const nlp_pipeline *p, FILE *out)
{
	const char *file = nlp_ini_name(p->ini);

	fprintf(out, "# pipeline %s: %zu stages\n", file, p->n);
	nlp_pipeline_print_graph(p, out);
	fprintf(out, "[pipeline]\nstages = ");
	for (size_t i = 0; i < p->n; i++)
		fprintf(out, "%s%s", i ? ", " : "", p->s[i].name);
	fprintf(out, "\n");
	if (nlp_ini_get(p->ini, "pipeline", "plugin_path"))
		fprintf(out, "plugin_path = %s\n", nlp_ini_get(p->ini, "pipeline", "plugin_path"));
	if (*p->init_from)
		fprintf(out, "init_from = %s\n", p->init_from);
	for (size_t i = 0; i < p->n; i++) {
		const pl_stage *s = &p->s[i];
		size_t w = s->named ? 5 : 4;
		fprintf(out, "\n[%s]    ; %s -> %s, module %s %s\n", s->name,
		        nlp_kind_name(s->cls->consumes), nlp_kind_name(s->produces),
		        s->module->name, s->module->version);
		for (size_t k = 0; k < nlp_config_count(s->cfg); k++) {
			size_t len = strlen(nlp_config_entry(s->cfg, k, NULL, NULL));
			if (len > w)
				w = len;
		}
		if (s->lr_scale != 1.0 && w < 8)
			w = 8;
		fprintf(out, "%-*s = %s\n", (int)w, "type", s->cls->name);
		if (s->named) {
			char in[1024];
			inputs_text(p, i, in, sizeof in);
			fprintf(out, "%-*s = %s\n", (int)w, "input", in);
		}
		if (s->lr_scale != 1.0)
			fprintf(out, "%-*s = %g\n", (int)w, "lr_scale", s->lr_scale);
		for (size_t k = 0; k < nlp_config_count(s->cfg); k++) {
			const char *v;
			int def;
			const char *name = nlp_config_entry(s->cfg, k, &v, &def);
			fprintf(out, "%-*s = %s%s\n", (int)w, name, v, def ? "    ; default" : "");
		}
	}
}

int nlp_pipeline_stage_error(const nlp_pipeline *p, size_t i, int rc, nlp_err *err)
{
	char msg[2 * sizeof err->msg];
	size_t n;

	if (!err || i >= p->n)
		return rc;
	n = (size_t)snprintf(msg, sizeof msg, "[%s] (%s): %s", p->s[i].name, p->s[i].cls->name,
	                     err->msg[0] ? err->msg : "failed");
	if (n >= sizeof err->msg)
		n = sizeof err->msg - 1;
	memcpy(err->msg, msg, n);
	err->msg[n] = '\0';
	err->code = rc;
	return rc;
}

/* ---- workers: document stages on one thread ---- */

int nlp_pipeline_stage_copy(const nlp_pipeline *p, size_t i, void **out, nlp_err *err)
{
	const pl_stage *s = &p->s[i];
	const nlp_train_ops *t = s->cls->train;
	nlp_buf state = {0};
	nlp_cursor c;
	void *self = NULL;
	int rc;

	*out = NULL;
	if ((rc = s->cls->create(&self, s->cfg, err)))
		return nlp_pipeline_stage_error(p, i, rc, err);
	if (t && t->save && t->load) {
		rc = t->save(s->self, &state, err);
		c.p = state.data;
		c.end = state.data + state.len;
		if (!rc)
			rc = t->load(self, &c, err);
		free(state.data);
	}
	if (rc) {
		s->cls->destroy(self);
		return nlp_pipeline_stage_error(p, i, rc, err);
	}
	*out = self;
	return NLP_OK;
}

int nlp_worker_new(nlp_worker **out, nlp_pipeline *p, nlp_err *err)
{
	nlp_worker *w = calloc(1, sizeof *w);
	const size_t ns = p->n_streams ? (size_t)p->n_streams : 1;
	int rc = NLP_OK;

	*out = NULL;
	if (!w || !(w->self = calloc(p->n ? p->n : 1, sizeof *w->self)) ||
	    !(w->tok = calloc(p->n ? p->n : 1, sizeof *w->tok)) ||
	    !(w->ids = calloc(ns, sizeof *w->ids)) ||
	    !(w->streams = calloc(ns, sizeof *w->streams))) {
		if (w) {
			free(w->self);
			free(w->tok);
			free(w->ids);
		}
		free(w);
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	w->p = p;
	for (size_t i = 0; i < p->n && !rc; i++)
		if (p->s[i].cls->process)
			rc = nlp_pipeline_stage_copy(p, i, &w->self[i], err);
	if (rc) {
		nlp_worker_free(w);
		return rc;
	}
	*out = w;
	return NLP_OK;
}

void nlp_worker_free(nlp_worker *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->p->n; i++) {
		if (w->self[i])
			w->p->s[i].cls->destroy(w->self[i]);
		nlp_tokens_free(&w->tok[i]);
	}
	for (int k = 0; k < w->p->n_streams; k++)
		free(w->ids[k].ids);
	free(w->self);
	free(w->tok);
	free(w->ids);
	free(w->cat);
	free(w->streams);
	free(w);
}

/* Stage i on the worker's document: its input is the text or its input
 * stage's tokens; tokens go to the stage's own list, ids to its stream. */
static int run_stage(nlp_worker *w, size_t i, nlp_err *err)
{
	const pl_stage *s = &w->p->s[i];
	nlp_doc *d = &w->doc;
	wk_ids *ids = is_id_stage(s) ? &w->ids[s->stream] : NULL;
	int rc;

	if (!s->cls->process)
		return nlp_err_set(err, NLP_EINTERNAL,
		                   "stage '%s' (%s) has no document-level function", s->name,
		                   s->cls->name);
	d->in = s->n_in ? &w->tok[s->in[0]] : &w->empty;
	d->out = &w->tok[i];
	nlp_tokens_clear(d->out);
	if (ids) { /* the stage appends to its own stream */
		d->ids = ids->ids;
		d->cap_ids = ids->cap;
		d->n_ids = 0;
	}
	rc = s->cls->process(w->self[i], d, err);
	if (ids) {
		ids->ids = d->ids;
		ids->cap = d->cap_ids;
		ids->n = d->n_ids;
	} else {
		free(d->ids); /* ids from a stage that does not map tokens: none to keep */
	}
	d->ids = NULL;
	d->cap_ids = d->n_ids = 0;
	return rc ? nlp_pipeline_stage_error(w->p, i, rc, err) : NLP_OK;
}

/* The id streams one after another, with where each ends. */
static int join_streams(nlp_worker *w, const int32_t **ids, size_t *n_ids, nlp_err *err)
{
	const int ns = w->p->n_streams;
	size_t total = 0;

	for (int k = 0; k < ns; k++)
		total += w->ids[k].n;
	if (ns == 1) {
		*ids = w->ids[0].ids;
		*n_ids = w->ids[0].n;
		return NLP_OK;
	}
	if (total > UINT32_MAX)
		return nlp_err_set(err, NLP_EDATA, "more than 2^32 token ids in one document");
	if (total > w->cat_cap) {
		int32_t *c = realloc(w->cat, total * sizeof *c);
		if (!c)
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		w->cat = c;
		w->cat_cap = total;
	}
	total = 0;
	w->streams[0] = (uint32_t)ns;
	for (int k = 0; k < ns; k++) {
		if (w->ids[k].n)
			memcpy(w->cat + total, w->ids[k].ids, w->ids[k].n * sizeof *w->cat);
		total += w->ids[k].n;
		if (k + 1 < ns)
			w->streams[k + 1] = (uint32_t)total;
	}
	*ids = w->cat;
	*n_ids = total;
	return NLP_OK;
}

int nlp_worker_run(nlp_worker *w, size_t end, const char *name, const char *text, size_t len,
                   const nlp_tokens **tokens, const int32_t **ids, size_t *n_ids, nlp_err *err)
{
	const nlp_pipeline *p = w->p;
	nlp_doc *d = &w->doc;
	size_t last = 0; /* stages [0, last) gave the tokens returned */
	int got_ids = 0, rc = NLP_OK;

	if (end > p->n)
		end = p->n;
	d->name = name;
	d->text = text;
	d->text_len = len;
	d->label = -1;
	for (int k = 0; k < p->n_streams; k++)
		w->ids[k].n = 0;
	/* Document stages before end, then, when end passes the text stages,
	 * every stage that maps tokens to ids. */
	for (size_t i = 0; i < p->n && !rc; i++) {
		const pl_stage *s = &p->s[i];
		int run = i < end || (end > p->text_end && is_id_stage(s));
		if (!run)
			continue;
		rc = run_stage(w, i, err);
		if (is_text_kind(s->produces))
			last = i + 1;
		else
			got_ids = 1;
	}
	if (rc)
		return rc;
	if (tokens)
		*tokens = last ? &w->tok[last - 1] : &w->empty;
	if (ids) {
		*ids = NULL;
		*n_ids = 0;
		if (got_ids && p->n_streams)
			return join_streams(w, ids, n_ids, err);
	}
	return NLP_OK;
}

const uint32_t *nlp_worker_streams(const nlp_worker *w)
{
	return w->p->n_streams > 1 ? w->streams : NULL;
}

const nlp_tokens *nlp_worker_stage_tokens(const nlp_worker *w, size_t i)
{
	return i < w->p->n ? &w->tok[i] : &w->empty;
}
