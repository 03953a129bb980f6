/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* plugins/strtab.h - the string table of the built-in modules: an
 * open-addressing hash table over a string arena, with a 64-bit count per
 * entry (no allocation per lookup or per token once grown).  Entries have
 * ids 0, 1, ... in insertion order.  The text stages use it as a set
 * (stop words, negation words), the embedding as its vocabulary
 * (models/vocab.h).  Compiled into each module that uses it (not exported).
 */
#ifndef NLP_PLUGINS_STRTAB_H
#define NLP_PLUGINS_STRTAB_H

#include <stddef.h>
#include <stdint.h>

typedef struct strtab {
	char *arena; /* entry bytes, each NUL-terminated */
	size_t arena_len, arena_cap;
	uint32_t *off;   /* [n] start of entry i in arena */
	uint32_t *len;   /* [n] its length in bytes */
	uint32_t *hash;  /* [n] its hash (strtab_hash32), to skip compares and rehash */
	uint64_t *count; /* [n] its count (strtab_count) */
	size_t n, cap;
	uint64_t *slots; /* [n_slots] hash << 32 | (entry + 1); 0 = empty */
	size_t n_slots;  /* a power of two, at least four times n */
} strtab;

/* A 64-bit hash of s[0..len) (eight bytes at a time, no libc calls); every
 * output bit depends on every byte. */
uint64_t strtab_hash(const char *s, size_t len);

static inline uint32_t strtab_hash32(const char *s, size_t len)
{
	uint64_t h = strtab_hash(s, len);
	return (uint32_t)(h ^ (h >> 32));
}

void strtab_init(strtab *t);
void strtab_free(strtab *t);

/* Add n to the count of s[0..len), inserting it (with count n) when new.
 * Returns NLP_OK, NLP_ENOMEM, or NLP_EDATA for a table or word too large. */
int strtab_count(strtab *t, const char *s, size_t len, uint64_t n);

/* Append s[0..len), known to be absent, with its hash h (strtab_hash32)
 * and count n. */
int strtab_insert(strtab *t, const char *s, size_t len, uint32_t h, uint64_t n);

static inline const char *strtab_word(const strtab *t, size_t i)
{
	return t->arena + t->off[i];
}

/* a[0..n) == b[0..n) for short strings, without a call into libc */
static inline int strtab_eq(const char *a, const char *b, size_t n)
{
	while (n >= 8) {
		uint64_t x, y;
		__builtin_memcpy(&x, a, 8);
		__builtin_memcpy(&y, b, 8);
		if (x != y)
			return 0;
		a += 8;
		b += 8;
		n -= 8;
	}
	while (n--)
		if (*a++ != *b++)
			return 0;
	return 1;
}

/* The slot holding (s, len, h), or the empty slot where it would go (the
 * table is not empty).  The slot keeps the hash, so a probe past another
 * entry touches no other memory.  Inline: lookups are per token. */
static inline size_t strtab_probe(const strtab *t, const char *s, size_t len, uint32_t h)
{
	size_t mask = t->n_slots - 1;
	size_t i = h & mask;

	for (;;) {
		uint64_t e = t->slots[i];
		if (!e)
			return i;
		if ((uint32_t)(e >> 32) == h) {
			uint32_t k = (uint32_t)e - 1;
			if (t->len[k] == len && strtab_eq(t->arena + t->off[k], s, len))
				return i;
		}
		i = (i + 1) & mask;
	}
}

/* The id of s[0..len), or -1. */
static inline int32_t strtab_find(const strtab *t, const char *s, size_t len)
{
	uint64_t e;

	if (!t->n)
		return -1;
	e = t->slots[strtab_probe(t, s, len, strtab_hash32(s, len))];
	return e ? (int32_t)((uint32_t)e - 1) : -1;
}

#endif /* NLP_PLUGINS_STRTAB_H */
