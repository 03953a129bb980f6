/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* nlpipe/classifier.h - classify text with a trained model: the API for
 * programs that embed nlpipe (what `nlpipe predict` and `nlpipe eval` use).
 *
 *     nlp_classifier *c;
 *     nlp_err err = {0};
 *     if (nlp_classifier_open(&c, "sentiment.nlp", NULL, &err)) { ...err.msg... }
 *     const char *texts[] = {"A wonderful film.", "Dull and too long."};
 *     size_t lens[] = {17, 18};
 *     float probs[2 * 2];       // n x nlp_classifier_label_count(c)
 *     int status[2];
 *     if (nlp_classify_texts(c, texts, lens, 2, probs, status, &err)) { ... }
 *     // status[i] == NLP_OK: probs[i * C + k] is label k's probability
 *     nlp_classifier_close(c);
 *
 * A document's probabilities do not depend on the other documents given
 * with it, on the batch size or on the thread count (see REPRODUCIBILITY
 * in nlpipe(1)).
 *
 * Threads: a classifier is used by one thread at a time; it runs its own
 * worker threads for the text stages and the encoders.  Opening one sets
 * OpenBLAS's thread count for the process (nlp_blas_threads).  Different
 * classifiers may be used by different threads at once.
 *
 * Ownership: everything a classifier returns (labels, the model, results
 * handed to a callback) is owned by it and valid until nlp_classifier_close
 * (a callback's result: until the callback returns).
 */
#ifndef NLPIPE_CLASSIFIER_H
#define NLPIPE_CLASSIFIER_H

#include <stddef.h>
#include <stdint.h>

#include <nlpipe/model.h>
#include <nlpipe/nlpipe.h>
#include <nlpipe/reader.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nlp_classifier nlp_classifier;

typedef struct nlp_classifier_opts {
	int threads;      /* workers for the text stages and the encoders; 0: one per core */
	int batch;        /* documents per network batch at most; 0: 64 */
	nlp_diag_fn diag; /* warnings that do not stop the work (a module refused while
	                   * loading, say); NULL: the host's default */
	void *diag_user;
} nlp_classifier_opts;

/* Load a model file, the modules it needs (searched in NLPIPE_PLUGIN_PATH,
 * then the installed plugin folder) and start the workers.  opts may be
 * NULL (defaults).  On failure *out is NULL and err says why. */
int nlp_classifier_open(nlp_classifier **out, const char *model_path,
                        const nlp_classifier_opts *opts, nlp_err *err);
void nlp_classifier_close(nlp_classifier *c);

/* The labels, in the order of the probabilities. */
size_t nlp_classifier_label_count(const nlp_classifier *c);
const char *nlp_classifier_label(const nlp_classifier *c, size_t i);
/* The loaded model: pipeline, metadata, and what loading it had to drop
 * (model->warnings, or NULL). */
const nlp_model *nlp_classifier_model(const nlp_classifier *c);
/* The head's decision thresholds, one a label (a sigmoid model's: every
 * label at or over its threshold applies), or NULL: the most probable label
 * is the answer. */
const float *nlp_classifier_thresholds(const nlp_classifier *c);

/* Classify texts[0..n) (UTF-8, lens[i] bytes each; lens may be NULL for
 * NUL-terminated texts).  probs: n x label_count floats, row i for text i.
 * status[i]: NLP_OK, or NLP_EDATA when a text stage refused the text (its
 * row of probs is then zero).  A text of which the text stages left no
 * token is classified from the empty input, as the trained stages see a
 * document of no tokens: the model's prior-like answer, the same in any
 * batch (nlp_classifier_empty_count counts them).  Returns an error
 * only when the whole call failed (out of memory, a stage's internal
 * error). */
int nlp_classify_texts(nlp_classifier *c, const char *const *texts, const size_t *lens, size_t n,
                       float *probs, int *status, nlp_err *err);

/* ---- Streaming documents from a reader (nlpipe/reader.h) ---- */

/* One document's outcome, handed to a callback in input order. */
typedef struct nlp_result {
	const char *name;       /* the document's name (its path, or file:line) */
	int label;              /* its label's index among the model's, or -1 */
	const float *probs;     /* [label_count]; NULL when it was not classified */
	const char *error;      /* why it was not classified, or NULL */
	int left_out;           /* labelled mode: left out, it has no known label */
	const char *label_name; /* left out: the label the data gave, or NULL (none) */
	/* Added in 0.2: the document's text as read (not NUL-terminated in
	 * general), NULL for a left-out document. */
	const char *text;
	size_t text_len;
	/* Every label the data gives it (indices among the model's, label first),
	 * several for multi-label data (nlp_document.labels). */
	const int *labels;
	size_t n_labels;
	/* Added after 0.2 (at the end): 1 when the text stages left no token of it, and it was
	 * classified from the empty input (probs is set). */
	int empty;
} nlp_result;

/* Return NLP_OK to go on; anything else stops the run with that code. */
typedef int (*nlp_result_fn)(void *user, const nlp_result *r, nlp_err *err);

typedef struct nlp_stream_opts {
	long shard_index, shard_count; /* only shard I of N (1-based); 0, 0: all */
	int labelled;                  /* leave out (count, report with left_out) documents
	                                * without a known label */
} nlp_stream_opts;

/* Classify every document of r, in chunks: memory does not grow with the
 * number of documents.  opts may be NULL (every document). */
int nlp_classifier_run(nlp_classifier *c, nlp_reader *r, const nlp_stream_opts *opts,
                       nlp_result_fn fn, void *user, nlp_err *err);

/* Documents classified, not classified, and left out since open. */
void nlp_classifier_counts(const nlp_classifier *c, uint64_t *done, uint64_t *failed,
                           uint64_t *left_out);

/* Of the documents classified since open, those classified from the empty
 * input: the text stages left no token of them. */
uint64_t nlp_classifier_empty_count(const nlp_classifier *c);

/* "I/N" with 1 <= I <= N; -1 when malformed. */
int nlp_shard_parse(const char *s, long *index, long *count);
/* Whether a document belongs to shard I of N (by a hash of its name, the
 * same on every machine). */
int nlp_in_shard(const char *name, long index, long count);

#ifdef __cplusplus
}
#endif
#endif /* NLPIPE_CLASSIFIER_H */
