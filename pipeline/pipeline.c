/* pipeline.c - building a pipeline from an INI file (checking all of it
 * first, reporting every problem), and running its document stages. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlpipe/nlpipe.h"
#include "nlpipe/optim.h"
#include "pipeline/internal.h"

typedef struct pl_stage {
	char *name;
	const nlp_stage_class *cls;
	const nlp_module_info *module;
	nlp_config *cfg;
	void *self;
} pl_stage;

struct nlp_pipeline {
	nlp_ini *ini; /* borrowed */
	pl_stage *s;
	size_t n;
	size_t text_end;
};

struct nlp_worker {
	nlp_pipeline *p;
	void **self; /* [n] own instances of the document stages, or NULL */
	nlp_tokens a, b;
	nlp_doc doc;
};

static const nlp_option pipeline_opts[] = {
        {"stages", NLP_OPT_LIST, NULL, 1, 0, NULL,
         "stage instances in order; each has a section of its own"},
        {"plugin_path", NLP_OPT_LIST, "", 1, 0, NULL,
         "folders searched for modules first, relative to this file"},
        {NULL, NLP_OPT_END, NULL, 0, 0, NULL, NULL},
};

/* [train]: read by `nlpipe train`; known here so that every command checks
 * it (and a model's stored pipeline, which keeps it, builds). */
const nlp_option nlp_train_options[] = {
        {"epochs", NLP_OPT_INT, "10", 1, 100000, NULL, "passes over the training data"},
        {"batch", NLP_OPT_INT, "32", 1, 65536, NULL, "documents per step"},
        {"optimizer", NLP_OPT_ENUM, "adam", 1, 0, NLP_OPTIM_KIND_NAMES, "update rule"},
        {"learning_rate", NLP_OPT_FLOAT, "0.002", 1e-9, 10, NULL, "base learning rate"},
        {"momentum", NLP_OPT_FLOAT, "0.9", 0, 0.999, NULL, "SGD momentum"},
        {"schedule", NLP_OPT_ENUM, "constant", 1, 0, "constant|linear",
         "learning rate after warm-up: constant, or linear decay to 0 at the last step"},
        {"warmup", NLP_OPT_INT, "0", 0, 1e9, NULL, "steps of linear warm-up"},
        {"clip", NLP_OPT_FLOAT, "5", 0, 1e6, NULL, "clip the global gradient norm (0: off)"},
        {"weight_decay", NLP_OPT_FLOAT, "0", 0, 1, NULL,
         "L2 penalty (adam, sgd) or decoupled decay (adamw) on weights"},
        {"seed", NLP_OPT_INT, "1", 0, 2147483647, NULL, "seed of every random choice"},
        {"threads", NLP_OPT_INT, "0", 0, 256, NULL,
         "threads (0: one per core); same seed and threads give the same model"},
        {"validation", NLP_OPT_FLOAT, "0.1", 0, 0.9, NULL,
         "share of the data held out (seeded, stratified) when validation_data is unset"},
        {"validation_data", NLP_OPT_PATH, "", 1, 0, NULL, "held-out data instead of a split"},
        {"early_stopping", NLP_OPT_INT, "0", 0, 100000, NULL,
         "stop after this many epochs without improvement (0: off)"},
        {"metric", NLP_OPT_ENUM, "accuracy", 1, 0, "accuracy|macro_f1|loss",
         "validation metric that picks the best model and drives early stopping"},
        {"class_weights", NLP_OPT_ENUM, "none", 1, 0, "none|balanced",
         "weigh the loss by inverse class frequency"},
        {"bucketing", NLP_OPT_BOOL, "true", 1, 0, NULL,
         "batch documents of similar length together to cut padding"},
        {"time_limit", NLP_OPT_FLOAT, "0", 0, 1e8, NULL,
         "stop after this many seconds of training (0: no limit); the run ends as if the "
         "epoch had ended, and the best model so far is kept"},
        {"checkpoint_every", NLP_OPT_INT, "0", 0, 1e9, NULL,
         "also write a checkpoint every N steps (0: at the end of each epoch only)"},
        {NULL, NLP_OPT_END, NULL, 0, 0, NULL, NULL},
};

static void stage_free(pl_stage *s)
{
	if (s->self)
		s->cls->destroy(s->self);
	nlp_config_free(s->cfg);
	free(s->name);
}

void nlp_pipeline_free(nlp_pipeline *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		stage_free(&p->s[i]);
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
	nlp_config_fill(c, ini, "pipeline", NULL, &msgs); /* problems are reported later */
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
		if (strcmp(sec, "pipeline") == 0)
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
			nlp_config_fill(dc, ini, sec, NULL, msgs);
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
			             "(such as [train])",
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
	    nlp_ini_declared(ini, names[k])) {
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
	nlp_config_fill(s->cfg, ini, names[k], "type", msgs);
	p->n++;
}

/* Each stage consumes what the one before it produces. */
static void check_kinds(const nlp_pipeline *p, nlp_ini *ini, int stages_line, nlp_msgs *msgs)
{
	for (size_t i = 0; i < p->n; i++) {
		nlp_kind want = i ? p->s[i - 1].cls->produces : NLP_KIND_TEXT;
		const char *prev = i ? p->s[i - 1].name : "the document reader";
		if (p->s[i].cls->consumes != want)
			nlp_msgs_add(msgs,
			             "%s:%d: stage '%s' (%s) consumes %s, but %s gives %s; reorder "
			             "the stages or add one between",
			             nlp_ini_name(ini), stages_line, p->s[i].name,
			             p->s[i].cls->name, nlp_kind_name(p->s[i].cls->consumes), prev,
			             nlp_kind_name(want));
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
		nlp_config_fill(pc, ini, "pipeline", NULL, &msgs);
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
	if (p->n == nnames)
		check_kinds(p, ini, stages_line, &msgs);
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
		if (!is_text_kind(p->s[i].cls->produces)) {
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

nlp_ini *nlp_pipeline_ini(const nlp_pipeline *p)
{
	return p->ini;
}

void nlp_pipeline_print(const nlp_pipeline *p, FILE *out)
{
	const char *file = nlp_ini_name(p->ini);

	fprintf(out, "# pipeline %s: %zu stages\n", file, p->n);
	fprintf(out, "[pipeline]\nstages = ");
	for (size_t i = 0; i < p->n; i++)
		fprintf(out, "%s%s", i ? ", " : "", p->s[i].name);
	fprintf(out, "\n");
	if (nlp_ini_get(p->ini, "pipeline", "plugin_path"))
		fprintf(out, "plugin_path = %s\n", nlp_ini_get(p->ini, "pipeline", "plugin_path"));
	for (size_t i = 0; i < p->n; i++) {
		const pl_stage *s = &p->s[i];
		size_t w = 4;
		fprintf(out, "\n[%s]    ; %s -> %s, module %s %s\n", s->name,
		        nlp_kind_name(s->cls->consumes), nlp_kind_name(s->cls->produces),
		        s->module->name, s->module->version);
		for (size_t k = 0; k < nlp_config_count(s->cfg); k++) {
			size_t len = strlen(nlp_config_entry(s->cfg, k, NULL, NULL));
			if (len > w)
				w = len;
		}
		fprintf(out, "%-*s = %s\n", (int)w, "type", s->cls->name);
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
	int rc = NLP_OK;

	*out = NULL;
	if (!w || !(w->self = calloc(p->n ? p->n : 1, sizeof *w->self))) {
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
	for (size_t i = 0; i < w->p->n; i++)
		if (w->self[i])
			w->p->s[i].cls->destroy(w->self[i]);
	free(w->self);
	nlp_tokens_free(&w->a);
	nlp_tokens_free(&w->b);
	free(w->doc.ids);
	free(w);
}

int nlp_worker_run(nlp_worker *w, size_t end, const char *name, const char *text, size_t len,
                   const nlp_tokens **tokens, const int32_t **ids, size_t *n_ids, nlp_err *err)
{
	nlp_doc *d = &w->doc;
	int got_ids = 0;

	if (end > w->p->n)
		end = w->p->n;
	nlp_tokens_clear(&w->a);
	nlp_tokens_clear(&w->b);
	d->name = name;
	d->text = text;
	d->text_len = len;
	d->in = &w->a;
	d->out = &w->b;
	d->n_ids = 0;
	d->label = -1;
	for (size_t i = 0; i < end; i++) {
		const nlp_stage_class *c = w->p->s[i].cls;
		void *self = w->self[i];
		nlp_tokens *t;
		int rc;
		if (!c->process)
			return nlp_err_set(err, NLP_EINTERNAL,
			                   "stage '%s' (%s) has no document-level function",
			                   w->p->s[i].name, c->name);
		nlp_tokens_clear(d->out);
		rc = c->process(self, d, err);
		if (rc) /* say which stage refused the document */
			return nlp_pipeline_stage_error(w->p, i, rc, err);
		if (c->produces == NLP_KIND_TOKENS) {
			t = d->in;
			d->in = d->out;
			d->out = t;
		} else {
			got_ids = 1;
		}
	}
	if (tokens)
		*tokens = d->in;
	if (ids) {
		*ids = got_ids ? d->ids : NULL;
		*n_ids = got_ids ? d->n_ids : 0;
	}
	return NLP_OK;
}
