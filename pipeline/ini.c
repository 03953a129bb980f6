/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* ini.c - INI pipeline files, parsed with libinih.
 *
 * libinih does the parsing; we feed it line by line from memory so that we
 * know the line of every key and section, and we check each line's shape
 * ourselves so that every syntax error is reported, not only the first.
 */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <utf8proc.h>
#include <stdlib.h>
#include <string.h>

#include "nlpipe/nlpipe.h"
#include "pipeline/internal.h"

#define INI_LINE_MAX 4000
#define INI_FILE_MAX (4u << 20)

typedef struct ini_entry {
	char *section;
	char *key;
	char *value;
	int line; /* 0: from --set */
} ini_entry;

typedef struct ini_section {
	char *name;
	int line;
	const nlp_option *declared; /* set by nlp_ini_declare_section */
} ini_section;

struct nlp_ini {
	char *name; /* file name for messages */
	char *dir;  /* its folder, for relative paths */
	ini_entry *e;
	size_t n, cap;
	ini_section *s;
	size_t ns, caps;
};

/* State while parsing. */
typedef struct ini_state {
	nlp_ini *ini;
	const char *p, *end; /* unread text */
	int line;            /* line of the text last handed to libinih */
	nlp_msgs *msgs;
	char *section; /* current section as we saw it */
	int oom;
} ini_state;

static char *xstrndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static ini_section *find_section(const nlp_ini *ini, const char *name)
{
	for (size_t i = 0; i < ini->ns; i++)
		if (strcmp(ini->s[i].name, name) == 0)
			return &ini->s[i];
	return NULL;
}

static ini_entry *find_entry(const nlp_ini *ini, const char *section, const char *key)
{
	for (size_t i = 0; i < ini->n; i++)
		if (strcmp(ini->e[i].section, section) == 0 && strcmp(ini->e[i].key, key) == 0)
			return &ini->e[i];
	return NULL;
}

static int add_section(nlp_ini *ini, const char *name, size_t len, int line)
{
	if (ini->ns == ini->caps) {
		size_t cap = ini->caps ? ini->caps * 2 : 8;
		ini_section *s = realloc(ini->s, cap * sizeof *s);
		if (!s)
			return NLP_ENOMEM;
		ini->s = s;
		ini->caps = cap;
	}
	ini->s[ini->ns].name = xstrndup(name, len);
	if (!ini->s[ini->ns].name)
		return NLP_ENOMEM;
	ini->s[ini->ns].line = line;
	ini->s[ini->ns].declared = NULL;
	ini->ns++;
	return NLP_OK;
}

static int add_entry(nlp_ini *ini, const char *section, const char *key, const char *value,
                     int line)
{
	ini_entry *e;

	if (ini->n == ini->cap) {
		size_t cap = ini->cap ? ini->cap * 2 : 16;
		ini_entry *ne = realloc(ini->e, cap * sizeof *ne);
		if (!ne)
			return NLP_ENOMEM;
		ini->e = ne;
		ini->cap = cap;
	}
	e = &ini->e[ini->n];
	e->section = strdup(section);
	e->key = strdup(key);
	e->value = strdup(value);
	e->line = line;
	if (!e->section || !e->key || !e->value) {
		free(e->section);
		free(e->key);
		free(e->value);
		return NLP_ENOMEM;
	}
	ini->n++;
	return NLP_OK;
}

static int is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* A section or key name: letters, digits, '_', '-', '.'. */
static int valid_name(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(c == '_' || c == '-' || c == '.' || (c >= '0' && c <= '9') ||
		      (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			return 0;
	}
	return 1;
}

/* Check one line's shape and note section headers.  Returns 0 when libinih
 * should not see the line (we already reported it). */
static int check_line(ini_state *ps, const char *s, size_t n)
{
	size_t a = 0, b = n;

	while (a < b && is_blank((unsigned char)s[a]))
		a++;
	while (b > a && is_blank((unsigned char)s[b - 1]))
		b--;
	if (a == b || s[a] == ';' || s[a] == '#')
		return 1;
	if (s[a] == '[') {
		const char *close = memchr(s + a, ']', b - a);
		size_t na, nb;
		if (!close) {
			nlp_msgs_add(ps->msgs, "%s:%d: section header has no closing ']'",
			             ps->ini->name, ps->line);
			return 0;
		}
		na = a + 1;
		nb = (size_t)(close - s);
		while (na < nb && is_blank((unsigned char)s[na]))
			na++;
		while (nb > na && is_blank((unsigned char)s[nb - 1]))
			nb--;
		if (!valid_name(s + na, nb - na)) {
			nlp_msgs_add(
			        ps->msgs,
			        "%s:%d: bad section name '%.*s' (use letters, digits, '_', '-')",
			        ps->ini->name, ps->line, (int)(nb - na), s + na);
			return 0;
		}
		for (size_t i = 0; i < ps->ini->ns; i++) {
			ini_section *o = &ps->ini->s[i];
			if (strlen(o->name) == nb - na && memcmp(o->name, s + na, nb - na) == 0) {
				nlp_msgs_add(
				        ps->msgs,
				        "%s:%d: section [%s] appears twice (first at line %d); "
				        "merge them",
				        ps->ini->name, ps->line, o->name, o->line);
				return 1;
			}
		}
		if (add_section(ps->ini, s + na, nb - na, ps->line))
			ps->oom = 1;
		return 1;
	}
	{
		const char *eq = memchr(s + a, '=', b - a);
		const char *colon = memchr(s + a, ':', b - a);
		const char *sep = eq && (!colon || eq < colon) ? eq : colon;
		size_t kb;
		if (!sep) {
			nlp_msgs_add(ps->msgs, "%s:%d: expected 'key = value', got '%.*s'",
			             ps->ini->name, ps->line, (int)(b - a > 60 ? 60 : b - a),
			             s + a);
			return 0;
		}
		kb = (size_t)(sep - s);
		while (kb > a && is_blank((unsigned char)s[kb - 1]))
			kb--;
		if (!valid_name(s + a, kb - a)) {
			nlp_msgs_add(ps->msgs,
			             "%s:%d: bad key name '%.*s' (use letters, digits, '_', '-')",
			             ps->ini->name, ps->line, (int)(kb - a), s + a);
			return 0;
		}
		if (ps->ini->ns == 0) {
			nlp_msgs_add(ps->msgs,
			             "%s:%d: key '%.*s' comes before any [section]; start the file "
			             "with [pipeline]",
			             ps->ini->name, ps->line, (int)(kb - a), s + a);
			return 0;
		}
	}
	return 1;
}

static int handler(void *user, const char *section, const char *name, const char *value);

/* A key = value line (already checked by check_line) parsed as libinih
 * would: trimmed key and value, an inline comment starts at a ';' that
 * follows white space. */
static void long_line(ini_state *ps, const char *s, size_t n)
{
	const char *end = s + n, *eq, *colon, *sep, *v, *ve;
	char *key, *value;
	const char *section = ps->ini->ns ? ps->ini->s[ps->ini->ns - 1].name : "";

	while (end > s && is_blank((unsigned char)end[-1]))
		end--;
	while (s < end && is_blank((unsigned char)*s))
		s++;
	eq = memchr(s, '=', (size_t)(end - s));
	colon = memchr(s, ':', (size_t)(end - s));
	sep = eq && (!colon || eq < colon) ? eq : colon;
	if (!sep)
		return;
	for (ve = sep + 1; ve < end; ve++)
		if (*ve == ';' && is_blank((unsigned char)ve[-1]))
			break;
	v = sep + 1;
	while (v < ve && is_blank((unsigned char)*v))
		v++;
	while (ve > v && is_blank((unsigned char)ve[-1]))
		ve--;
	{
		const char *kb = sep;
		while (kb > s && is_blank((unsigned char)kb[-1]))
			kb--;
		key = xstrndup(s, (size_t)(kb - s));
	}
	value = xstrndup(v, (size_t)(ve - v));
	if (!key || !value)
		ps->oom = 1;
	else
		handler(ps, section, key, value);
	free(key);
	free(value);
}

/* libinih's reader: hand it one line at a time; lines that we already
 * reported are handed over as blank lines. */
static char *reader(char *str, int num, void *stream)
{
	ini_state *ps = stream;
	const char *nl;
	size_t n;

	if (ps->p >= ps->end)
		return NULL;
	nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
	n = nl ? (size_t)(nl - ps->p) + 1 : (size_t)(ps->end - ps->p);
	ps->line++;
	if (n > INI_LINE_MAX) {
		nlp_msgs_add(ps->msgs, "%s:%d: line is longer than %d bytes", ps->ini->name,
		             ps->line, INI_LINE_MAX);
		str[0] = '\n';
		str[1] = '\0';
	} else if (!check_line(ps, ps->p, n)) {
		str[0] = '\n';
		str[1] = '\0';
	} else if ((int)n >= num) {
		/* Longer than libinih's line buffer (Debian builds it with a fixed
		 * one): parse this key = value line here, hand libinih a blank. */
		long_line(ps, ps->p, n);
		str[0] = '\n';
		str[1] = '\0';
	} else {
		memcpy(str, ps->p, n);
		str[n] = '\0';
	}
	ps->p += n;
	return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	ini_state *ps = user;
	ini_entry *old = find_entry(ps->ini, section, name);

	if (old) {
		nlp_msgs_add(ps->msgs, "%s:%d: key '%s' in [%s] is already set at line %d",
		             ps->ini->name, ps->line, name, section, old->line);
		return 1;
	}
	if (add_entry(ps->ini, section, name, value, ps->line))
		ps->oom = 1;
	return 1;
}

/* First invalid UTF-8 position in s (utf8proc also refuses overlong forms
 * and surrogates), or -1. */
static long bad_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &cp);
		if (k <= 0)
			return (long)i;
		i += (size_t)k;
	}
	return -1;
}

static int line_of(const char *text, size_t off)
{
	int line = 1;
	for (size_t i = 0; i < off; i++)
		line += text[i] == '\n';
	return line;
}

int nlp_ini_parse(nlp_ini **out, const char *name, const char *text, size_t len, nlp_err *err)
{
	nlp_ini *ini = calloc(1, sizeof *ini);
	nlp_msgs msgs = {0};
	ini_state ps = {0};
	const char *nul;
	long bad;
	int rc = NLP_OK, irc;

	*out = NULL;
	if (!ini)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	ini->name = strdup(name);
	ini->dir = strdup("");
	if (!ini->name || !ini->dir) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	nul = len ? memchr(text, '\0', len) : NULL;
	if (nul) {
		rc = nlp_err_set(err, NLP_ECONFIG,
		                 "%s:%d: NUL byte: this is not a text INI file (give a pipeline "
		                 "file such as examples/sentiment.ini)",
		                 name, line_of(text, (size_t)(nul - text)));
		goto out;
	}
	bad = len ? bad_utf8((const unsigned char *)text, len) : -1;
	if (bad >= 0) {
		rc = nlp_err_set(err, NLP_ECONFIG,
		                 "%s:%d: invalid UTF-8 (byte 0x%02x): INI files must be UTF-8 text",
		                 name, line_of(text, (size_t)bad), (unsigned char)text[bad]);
		goto out;
	}
	ps.ini = ini;
	ps.p = text;
	ps.end = text + len;
	ps.msgs = &msgs;
	/* Debian's libinih reads these at run time. */
	ini_use_stack = 0;
	ini_max_line = INI_LINE_MAX + 16;
	ini_allow_realloc = 0;
	ini_allow_multiline = 0;
	ini_allow_inline_comments = 1;
	irc = ini_parse_stream(reader, &ps, handler, &ps);
	if (ps.oom || irc == -2) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory reading %s", name);
		goto out;
	}
	if (irc > 0 && msgs.n == 0)
		nlp_msgs_add(&msgs, "%s:%d: syntax error", name, irc);
	if (msgs.n) {
		rc = nlp_msgs_to_err(&msgs, err, NLP_ECONFIG);
		goto out;
	}
	*out = ini;
	ini = NULL;
out:
	nlp_msgs_free(&msgs);
	nlp_ini_free(ini);
	return rc;
}

int nlp_ini_read(nlp_ini **out, const char *path, nlp_err *err)
{
	char *text = NULL, *slash;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = nlp_read_file(path, INI_FILE_MAX, &text, &len, err);
	if (rc) {
		/* An unreadable pipeline file is a configuration problem. */
		if (rc == NLP_EIO && err)
			err->code = NLP_ECONFIG;
		return rc == NLP_EIO ? NLP_ECONFIG : rc;
	}
	rc = nlp_ini_parse(out, path, text, len, err);
	free(text);
	if (rc)
		return rc;
	slash = strrchr(path, '/');
	free((*out)->dir);
	(*out)->dir = slash ? xstrndup(path, (size_t)(slash - path) + 1) : strdup("");
	if (!(*out)->dir) {
		nlp_ini_free(*out);
		*out = NULL;
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	return NLP_OK;
}

void nlp_ini_free(nlp_ini *ini)
{
	if (!ini)
		return;
	for (size_t i = 0; i < ini->n; i++) {
		free(ini->e[i].section);
		free(ini->e[i].key);
		free(ini->e[i].value);
	}
	for (size_t i = 0; i < ini->ns; i++)
		free(ini->s[i].name);
	free(ini->e);
	free(ini->s);
	free(ini->name);
	free(ini->dir);
	free(ini);
}

int nlp_ini_override(nlp_ini *ini, const char *assignment, nlp_err *err)
{
	const char *dot = strchr(assignment, '.');
	const char *eq = strchr(assignment, '=');
	char *section = NULL, *key = NULL;
	const char *value;
	size_t vb;
	ini_entry *e;
	int rc = NLP_OK;

	if (!dot || !eq || dot > eq || dot == assignment || eq == dot + 1)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "--set '%s': expected SECTION.KEY=VALUE, e.g. --set "
		                   "train.epochs=5",
		                   assignment);
	{
		const char *ka = dot + 1, *kb = eq, *sa = assignment;
		while (is_blank((unsigned char)*sa))
			sa++;
		while (ka < kb && is_blank((unsigned char)*ka))
			ka++;
		while (kb > ka && is_blank((unsigned char)kb[-1]))
			kb--;
		section = xstrndup(sa, (size_t)(dot - sa));
		key = xstrndup(ka, (size_t)(kb - ka));
	}
	if (!section || !key) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	if (!valid_name(section, strlen(section)) || !valid_name(key, strlen(key))) {
		rc = nlp_err_set(err, NLP_ECONFIG,
		                 "--set '%s': bad section or key name (use letters, digits, '_', "
		                 "'-')",
		                 assignment);
		goto out;
	}
	value = eq + 1;
	while (is_blank((unsigned char)*value))
		value++;
	vb = strlen(value);
	while (vb && is_blank((unsigned char)value[vb - 1]))
		vb--;
	if (!find_section(ini, section) && add_section(ini, section, strlen(section), 0)) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	e = find_entry(ini, section, key);
	if (e) {
		char *v = xstrndup(value, vb);
		if (!v) {
			rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
			goto out;
		}
		free(e->value);
		e->value = v;
		e->line = 0;
	} else {
		char *v = xstrndup(value, vb);
		if (!v || add_entry(ini, section, key, v, 0))
			rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		free(v);
	}
out:
	free(section);
	free(key);
	return rc;
}

const char *nlp_ini_get(const nlp_ini *ini, const char *section, const char *key)
{
	const ini_entry *e = find_entry(ini, section, key);
	return e ? e->value : NULL;
}

int nlp_ini_line(const nlp_ini *ini, const char *section, const char *key)
{
	const ini_entry *e = key ? find_entry(ini, section, key) : NULL;
	const ini_section *s;

	if (e)
		return e->line;
	s = find_section(ini, section);
	return s ? s->line : 0;
}

const char *nlp_ini_dir(const nlp_ini *ini)
{
	return ini->dir;
}

const char *nlp_ini_name(const nlp_ini *ini)
{
	return ini->name;
}

size_t nlp_ini_section_count(const nlp_ini *ini)
{
	return ini->ns;
}

const char *nlp_ini_section(const nlp_ini *ini, size_t i, int *line)
{
	if (i >= ini->ns)
		return NULL;
	if (line)
		*line = ini->s[i].line;
	return ini->s[i].name;
}

size_t nlp_ini_key_count(const nlp_ini *ini, const char *section)
{
	size_t n = 0;
	for (size_t i = 0; i < ini->n; i++)
		n += strcmp(ini->e[i].section, section) == 0;
	return n;
}

const char *nlp_ini_key(const nlp_ini *ini, const char *section, size_t k, const char **value,
                        int *line)
{
	for (size_t i = 0; i < ini->n; i++) {
		if (strcmp(ini->e[i].section, section) != 0)
			continue;
		if (k-- == 0) {
			if (value)
				*value = ini->e[i].value;
			if (line)
				*line = ini->e[i].line;
			return ini->e[i].key;
		}
	}
	return NULL;
}

int nlp_ini_declare_section(nlp_ini *ini, const char *section, const nlp_option *opts)
{
	ini_section *s = find_section(ini, section);

	if (!s) {
		if (add_section(ini, section, strlen(section), 0))
			return NLP_ENOMEM;
		s = &ini->s[ini->ns - 1];
	}
	s->declared = opts;
	return NLP_OK;
}

const nlp_option *nlp_ini_declared(const nlp_ini *ini, const char *section)
{
	const ini_section *s = find_section(ini, section);
	return s ? s->declared : NULL;
}

/* Text of the file as the pipeline sees it (overrides applied), for model
 * files: sections in order, keys in order. */
int nlp_ini_dump(const nlp_ini *ini, nlp_buf *out)
{
	int rc = NLP_OK;

	for (size_t i = 0; i < ini->ns && !rc; i++) {
		const char *sec = ini->s[i].name;
		rc = nlp_buf_put(out, "[", 1);
		rc = rc ? rc : nlp_buf_put(out, sec, strlen(sec));
		rc = rc ? rc : nlp_buf_put(out, "]\n", 2);
		for (size_t k = 0; k < ini->n && !rc; k++) {
			const ini_entry *e = &ini->e[k];
			if (strcmp(e->section, sec) != 0)
				continue;
			rc = nlp_buf_put(out, e->key, strlen(e->key));
			rc = rc ? rc : nlp_buf_put(out, " = ", 3);
			rc = rc ? rc : nlp_buf_put(out, e->value, strlen(e->value));
			rc = rc ? rc : nlp_buf_put(out, "\n", 1);
		}
		rc = rc ? rc : nlp_buf_put(out, "\n", 1);
	}
	return rc;
}
