/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/embedding.h - the `embedding` stage class (tokens -> ids -> vectors)
 * and its layer functions.  Internal to the nn module (plugins/nn.c).
 *
 * Per training step the host runs forward (training), loss, backward, then
 * the optimizer.  The table's gradient is sparse: backward adds into the rows
 * of the batch only and lists them in the "table" block's touched array
 * (no repeats); the list starts afresh at each forward with b->training set,
 * so it stays valid for the optimizer step and nlp_optim_zero_grad() after
 * backward.  Row 0 (<pad>) never receives gradient.
 */
#ifndef NLP_MODELS_EMBEDDING_H
#define NLP_MODELS_EMBEDDING_H

#include <stdio.h>

#include <nlpipe/train.h>

#include "vocab.h"

extern const nlp_stage_class nn_embedding_class;

/* What the options of an embedding say. */
typedef struct embedding_opts {
	int dim;
	long min_count;         /* >= 1 */
	long max_size;          /* 0: no limit */
	const char *pretrained; /* path or NULL/"" */
	int freeze;
	float dropout;
} embedding_opts;

/* An instance of the embedding class (use the class's ops on it); name and
 * pretrained are kept and must outlive the instance. */
int embedding_new(void **self, const char *name, const embedding_opts *o, nlp_err *err);

/* The frozen vocabulary of an instance (NULL before setup or load). */
const vocab *embedding_vocab(void *self);

/* out[T][B][D]: row ids[t][b] of table[V][D] for t < len[b], zeros past len. */
void embedding_forward(float *out, const float *table, const int32_t *ids, const int *len, int T,
                       int B, int D);

/* dtable[V][D] += dout[T][B][D] (times mask[T][B][D] when not NULL) at the
 * rows ids[t][b], t < len[b], id != 0.  Each row reached for the first time
 * (mark[row] == 0) is appended to touched[*n_touched] and marked. */
void embedding_backward(float *dtable, int32_t *touched, int *n_touched, unsigned char *mark,
                        const float *dout, const float *mask, const int32_t *ids, const int *len,
                        int T, int B, int D);

/* embedding_backward in two: embedding_touch lists and marks the rows
 * (ids[t][b], t < len[b], id != 0, not yet marked) in order of first
 * appearance; embedding_backward_rows adds the gradient into the rows r
 * with r % S == k only (k < S), each row's terms in the batch's order: the
 * S parts, run in any order or at once, give embedding_backward's bits. */
void embedding_touch(int32_t *touched, int *n_touched, unsigned char *mark, const int32_t *ids,
                     const int *len, int T, int B);
void embedding_backward_rows(float *dtable, const float *dout, const float *mask,
                             const int32_t *ids, const int *len, int T, int B, int D, int k, int S);

/* Read pretrained vectors from a word2vec/GloVe/fastText .vec text file
 * into the rows of table[V][D] whose word is in v (ids >= 2); found[V] is set
 * to 1 for each row filled.  A first line of two integers is a header whose
 * second number must equal D.  Every other non-blank line is a word and D
 * numbers, on a line of at most 1 MiB.  Errors name the file and line.
 * *n_found gets the rows filled,
 * *sd the standard deviation of the values read (for initialising the
 * others). */
int embedding_read_vec(float *table, unsigned char *found, size_t *n_found, double *sd,
                       const vocab *v, int D, FILE *f, const char *path, nlp_err *err);

#endif /* NLP_MODELS_EMBEDDING_H */
