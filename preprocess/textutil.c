/* textutil.c - helpers shared by the text stages: a string set, hashing,
 * UTF-8 decoding and the data folder. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "text.h"

const char *text_data_dir(void)
{
	const char *d = getenv("NLPIPE_DATA_DIR");
	return d && *d ? d : NLP_DATA_DIR;
}

uint64_t text_hash(const char *s, size_t len)
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

static size_t set_find(const struct text_set *s, const char *w, size_t len, int *found)
{
	size_t mask = s->cap - 1;
	size_t i = (size_t)text_hash(w, len) & mask;

	for (;;) {
		uint32_t v = s->slot[i];
		if (!v) {
			*found = 0;
			return i;
		}
		if (s->slot_len[i] == len && text_eq(s->pool + v - 1, w, len)) {
			*found = 1;
			return i;
		}
		i = (i + 1) & mask;
	}
}

static int set_grow(struct text_set *s)
{
	struct text_set t = *s;
	size_t ncap = s->cap ? s->cap * 2 : 64;
	int found;

	t.slot = calloc(ncap, sizeof *t.slot);
	t.slot_len = calloc(ncap, sizeof *t.slot_len);
	if (!t.slot || !t.slot_len) {
		free(t.slot);
		free(t.slot_len);
		return NLP_ENOMEM;
	}
	t.cap = ncap;
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->slot[i])
			continue;
		size_t j = set_find(&t, s->pool + s->slot[i] - 1, s->slot_len[i], &found);
		t.slot[j] = s->slot[i];
		t.slot_len[j] = s->slot_len[i];
	}
	free(s->slot);
	free(s->slot_len);
	*s = t;
	return NLP_OK;
}

int text_set_add(struct text_set *s, const char *w, size_t len)
{
	int found;
	size_t i;

	if ((s->n + 1) * 4 > s->cap && set_grow(s)) /* load <= 1/4: misses end fast */
		return NLP_ENOMEM;
	i = set_find(s, w, len, &found);
	if (found)
		return NLP_OK;
	if (s->pool_len + len + 1 > s->pool_cap) {
		size_t nc = s->pool_cap ? s->pool_cap : 1024;
		char *p;
		while (nc < s->pool_len + len + 1)
			nc *= 2;
		if (nc > UINT32_MAX)
			return NLP_ENOMEM;
		p = realloc(s->pool, nc);
		if (!p)
			return NLP_ENOMEM;
		s->pool = p;
		s->pool_cap = nc;
	}
	memcpy(s->pool + s->pool_len, w, len);
	s->pool[s->pool_len + len] = '\0';
	s->slot[i] = (uint32_t)s->pool_len + 1;
	s->slot_len[i] = (uint32_t)len;
	s->pool_len += len + 1;
	s->n++;
	return NLP_OK;
}

int text_set_has(const struct text_set *s, const char *w, size_t len)
{
	int found;

	if (!s->n)
		return 0;
	set_find(s, w, len, &found);
	return found;
}

void text_set_free(struct text_set *s)
{
	free(s->pool);
	free(s->slot);
	free(s->slot_len);
	memset(s, 0, sizeof *s);
}

size_t text_utf8_next(const unsigned char *s, size_t len, int32_t *cp)
{
	unsigned c = s[0];
	size_t n;
	int32_t v, min;

	if (c < 0x80) {
		*cp = (int32_t)c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		goto bad;
	}
	if (len < n)
		goto bad;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		goto bad;
	*cp = v;
	return n;
bad:
	*cp = 0xfffd;
	return 1;
}
