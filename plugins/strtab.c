/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* plugins/strtab.c - the string table of the built-in modules (strtab.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "nlpipe/plugin.h"
#include "plugins/strtab.h"

uint64_t strtab_hash(const char *s, size_t len)
{
	/* eight bytes at a time, multiply and fold; a final mix so the low
	 * bits (the table index) depend on every byte */
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	if (i < len) {
		/* the tail, without a call to memcpy: four bytes, then one by one */
		size_t r = len - i;
		unsigned shift = 0;
		w = 0;
		if (r >= 4) {
			uint32_t a;
			memcpy(&a, s + i, 4);
			w = a;
			i += 4;
			r -= 4;
			shift = 32;
		}
		for (; r; r--, i++, shift += 8)
			w |= (uint64_t)(unsigned char)s[i] << shift;
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
	}
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

void strtab_init(strtab *t)
{
	memset(t, 0, sizeof *t);
}

void strtab_free(strtab *t)
{
	free(t->arena);
	free(t->off);
	free(t->len);
	free(t->hash);
	free(t->count);
	free(t->slots);
	memset(t, 0, sizeof *t);
}

static uint64_t slot_of(uint32_t h, size_t e)
{
	return (uint64_t)h << 32 | (uint64_t)(e + 1);
}

static int grow_slots(strtab *t)
{
	size_t n = t->n_slots ? t->n_slots * 2 : 64;
	uint64_t *slots = calloc(n, sizeof *slots);

	if (!slots)
		return NLP_ENOMEM;
	free(t->slots);
	t->slots = slots;
	t->n_slots = n;
	for (size_t e = 0; e < t->n; e++) {
		size_t i = t->hash[e] & (n - 1);
		while (slots[i])
			i = (i + 1) & (n - 1);
		slots[i] = slot_of(t->hash[e], e);
	}
	return NLP_OK;
}

static int grow_entries(strtab *t)
{
	size_t n = t->cap ? t->cap * 2 : 32;
	void *p;

	if (n > UINT32_MAX / 2)
		return NLP_EDATA;
#define GROW(field)                                                                                \
	do {                                                                                       \
		p = realloc(t->field, n * sizeof *t->field);                                       \
		if (!p)                                                                            \
			return NLP_ENOMEM;                                                         \
		t->field = p;                                                                      \
	} while (0)
	GROW(off);
	GROW(len);
	GROW(hash);
	GROW(count);
#undef GROW
	t->cap = n;
	return NLP_OK;
}

int strtab_insert(strtab *t, const char *s, size_t len, uint32_t h, uint64_t n)
{
	if (len >= UINT32_MAX || t->arena_len + len + 1 > UINT32_MAX)
		return NLP_EDATA;
	if ((t->n + 1) * 4 > t->n_slots && grow_slots(t)) /* load <= 1/4: misses end fast */
		return NLP_ENOMEM;
	if (t->n == t->cap) {
		int rc = grow_entries(t);
		if (rc)
			return rc;
	}
	if (t->arena_len + len + 1 > t->arena_cap) {
		size_t c = t->arena_cap ? t->arena_cap : 1024;
		char *a;
		while (c < t->arena_len + len + 1)
			c *= 2;
		a = realloc(t->arena, c);
		if (!a)
			return NLP_ENOMEM;
		t->arena = a;
		t->arena_cap = c;
	}
	memcpy(t->arena + t->arena_len, s, len);
	t->arena[t->arena_len + len] = '\0';
	t->off[t->n] = (uint32_t)t->arena_len;
	t->len[t->n] = (uint32_t)len;
	t->hash[t->n] = h;
	t->count[t->n] = n;
	t->arena_len += len + 1;
	t->slots[strtab_probe(t, s, len, h)] = slot_of(h, t->n);
	t->n++;
	return NLP_OK;
}

int strtab_count(strtab *t, const char *s, size_t len, uint64_t n)
{
	uint32_t h = strtab_hash32(s, len);

	if (t->n_slots) {
		uint64_t e = t->slots[strtab_probe(t, s, len, h)];
		if (e) {
			t->count[(uint32_t)e - 1] += n;
			return NLP_OK;
		}
	}
	return strtab_insert(t, s, len, h, n);
}
