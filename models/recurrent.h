/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/recurrent.h - the recurrent encoder: stacked, optionally
 * bidirectional RNN, LSTM or GRU layers with dropout, truncation and pooling
 * (models/recurrent.c), over the cells of models/cells.h; and the stage
 * classes that run it (models/encoder_stage.c).  Internal to plugins/rnn.la
 * and the tests and benchmark that compile these files in.
 */
#ifndef NLP_MODELS_RECURRENT_H
#define NLP_MODELS_RECURRENT_H

#include <stddef.h>
#include <stdint.h>

#include "cells.h"
#include "nlpipe/train.h"

enum rec_trunc { REC_TRUNC_HEAD, REC_TRUNC_TAIL, REC_TRUNC_HEAD_TAIL };

/* ---- The encoder: layers x directions, dropout, pooling, truncation ---- */

typedef struct rec_config {
	int cell;   /* enum rec_cell */
	int in;     /* input width (set by setup) */
	int hidden; /* H */
	int layers;
	int bidirectional; /* 0 or 1 */
	float dropout;     /* between layers, in [0, 1) */
	int pool;          /* enum rec_pool */
	int att_dim;       /* attention width A; 0: the output width */
	float forget_bias; /* LSTM: added to b_ih's forget slice at init */
	int max_tokens;    /* 0: no limit */
	int truncate;      /* enum rec_trunc */
	int threads;       /* > 1: split batches of >= 8 * threads documents into
	                    * that many shards (by length; with pooling none or
	                    * streams, column b to shard b mod shards, so that a
	                    * shard keeps its streams' states) run on worker
	                    * threads (OpenBLAS is set to 1 thread meanwhile,
	                    * then restored);
	                    * 0: as many as OpenBLAS is set to use */
	int naive;         /* reference kernels (tests) */
	long lookup_mb;    /* rec_forward_lookup: its projection tables may take
	                    * this many MiB at most (0: never look up) */
} rec_config;

typedef struct rec_net rec_net;

/* Make an encoder for c (c->in must be set); parameters allocated, zero. */
int rec_new(rec_net **out, const rec_config *c, nlp_err *err);
void rec_free(rec_net *n);
const rec_config *rec_get_config(const rec_net *n);
int rec_out_dim(const rec_net *n);
/* The parameter buffer and its blocks (PyTorch's order and names:
 * w_ih_l0, w_hh_l0, b_ih_l0, b_hh_l0, w_ih_l0_reverse, ..., then att_w,
 * att_b, att_v). */
void rec_params(rec_net *n, nlp_params *p);
/* PyTorch's initialisation: U(-1/sqrt(H), 1/sqrt(H)) for every weight and
 * bias; attention U(-1/sqrt(fan_in), ...); plus forget_bias (LSTM). */
void rec_init_params(rec_net *n, nlp_rng *rng);
/* Use the reference kernels (1) or BLAS (0). */
void rec_set_naive(rec_net *n, int naive);

/* Forward over x [T x B x In] with lengths len [B]: *out is set to the
 * pooled output [B x out_dim] (a workspace of n), or with pooling none to
 * the last layer's output sequence [T x B x out_dim], zero past each length
 * (and at the steps max_tokens dropped).  training: dropout on
 * (drawn from rng) and keep what backward needs.  x must stay valid until
 * rec_backward. */
int rec_forward(rec_net *n, const float **out, const float *x, int T, int B, const int *len,
                int training, nlp_rng *rng, nlp_err *err);
/* rec_forward for language models (nlpipe/train.h's nlp_batch carry and
 * reset): carry 1 starts batch column b from the state (h, and c for the
 * LSTM, of every layer) the previous forward of n ended with at its step
 * len[b] - 1, when that forward had B columns too (else from zeros);
 * reset [T x B] (or NULL) restarts column b from zeros before step t where
 * it is 1.  Backward stops at both (no gradient into the previous window
 * nor across a restart).  Every forward of a unidirectional encoder keeps
 * its final state (a column of length 0 keeps the state it started from).
 * carry or reset with a bidirectional encoder is an NLP_ECONFIG error.
 * carry 0 and reset NULL: exactly rec_forward. */
int rec_forward_stream(rec_net *n, const float **out, const float *x, int T, int B, const int *len,
                       int carry, const uint8_t *reset, int training, nlp_rng *rng, nlp_err *err);
/* Inference from ids (nlpipe/train.h's forward_lookup): rec_forward_stream
 * (training off) on the input x[t][b] = row ids[t][b] of table [rows x cols]
 * (zeros past len), without making x: the first layer's input projection
 * of a word (its row times W_ih^T, per direction) is computed the first time
 * the word is seen and kept, in a table of rows x G*H floats per direction
 * (rows are made on first use; untouched pages are never written).  Each
 * kept row is the product the plain forward computes for that word (the
 * row-stable product of models/gemm.h), so every output is bit-identical to
 * rec_forward_stream's.  The kept rows are valid while table and the
 * parameters do not change: rec_lookup_forget drops them.  *taken = 0 (and
 * nothing done) when cols is not the input width or the tables would take
 * more than lookup_mb MiB.  ids outside [0, rows) are an NLP_EDATA error. */
int rec_forward_lookup(rec_net *n, const float **out, const float *table, int rows, int cols,
                       const int32_t *ids, int T, int B, const int *len, int carry,
                       const uint8_t *reset, int *taken, nlp_err *err);
/* Forget the rows rec_forward_lookup kept (and free their tables). */
void rec_lookup_forget(rec_net *n);

/* Precision of the next forwards (the stages' `precision`, used at
 * inference only): on = 1, int8: the recurrent products h W_hh^T, and the
 * input products of layers > 0, are those of models/gemm_int8.h on weights
 * quantized per output column (made by the first such forward and kept);
 * layer 0's input product stays fp32 (a lookup, or the plain product).
 * Outputs are then within the quantization error of fp32's, still
 * independent of the batch, the threads and the kernel.  on = 0: fp32 again,
 * the quantized weights dropped (set it whenever the parameters change). */
void rec_set_int8(rec_net *n, int on);
/* The int8 product's kernel here: "avx512-vnni" or "c" (same results). */
const char *rec_int8_kernel(void);

/* precision = bf16 (training and inference; on = 1): every product of the
 * forwards and of the input gradients (x W_ih^T and the lookup's kept rows,
 * h W_hh^T, dG W_hh, dG W_ih) rounds both operands to bfloat16 and
 * accumulates in fp32 (models/gemm_bf16.h); the weights, their gradients
 * (nk_gemm_tn) and the cells' arithmetic stay fp32.  Outputs stay
 * independent of the batch, the threads and the shards, and the lookup
 * forward gives the plain forward's bits.  Needs rec_bf16_available(): else
 * the net stays fp32.  Returns whether bf16 is now on; a change drops the
 * lookup's kept rows. */
int rec_set_bf16(rec_net *n, int on);
/* 1 when this process can run the bf16 products (AVX512_BF16, and
 * NLPIPE_MAX_CPU_ISA allows avx512). */
int rec_bf16_available(void);

/* Backward of the last training forward, given dout [B x out_dim] (pooling
 * none: [T x B x out_dim], ignored past each length): adds parameter
 * gradients into the gradient buffer and sets *dx to the gradient with respect to x [T x B x In]
 * (a workspace of n).  dx == NULL: the input gradient is not wanted (a frozen
 * embedding before us) and its product is skipped. */
int rec_backward(rec_net *n, const float **dx, const float *dout, nlp_err *err);

/* The state each stream kept from the last forward (what carry starts the
 * next one from), for a training checkpoint: save appends it to out (no
 * streams when none is kept); load reads what save wrote and makes it the
 * kept state (NLP_EDATA when it is truncated or of another shape). */
int rec_carried_save(rec_net *n, nlp_buf *out, nlp_err *err);
int rec_carried_load(rec_net *n, nlp_cursor *in, nlp_err *err);

/* The stage classes (models/encoder_stage.c). */
extern const nlp_stage_class rec_rnn_class, rec_lstm_class, rec_gru_class;

#endif /* NLP_MODELS_RECURRENT_H */
