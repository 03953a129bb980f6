/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* stemmer.c - the `stemmer` stage: Snowball stemming with libstemmer.
 *
 * Only words are stemmed: tokens made of letters, combining marks,
 * apostrophes and hyphens.  Numbers, URLs, emoticons, punctuation and
 * placeholders such as <url> pass unchanged.  A token ending in keep_suffix
 * (the negation stage's _NEG) is stemmed without it and gets it back.
 *
 * libstemmer is quick but not free; word frequencies are skewed, so a cache
 * of the first CACHE_MAX different words seen (word -> stem, both inline in
 * a 32-byte slot of an open-addressing table) saves most of the calls: on
 * IMDB reviews the first 32768 words cover about 97 % of the tokens.
 */
#include "config.h"

#include <libstemmer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "text.h"

#define CACHE_SLOTS 65536 /* power of two, twice CACHE_MAX */
#define CACHE_MAX   32768 /* words cached; then the cache stops growing */
#define CACHE_WORD  15    /* longer words (and stems) are not cached */

/* One cached word and its stem, in one 32-byte line: a lookup touches
 * one cache line. */
struct cache_slot {
	uint8_t wlen; /* 0: empty */
	uint8_t slen;
	char word[CACHE_WORD];
	char stem[CACHE_WORD];
};

struct text_stemmer {
	struct sb_stemmer *sb;
	char *suffix;
	size_t suffix_len;
	long min_length;
	char *buf; /* stem + suffix */
	size_t buf_cap;
	struct cache_slot *cache;
	size_t cached;
};

static int list_has(const char *lang)
{
	for (const char **l = sb_stemmer_list(); *l; l++)
		if (strcmp(*l, lang) == 0)
			return 1;
	return 0;
}

int text_stemmer_new(struct text_stemmer **out, const char *language, const char *keep_suffix,
                     long min_length, nlp_err *err)
{
	struct text_stemmer *s;

	if (!list_has(language)) {
		char langs[1024];
		size_t used = 0;
		langs[0] = '\0';
		for (const char **l = sb_stemmer_list(); *l && used + 32 < sizeof langs; l++)
			used += (size_t)snprintf(langs + used, sizeof langs - used, "%s%s",
			                         used ? ", " : "", *l);
		return nlp_err_set(err, NLP_ECONFIG,
		                   "libstemmer has no language '%s'; it offers: %s", language,
		                   langs);
	}
	s = calloc(1, sizeof *s);
	if (!s)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	s->sb = sb_stemmer_new(language, "UTF_8");
	s->suffix = strdup(keep_suffix ? keep_suffix : "");
	s->cache = calloc(CACHE_SLOTS, sizeof *s->cache);
	if (!s->sb || !s->suffix || !s->cache) {
		text_stemmer_free(s);
		return nlp_err_set(err, NLP_ENOMEM, "cannot make a %s stemmer", language);
	}
	s->suffix_len = strlen(s->suffix);
	s->min_length = min_length;
	*out = s;
	return NLP_OK;
}

void text_stemmer_free(struct text_stemmer *s)
{
	if (!s)
		return;
	if (s->sb)
		sb_stemmer_delete(s->sb);
	free(s->suffix);
	free(s->buf);
	free(s->cache);
	free(s);
}

int text_stem(struct text_stemmer *s, const char *w, size_t len, const char **res, size_t *rlen)
{
	const sb_symbol *r = sb_stemmer_stem(s->sb, (const sb_symbol *)w, (int)len);
	if (!r)
		return NLP_ENOMEM;
	*res = (const char *)r;
	*rlen = (size_t)sb_stemmer_length(s->sb);
	return NLP_OK;
}

/* A word to stem?  Letters, marks, apostrophes, hyphens; at least one letter. */
static int is_word(const char *w, size_t n)
{
	int letter = 0;

	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)w[i];
		if (c < 0x80) {
			if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
				letter = 1;
			else if (c != '\'' && c != '-')
				return 0;
			i++;
			continue;
		}
		int32_t cp;
		i += text_utf8_next((const unsigned char *)w + i, n - i, &cp);
		switch (utf8proc_category(cp)) {
		case UTF8PROC_CATEGORY_LU:
		case UTF8PROC_CATEGORY_LL:
		case UTF8PROC_CATEGORY_LT:
		case UTF8PROC_CATEGORY_LM:
		case UTF8PROC_CATEGORY_LO:
			letter = 1;
			break;
		case UTF8PROC_CATEGORY_MN:
		case UTF8PROC_CATEGORY_MC:
		case UTF8PROC_CATEGORY_ME:
			break;
		default:
			if (cp != 0x2019)
				return 0;
		}
	}
	return letter;
}

/* The stem of w[0..n) through the cache; h is strtab_hash(w, n). */
static int stem_cached(struct text_stemmer *s, const char *w, size_t n, uint64_t h,
                       const char **res, size_t *rlen)
{
	size_t i;
	int rc;

	if (n > CACHE_WORD)
		return text_stem(s, w, n, res, rlen);
	for (i = (size_t)h & (CACHE_SLOTS - 1); s->cache[i].wlen; i = (i + 1) & (CACHE_SLOTS - 1)) {
		const struct cache_slot *c = &s->cache[i];
		if (c->wlen == n && strtab_eq(c->word, w, n)) {
			*res = c->stem;
			*rlen = c->slen;
			return NLP_OK;
		}
	}
	rc = text_stem(s, w, n, res, rlen);
	if (rc || s->cached >= CACHE_MAX || *rlen > CACHE_WORD)
		return rc;
	/* remember it in the empty slot the search ended on */
	s->cache[i].wlen = (uint8_t)n;
	s->cache[i].slen = (uint8_t)*rlen;
	memcpy(s->cache[i].word, w, n);
	memcpy(s->cache[i].stem, *res, *rlen);
	s->cached++;
	return NLP_OK;
}

/* Hash of token i for the cache (0 when it is too long to be cached), and
 * a prefetch of its slot: the table is larger than the L2 cache, so the
 * loop asks for the slot of a token a few places ahead of the one it
 * works on. */
static uint64_t hash_ahead(const struct text_stemmer *s, const nlp_tokens *in, size_t i)
{
	uint64_t h;

	if (in->tlen[i] > CACHE_WORD)
		return 0;
	h = strtab_hash(nlp_token(in, i), in->tlen[i]);
	__builtin_prefetch(&s->cache[h & (CACHE_SLOTS - 1)]);
	return h;
}

#define AHEAD 4

int text_stemmer_run(struct text_stemmer *s, const nlp_tokens *in, nlp_tokens *out)
{
	uint64_t ring[AHEAD];

	for (size_t k = 0; k < AHEAD && k < in->n; k++)
		ring[k] = hash_ahead(s, in, k);
	for (size_t i = 0; i < in->n; i++) {
		const char *w = nlp_token(in, i), *r;
		size_t n = in->tlen[i], rn, sl = 0;
		uint64_t h = ring[i % AHEAD];
		int rc;

		if (i + AHEAD < in->n)
			ring[i % AHEAD] = hash_ahead(s, in, i + AHEAD);
		if (s->suffix_len && n > s->suffix_len &&
		    memcmp(w + n - s->suffix_len, s->suffix, s->suffix_len) == 0)
			sl = s->suffix_len;
		if ((long)(n - sl) < s->min_length || !is_word(w, n - sl)) {
			rc = text_push(out, w, n);
			if (rc)
				return rc;
			continue;
		}
		if (sl || n > CACHE_WORD)
			h = strtab_hash(w, n - sl);
		rc = stem_cached(s, w, n - sl, h, &r, &rn);
		if (rc)
			return rc;
		if (sl) {
			if (rn + sl > s->buf_cap) {
				char *p = realloc(s->buf, rn + sl);
				if (!p)
					return NLP_ENOMEM;
				s->buf = p;
				s->buf_cap = rn + sl;
			}
			memmove(s->buf, r, rn);
			memcpy(s->buf + rn, s->suffix, sl);
			r = s->buf;
			rn += sl;
		}
		rc = text_push(out, r, rn);
		if (rc)
			return rc;
	}
	return NLP_OK;
}

/* ---- the stage class ---- */

static const nlp_option stemmer_options[] = {
        {"language", NLP_OPT_STRING, "english", 0, 0, NULL,
         "a language of the installed libstemmer (english, french, russian, porter, ...; a wrong "
         "name lists them all)"},
        {"keep_suffix", NLP_OPT_STRING, "_NEG", 0, 0, NULL,
         "stem a word ending in this without it, then put it back"},
        {"min_length", NLP_OPT_INT, "0", 0, 1000, NULL, "words shorter than this (bytes) stay"},
        {NULL, NLP_OPT_END, NULL, 0, 0, NULL, NULL},
};

static int stemmer_create(void **self, const nlp_config *cfg, nlp_err *err)
{
	struct text_stemmer *s;
	int rc = text_stemmer_new(&s, nlp_config_str(cfg, "language"),
	                          nlp_config_str(cfg, "keep_suffix"),
	                          nlp_config_int(cfg, "min_length"), err);
	if (rc)
		return rc; /* the host puts "[instance] (stemmer): " in front */
	*self = s;
	return NLP_OK;
}

static void stemmer_destroy(void *self)
{
	text_stemmer_free(self);
}

static int stemmer_process(void *self, nlp_doc *doc, nlp_err *err)
{
	int rc = text_stemmer_run(self, doc->in, doc->out);
	return rc ? nlp_err_set(err, rc, "out of memory") : NLP_OK;
}

const nlp_stage_class text_stemmer_class = {
        .struct_size = sizeof(nlp_stage_class),
        .name = "stemmer",
        .summary = "Snowball stems (every language the installed libstemmer has)",
        .options = stemmer_options,
        .consumes = NLP_KIND_TOKENS,
        .produces = NLP_KIND_TOKENS,
        .create = stemmer_create,
        .destroy = stemmer_destroy,
        .process = stemmer_process,
        .train = NULL,
};
