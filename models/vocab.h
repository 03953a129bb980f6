/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/vocab.h - a token vocabulary: the modules' string table
 * (plugins/strtab.h), with a count per word.
 *
 * The same structure serves two purposes:
 *  - counting: vocab_count() adds occurrences while the embedding observes
 *    the training documents;
 *  - lookup: vocab_freeze() turns counts into a fixed vocabulary whose ids are
 *    0 = <pad>, 1 = <unk>, then the kept words by count descending, then by
 *    bytes ascending (memcmp order, shorter first on a common prefix), so the
 *    same data always gives the same ids.
 *
 * Internal to the nn module (not exported).
 */
#ifndef NLP_MODELS_VOCAB_H
#define NLP_MODELS_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#include <nlpipe/plugin.h>
#include <nlpipe/train.h>
#include "plugins/strtab.h"

#define VOCAB_PAD      0
#define VOCAB_UNK      1
#define VOCAB_MAX_WORD 4096 /* longest word accepted by vocab_load */

/* The table: plugins/strtab.h (ids in insertion order, a count each). */
typedef strtab vocab;

static inline void vocab_init(vocab *v)
{
	strtab_init(v);
}

static inline void vocab_free(vocab *v)
{
	strtab_free(v);
}

/* Find a word: its id, or -1. */
static inline int32_t vocab_find(const vocab *v, const char *s, size_t len)
{
	return strtab_find(v, s, len);
}

/* Add n occurrences of a word (inserting it with count n if new).
 * Returns NLP_OK, NLP_ENOMEM, or NLP_EDATA for a word too large. */
static inline int vocab_count(vocab *v, const char *s, size_t len, uint64_t n)
{
	return strtab_count(v, s, len, n);
}

/* Build a frozen vocabulary (out, initialised by the caller, empty) from
 * counts: <pad>, <unk>, then the words seen at least min_count times,
 * ordered as above, keeping at most max_size entries in all (<pad> and <unk>
 * included; 0 = no limit).  Words equal to "<pad>" or "<unk>" in the data
 * are folded into the special entries and not listed again. */
int vocab_freeze(vocab *out, const vocab *counts, uint64_t min_count, size_t max_size);

static inline const char *vocab_word(const vocab *v, size_t i)
{
	return strtab_word(v, i);
}

/* Append the words of v to out, each as a u32 length and its bytes (the
 * saved state of the stages with a vocabulary). */
int vocab_put(nlp_buf *out, const vocab *v);

/* Read n words as vocab_put wrote them into v (initialised, empty): the
 * first two must be <pad> and <unk>, no word twice.  On failure v is left
 * empty and err says "the saved vocabulary is truncated" or "corrupt"
 * (NLP_EDATA), or NLP_ENOMEM. */
int vocab_get(vocab *v, nlp_cursor *in, uint32_t n, nlp_err *err);

#endif /* NLP_MODELS_VOCAB_H */
