/* run.h - running a pipeline over documents, shared by train, predict and
 * eval (internal to the nlpipe program).
 *
 * A pipeline for classification is: document stages [0, text_end) (text to
 * tokens), then trainable stages [text_end, n): the first of them maps
 * tokens to ids (its process function) and reads ids in forward; the last
 * produces label scores and has a loss.
 */
#ifndef NLP_RUN_H
#define NLP_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "nlpipe/nlpipe.h"

/* Check that p is shaped for classification; err says what is wrong. */
int run_check_classifier(const nlp_pipeline *p, nlp_err *err);
/* The head's decision thresholds, one a label (nlp_train_ops.thresholds,
 * read only when the module's table has it), or NULL: argmax. */
const float *run_head_thresholds(const nlp_pipeline *p);

/* ---- Documents as token ids ---- */
typedef struct run_doc {
	int32_t *ids; /* owned */
	uint32_t n;
	int label; /* -1 when unknown */
} run_doc;

/* ---- Text stages over many documents, in parallel ---- */
typedef struct run_item {
	const char *name; /* borrowed */
	const char *text; /* borrowed */
	size_t len;
	/* results */
	nlp_tokens tokens; /* when tokens are wanted (owned, free with nlp_tokens_free) */
	int32_t *ids;      /* when ids are wanted (owned, free()) */
	size_t n_ids;
	int rc; /* NLP_OK, or the failure (message in msg) */
	char msg[1100];
} run_item;

typedef struct run_pool run_pool;

/* A pool of n workers (n >= 1) over p's document stages [0, end). */
int run_pool_new(run_pool **out, nlp_pipeline *p, int threads, size_t end, nlp_err *err);
void run_pool_free(run_pool *pool);
/* Process items[0..n) on the pool's threads; results in each item.  With
 * want_ids the last stage's ids are kept, else the final tokens. */
void run_pool_process(run_pool *pool, run_item *items, size_t n, int want_ids);

/* ---- Batches and the trainable chain ---- */
typedef struct run_batch {
	nlp_batch b;
	int32_t *ids; /* [T][B] */
	int *len;
	int *labels;
	size_t cap_ids;
	int cap_b;
} run_batch;

/* Fill rb with docs[idx[0..B)]. */
int run_batch_fill(run_batch *rb, const run_doc *docs, const size_t *idx, int B, nlp_err *err);
void run_batch_free(run_batch *rb);

/* Forward through stages [first, n); *scores is the last stage's output. */
int run_forward(nlp_pipeline *p, size_t first, const nlp_batch *b, nlp_act *scores, nlp_err *err);
/* Loss of the last forward, then backward through [first, n). */
int run_backward(nlp_pipeline *p, size_t first, const nlp_batch *b, double *loss, nlp_err *err);

/* Threads OpenBLAS may use (call before the first BLAS call). */
void run_blas_threads(int n);

/* Number of threads for "0 = one per core". */
int run_threads(long configured);

#endif /* NLP_RUN_H */
