/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* config.c - typed, validated options of one stage instance (or of a
 * command's own section such as [train]). */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlpipe/nlpipe.h"
#include "pipeline/internal.h"

typedef struct cfg_value {
	const nlp_option *opt;
	char *text;     /* as written, or the default; NULL when unset and no default */
	int is_default; /* 1 when the file did not set it */
	int line;
	long i;
	double f;
	int b;
	char **list; /* LIST: words */
	size_t nlist;
} cfg_value;

struct nlp_config {
	char *instance;
	const nlp_host *host; /* borrowed; NULL for a command's own section */
	const char *cls;      /* borrowed; the stage class, or NULL */
	const nlp_option *opts;
	cfg_value *v;
	size_t n;
};

nlp_config *nlp_config_new(const char *instance, const nlp_option *opts)
{
	nlp_config *c = calloc(1, sizeof *c);
	size_t n = 0;

	if (!c)
		return NULL;
	while (opts && opts[n].name && opts[n].type != NLP_OPT_END)
		n++;
	c->instance = strdup(instance);
	c->v = calloc(n ? n : 1, sizeof *c->v);
	if (!c->instance || !c->v) {
		nlp_config_free(c);
		return NULL;
	}
	c->opts = opts;
	c->n = n;
	for (size_t i = 0; i < n; i++)
		c->v[i].opt = &opts[i];
	return c;
}

void nlp_config_set_owner(nlp_config *c, const nlp_host *h, const char *cls)
{
	c->host = h;
	c->cls = cls;
}

static void free_value(cfg_value *v)
{
	free(v->text);
	for (size_t k = 0; k < v->nlist; k++)
		free(v->list[k]);
	free(v->list);
	v->text = NULL;
	v->list = NULL;
	v->nlist = 0;
}

void nlp_config_free(nlp_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free_value(&c->v[i]);
	free(c->v);
	free(c->instance);
	free(c);
}

size_t nlp_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof *prev);
	}
	return prev[lb];
}

static int parse_bool(const char *s, int *out)
{
	static const char *yes[] = {"true", "yes", "on", "1"}, *no[] = {"false", "no", "off", "0"};
	for (int i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = 1, 1;
		if (strcasecmp(s, no[i]) == 0)
			return *out = 0, 1;
	}
	return 0;
}

static int in_choices(const char *choices, const char *s)
{
	size_t n = strlen(s);
	const char *p = choices;

	while (p && *p) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == n && strncmp(p, s, n) == 0)
			return 1;
		p = bar ? bar + 1 : NULL;
	}
	return 0;
}

static void choices_text(const char *choices, char *buf, size_t size)
{
	size_t j = 0;
	for (const char *p = choices; *p && j + 3 < size; p++) {
		if (*p == '|') {
			buf[j++] = ',';
			buf[j++] = ' ';
		} else {
			buf[j++] = *p;
		}
	}
	buf[j] = '\0';
}

int nlp_list_split(const char *s, char ***words, size_t *n)
{
	const char *p = s;

	while (*p) {
		const char *comma = strchr(p, ',');
		const char *a = p, *b = comma ? comma : p + strlen(p);
		char **nl;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (b > a) {
			nl = realloc(*words, (*n + 1) * sizeof *nl);
			if (!nl)
				return NLP_ENOMEM;
			*words = nl;
			(*words)[*n] = strndup(a, (size_t)(b - a));
			if (!(*words)[*n])
				return NLP_ENOMEM;
			(*n)++;
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	return NLP_OK;
}

void nlp_list_free(char **words, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(words[i]);
	free(words);
}

static int split_list(cfg_value *v, const char *s)
{
	return nlp_list_split(s, &v->list, &v->nlist);
}

static int ranged(const nlp_option *o)
{
	return o->min <= o->max;
}

/* Parse text into v per its option; on a problem write a reason into why. */
static int set_value(cfg_value *v, const char *text, const char *dir, char *why, size_t wsize)
{
	const nlp_option *o = v->opt;
	char *end;
	char cbuf[512];

	free_value(v);
	why[0] = '\0';
	switch (o->type) {
	case NLP_OPT_BOOL:
		if (!parse_bool(text, &v->b)) {
			snprintf(why, wsize, "expects true or false (also yes/no, on/off, 1/0)");
			return NLP_ECONFIG;
		}
		break;
	case NLP_OPT_INT:
		errno = 0;
		v->i = strtol(text, &end, 10);
		if (!*text || *end || errno) {
			snprintf(why, wsize, "expects a whole number");
			return NLP_ECONFIG;
		}
		if (ranged(o) && ((double)v->i < o->min || (double)v->i > o->max)) {
			snprintf(why, wsize, "must be between %.0f and %.0f", o->min, o->max);
			return NLP_ECONFIG;
		}
		v->f = (double)v->i;
		break;
	case NLP_OPT_FLOAT:
		errno = 0;
		v->f = strtod(text, &end);
		if (!*text || *end || errno || !isfinite(v->f)) {
			snprintf(why, wsize, "expects a number");
			return NLP_ECONFIG;
		}
		if (ranged(o) && (v->f < o->min || v->f > o->max)) {
			snprintf(why, wsize, "must be between %g and %g", o->min, o->max);
			return NLP_ECONFIG;
		}
		break;
	case NLP_OPT_ENUM:
		if (!in_choices(o->choices ? o->choices : "", text)) {
			choices_text(o->choices ? o->choices : "", cbuf, sizeof cbuf);
			snprintf(why, wsize, "must be one of: %s", cbuf);
			return NLP_ECONFIG;
		}
		break;
	case NLP_OPT_LIST:
		if (split_list(v, text))
			return NLP_ENOMEM;
		break;
	case NLP_OPT_PATH:
		if (*text && text[0] != '/' && dir && *dir) {
			size_t n = strlen(dir) + strlen(text) + 1;
			v->text = malloc(n);
			if (!v->text)
				return NLP_ENOMEM;
			snprintf(v->text, n, "%s%s", dir, text);
			return NLP_OK;
		}
		break;
	case NLP_OPT_STRING:
	case NLP_OPT_END:
		break;
	}
	v->text = strdup(text);
	return v->text ? NLP_OK : NLP_ENOMEM;
}

int nlp_option_check(const nlp_option *o, const char *text, char *why, size_t wsize)
{
	cfg_value v;
	int rc;

	memset(&v, 0, sizeof v);
	v.opt = o;
	rc = set_value(&v, text, "", why, wsize);
	free_value(&v);
	return rc ? rc : why[0] ? NLP_ECONFIG : NLP_OK;
}

const char *nlp_option_type_name(nlp_opt_type t)
{
	static const char *names[] = {"end",    "bool", "int",  "float",
	                              "string", "enum", "list", "path"};
	return (unsigned)t < sizeof names / sizeof *names ? names[t] : "?";
}

void nlp_config_fill(nlp_config *c, const nlp_ini *ini, const char *section, int stage,
                     nlp_msgs *msgs)
{
	const char *file = nlp_ini_name(ini);
	size_t nk = nlp_ini_key_count(ini, section);
	char why[600];
	int sline = 0;

	sline = nlp_ini_line(ini, section, NULL);
	for (size_t k = 0; k < nk; k++) {
		const char *value;
		int line;
		const char *key = nlp_ini_key(ini, section, k, &value, &line);
		cfg_value *v = NULL;
		char where[300];

		if (line)
			snprintf(where, sizeof where, "%s:%d", file, line);
		else
			snprintf(where, sizeof where, "--set %s.%s", section, key);
		if (stage && (strcmp(key, "type") == 0 || strcmp(key, "input") == 0 ||
		              strcmp(key, "lr_scale") == 0))
			continue;
		for (size_t i = 0; i < c->n; i++)
			if (strcmp(c->v[i].opt->name, key) == 0)
				v = &c->v[i];
		if (!v) {
			const char *best = NULL;
			size_t bd = 99;
			for (size_t i = 0; i < c->n; i++) {
				size_t d = nlp_edit_distance(key, c->v[i].opt->name);
				if (d < bd) {
					bd = d;
					best = c->v[i].opt->name;
				}
			}
			if (best && bd <= 2 + strlen(key) / 4)
				nlp_msgs_add(msgs,
				             "%s: unknown key '%s' in [%s]; did you mean '%s'?",
				             where, key, section, best);
			else if (c->n == 0)
				nlp_msgs_add(msgs,
				             "%s: unknown key '%s' in [%s]: it takes no options",
				             where, key, section);
			else
				nlp_msgs_add(msgs,
				             "%s: unknown key '%s' in [%s] (see `nlpipe plugins "
				             "CLASS` for its options)",
				             where, key, section);
			continue;
		}
		if (set_value(v, value, nlp_ini_dir(ini), why, sizeof why) == NLP_ENOMEM) {
			msgs->oom = 1;
			continue;
		}
		if (why[0]) {
			nlp_msgs_add(msgs, "%s: %s.%s = '%s': %s %s", where, section, key, value,
			             nlp_option_type_name(v->opt->type), why);
			continue;
		}
		v->is_default = 0;
		v->line = line;
	}
	for (size_t i = 0; i < c->n; i++) {
		cfg_value *v = &c->v[i];
		if (v->text)
			continue;
		if (!v->opt->def) {
			nlp_msgs_add(msgs, "%s:%d: [%s] needs '%s' (%s)", file, sline, section,
			             v->opt->name, v->opt->help ? v->opt->help : "required");
			continue;
		}
		if (set_value(v, v->opt->def, "", why, sizeof why) == NLP_ENOMEM) {
			msgs->oom = 1;
			continue;
		}
		if (why[0])
			nlp_msgs_add(msgs,
			             "%s:%d: [%s]: the stage's own default %s = '%s' is bad (%s); "
			             "set it in the file",
			             file, sline, section, v->opt->name, v->opt->def, why);
		v->is_default = 1;
	}
}

static cfg_value *lookup(const nlp_config *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].opt->name, name) == 0)
			return &c->v[i];
	/* A stage asked for an option its own table does not declare: a bug in
	 * its module.  Said through the host's diagnostics, then stop. */
	if (c->host)
		nlp_host_diag(c->host,
		              "internal error: [%s] (%s) asked for option '%s', which its class's "
		              "option table does not declare; report this to the module's author",
		              c->instance, c->cls ? c->cls : "?", name);
	abort();
}

int nlp_config_bool(const nlp_config *c, const char *name)
{
	return lookup(c, name)->b;
}

long nlp_config_int(const nlp_config *c, const char *name)
{
	return lookup(c, name)->i;
}

double nlp_config_float(const nlp_config *c, const char *name)
{
	return lookup(c, name)->f;
}

const char *nlp_config_str(const nlp_config *c, const char *name)
{
	const cfg_value *v = lookup(c, name);
	return v->text ? v->text : "";
}

const char *const *nlp_config_list(const nlp_config *c, const char *name, size_t *n)
{
	const cfg_value *v = lookup(c, name);
	*n = v->nlist;
	return (const char *const *)v->list;
}

const char *nlp_config_instance(const nlp_config *c)
{
	return c->instance;
}

size_t nlp_config_count(const nlp_config *c)
{
	return c->n;
}

const char *nlp_config_entry(const nlp_config *c, size_t i, const char **value, int *is_default)
{
	if (i >= c->n)
		return NULL;
	if (value)
		*value = c->v[i].text ? c->v[i].text : "";
	if (is_default)
		*is_default = c->v[i].is_default;
	return c->v[i].opt->name;
}

const nlp_option *nlp_config_option(const nlp_config *c, size_t i)
{
	return i < c->n ? c->v[i].opt : NULL;
}

int nlp_config_from_ini(nlp_config **out, const nlp_ini *ini, const char *section,
                        const nlp_option *opts, nlp_err *err)
{
	nlp_msgs msgs = {0};
	nlp_config *c = nlp_config_new(section, opts);
	int rc = NLP_OK;

	*out = NULL;
	if (!c)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	nlp_config_fill(c, ini, section, 0, &msgs);
	if (msgs.oom)
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
	else if (msgs.n)
		rc = nlp_msgs_to_err(&msgs, err, NLP_ECONFIG);
	nlp_msgs_free(&msgs);
	if (rc)
		nlp_config_free(c);
	else
		*out = c;
	return rc;
}

void nlp_config_destroy(nlp_config *c)
{
	nlp_config_free(c);
}
