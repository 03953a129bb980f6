/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* preprocess/text.h - the text stages of the built-in `text` module
 * (internal to the module and its tests; nothing here is exported).
 *
 * Each stage has a plain C core (an options struct, new/free, and a function
 * that does the work) that the stage class wraps: create() reads the
 * validated nlp_config into the options struct.  Tests call the cores
 * directly as well as going through a pipeline.
 */
#ifndef NLP_PREPROCESS_TEXT_H
#define NLP_PREPROCESS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include <utf8proc.h>

#include "nlpipe/plugin.h"
#include "plugins/strtab.h"

extern const nlp_stage_class text_tokenizer_class;
extern const nlp_stage_class text_stopwords_class;
extern const nlp_stage_class text_stemmer_class;
extern const nlp_stage_class text_ngrams_class;
extern const nlp_stage_class text_negation_class;

/* ---- tokenizer ---- */
enum { TOK_NORM_NONE, TOK_NORM_NFC, TOK_NORM_NFKC };
enum { TOK_KEEP, TOK_REPLACE, TOK_DROP };                           /* urls, emails */
enum { TOK_NUM_KEEP, TOK_NUM_ZERO, TOK_NUM_REPLACE, TOK_NUM_DROP }; /* numbers */
enum { TOK_PUNCT_NONE, TOK_PUNCT_SOME, TOK_PUNCT_ALL };

struct text_tok_opts {
	int normalization;      /* TOK_NORM_* */
	int casefold;           /* full Unicode case folding of words */
	int strip_markup;       /* drop HTML/XML tags, decode entities */
	int split_clitics;      /* don't -> do n't */
	int urls;               /* TOK_KEEP | TOK_REPLACE (<url>) | TOK_DROP */
	int emails;             /* TOK_KEEP | TOK_REPLACE (<email>) | TOK_DROP */
	int emoticons;          /* keep :) :-( ;D <3 ... as tokens */
	int emoji;              /* keep emoji (and ZWJ sequences, flags) as tokens */
	int punctuation;        /* TOK_PUNCT_* */
	const char *keep_punct; /* UTF-8 characters kept under TOK_PUNCT_SOME */
	int numbers;            /* TOK_NUM_* */
	int split_cjk;          /* one token per ideograph / kana */
	int characters;         /* after the words: one token per character, a word
	                         * boundary as the token TEXT_WORD_BOUNDARY */
	long min_length;        /* in code points */
	long max_length;        /* in code points; 0: no limit */
	size_t piece;           /* code points handled at a time (0: TOK_PIECE); for tests */
};

/* A document is tokenized in pieces of about this many code points. */
#define TOK_PIECE 65536

void text_tok_defaults(struct text_tok_opts *o);

struct text_tokenizer;
int text_tokenizer_new(struct text_tokenizer **out, const struct text_tok_opts *o, nlp_err *err);
void text_tokenizer_free(struct text_tokenizer *t);
/* Append the tokens of s[0..len) to out.  s need not be valid UTF-8
 * (invalid bytes become U+FFFD) nor NUL-terminated. */
int text_tokenize(struct text_tokenizer *t, const char *s, size_t len, nlp_tokens *out,
                  nlp_err *err);
/* Bytes held by the tokenizer's workspaces. */
size_t text_tokenizer_workspace(const struct text_tokenizer *t);

/* ---- stopwords ---- */
struct text_stopwords;
/* language: a list under data_dir/stopwords/<language>.txt ("" or "none":
 * no built-in list); file: a user list ("" for none); keep: words never
 * removed. */
int text_stopwords_new(struct text_stopwords **out, const char *data_dir, const char *language,
                       const char *file, const char *const *keep, size_t n_keep, nlp_err *err);
void text_stopwords_free(struct text_stopwords *s);
int text_stopwords_has(const struct text_stopwords *s, const char *w, size_t len);
size_t text_stopwords_count(const struct text_stopwords *s);
int text_stopwords_filter(struct text_stopwords *s, const nlp_tokens *in, nlp_tokens *out);
/* The data folder: $NLPIPE_DATA_DIR if set, else the installed one. */
const char *text_data_dir(void);

/* ---- stemmer ---- */
struct text_stemmer;
int text_stemmer_new(struct text_stemmer **out, const char *language, const char *keep_suffix,
                     long min_length, nlp_err *err);
void text_stemmer_free(struct text_stemmer *s);
/* Stem one word; *res points into the stemmer (valid until the next call). */
int text_stem(struct text_stemmer *s, const char *w, size_t len, const char **res, size_t *rlen);
int text_stemmer_run(struct text_stemmer *s, const nlp_tokens *in, nlp_tokens *out);

/* ---- ngrams ---- */
int text_ngrams_run(const nlp_tokens *in, nlp_tokens *out, long n_max, const char *sep,
                    int keep_unigrams, char **scratch, size_t *scratch_cap);

/* ---- negation ---- */
struct text_negation;
int text_negation_new(struct text_negation **out, const char *const *words, size_t n_words,
                      const char *suffix, const char *scope_end, const char *remove, long max_scope,
                      nlp_err *err);
void text_negation_free(struct text_negation *g);
int text_negation_run(struct text_negation *g, const nlp_tokens *in, nlp_tokens *out);

/* ---- shared helpers (preprocess/textutil.c) ---- */
/* A set of byte strings: the modules' string table (plugins/strtab.h);
 * zeroed is empty. */
struct text_set {
	strtab t;
};

static inline int text_set_add(struct text_set *s, const char *w, size_t len)
{
	return strtab_count(&s->t, w, len, 0);
}

static inline int text_set_has(const struct text_set *s, const char *w, size_t len)
{
	return strtab_find(&s->t, w, len) >= 0;
}

static inline void text_set_free(struct text_set *s)
{
	strtab_free(&s->t);
}

/* nlp_tokens_push with the common case (room enough) inline; the token
 * list's layout is part of the plugin contract. */
static inline int text_push(nlp_tokens *t, const char *s, size_t len)
{
	size_t end = t->len + len + 1;

	if (t->n < t->ncap && end <= t->cap && end <= UINT32_MAX) {
		char *d = t->buf + t->len;
		for (size_t i = 0; i < len; i++)
			d[i] = s[i];
		d[len] = '\0';
		t->off[t->n] = (uint32_t)t->len;
		t->tlen[t->n] = (uint32_t)len;
		t->len = end;
		t->n++;
		return NLP_OK;
	}
	return nlp_tokens_push(t, s, len);
}
/* Next code point of a UTF-8 string s[0..len), len >= 1 (invalid bytes
 * read as U+FFFD, one byte each); returns the bytes consumed (>= 1).
 * utf8proc decodes; ASCII does not call it. */
static inline size_t text_utf8_next(const unsigned char *s, size_t len, int32_t *cp)
{
	utf8proc_ssize_t n;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	n = utf8proc_iterate(s, len < 4 ? (utf8proc_ssize_t)len : 4, cp);
	if (n > 0)
		return (size_t)n;
	*cp = 0xfffd;
	return 1;
}

/* The token between the words of a document split into characters. */
#define TEXT_WORD_BOUNDARY "\xe2\x96\x81" /* U+2581 */

#endif /* NLP_PREPROCESS_TEXT_H */
