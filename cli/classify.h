/* classify.h - streaming documents through a trained model, for predict and
 * eval (internal). */
#ifndef NLP_CLASSIFY_H
#define NLP_CLASSIFY_H

#include "nlpipe/model.h"
#include "nlpipe/reader.h"
#include "cli/run.h"

/* Called once per document, in input order.  probs[n_classes] is NULL when
 * the document could not be classified; error then says why. */
typedef int (*classify_fn)(void *user, const char *name, int label, const float *probs,
                           const char *error, nlp_err *err);

typedef struct classify {
	nlp_host *host;
	nlp_model *model;
	nlp_pipeline *p; /* the model's */
	run_pool *pool;
	run_batch rb;
	nlp_rng rng;
	int n_classes;
	/* The head's per-label decision thresholds [n_classes] (borrowed from
	 * its instance), or NULL when the most probable label is the answer. */
	const float *thresholds;
	int batch;
	int labelled;                  /* leave out (and count) documents without a known label */
	long shard_index, shard_count; /* 1-based I of N */
	classify_fn cb;
	void *user;
	/* counts */
	uint64_t done, failed, unlabelled;
} classify;

/* Load the model (modules from the default search path) and make the pool. */
int classify_open(classify *cl, const char *model_path, int threads, int batch, nlp_err *err);
int classify_run(classify *cl, nlp_reader *r, nlp_err *err);
void classify_close(classify *cl);

/* "I/N" with 1 <= I <= N; -1 when malformed. */
int classify_shard_parse(const char *s, long *index, long *count);
/* Whether a document belongs to shard I of N (by a hash of its name). */
int classify_in_shard(const char *name, long index, long count);

#endif
