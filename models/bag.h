/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/bag.h - the `bag` stage class (tokens -> word and hashed n-gram
 * ids -> the mean of their vectors, fastText style) and its layer
 * functions.  Internal to the nn module (plugins/nn.c).
 *
 * Features of a document: its words found in the vocabulary (ids 2..V-1;
 * unknown words are dropped, their n-grams kept), then its word n-grams
 * (2..ngrams), then the character n-grams (minn..maxn code points) of each
 * word written <word>.  An n-gram is hashed with FNV-1a 64 (bag_fnv1a):
 * a word n-gram over its words' bytes each but the last followed by the byte
 * 0xFF, a character n-gram over its UTF-8 bytes (the marks < and > are
 * ASCII); its id is V + hash % buckets.  Models depend on this: it never
 * changes within a state version.
 *
 * The table has V + buckets rows, described to the optimizer as two sparse
 * blocks, "words" (V rows) and "buckets": backward lists the rows with
 * gradient in each (the lists restart at each training forward), so a step
 * costs the batch's features, never the whole table.
 */
#ifndef NLP_MODELS_BAG_H
#define NLP_MODELS_BAG_H

#include <nlpipe/train.h>

extern const nlp_stage_class nn_bag_class;

#define BAG_FNV_OFFSET 0xcbf29ce484222325ULL
#define BAG_FNV_PRIME  0x100000001b3ULL

/* What the options of a bag say (see the option table in bag.c). */
typedef struct bag_opts {
	int dim;
	int ngrams;      /* 1: words only */
	int minn, maxn;  /* character n-grams; maxn = 0: none */
	long buckets;    /* hash buckets of the n-grams */
	long min_count;  /* >= 1 */
	long max_size;   /* 0: no limit */
	long max_tokens; /* 0: every token */
	int binary;      /* a feature counts once per document */
	int nb;          /* NB log-count-ratio weights */
	double nb_alpha; /* their smoothing */
	int idf;         /* inverse document frequency weights (times NB's) */
	float dropout;   /* on the output vector */
} bag_opts;

/* An instance of the bag class (use the class's ops on it); name must
 * outlive it. */
int bag_new(void **self, const char *name, const bag_opts *o, nlp_err *err);

/* FNV-1a 64 of p[0..n) continuing from h (BAG_FNV_OFFSET to start). */
static inline uint64_t bag_fnv1a(const void *p, size_t n, uint64_t h)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * BAG_FNV_PRIME;
	return h;
}

/* The weight of each row (V + buckets of them): NB, IDF or their product;
 * NULL when nb and idf are off, or before setup. */
const float *bag_weights(void *self);

/* out[B][D] = sum_t s_t table[ids[t][b]] / z_b over t < len[b], ids != 0,
 * with s_t = wt[ids[t][b]] (1 when wt is NULL) and z_b = sum_t s_t;
 * zinv[B] = 1 / z_b (0 for a document without features: its out is 0). */
void bag_forward(float *out, float *zinv, const float *table, const float *wt, const int32_t *ids,
                 const int *len, int T, int B, int D);

/* dtable[V][D] += s_t zinv[b] dout[B][D] at each row ids[t][b]; rows reached
 * for the first time (mark[row] == 0) are appended to touched and marked. */
void bag_backward(float *dtable, int32_t *touched, int *n_touched, unsigned char *mark,
                  const float *dout, const float *zinv, const float *wt, const int32_t *ids,
                  const int *len, int T, int B, int D);

#endif /* NLP_MODELS_BAG_H */
