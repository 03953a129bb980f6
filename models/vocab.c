/* models/vocab.c - token vocabulary (see vocab.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vocab.h"

void vocab_init(vocab *v)
{
	memset(v, 0, sizeof *v);
}

void vocab_free(vocab *v)
{
	free(v->arena);
	free(v->off);
	free(v->len);
	free(v->hash);
	free(v->count);
	free(v->slots);
	memset(v, 0, sizeof *v);
}

/* A fast 64-bit multiply-mix hash over 8-byte chunks, folded to 32 bits. */
static uint32_t hash_bytes(const char *s, size_t len)
{
	const uint64_t m = 0x9e3779b97f4a7c15ULL;
	uint64_t h = 0x243f6a8885a308d3ULL ^ (len * m);
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t k;
		memcpy(&k, s + i, 8);
		h ^= k * m;
		h = (h << 27 | h >> 37) * 0xff51afd7ed558ccdULL;
	}
	if (i < len) {
		uint64_t k = 0;
		memcpy(&k, s + i, len - i);
		h ^= k * m;
		h = (h << 27 | h >> 37) * 0xff51afd7ed558ccdULL;
	}
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	return (uint32_t)(h ^ (h >> 32));
}

/* The slot holding word (s, len, h), or the empty slot where it would go.
 * The slot keeps the hash, so a probe past another word touches no other
 * memory. */
static size_t probe(const vocab *v, const char *s, size_t len, uint32_t h)
{
	size_t mask = v->n_slots - 1;
	size_t i = h & mask;

	for (;;) {
		uint64_t e = v->slots[i];
		if (!e)
			return i;
		if ((uint32_t)(e >> 32) == h) {
			uint32_t k = (uint32_t)e - 1;
			if (v->len[k] == len && memcmp(v->arena + v->off[k], s, len) == 0)
				return i;
		}
		i = (i + 1) & mask;
	}
}

static uint64_t slot_of(uint32_t h, size_t e)
{
	return (uint64_t)h << 32 | (uint64_t)(e + 1);
}

int32_t vocab_find(const vocab *v, const char *s, size_t len)
{
	uint64_t e;

	if (!v->n_slots)
		return -1;
	e = v->slots[probe(v, s, len, hash_bytes(s, len))];
	return e ? (int32_t)((uint32_t)e - 1) : -1;
}

static int grow_slots(vocab *v)
{
	size_t n = v->n_slots ? v->n_slots * 2 : 1024;
	uint64_t *slots = calloc(n, sizeof *slots);

	if (!slots)
		return NLP_ENOMEM;
	free(v->slots);
	v->slots = slots;
	v->n_slots = n;
	for (size_t e = 0; e < v->n; e++) {
		size_t i = v->hash[e] & (n - 1);
		while (slots[i])
			i = (i + 1) & (n - 1);
		slots[i] = slot_of(v->hash[e], e);
	}
	return NLP_OK;
}

static int grow_entries(vocab *v)
{
	size_t n = v->cap ? v->cap * 2 : 512;
	void *p;

	if (n > UINT32_MAX / 2)
		return NLP_EDATA;
#define GROW(field)                                                                                \
	do {                                                                                       \
		p = realloc(v->field, n * sizeof *v->field);                                       \
		if (!p)                                                                            \
			return NLP_ENOMEM;                                                         \
		v->field = p;                                                                      \
	} while (0)
	GROW(off);
	GROW(len);
	GROW(hash);
	GROW(count);
#undef GROW
	v->cap = n;
	return NLP_OK;
}

/* Append a new word (known absent) with its hash into slot `slot`. */
static int insert(vocab *v, const char *s, size_t len, uint32_t h, uint64_t n)
{
	size_t slot;

	if (len >= UINT32_MAX || v->arena_len + len + 1 > UINT32_MAX)
		return NLP_EDATA;
	if ((v->n + 1) * 2 > v->n_slots && grow_slots(v))
		return NLP_ENOMEM;
	if (v->n == v->cap) {
		int rc = grow_entries(v);
		if (rc)
			return rc;
	}
	if (v->arena_len + len + 1 > v->arena_cap) {
		size_t c = v->arena_cap ? v->arena_cap : 4096;
		char *a;
		while (c < v->arena_len + len + 1)
			c *= 2;
		a = realloc(v->arena, c);
		if (!a)
			return NLP_ENOMEM;
		v->arena = a;
		v->arena_cap = c;
	}
	memcpy(v->arena + v->arena_len, s, len);
	v->arena[v->arena_len + len] = '\0';
	v->off[v->n] = (uint32_t)v->arena_len;
	v->len[v->n] = (uint32_t)len;
	v->hash[v->n] = h;
	v->count[v->n] = n;
	v->arena_len += len + 1;
	slot = probe(v, s, len, h);
	v->slots[slot] = slot_of(h, v->n);
	v->n++;
	return NLP_OK;
}

int vocab_count(vocab *v, const char *s, size_t len, uint64_t n)
{
	uint32_t h = hash_bytes(s, len);

	if (v->n_slots) {
		uint64_t e = v->slots[probe(v, s, len, h)];
		if (e) {
			v->count[(uint32_t)e - 1] += n;
			return NLP_OK;
		}
	}
	return insert(v, s, len, h, n);
}

/* Order for freezing: count descending, then bytes ascending. */
static int cmp_entry(const vocab *v, uint32_t a, uint32_t b)
{
	size_t la = v->len[a], lb = v->len[b];
	int c;

	if (v->count[a] != v->count[b])
		return v->count[a] > v->count[b] ? -1 : 1;
	c = memcmp(v->arena + v->off[a], v->arena + v->off[b], la < lb ? la : lb);
	if (c)
		return c;
	return la < lb ? -1 : la > lb;
}

/* A merge sort of indices (qsort has no context argument in C11). */
static void sort_idx(const vocab *v, uint32_t *a, uint32_t *tmp, size_t n)
{
	size_t h, i, j, k;

	if (n < 2)
		return;
	h = n / 2;
	sort_idx(v, a, tmp, h);
	sort_idx(v, a + h, tmp, n - h);
	for (i = 0, j = h, k = 0; i < h && j < n;)
		tmp[k++] = cmp_entry(v, a[i], a[j]) <= 0 ? a[i++] : a[j++];
	while (i < h)
		tmp[k++] = a[i++];
	while (j < n)
		tmp[k++] = a[j++];
	memcpy(a, tmp, n * sizeof *a);
}

int vocab_freeze(vocab *out, const vocab *counts, uint64_t min_count, size_t max_size)
{
	uint32_t *idx = NULL, *tmp = NULL;
	size_t n = 0;
	uint64_t pad_count = 0, unk_count = 0;
	int rc = NLP_OK;

	if (counts->n) {
		idx = malloc(counts->n * sizeof *idx);
		tmp = malloc(counts->n * sizeof *tmp);
		if (!idx || !tmp) {
			rc = NLP_ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < counts->n; i++) {
		const char *w = vocab_word(counts, i);
		if (strcmp(w, "<pad>") == 0 && counts->len[i] == 5)
			pad_count = counts->count[i];
		else if (strcmp(w, "<unk>") == 0 && counts->len[i] == 5)
			unk_count = counts->count[i];
		else if (counts->count[i] >= min_count)
			idx[n++] = (uint32_t)i;
	}
	sort_idx(counts, idx, tmp, n);
	if ((rc = vocab_count(out, "<pad>", 5, pad_count)) ||
	    (rc = vocab_count(out, "<unk>", 5, unk_count)))
		goto out;
	if (max_size && max_size < 2)
		max_size = 2;
	for (size_t i = 0; i < n && (!max_size || out->n < max_size); i++) {
		uint32_t e = idx[i];
		rc = insert(out, vocab_word(counts, e), counts->len[e], counts->hash[e],
		            counts->count[e]);
		if (rc)
			goto out;
	}
out:
	free(idx);
	free(tmp);
	return rc;
}
