/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* nlpipe/train.h - the trainable-stage contract (part of the plugin ABI).
 *
 * Trainable stages work on batches of B documents padded to T steps.
 * Activations are float arrays owned by the stage that produced them (a
 * workspace it reuses between calls; valid until its next forward/backward):
 *
 *   NLP_KIND_SEQUENCE  x[(t * B + b) * D + d]   time-major, T x B x D
 *   NLP_KIND_VECTOR    x[b * D + d]             B x D (T = 1)
 *   NLP_KIND_SCORES    x[b * D + d]             B x C probabilities (T = 1);
 *                      x[(t * B + b) * D + d]   a next-token head: T x B x V
 *
 * Padding never changes a result: steps t >= len[b] of document b are
 * ignored by every stage (outputs there are zero, gradients are not used).
 *
 * Parameters: each stage keeps all its parameters in one contiguous float
 * buffer and its gradients in a second buffer of the same size, so one
 * memset zeroes the gradients and the optimizer is a flat loop.  The stage
 * describes that buffer to the host as blocks (weights, biases, embedding
 * table) so the optimizer can apply weight decay per block and update only
 * the touched rows of a sparse block.
 */
#ifndef NLPIPE_TRAIN_H
#define NLPIPE_TRAIN_H

#include <nlpipe/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A small, fast, seedable random generator (the host owns it). */
typedef struct nlp_rng {
	uint64_t s[4];
} nlp_rng;

void nlp_rng_seed(nlp_rng *r, uint64_t seed);
uint64_t nlp_rng_next(nlp_rng *r);
/* Uniform in [0, 1). */
float nlp_rng_uniform(nlp_rng *r);
/* Standard normal. */
float nlp_rng_normal(nlp_rng *r);

/* Numerics: set flush-to-zero and denormals-are-zero for the calling thread
 * (x86; a no-op elsewhere).  Call before the first BLAS call of the process:
 * OpenBLAS threads inherit the setting only if it is set before they start.
 * Denormal gradients in backpropagation through time slow sgemm ~100x. */
void nlp_numerics_init(void);

/* Run fn(arg, k, S) for every part k = 0 .. S-1 and return when all are done:
 * part 0 on the calling thread, the others on the process's pool of worker
 * threads (started once, at the first call that needs them, and kept).  A
 * part runs with the caller's flush-to-zero setting.  When the pool is busy
 * (a call from inside a part, or from two threads at once) or a thread
 * cannot start, the caller runs the parts itself, in order: results must
 * depend only on k and S, never on which thread ran a part.  S <= 1:
 * fn(arg, 0, 1) here. */
void nlp_parallel(int S, void (*fn)(void *arg, int k, int S), void *arg);

/* Growing arrays: pp is the address of an array pointer (T **), *cap its
 * capacity in elements of elem bytes.  When n > *cap (or *pp is NULL),
 * realloc *pp; the contents are kept.  nlp_grow doubles the capacity (at
 * least 16, at least n: for lists appended to one by one); nlp_grow_exact
 * makes it n (at least 1: for workspaces sized by the batch).  NLP_OK, or
 * NLP_ENOMEM with *pp and *cap unchanged. */
int nlp_grow(void *pp, size_t *cap, size_t n, size_t elem);
int nlp_grow_exact(void *pp, size_t *cap, size_t n, size_t elem);

/* count floats (at least 1), zero, their pages mapped now: for a buffer that
 * is added into before it is first written (a gradient, an optimizer
 * moment).  calloc maps a large buffer's pages lazily, to the shared zero
 * page on a read; the write that follows faults again and, while other
 * threads run, flushes their cores' TLBs (6 % of an RNN training step on two
 * threads).  free() it; NULL when out of memory. */
float *nlp_zeros(size_t count);

/* A batch as every trainable stage sees it. */
typedef struct nlp_batch {
	int B;                /* documents */
	int T;                /* padded steps: max over len */
	const int32_t *ids;   /* [T][B] token ids, time-major; 0 (<pad>) past len */
	const int *len;       /* [B] real lengths, 0 <= len <= T */
	const int *labels;    /* [B] class index (softmax); NULL when not training */
	const float *targets; /* [B][C] 0/1 targets (multi-label sigmoid); or NULL */
	const float *weights; /* [C] class weights for the loss; or NULL */
	int training;         /* 1: dropout on, keep what backward needs */
	nlp_rng *rng;         /* for dropout; the host seeds it */

	/* ABI 2.3, language models.  The host cuts the concatenated token
	 * stream into B parallel streams and walks them in windows of T steps
	 * (truncated backpropagation through time); batch column b is always
	 * the same stream, and len[b] = T except at the stream's end. */
	const int32_t *next_ids; /* [T][B] the token that follows step t of
	                          * stream b: the target of a next-token head;
	                          * -1 where there is none (no loss there).
	                          * NULL outside language models. */
	int carry;               /* 1: recurrent stages start stream b from the
	                          * state their previous forward on this
	                          * instance ended with (at step len[b] - 1;
	                          * a stream with len 0 keeps its state);
	                          * no gradient flows back into that window.
	                          * Zeros when that forward had another B.
	                          * Every forward (evaluation too) replaces
	                          * the kept state.  Bidirectional encoders
	                          * refuse carry and reset (NLP_ECONFIG).
	                          * 0: from zeros, as for documents. */
	const uint8_t *reset;    /* [T][B] 1: a document starts at step t of
	                          * stream b: recurrent stages zero that
	                          * stream's state before step t (no gradient
	                          * across it).  NULL: never. */

	/* ABI 2.4, sequence-to-sequence models (source<TAB>target pairs): ids
	 * and len above are the sources; the decoder walks U steps of its own.
	 * All three are NULL (and U 0) outside such models. */
	int U;                   /* decoder steps: max over dec_len */
	const int32_t *dec_ids;  /* [U][B] the decoder's input ids: the start
	                          * token, then the target's tokens (teacher
	                          * forcing); 0 past dec_len */
	const int *dec_len;      /* [B] decoder steps of each pair, <= U */
	const int32_t *dec_next; /* [U][B] the token step u should give: the
	                          * target's tokens then the end token; -1
	                          * where there is none (no loss there).
	                          * NULL when decoding (no targets known). */

	/* ABI 2.5, decoding step by step.  A forward of a decoder that is
	 * not training with U = 1 (every dec_len 1) keeps, by column, the
	 * state its cell ends with and the encoder's states it was given.
	 * With carry set, a decoder then runs one more step: the host runs
	 * it alone (nlp_chain_forward from its index: in is NULL), dec_ids
	 * are the tokens of this step, and column b starts from the state
	 * column dec_from[b] (NULL: b) of the previous forward ended with
	 * and attends to that column's source (beam search: the
	 * hypotheses that survive and their parents).  The probabilities
	 * are those of a forward over the whole prefix. */
	const int *dec_from; /* [B] */
} nlp_batch;

/* An activation or a gradient (see the layouts above). */
typedef struct nlp_act {
	float *x;
	int T; /* 1 for VECTOR and SCORES */
	int B;
	int D;
} nlp_act;

/* A part of a stage's parameter buffer, for the optimizer. */
typedef struct nlp_param_block {
	const char *name; /* "w_ih_l0", "bias", "table", ... */
	size_t offset;    /* into the stage's buffer, in floats */
	size_t count;     /* floats */
	int decay;        /* 1: weight decay applies (weights, not biases) */
	/* Sparse rows (embedding tables): the block is rows x cols and only the
	 * rows listed in touched (n_touched of them, no repeats) have gradient
	 * this step; the optimizer updates only those.  touched == NULL: dense. */
	int rows, cols;
	const int32_t *touched;
	int n_touched;
} nlp_param_block;

typedef struct nlp_params {
	float *w;     /* the stage's one parameter buffer */
	float *g;     /* its gradient, same size */
	size_t count; /* floats in each */
	const nlp_param_block *blocks;
	int n_blocks;
} nlp_params;

/* A growable byte buffer for a stage's saved state. */
typedef struct nlp_buf {
	unsigned char *data;
	size_t len, cap;
} nlp_buf;

int nlp_buf_put(nlp_buf *b, const void *p, size_t n);
int nlp_buf_put_u32(nlp_buf *b, uint32_t v);    /* little-endian */
int nlp_buf_put_str(nlp_buf *b, const char *s); /* u32 length + bytes */

/* A cursor over saved state; reading past the end sets an error, never
 * crashes.  The get functions return NLP_OK or NLP_EDATA. */
typedef struct nlp_cursor {
	const unsigned char *p, *end;
} nlp_cursor;

int nlp_cursor_get(nlp_cursor *c, void *p, size_t n);
int nlp_cursor_get_u32(nlp_cursor *c, uint32_t *v);
/* A string of at most max bytes; *s points into the buffer, *n is its length. */
int nlp_cursor_get_str(nlp_cursor *c, const char **s, uint32_t *n, uint32_t max);

/* A trainable stage's functions.  Set struct_size = sizeof(nlp_train_ops)
 * and the functions by name; leave the reserved slots out (zero).  The host
 * refuses a class whose table is smaller than the ABI its module claims
 * needs, larger than the host knows, or has a reserved slot set. */
typedef struct nlp_train_ops {
	uint32_t struct_size; /* sizeof(nlp_train_ops) as the module saw it */

	/* Training only, before setup: the host shows the stage every training
	 * document's output of the previous stage (an embedding counts tokens
	 * to build its vocabulary).  NULL if not needed.  Not called on loads. */
	int (*observe)(void *self, const nlp_doc *doc, nlp_err *err);

	/* Fix shapes and allocate parameters.  in_dim: width of the input
	 * (0 when the input is token ids); n_classes: number of labels.  Sets
	 * *out_dim (the head sets it to n_classes).  Called after observe
	 * during training and after load when reading a model. */
	int (*setup)(void *self, int in_dim, int n_classes, int *out_dim, nlp_err *err);

	/* Describe the parameter buffer (valid after setup). */
	void (*params)(void *self, nlp_params *p);

	/* Initial parameter values (training from scratch). */
	void (*init)(void *self, nlp_rng *rng);

	/* Forward: out is set to the stage's own workspace.  in is the previous
	 * stage's output (ignored for the first stage, which reads b->ids). */
	int (*forward)(void *self, nlp_act *out, const nlp_act *in, const nlp_batch *b,
	               nlp_err *err);

	/* Heads only (produces NLP_KIND_SCORES): the mean loss of the last
	 * forward against b->labels or b->targets (a next-token head: against
	 * b->next_ids, in nats per predicted token), and its gradient stored
	 * for backward.  NULL for other stages.  A next-token head training
	 * with an approximate loss (sampled softmax) computes no probabilities:
	 * its training forward sets out->x = NULL. */
	int (*loss)(void *self, double *loss, const nlp_batch *b, nlp_err *err);

	/* Backward: given dout (ignored by heads, which use their loss), add
	 * parameter gradients into the gradient buffer and set din to the
	 * gradient with respect to the input (a workspace of the stage; din may
	 * be NULL for the first stage). */
	int (*backward)(void *self, nlp_act *din, const nlp_act *dout, const nlp_batch *b,
	                nlp_err *err);

	/* State that is not in the parameter buffer (vocabulary, label
	 * thresholds...).  save appends to out; load reads what save wrote,
	 * before setup.  Either may be NULL when there is none. */
	int (*save)(void *self, nlp_buf *out, nlp_err *err);
	int (*load)(void *self, nlp_cursor *in, nlp_err *err);

	/* Heads only, and only those whose labels are decided one by one
	 * (sigmoid): n_classes decision thresholds, valid after setup (so also
	 * after a model is loaded: they come from the stage's options, which the
	 * model file stores).  `nlpipe predict` then gives every label whose
	 * probability is at or over its threshold.  NULL, or a NULL result: the
	 * most probable label is the prediction (softmax). */
	const float *(*thresholds)(void *self);

	/* ABI 2.2, heads with thresholds only: replace the n_classes decision
	 * thresholds (each in [0, 1]) with th, e.g. those the trainer chose on
	 * the validation data; the stage keeps them in its saved state (save),
	 * and they win over its options when a model is loaded.  NULL: the
	 * head's thresholds cannot be tuned. */
	int (*set_thresholds)(void *self, const float *th, int n_classes, nlp_err *err);

	/* ABI 2.3, heads over the vocabulary (next-token): after setup and
	 * before params and init (also when loading a model: before the
	 * parameters are read, as a tied head's buffer is smaller), the
	 * host offers the embedding table of the pipeline's first stage, rows x
	 * cols (rows = vocabulary size = the head's n_classes), w and g
	 * pointing into that stage's parameter and gradient buffers.  A head
	 * that ties its output matrix to it (tie_weights) keeps the pointers,
	 * uses w as its output weights, adds its gradient into g, and sets
	 * *tied = 1 (the host then updates the table as a dense block); a shape
	 * that does not fit is an NLP_ECONFIG naming both widths.  *tied = 0:
	 * not tied.  NULL: the head never ties. */
	int (*tie)(void *self, float *w, float *g, int rows, int cols, int *tied, nlp_err *err);

	/* ABI 2.3, stages that map tokens to ids (embeddings): the token that
	 * id stands for ("<unk>" and the like for the reserved ids), or NULL
	 * when id is out of range.  Valid as long as the instance.  The host
	 * uses it to print generated text.  A decoder with a target
	 * vocabulary of its own (target_id) gives its target tokens. */
	const char *(*token)(void *self, int32_t id);

	/* ABI 2.5, decoders: the attention weights of the last forward that
	 * was not training, rows x T (row u * B + b: step u of column b over
	 * the T source steps, zero past the source's length), valid until
	 * the next forward; *T and *rows set.  NULL when there are none
	 * (attention = none).  NULL slot: the stage has no attention. */
	const float *(*attention)(void *self, int *T, int *rows);

	/* Zero; for later minor versions (a slot given a meaning keeps zero as
	 * "not set"). */
	void (*reserved[1])(void);

	/* ABI 2.5, inference from a table (the host skips a product that a
	 * lookup can replace).  Both are optional; the host uses them only for
	 * forwards with b->training 0 on a pipeline whose parameters no longer
	 * change (nlp_pipeline_set_fixed: a loaded model that only predicts).
	 *
	 * lookup_table, stages that map ids to vectors: the table whose row
	 * ids[t][b] is exactly this stage's inference output at step t of
	 * document b (zeros past len), rows x cols, owned by the stage and
	 * unchanged while the pipeline is fixed; or NULL when the inference
	 * output is not a plain row (a stage that rescales or renormalises
	 * rows must return NULL).  NULL op: never. */
	const float *(*lookup_table)(void *self, int *rows, int *cols);

	/* forward_lookup, stages that read a sequence: forward from b->ids
	 * and the lookup_table of the one stage this stage reads, instead of
	 * from that stage's output (which the host may not have computed).
	 * The stage may derive data from table and its own parameters once and
	 * keep it while the pipeline is fixed (a recurrent encoder keeps each
	 * word's first-layer input projection).  *taken = 1: out is set
	 * bit-identically to what forward would give on the lookup's output;
	 * *taken = 0: declined (an option turned it off, the derived data would
	 * be too large, a shape differs), out untouched: the host then runs the
	 * reading stage's forward (and the lookup stage's, if not yet run).
	 * Ids outside [0, rows) are an NLP_EDATA error, as in the lookup
	 * stage's forward.  NULL op: never. */
	int (*forward_lookup)(void *self, nlp_act *out, const float *table, int rows, int cols,
	                      const nlp_batch *b, int *taken, nlp_err *err);

	/* ABI 2.5, decoders with a target vocabulary of their own (the
	 * decoder's `vocabulary = own`): the id of the target token tok (len
	 * bytes) in it, <unk>'s (1) when it has none (so also before the
	 * vocabulary is built); -1 at any time when the decoder reads the ids
	 * of the pipeline's first stage (a shared vocabulary).  With its own,
	 * the host then shows the decoder's observe every training pair's
	 * target tokens (doc->in; the first stage sees only the sources),
	 * gives it dec_ids and dec_next in these ids, and prints an output
	 * id through the decoder's token op.  NULL op: shared. */
	int32_t (*target_id)(void *self, const char *tok, size_t len);

	/* ABI 2.5, stages that carry a state from window to window (recurrent
	 * encoders of language models, nlp_batch.carry): with out set, append
	 * the state each stream kept from the last forward (what the next
	 * forward with carry starts from); with out NULL, read from in what it
	 * wrote and make that the kept state.  The host keeps it in training
	 * checkpoints, so that a run resumed mid-epoch goes on exactly.  NULL:
	 * the stage carries nothing. */
	int (*carried)(void *self, nlp_buf *out, nlp_cursor *in, nlp_err *err);
} nlp_train_ops;

#ifdef NLP_CHECK_LAYOUT
NLP_STATIC_ASSERT(offsetof(nlp_train_ops, struct_size) == 0 &&
                          offsetof(nlp_train_ops, observe) == 8 &&
                          offsetof(nlp_train_ops, load) == 72 &&
                          offsetof(nlp_train_ops, thresholds) == 80 &&
                          offsetof(nlp_train_ops, set_thresholds) == 88 &&
                          offsetof(nlp_train_ops, tie) == 96 &&
                          offsetof(nlp_train_ops, token) == 104 &&
                          offsetof(nlp_train_ops, attention) == 112 &&
                          offsetof(nlp_train_ops, reserved) == 120 &&
                          offsetof(nlp_train_ops, lookup_table) == 128 &&
                          offsetof(nlp_train_ops, forward_lookup) == 136 &&
                          offsetof(nlp_train_ops, target_id) == 144 &&
                          offsetof(nlp_train_ops, carried) == 152 && sizeof(nlp_train_ops) == 160,
                  "nlp_train_ops layout of plugin ABI 2.5");
NLP_STATIC_ASSERT(offsetof(nlp_batch, rng) == 56 && offsetof(nlp_batch, next_ids) == 64 &&
                          offsetof(nlp_batch, carry) == 72 && offsetof(nlp_batch, reset) == 80 &&
                          offsetof(nlp_batch, U) == 88 && offsetof(nlp_batch, dec_ids) == 96 &&
                          offsetof(nlp_batch, dec_next) == 112 &&
                          offsetof(nlp_batch, dec_from) == 120 && sizeof(nlp_batch) == 128,
                  "nlp_batch layout of plugin ABI 2.5");
#endif

#ifdef __cplusplus
}
#endif
#endif /* NLPIPE_TRAIN_H */
