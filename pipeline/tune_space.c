/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* tune_space.c - the [tune] section of a pipeline file (nlpipe/tune.h):
 * its keys and candidates checked against the stages' and [train]'s option
 * tables, values drawn from it, and --budget texts. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlpipe/trainer.h"
#include "nlpipe/tune.h"
#include "pipeline/internal.h"

typedef struct tparam {
	nlp_tune_param pub; /* its strings point into the owned ones below */
	char *section, *key, *text;
	char **values;
} tparam;

struct nlp_tune_space {
	tparam *v;
	size_t n;
};

/* The [train] options that the search sets itself, and why. */
static const struct {
	const char *key, *why;
} fixed[] = {
        {"epochs", "the rungs set it (up to [train] epochs)"},
        {"seed", "every trial trains on the same seeded validation carve"},
        {"validation", "every trial trains on the same seeded validation carve"},
        {"validation_data", "every trial trains on the same validation data"},
        {"metric", "every trial is judged by the [train] metric"},
        {"threads", "trials run one at a time with the [train] threads"},
        {"time_limit", "--budget limits the search's time"},
        {"checkpoint_every", "the search keeps its trials' checkpoints itself"},
        {"keep_checkpoint", "the search trains its trials on from their checkpoints"},
        {"refit", "trials are judged by their validation and never refit (the winner's "
                  "pipeline file keeps [train] refit)"},
        {"ensemble", "trials are single models (the winner's pipeline file keeps [train] "
                     "ensemble)"},
};

void nlp_tune_space_free(nlp_tune_space *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		tparam *t = &s->v[i];
		for (size_t k = 0; k < t->pub.n_values; k++)
			free(t->values[k]);
		free(t->values);
		free(t->section);
		free(t->key);
		free(t->text);
	}
	free(s->v);
	free(s);
}

size_t nlp_tune_space_count(const nlp_tune_space *s)
{
	return s ? s->n : 0;
}

const nlp_tune_param *nlp_tune_space_param(const nlp_tune_space *s, size_t i)
{
	return s && i < s->n ? &s->v[i].pub : NULL;
}

/* The option table of [sec]: a stage of p, or [train]; NULL when neither. */
static const nlp_option *section_options(const nlp_pipeline *p, const char *sec, int *found)
{
	*found = 1;
	if (strcmp(sec, "train") == 0)
		return nlp_train_options;
	for (size_t i = 0; i < nlp_pipeline_stage_count(p); i++)
		if (strcmp(nlp_pipeline_stage_name(p, i), sec) == 0)
			return nlp_pipeline_stage_class(p, i)->options;
	*found = 0;
	return NULL;
}

/* The name nearest to word among the stages of p and "train" (sections) or
 * the options of opts, when it is close; else NULL. */
static const char *nearest(const char *word, const nlp_pipeline *p, const nlp_option *opts)
{
	const char *best = NULL;
	size_t bd = 99;

	for (size_t i = 0; opts ? opts[i].name != NULL : i <= nlp_pipeline_stage_count(p); i++) {
		const char *cand = opts ? opts[i].name
		                   : i == nlp_pipeline_stage_count(p)
		                           ? "train"
		                           : nlp_pipeline_stage_name(p, i);
		size_t d = nlp_edit_distance(word, cand);
		if (d < bd) {
			bd = d;
			best = cand;
		}
	}
	return bd <= 2 + strlen(word) / 4 ? best : NULL;
}

/* Split SECTION.KEY of a [tune] key and find its option; NULL with a
 * message in msgs when there is none that may be tuned. */
static const nlp_option *find_option(const nlp_pipeline *p, const char *where, const char *name,
                                     char **sec, char **key, nlp_msgs *msgs)
{
	const char *dot = strchr(name, '.');
	const nlp_option *opts, *o = NULL;
	const char *near;
	int found;

	if (!dot || dot == name || !dot[1]) {
		nlp_msgs_add(msgs,
		             "%s: [tune] '%s': name an option as SECTION.KEY, e.g. "
		             "encode.hidden or train.learning_rate",
		             where, name);
		return NULL;
	}
	*sec = strndup(name, (size_t)(dot - name));
	*key = strdup(dot + 1);
	if (!*sec || !*key) {
		msgs->oom = 1;
		return NULL;
	}
	opts = section_options(p, *sec, &found);
	if (!found) {
		near = nearest(*sec, p, NULL);
		nlp_msgs_add(msgs,
		             "%s: [tune] %s: no stage '%s' in [pipeline] stages%s%s%s (tune the "
		             "options of a stage or of [train])",
		             where, name, *sec, near ? "; did you mean '" : "", near ? near : "",
		             near ? "'?" : "");
		return NULL;
	}
	for (size_t i = 0; opts && opts[i].name && !o; i++)
		if (strcmp(opts[i].name, *key) == 0)
			o = &opts[i];
	if (!o) {
		near = opts ? nearest(*key, p, opts) : NULL;
		if (near)
			nlp_msgs_add(msgs,
			             "%s: [tune] %s: [%s] has no option '%s'; did you mean '%s'?",
			             where, name, *sec, *key, near);
		else
			nlp_msgs_add(msgs,
			             "%s: [tune] %s: [%s] has no option '%s' (see `nlpipe plugins "
			             "CLASS` for a stage's options, nlpipe.ini(5) for [train]'s)",
			             where, name, *sec, *key);
		return NULL;
	}
	for (size_t i = 0; strcmp(*sec, "train") == 0 && i < sizeof fixed / sizeof *fixed; i++)
		if (strcmp(*key, fixed[i].key) == 0) {
			nlp_msgs_add(msgs, "%s: [tune] %s: cannot be tuned: %s", where, name,
			             fixed[i].why);
			return NULL;
		}
	return o;
}

/* Check candidate text as a value of o; a message when it is not one. */
static void check_value(const nlp_option *o, const char *where, const char *name, const char *text,
                        nlp_msgs *msgs)
{
	char why[600];
	int rc = nlp_option_check(o, text, why, sizeof why);

	if (rc == NLP_ENOMEM)
		msgs->oom = 1;
	else if (rc)
		nlp_msgs_add(msgs, "%s: [tune] %s = '%s': %s %s", where, name, text,
		             nlp_option_type_name(o->type), why);
}

/* A list: candidates separated by commas, each checked. */
static void parse_list(tparam *t, const nlp_option *o, const char *where, const char *name,
                       nlp_msgs *msgs)
{
	const char *p = t->text;

	for (;;) {
		const char *comma = strchr(p, ','), *a = p, *b = comma ? comma : p + strlen(p);
		char **nv;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (a == b) {
			nlp_msgs_add(msgs,
			             "%s: [tune] %s = '%s': an empty candidate; separate the "
			             "candidates with single commas",
			             where, name, t->text);
			return;
		}
		nv = realloc(t->values, (t->pub.n_values + 1) * sizeof *nv);
		if (!nv || !(nv[t->pub.n_values] = strndup(a, (size_t)(b - a)))) {
			if (nv)
				t->values = nv;
			msgs->oom = 1;
			return;
		}
		t->values = nv;
		check_value(o, where, name, t->values[t->pub.n_values++], msgs);
		if (!comma)
			break;
		p = comma + 1;
	}
	t->pub.values = (const char *const *)t->values;
}

/* The next word of *p (white space separated) into w; 0 at the end. */
static int next_word(const char **p, char *w, size_t size)
{
	size_t n = 0;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	while (**p && **p != ' ' && **p != '\t') {
		if (n + 1 < size)
			w[n++] = **p;
		(*p)++;
	}
	w[n] = '\0';
	return n > 0;
}

/* A range: LOW .. HIGH [log|linear] [int]. */
static void parse_range(tparam *t, const nlp_option *o, const char *dots, const char *where,
                        const char *name, nlp_msgs *msgs)
{
	char lo[64], hi[64], w[64];
	const char *q = dots + 2;
	char *end;
	size_t n = (size_t)(dots - t->text);
	int bad = n >= sizeof lo || !next_word(&q, hi, sizeof hi);

	if (bad)
		n = 0;
	memcpy(lo, t->text, n);
	lo[n] = '\0';
	while (n > 0 && (lo[n - 1] == ' ' || lo[n - 1] == '\t'))
		lo[--n] = '\0';
	bad |= n == 0;

	if (o->type != NLP_OPT_INT && o->type != NLP_OPT_FLOAT) {
		nlp_msgs_add(msgs,
		             "%s: [tune] %s = '%s': a range needs a number option, and [%s] %s "
		             "is %s: list the candidates instead (A, B, C)",
		             where, name, t->text, t->section, t->key,
		             nlp_option_type_name(o->type));
		return;
	}
	t->pub.integer = o->type == NLP_OPT_INT;
	while (!bad && next_word(&q, w, sizeof w)) {
		if (strcmp(w, "log") == 0)
			t->pub.log = 1;
		else if (strcmp(w, "linear") == 0)
			t->pub.log = 0;
		else if (strcmp(w, "int") == 0)
			t->pub.integer = 1;
		else
			bad = 1;
	}
	if (!bad) {
		t->pub.lo = strtod(lo, &end);
		bad = *end != '\0' || !isfinite(t->pub.lo);
		t->pub.hi = strtod(hi, &end);
		bad |= *end != '\0' || !isfinite(t->pub.hi);
	}
	if (bad) {
		nlp_msgs_add(msgs,
		             "%s: [tune] %s = '%s': expected a list (A, B, C) or a range (LOW .. "
		             "HIGH, then log or linear, and int for whole numbers)",
		             where, name, t->text);
		return;
	}
	check_value(o, where, name, lo, msgs);
	check_value(o, where, name, hi, msgs);
	if (t->pub.lo >= t->pub.hi)
		nlp_msgs_add(msgs, "%s: [tune] %s = '%s': the low end must be below the high end",
		             where, name, t->text);
	else if (t->pub.log && t->pub.lo <= 0)
		nlp_msgs_add(msgs, "%s: [tune] %s = '%s': a log range needs a low end above 0",
		             where, name, t->text);
	else if (t->pub.integer && (t->pub.lo != floor(t->pub.lo) || t->pub.hi != floor(t->pub.hi)))
		nlp_msgs_add(msgs,
		             "%s: [tune] %s = '%s': a range of whole numbers needs whole ends",
		             where, name, t->text);
}

/* One [tune] line into s->v[s->n]. */
static void parse_param(nlp_tune_space *s, const nlp_ini *ini, const nlp_pipeline *p, size_t k,
                        nlp_msgs *msgs)
{
	tparam *t = &s->v[s->n];
	const char *value, *dots;
	int line;
	const char *name = nlp_ini_key(ini, "tune", k, &value, &line);
	const nlp_option *o;
	char where[300];

	if (line)
		snprintf(where, sizeof where, "%s:%d", nlp_ini_name(ini), line);
	else
		snprintf(where, sizeof where, "--set tune.%s", name);
	memset(t, 0, sizeof *t);
	o = find_option(p, where, name, &t->section, &t->key, msgs);
	t->text = strdup(value);
	s->n++; /* freed with the space from here on */
	if (!t->text) {
		msgs->oom = 1;
		return;
	}
	if (!o)
		return;
	t->pub.section = t->section;
	t->pub.key = t->key;
	t->pub.text = t->text;
	t->pub.line = line;
	dots = strstr(t->text, "..");
	t->pub.kind = dots ? NLP_TUNE_RANGE : NLP_TUNE_LIST;
	if (dots)
		parse_range(t, o, dots, where, name, msgs);
	else
		parse_list(t, o, where, name, msgs);
}

int nlp_tune_space_new(nlp_tune_space **out, const nlp_ini *ini, const nlp_pipeline *p,
                       nlp_err *err)
{
	const size_t nk = nlp_ini_key_count(ini, "tune");
	nlp_tune_space *s = calloc(1, sizeof *s);
	nlp_msgs msgs = {0};
	int rc = NLP_OK;

	*out = NULL;
	if (!s || !(s->v = calloc(nk ? nk : 1, sizeof *s->v))) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < nk; k++)
		parse_param(s, ini, p, k, &msgs);
	if (msgs.oom)
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
	else if (msgs.n)
		rc = nlp_msgs_to_err(&msgs, err, NLP_ECONFIG);
out:
	nlp_msgs_free(&msgs);
	if (rc)
		nlp_tune_space_free(s);
	else
		*out = s;
	return rc;
}

/* A double in [0, 1) from 53 bits of r. */
static double unit(nlp_rng *r)
{
	return (double)(nlp_rng_next(r) >> 11) * 0x1.0p-53;
}

void nlp_tune_sample(const nlp_tune_param *param, nlp_rng *rng, char *buf, size_t size)
{
	const double lo = param->lo, hi = param->hi;
	double u, x;

	if (param->kind == NLP_TUNE_LIST) {
		snprintf(buf, size, "%s", param->values[nlp_rng_next(rng) % param->n_values]);
		return;
	}
	u = unit(rng);
	if (param->integer) {
		/* every whole number of [lo, hi] can come out, log: by log(x+1)-log(x) */
		x = param->log ? floor(exp(log(lo) + u * (log(hi + 1) - log(lo))))
		               : lo + floor(u * (hi - lo + 1));
		x = x < lo ? lo : x > hi ? hi : x;
		snprintf(buf, size, "%.0f", x);
		return;
	}
	x = param->log ? exp(log(lo) + u * (log(hi) - log(lo))) : lo + u * (hi - lo);
	/* Three significant digits, more only when rounding would leave [lo, hi]. */
	for (int digits = 3; digits <= 17; digits += 7) {
		double y;
		snprintf(buf, size, "%.*g", digits, x);
		y = strtod(buf, NULL);
		if (y >= lo && y <= hi)
			break;
	}
}

int nlp_tune_budget_parse(const char *text, double *seconds, long *epochs, nlp_err *err)
{
	char *end;
	double v = strtod(text, &end);
	double unit_s = 0;

	*seconds = 0;
	*epochs = 0;
	if (end != text && isfinite(v) && v > 0 && end[0] && !end[1]) {
		unit_s = end[0] == 's' ? 1 : end[0] == 'm' ? 60 : end[0] == 'h' ? 3600 : 0;
		if (end[0] == 'e' && v == floor(v) && v <= 1e9) {
			*epochs = (long)v;
			return NLP_OK;
		}
	}
	if (unit_s == 0)
		return nlp_err_set(
		        err, NLP_ECONFIG,
		        "--budget '%s': give a time (90s, 20m, 2h) or epochs in total over "
		        "all trials (300e)",
		        text);
	*seconds = v * unit_s;
	return NLP_OK;
}
