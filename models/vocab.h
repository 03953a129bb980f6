/* models/vocab.h - a token vocabulary: an open-addressing hash table over a
 * string arena (no allocation per token once grown).
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

#define VOCAB_PAD      0
#define VOCAB_UNK      1
#define VOCAB_MAX_WORD 4096 /* longest word accepted by vocab_load */

typedef struct vocab {
	char *arena; /* word bytes, each NUL-terminated */
	size_t arena_len, arena_cap;
	uint32_t *off;   /* [n] start of word i in arena */
	uint32_t *len;   /* [n] its length in bytes */
	uint32_t *hash;  /* [n] its hash (32 bits), to skip compares and rehash */
	uint64_t *count; /* [n] occurrences (counting) */
	size_t n, cap;
	uint64_t *slots; /* [n_slots] hash << 32 | (word index + 1); 0 = empty */
	size_t n_slots;  /* a power of two, at least twice n */
} vocab;

void vocab_init(vocab *v);
void vocab_free(vocab *v);

/* Find a word: its id, or -1. */
int32_t vocab_find(const vocab *v, const char *s, size_t len);

/* Add n occurrences of a word (inserting it with count n if new).
 * Returns NLP_OK, NLP_ENOMEM, or NLP_EDATA for a word too large. */
int vocab_count(vocab *v, const char *s, size_t len, uint64_t n);

/* Build a frozen vocabulary (out, initialised by the caller, empty) from
 * counts: <pad>, <unk>, then the words seen at least min_count times,
 * ordered as above, keeping at most max_size entries in all (<pad> and <unk>
 * included; 0 = no limit).  Words equal to "<pad>" or "<unk>" in the data
 * are folded into the special entries and not listed again. */
int vocab_freeze(vocab *out, const vocab *counts, uint64_t min_count, size_t max_size);

static inline const char *vocab_word(const vocab *v, size_t i)
{
	return v->arena + v->off[i];
}

#endif /* NLP_MODELS_VOCAB_H */
