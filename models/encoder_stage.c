/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/encoder_stage.c - the stage classes rnn, lstm and gru (registered
 * by the rnn module, plugins/rnn.c; models/recurrent.c does the work).  Each
 * consumes a sequence batch (T x B x D, from the embedding or another
 * encoder) and produces one vector per document (B x hidden * directions;
 * `pooling = concat`: 3 x that, the last, max and mean side by side),
 * or with `pooling = none` the sequence of the last layer's outputs
 * (T x B x hidden * directions; produces_for says which).  In a language
 * model the batch's carry and reset say where each stream's state comes from
 * (rec_forward_stream).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlpipe/plugin.h"
#include "nlpipe/train.h"
#include "recurrent.h"

typedef struct rnn_stage {
	rec_config c;
	char name[64];
	rec_net *net;
	int in_T;    /* steps of the last forward's input */
	int int8;    /* precision = int8 */
	int bf16;    /* precision = bf16 */
	int fixed;   /* the host offered a lookup: the pipeline only predicts */
	int int8_on; /* the net runs int8 (rec_set_int8) */
} rnn_stage;

/* clang-format off */
#define REC_COMMON_OPTIONS \
	{"hidden", NLP_OPT_INT, "128", 1, 65536, NULL, "hidden units per direction"}, \
	{"layers", NLP_OPT_INT, "1", 1, 64, NULL, "stacked layers"}, \
	{"bidirectional", NLP_OPT_BOOL, "false", 0, 0, NULL, \
	 "also run a reverse direction (from each document's last real token)"}, \
	{"dropout", NLP_OPT_FLOAT, "0", 0, 0.95, NULL, \
	 "dropout between layers while training (inverted; off at inference)"}, \
	{"pooling", NLP_OPT_ENUM, "last", 0, 0, "last|mean|max|attention|none|concat", \
	 "how the output sequence becomes one vector per document " \
	 "(none: the sequence itself, for a stage that reads every step; concat: last, max " \
	 "and mean side by side, 3x as wide)"}, \
	{"attention_dim", NLP_OPT_INT, "0", 0, 65536, NULL, \
	 "attention pooling width (0: the output width)"}, \
	{"max_tokens", NLP_OPT_INT, "0", 0, 1e9, NULL, \
	 "keep at most this many tokens per document (0: all)"}, \
	{"truncate", NLP_OPT_ENUM, "head", 0, 0, "head|tail|head+tail", \
	 "which tokens max_tokens keeps"}, \
	{"threads", NLP_OPT_INT, "0", 0, 64, NULL, \
	 "split batches of >= 8 x threads documents over this many threads, " \
	 "OpenBLAS single-threaded meanwhile (0: as many as OpenBLAS uses)"}, \
	{"lookup_mb", NLP_OPT_INT, "512", 0, 1048576, NULL, \
	 "predicting after an embedding: keep each word's first-layer input " \
	 "projection, made once, in tables of at most this many MiB " \
	 "(vocabulary x gates x hidden x directions x 4 bytes; same results, " \
	 "fewer products; 0: off)"}, \
	{"precision", NLP_OPT_ENUM, "fp32", 0, 0, "fp32|bf16|int8", \
	 "arithmetic of the matrix products.  bf16 (training and prediction): " \
	 "the products of the forward and of the input gradients round both " \
	 "operands to bfloat16 and add in fp32 (AVX512-BF16; weights, their " \
	 "gradients and the cells stay fp32; a CPU without it runs fp32).  " \
	 "int8 (a model opened for prediction: predict, eval; after an " \
	 "embedding): the recurrent products, and the input products of " \
	 "layers > 0, on weights quantized per column and states quantized per row " \
	 "(fast with AVX512-VNNI; slower kernels elsewhere give the same results; " \
	 "nlpipe inspect --check names it): outputs within the quantization error " \
	 "of fp32's; training runs fp32.  The value is kept in the model"}
/* clang-format on */

static const nlp_option rnn_options[] = {
        REC_COMMON_OPTIONS,
        {"nonlinearity", NLP_OPT_ENUM, "tanh", 0, 0, "tanh|relu", "the cell's activation"},
        {NULL, NLP_OPT_END, NULL, 0, 0, NULL, NULL},
};

static const nlp_option lstm_options[] = {
        REC_COMMON_OPTIONS,
        {"forget_bias", NLP_OPT_FLOAT, "0", -100, 100, NULL,
         "added to the forget-gate input bias at initialisation (1 is common)"},
        {NULL, NLP_OPT_END, NULL, 0, 0, NULL, NULL},
};

static const nlp_option gru_options[] = {
        REC_COMMON_OPTIONS,
        {NULL, NLP_OPT_END, NULL, 0, 0, NULL, NULL},
};

static int enum_index(const char *v, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0)
			return i;
	return 0;
}

/* in the order of enum rec_pool (models/cells.h) */
static const char *const pool_names[] = {"last", "mean", "max", "attention", "none", "concat"};
enum { N_POOLS = sizeof pool_names / sizeof pool_names[0] };

/* pooling = none: the output sequence itself, else one vector per document. */
static nlp_kind rnn_produces_for(const nlp_config *cfg)
{
	return enum_index(nlp_config_str(cfg, "pooling"), pool_names, N_POOLS) == REC_POOL_NONE
	               ? NLP_KIND_SEQUENCE
	               : NLP_KIND_VECTOR;
}

static int create_cell(void **self, const nlp_config *cfg, int cell, nlp_err *err)
{
	static const char *const truncs[] = {"head", "tail", "head+tail"};
	rnn_stage *s = calloc(1, sizeof *s);
	if (!s)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	nlp_numerics_init();
	snprintf(s->name, sizeof s->name, "%s", nlp_config_instance(cfg));
	rec_config *c = &s->c;
	c->cell = cell;
	if (cell == REC_RNN_TANH && strcmp(nlp_config_str(cfg, "nonlinearity"), "relu") == 0)
		c->cell = REC_RNN_RELU;
	c->hidden = (int)nlp_config_int(cfg, "hidden");
	c->layers = (int)nlp_config_int(cfg, "layers");
	c->bidirectional = nlp_config_bool(cfg, "bidirectional");
	c->dropout = (float)nlp_config_float(cfg, "dropout");
	c->pool = enum_index(nlp_config_str(cfg, "pooling"), pool_names, N_POOLS);
	c->att_dim = (int)nlp_config_int(cfg, "attention_dim");
	c->max_tokens = (int)nlp_config_int(cfg, "max_tokens");
	c->truncate = enum_index(nlp_config_str(cfg, "truncate"), truncs, 3);
	c->threads = (int)nlp_config_int(cfg, "threads");
	c->lookup_mb = (long)nlp_config_int(cfg, "lookup_mb");
	s->int8 = strcmp(nlp_config_str(cfg, "precision"), "int8") == 0;
	s->bf16 = strcmp(nlp_config_str(cfg, "precision"), "bf16") == 0;
	if (cell == REC_LSTM)
		c->forget_bias = (float)nlp_config_float(cfg, "forget_bias");
	*self = s;
	return NLP_OK;
}

static int rnn_create(void **self, const nlp_config *cfg, nlp_err *err)
{
	return create_cell(self, cfg, REC_RNN_TANH, err);
}

static int lstm_create(void **self, const nlp_config *cfg, nlp_err *err)
{
	return create_cell(self, cfg, REC_LSTM, err);
}

static int gru_create(void **self, const nlp_config *cfg, nlp_err *err)
{
	return create_cell(self, cfg, REC_GRU, err);
}

static void rnn_destroy(void *self)
{
	rnn_stage *s = self;
	if (!s)
		return;
	rec_free(s->net);
	free(s);
}

static int rnn_setup(void *self, int in_dim, int n_classes, int *out_dim, nlp_err *err)
{
	rnn_stage *s = self;
	if (in_dim < 1)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "a recurrent encoder needs a sequence of vectors as input: "
		                   "put an embedding stage before it");
	rec_free(s->net);
	s->net = NULL;
	s->int8_on = 0;
	s->c.in = in_dim;
	int rc = rec_new(&s->net, &s->c, err);
	if (rc != NLP_OK)
		return rc;
	if (s->bf16) /* where the CPU has it */
		(void)rec_set_bf16(s->net, 1);
	*out_dim = rec_out_dim(s->net);
	return NLP_OK;
}

static void rnn_params(void *self, nlp_params *p)
{
	rnn_stage *s = self;
	if (s->net)
		rec_params(s->net, p);
	else
		memset(p, 0, sizeof *p);
}

static void rnn_init_params(void *self, nlp_rng *rng)
{
	rnn_stage *s = self;
	if (s->net)
		rec_init_params(s->net, rng);
}

/* The precision of a forward: int8 only when asked, predicting, and the
 * pipeline fixed (training and its evaluations always run fp32). */
static void set_precision(rnn_stage *s, const nlp_batch *b)
{
	const int on = s->int8 && s->fixed && !b->training;
	if (on != s->int8_on)
		rec_set_int8(s->net, on);
	s->int8_on = on;
}

/* The output of a forward over T steps of B documents: y, the encoder's. */
static void set_out(rnn_stage *s, nlp_act *out, const float *y, int T, int B)
{
	s->in_T = T;
	out->x = (float *)y;
	out->T = s->c.pool == REC_POOL_NONE ? T : 1;
	out->B = B;
	out->D = rec_out_dim(s->net);
}

static int rnn_forward_op(void *self, nlp_act *out, const nlp_act *in, const nlp_batch *b,
                          nlp_err *err)
{
	rnn_stage *s = self;
	if (!s->net)
		return nlp_err_set(err, NLP_EINTERNAL, "forward before setup");
	if (!in || !in->x || in->D != s->c.in || in->B != b->B || !b->len)
		return nlp_err_set(err, NLP_EINTERNAL,
		                   "expected a sequence batch of width %d for %d documents",
		                   s->c.in, b->B);
	const float *y;
	set_precision(s, b);
	/* carry and reset: language models (nlpipe/train.h) */
	int rc = rec_forward_stream(s->net, &y, in->x, in->T, in->B, b->len, b->carry, b->reset,
	                            b->training, b->rng, err);
	if (rc != NLP_OK)
		return rc;
	set_out(s, out, y, in->T, in->B);
	return NLP_OK;
}

/* nlp_train_ops.forward_lookup: the forward from the ids and the table of
 * the embedding before us (rec_forward_lookup), or declined (*taken 0). */
static int rnn_forward_lookup_op(void *self, nlp_act *out, const float *table, int rows, int cols,
                                 const nlp_batch *b, int *taken, nlp_err *err)
{
	rnn_stage *s = self;
	*taken = 0;
	if (!s->net)
		return nlp_err_set(err, NLP_EINTERNAL, "forward before setup");
	if (b->training || !b->ids || !b->len)
		return NLP_OK;
	s->fixed = 1; /* the host offers lookups on a fixed pipeline only */
	set_precision(s, b);
	const float *y;
	int rc = rec_forward_lookup(s->net, &y, table, rows, cols, b->ids, b->T, b->B, b->len,
	                            b->carry, b->reset, taken, err);
	if (rc == NLP_OK && *taken)
		set_out(s, out, y, b->T, b->B);
	return rc;
}

static int rnn_backward_op(void *self, nlp_act *din, const nlp_act *dout, const nlp_batch *b,
                           nlp_err *err)
{
	rnn_stage *s = self;
	if (!s->net || !dout || !dout->x)
		return nlp_err_set(err, NLP_EINTERNAL, "backward without a gradient");
	if (dout->D != rec_out_dim(s->net) || dout->T != (s->c.pool == REC_POOL_NONE ? s->in_T : 1))
		return nlp_err_set(err, NLP_EINTERNAL,
		                   "the output gradient is %d x %d x %d, not the output's shape",
		                   dout->T, dout->B, dout->D);
	const float *dx = NULL;
	/* din == NULL: nobody wants the input gradient (the input is frozen). */
	int rc = rec_backward(s->net, din ? &dx : NULL, dout->x, err);
	if (rc != NLP_OK)
		return rc;
	if (din) {
		din->x = (float *)dx;
		din->T = s->in_T;
		din->B = b->B;
		din->D = s->c.in;
	}
	return NLP_OK;
}

/* The state the streams carry (checkpoints of language models). */
static int rnn_carried_op(void *self, nlp_buf *out, nlp_cursor *in, nlp_err *err)
{
	rnn_stage *s = self;
	if (!s->net)
		return nlp_err_set(err, NLP_EINTERNAL, "the carried state before setup");
	return out ? rec_carried_save(s->net, out, err) : rec_carried_load(s->net, in, err);
}

static const nlp_train_ops rnn_train_ops = {
        .struct_size = sizeof(nlp_train_ops),
        .observe = NULL,
        .setup = rnn_setup,
        .params = rnn_params,
        .init = rnn_init_params,
        .forward = rnn_forward_op,
        .loss = NULL,
        .backward = rnn_backward_op,
        .save = NULL,
        .load = NULL,
        .forward_lookup = rnn_forward_lookup_op,
        .carried = rnn_carried_op,
};

#define REC_CLASS(cname, summary_, opts, createfn)                                                 \
	{                                                                                          \
		.struct_size = sizeof(nlp_stage_class), .name = cname, .summary = summary_,        \
		.options = opts, .consumes = NLP_KIND_SEQUENCE, .produces = NLP_KIND_VECTOR,       \
		.create = createfn, .destroy = rnn_destroy, .process = NULL,                       \
		.train = &rnn_train_ops, .produces_for = rnn_produces_for,                         \
	}

const nlp_stage_class rec_rnn_class =
        REC_CLASS("rnn", "Elman RNN encoder (tanh or relu), as PyTorch nn.RNN, pooled", rnn_options,
                  rnn_create);
const nlp_stage_class rec_lstm_class =
        REC_CLASS("lstm", "LSTM encoder, as PyTorch nn.LSTM, pooled", lstm_options, lstm_create);
const nlp_stage_class rec_gru_class =
        REC_CLASS("gru", "GRU encoder, as PyTorch nn.GRU, pooled", gru_options, gru_create);
