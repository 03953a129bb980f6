/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/vocab.c - token vocabulary (see vocab.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vocab.h"

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
		rc = strtab_insert(out, vocab_word(counts, e), counts->len[e], counts->hash[e],
		                   counts->count[e]);
		if (rc)
			goto out;
	}
out:
	free(idx);
	free(tmp);
	return rc;
}

int vocab_put(nlp_buf *out, const vocab *v)
{
	int rc = NLP_OK;

	for (size_t i = 0; i < v->n && !rc; i++)
		if (!(rc = nlp_buf_put_u32(out, v->len[i])))
			rc = nlp_buf_put(out, vocab_word(v, i), v->len[i]);
	return rc;
}

int vocab_get(vocab *v, nlp_cursor *in, uint32_t n, nlp_err *err)
{
	const char *why = "corrupt";
	int rc = NLP_EDATA;

	if (n < 2 || n > (uint32_t)(in->end - in->p) / 4)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		const char *s;
		uint32_t len;
		if (nlp_cursor_get_str(in, &s, &len, VOCAB_MAX_WORD)) {
			why = "truncated";
			goto out;
		}
		if ((i == 0 && (len != 5 || memcmp(s, "<pad>", 5))) ||
		    (i == 1 && (len != 5 || memcmp(s, "<unk>", 5))) || vocab_find(v, s, len) >= 0)
			goto out;
		if ((rc = vocab_count(v, s, len, 0))) {
			why = NULL;
			goto out;
		}
	}
	return NLP_OK;
out:
	vocab_free(v);
	vocab_init(v);
	if (why)
		return nlp_err_set(err, NLP_EDATA, "the saved vocabulary is %s", why);
	return nlp_err_set(err, rc, "out of memory loading the vocabulary");
}
