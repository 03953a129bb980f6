/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* stopwords.c - the `stopwords` stage: drop common function words.
 *
 * Lists are plain text: words separated by white space, `|` or `#` starts
 * a comment (Snowball's format).  Built-in lists live in
 * $(pkgdatadir)/stopwords/<language>.txt ($NLPIPE_DATA_DIR overrides the
 * folder).  Words are normalized to NFKC with case folding on loading, so
 * they match what the tokenizer emits with its defaults.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include <nlpipe/reader.h>
#include <nlpipe/train.h>

#include "text.h"

struct text_stopwords {
	size_t max_len; /* longest stop word, in bytes */
	struct text_set stop;
	struct text_set keep;
	char **keep_sfx; /* keep patterns *SUFFIX: words ending in SUFFIX */
	size_t n_keep_sfx;
	int ignore_case;
	char *low; /* scratch for ASCII lower-casing */
	size_t low_cap;
};

static int add_word(struct text_set *set, const char *w, size_t n)
{
	utf8proc_uint8_t *m = NULL;
	utf8proc_ssize_t r;
	int rc;
	int ascii = 1;

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)w[i] >= 0x80 || (w[i] >= 'A' && w[i] <= 'Z'))
			ascii = 0;
	if (ascii)
		return text_set_add(set, w, n);
	r = utf8proc_map((const utf8proc_uint8_t *)w, (utf8proc_ssize_t)n, &m,
	                 UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD);
	if (r < 0)
		return NLP_EDATA;
	rc = text_set_add(set, (const char *)m, (size_t)r);
	free(m);
	return rc;
}

/* The longest line of a list file (a list is words on lines: a longer one
 * is not a word list). */
#define LIST_MAX_LINE (1u << 20)

/* Read a list file into set.  Errors name the file and line. */
static int load_list(struct text_set *set, const char *path, nlp_err *err)
{
	nlp_line_reader L = {.path = path, .max = LIST_MAX_LINE, .what = "a line of stop words"};
	int rc = NLP_OK;

	rc = nlp_open_regular(path, &L.f);
	if (rc < 0)
		return nlp_err_set(err, NLP_EIO, "cannot open %s: %s", path, strerror(errno));
	if (rc > 0)
		return nlp_err_set(err, NLP_EIO,
		                   "%s is not a regular file (a folder, FIFO or "
		                   "device): give a word list file",
		                   path);
	while (!(rc = nlp_line_reader_next(&L, err)) && L.len) {
		char *line = L.line, *p = line, *end;
		size_t len = L.len;
		if ((end = memchr(line, '|', len)) != NULL)
			len = (size_t)(end - line);
		if ((end = memchr(line, '#', len)) != NULL)
			len = (size_t)(end - line);
		end = line + len;
		while (p < end) {
			char *w;
			while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
				p++;
			w = p;
			while (p < end && !(*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
				p++;
			if (p > w) {
				rc = add_word(set, w, (size_t)(p - w));
				if (rc == NLP_EDATA) {
					nlp_err_set(err, rc,
					            "%s:%lu: not valid UTF-8; save the list as "
					            "UTF-8",
					            path, L.lineno);
					goto out;
				}
				if (rc) {
					nlp_err_set(err, rc, "out of memory");
					goto out;
				}
			}
		}
	}
out:
	nlp_line_reader_free(&L);
	fclose(L.f);
	return rc;
}

/* The languages with a list in dir, for messages. */
static void list_languages(const char *dir, char *buf, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t used = 0;

	buf[0] = '\0';
	if (!d) {
		snprintf(buf, size, "none: the folder is missing");
		return;
	}
	/* readdir order is arbitrary; the message only needs to be helpful */
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n > 4 && strcmp(e->d_name + n - 4, ".txt") == 0 && used + n < size - 8) {
			used += (size_t)snprintf(buf + used, size - used, "%s%.*s",
			                         used ? ", " : "", (int)(n - 4), e->d_name);
		}
	}
	closedir(d);
}

int text_stopwords_new(struct text_stopwords **out, const char *data_dir, const char *language,
                       const char *file, const char *const *keep, size_t n_keep, nlp_err *err)
{
	struct text_stopwords *s = calloc(1, sizeof *s);
	char path[4096];
	int rc = NLP_OK;

	if (!s)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	s->ignore_case = 1;
	if (language && *language && strcmp(language, "none") != 0) {
		for (const char *p = language; *p; p++) {
			if (!((*p >= 'a' && *p <= 'z') || *p == '_' || (*p >= '0' && *p <= '9'))) {
				rc = nlp_err_set(err, NLP_ECONFIG,
				                 "language '%s' is not a language name "
				                 "(lower-case letters, e.g. english); for your own "
				                 "list use file = PATH",
				                 language);
				goto out;
			}
		}
		snprintf(path, sizeof path, "%s/stopwords/%s.txt", data_dir, language);
		FILE *f = fopen(path, "rb");
		if (!f) {
			char langs[1024], dir[4096];
			snprintf(dir, sizeof dir, "%s/stopwords", data_dir);
			list_languages(dir, langs, sizeof langs);
			rc = nlp_err_set(err, NLP_ECONFIG,
			                 "no list for language '%s' (%s not found; "
			                 "available: %s); set language = none and file = PATH for "
			                 "your own list",
			                 language, path, langs);
			goto out;
		}
		fclose(f);
		rc = load_list(&s->stop, path, err);
		if (rc)
			goto out;
	}
	if (file && *file) {
		rc = load_list(&s->stop, file, err);
		if (rc)
			goto out;
	}
	s->keep_sfx = calloc(n_keep ? n_keep : 1, sizeof *s->keep_sfx);
	if (!s->keep_sfx) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n_keep; i++) {
		if (keep[i][0] == '*' && keep[i][1]) {
			s->keep_sfx[s->n_keep_sfx] = strdup(keep[i] + 1);
			if (!s->keep_sfx[s->n_keep_sfx++]) {
				rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
				goto out;
			}
			continue;
		}
		rc = add_word(&s->keep, keep[i], strlen(keep[i]));
		if (rc) {
			nlp_err_set(err, rc, "keep word '%s' is not valid UTF-8", keep[i]);
			goto out;
		}
	}
	for (size_t i = 0; i < s->stop.t.n; i++)
		if (s->stop.t.len[i] > s->max_len)
			s->max_len = s->stop.t.len[i];
out:
	if (rc) {
		text_stopwords_free(s);
		return rc;
	}
	*out = s;
	return NLP_OK;
}

void text_stopwords_free(struct text_stopwords *s)
{
	if (!s)
		return;
	text_set_free(&s->stop);
	text_set_free(&s->keep);
	for (size_t i = 0; i < s->n_keep_sfx; i++)
		free(s->keep_sfx[i]);
	free(s->keep_sfx);
	free(s->low);
	free(s);
}

size_t text_stopwords_count(const struct text_stopwords *s)
{
	return s->stop.t.n;
}

int text_stopwords_has(const struct text_stopwords *s, const char *w, size_t len)
{
	if (len > s->max_len)
		return 0;
	if (!text_set_has(&s->stop, w, len) || text_set_has(&s->keep, w, len))
		return 0;
	for (size_t i = 0; i < s->n_keep_sfx; i++) {
		size_t k = strlen(s->keep_sfx[i]);
		if (len >= k && memcmp(w + len - k, s->keep_sfx[i], k) == 0)
			return 0;
	}
	return 1;
}

int text_stopwords_filter(struct text_stopwords *s, const nlp_tokens *in, nlp_tokens *out)
{
	for (size_t i = 0; i < in->n; i++) {
		const char *w = nlp_token(in, i);
		size_t n = in->tlen[i];
		const char *look = w;
		int rc;

		if (s->ignore_case) {
			size_t k;
			for (k = 0; k < n && !(w[k] >= 'A' && w[k] <= 'Z'); k++)
				;
			if (k < n) {
				if (n > s->low_cap) {
					char *p = realloc(s->low, n);
					if (!p)
						return NLP_ENOMEM;
					s->low = p;
					s->low_cap = n;
				}
				for (k = 0; k < n; k++)
					s->low[k] = (char)(w[k] >= 'A' && w[k] <= 'Z' ? w[k] + 32
					                                              : w[k]);
				look = s->low;
			}
		}
		if (text_stopwords_has(s, look, n))
			continue;
		rc = text_push(out, w, n);
		if (rc)
			return rc;
	}
	return NLP_OK;
}

/* ---- the stage class ---- */

static const nlp_option stopwords_options[] = {
        {"language", NLP_OPT_STRING, "english", 0, 0, NULL,
         "built-in list to use (a file in the stopwords data folder), or none"},
        {"file", NLP_OPT_PATH, "", 0, 0, NULL,
         "your own list: words separated by white space, | or # starts a comment"},
        {"keep", NLP_OPT_LIST, "", 0, 0, NULL,
         "words never removed, e.g. not, no, never, *n't (*X: every word ending in X)"},
        {NULL, NLP_OPT_END, NULL, 0, 0, NULL, NULL},
};

static int stopwords_create(void **self, const nlp_config *cfg, nlp_err *err)
{
	size_t nk = 0;
	const char *const *keep = nlp_config_list(cfg, "keep", &nk);
	struct text_stopwords *s;
	int rc;

	/* The host names the instance in front of any message. */
	rc = text_stopwords_new(&s, text_data_dir(), nlp_config_str(cfg, "language"),
	                        nlp_config_str(cfg, "file"), keep, nk, err);
	if (rc)
		return rc;
	*self = s;
	return NLP_OK;
}

static void stopwords_destroy(void *self)
{
	text_stopwords_free(self);
}

static int stopwords_process(void *self, nlp_doc *doc, nlp_err *err)
{
	int rc = text_stopwords_filter(self, doc->in, doc->out);
	return rc ? nlp_err_set(err, rc, "out of memory") : NLP_OK;
}

/* The list travels in model files: a model predicts with the words it was
 * trained with, whatever the installed lists or the file say later (and a
 * model never makes nlpipe open a file it names). */
static int stopwords_save(void *self, nlp_buf *out, nlp_err *err)
{
	struct text_stopwords *s = self;
	int rc = nlp_buf_put_u32(out, (uint32_t)s->stop.t.n);

	for (size_t off = 0; !rc && off < s->stop.t.arena_len;) {
		const char *w = s->stop.t.arena + off;
		rc = nlp_buf_put_str(out, w);
		off += strlen(w) + 1;
	}
	return rc ? nlp_err_set(err, NLP_ENOMEM, "out of memory") : NLP_OK;
}

static int stopwords_load(void *self, nlp_cursor *in, nlp_err *err)
{
	struct text_stopwords *s = self;
	struct text_set set = {0};
	uint32_t n, len;
	const char *w;
	int rc = NLP_OK;

	if (nlp_cursor_get_u32(in, &n)) {
		rc = nlp_err_set(err, NLP_EDATA, "the saved list is truncated");
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (nlp_cursor_get_str(in, &w, &len, 1u << 16)) {
			rc = nlp_err_set(err, NLP_EDATA, "the saved list is truncated");
			goto out;
		}
		if (text_set_add(&set, w, len)) {
			rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
			goto out;
		}
	}
	text_set_free(&s->stop);
	s->stop = set;
	memset(&set, 0, sizeof set);
	s->max_len = 0;
	for (size_t i = 0; i < s->stop.t.n; i++)
		if (s->stop.t.len[i] > s->max_len)
			s->max_len = s->stop.t.len[i];
out:
	text_set_free(&set);
	return rc;
}

static const nlp_train_ops stopwords_state = {
        .struct_size = sizeof(nlp_train_ops),
        .save = stopwords_save,
        .load = stopwords_load,
};

const nlp_stage_class text_stopwords_class = {
        .struct_size = sizeof(nlp_stage_class),
        .name = "stopwords",
        .summary = "drops stop words (built-in lists per language, or your own)",
        .options = stopwords_options,
        .consumes = NLP_KIND_TOKENS,
        .produces = NLP_KIND_TOKENS,
        .create = stopwords_create,
        .destroy = stopwords_destroy,
        .process = stopwords_process,
        .train = &stopwords_state,
};
