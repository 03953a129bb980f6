/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* nlpipe/trainer.h - train a classification pipeline on labelled data: the
 * API for programs that embed nlpipe (what `nlpipe train` runs).
 *
 *     nlp_host *h;
 *     nlp_trainer *t;
 *     nlp_err err = {0};
 *     const char *data[] = {"reviews"};         // DIR/<label>/files, or line files
 *     nlp_trainer_opts o = {.output = "sentiment.nlp", .data = data, .n_data = 1};
 *     nlp_numerics_init();                      // once, at start
 *     nlp_host_new(&h, &err);
 *     if (nlp_trainer_new(&t, h, "sentiment.ini", &o, &err) ||
 *         nlp_train(t, on_event, NULL, &err)) { ...err.msg... }
 *     nlp_trainer_free(t);
 *     nlp_host_free(h);
 *
 * The [train] section of the pipeline file (epochs, batch, optimizer,
 * validation, seed, threads, ...; nlp_train_options below is its table and
 * holds every default) says how to train.  The best model by the validation
 * metric goes to opts.output (with refit = true, the model then trained
 * again from its start on every document for the best epoch's count, at
 * the same learning rates); a checkpoint (the model with the trainer's
 * state) goes to OUTPUT.ckpt at the end of every epoch and every
 * checkpoint_every steps.  The same data, seed and thread count give the
 * same model bytes, and a run resumed from its checkpoint ends with the
 * bytes of a run that was never stopped.
 *
 * The library prints nothing: what happens is handed to the callback as
 * events (nlp_train_event), and warnings (a skipped document, a document a
 * stage refused) go to the host's diagnostics callback.
 *
 * Threads: a trainer is used by one thread at a time; it runs worker threads
 * of its own for the text stages and the encoders, and sets OpenBLAS's
 * thread count for the process ([train] threads).  The host and the events'
 * data are not touched by other threads; the callback runs on the thread
 * that called nlp_train.
 *
 * Ownership: the host is borrowed (it must outlive the trainer); the paths
 * and strings in nlp_trainer_opts are borrowed and must stay valid until
 * nlp_trainer_free.  What an event points to is owned by the trainer and
 * valid until the callback returns.
 */
#ifndef NLPIPE_TRAINER_H
#define NLPIPE_TRAINER_H

#include <stddef.h>
#include <stdint.h>

#include <nlpipe/model.h>
#include <nlpipe/nlpipe.h>
#include <nlpipe/reader.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The options of the [train] section: keys, types and defaults.  Every
 * pipeline check validates the section with it; the trainer reads it. */
extern const nlp_option nlp_train_options[];

/* nlp_train's result when the callback asked it to stop: the checkpoint was
 * written (nlp_trainer_checkpoint_path) and a run with opts.resume set to it
 * goes on where this one stopped.  Not an nlp_rc error code. */
#define NLP_TRAIN_STOPPED 100

typedef struct nlp_trainer nlp_trainer;

typedef struct nlp_trainer_opts {
	const char *output;      /* the model file (required); OUTPUT.ckpt and
	                          * OUTPUT.last are written beside it */
	const char *const *data; /* labelled training data paths [n_data] (n_data >= 1) */
	size_t n_data;
	const nlp_reader_opts *reader; /* how to read the data (validation_data too); NULL:
	                                * defaults.  Its diag NULL: the host's diagnostics */
	const char *const *sets;       /* "SECTION.KEY=VALUE" overrides of the pipeline
	                                * file [n_sets] */
	size_t n_sets;
	const char *resume; /* a checkpoint (OUTPUT.ckpt) to go on from, or NULL: the pipeline,
	                     * vocabulary, labels and parameters come from it, the pipeline
	                     * path is not read, and sets may change only [train] */
	int keep_last;      /* also write the last epoch's model to OUTPUT.last */
	int progress_every; /* batches between NLP_TRAIN_PROGRESS events; 0: 1 */
	/* MB of the data's tokens (then token ids) kept in memory; beyond that
	 * they go to a temporary file beside the output (unlinked at once),
	 * memory-mapped, so that memory does not grow with the data.  0:
	 * NLP_DATA_MEMORY_DEFAULT; < 0: always the file.  The model does not
	 * depend on it. */
	long data_memory;
} nlp_trainer_opts;

#define NLP_DATA_MEMORY_DEFAULT 16

/* What the trainer tells its callback, in this order: DATA (the training
 * data, then the validation data when it is read from its own paths),
 * RESUMED (with opts.resume), START, then per epoch: EPOCH_START,
 * PROGRESS (every progress_every batches), EPOCH_END; a run that ends
 * before its epochs ends with TIME_LIMIT or EARLY_STOP; then DONE, or
 * STOPPED when the callback asked to stop.  With [train] refit = true, the
 * first run ends with REFIT instead of DONE, and the refit's DATA, START,
 * epochs and DONE (or STOPPED) follow. */
typedef enum nlp_train_event_kind {
	NLP_TRAIN_DATA = 0,
	NLP_TRAIN_RESUMED,
	NLP_TRAIN_START,
	NLP_TRAIN_EPOCH_START,
	NLP_TRAIN_PROGRESS,
	NLP_TRAIN_EPOCH_END,
	NLP_TRAIN_TIME_LIMIT,
	NLP_TRAIN_EARLY_STOP,
	NLP_TRAIN_STOPPED_EVENT, /* the checkpoint is written; nlp_train returns
	                          * NLP_TRAIN_STOPPED */
	NLP_TRAIN_DONE,
	/* [train] refit = true: the first run has picked the epoch; the
	 * model now trains again, from its start, on all the documents
	 * (DATA, START, the epochs' events and DONE follow, with refit 2) */
	NLP_TRAIN_REFIT,
	/* [train] ensemble = K > 1: member `member` of `members` starts, with
	 * seed `seed`; its events follow (each with member and members set),
	 * and the ensemble's DONE (member 0) ends the run */
	NLP_TRAIN_MEMBER
} nlp_train_event_kind;

typedef struct nlp_train_event {
	nlp_train_event_kind kind;
	/* DATA: one data set was read */
	int validation;                 /* the validation data (else the training data) */
	const nlp_reader_stats *reader; /* what the reader read and skipped */
	uint64_t unlabelled;            /* left out: no known label */
	uint64_t refused;               /* left out: a stage refused them (named as warnings) */
	/* START and later: the run */
	size_t documents, validation_documents;
	int classes, threads;
	long epoch, epochs; /* 1-based epoch (RESUMED: epochs done), and [train] epochs */
	long step;          /* optimizer steps done */
	/* PROGRESS: the epoch so far */
	long batch, batches; /* 1-based batch of the epoch, batches in the epoch */
	double loss;         /* mean training loss of the epoch so far (EPOCH_END: all of it) */
	uint64_t tokens;     /* tokens trained on in this run's part of the epoch */
	double seconds;      /* since the epoch (this run's part of it) started; EPOCH_END:
	                      * with validation and saving */
	double tokens_per_second;
	/* EPOCH_END: validation figures (when validation_documents > 0) */
	double accuracy, macro_f1, validation_loss;
	int improved; /* the model was kept (saved to the output): best so far, or no
	               * validation */
	/* EPOCH_END, EARLY_STOP, TIME_LIMIT, DONE: the model kept so far */
	long best_epoch;
	double best;            /* its validation metric */
	const char *metric;     /* [train] metric: "accuracy", "macro_f1" or "loss";
	                         * "micro_f1" in multi-label runs */
	long patience;          /* EARLY_STOP: [train] early_stopping */
	double time_limit;      /* TIME_LIMIT: [train] time_limit */
	const char *checkpoint; /* RESUMED, STOPPED_EVENT: the checkpoint's path */
	const char *output;     /* DONE: the model's path */
	/* EPOCH_END of a multi-label run (some document has several labels):
	 * accuracy is the subset accuracy, macro_f1 the mean of the per-label
	 * F1, and micro_f1 (the metric, "micro_f1") picks the best model. */
	int multi_label;
	double micro_f1;
	/* START and later: fine-tuning (nlpipe/finetune.h): [pipeline]
	 * init_from ("" for none), the stages that came from it (", "-separated)
	 * and [train] freeze_epochs. */
	const char *init_from;
	const char *init_stages;
	long freeze_epochs;
	/* A language model (nlpipe/lm.h): labels are ignored (classes is the
	 * vocabulary size once the stages are set up, from START on),
	 * batches are windows of parallel token streams, the loss is the
	 * cross-entropy per token in nats, and EPOCH_END's validation figure is
	 * the perplexity (the metric, "perplexity"; accuracy and macro_f1 are
	 * NaN). */
	int lm;
	double perplexity;
	/* A sequence-to-sequence model (nlpipe/seq2seq.h): documents are
	 * source<TAB>target pairs, classes the vocabulary size, the loss is
	 * per target token, accuracy the validation's token accuracy (teacher
	 * forced) and macro_f1 its exact-match rate. */
	int s2s;
	/* From START on, a sequence-to-sequence model whose decoder has a
	 * target vocabulary of its own (vocabulary = own): its size (classes is
	 * then the sources' vocabulary); 0 with a shared one. */
	int target_classes;
	/* [train] refit = true: 1 in the first run (it picks the epoch by the
	 * validation data), 2 in the refit (from REFIT on: every document,
	 * no validation, epochs is the first run's best epoch); 0 without
	 * refit.  REFIT and the refit's DONE: best_epoch, best and metric are
	 * the first run's (its best epoch and validation figure), with
	 * first_documents and first_validation_documents, the documents it
	 * trained on and held out; documents is then what the refit trains on. */
	int refit;
	size_t first_documents, first_validation_documents;
	/* [train] ensemble = K > 1: members is K on every event; member is the
	 * member (1-based) whose run sent it, 0 on the ensemble's DONE (output:
	 * the ensemble's file); MEMBER: its seed. */
	int member, members;
	long seed;
	/* START and later, with init_from: 1 with [train] unfreeze = gradual
	 * (after freeze_epochs its stages start to train one per epoch, the one
	 * nearest the head first). */
	int unfreeze_gradual;
} nlp_train_event;

/* Called for every event; return 0 to go on, non-zero to ask the trainer to
 * stop: it finishes the step it is in (a stop asked outside the batches is
 * acted on after the next step), writes the checkpoint, sends
 * NLP_TRAIN_STOPPED_EVENT and nlp_train returns NLP_TRAIN_STOPPED.  The
 * callback may be NULL. */
typedef int (*nlp_train_fn)(void *user, const nlp_train_event *ev);

/* Check opts (the output's folder must exist and be writable), read the
 * pipeline file with opts->sets applied and build the pipeline with host h
 * (or, with opts->resume, load the checkpoint with the modules of h's
 * default search path), check that it is a classifier, and read [train].
 * No data is read yet.  On failure *out is NULL and err says why. */
int nlp_trainer_new(nlp_trainer **out, nlp_host *h, const char *pipeline_path,
                    const nlp_trainer_opts *opts, nlp_err *err);
void nlp_trainer_free(nlp_trainer *t);

/* Read the data through the text stages, build the vocabulary, set up the
 * stages and the optimizer (or restore them from the checkpoint), then
 * train.  Returns NLP_OK when the run ended (all epochs, early stopping or
 * the time limit; the best model is in opts.output), NLP_TRAIN_STOPPED when
 * the callback asked to stop, else an error.  Call it once per trainer. */
int nlp_train(nlp_trainer *t, nlp_train_fn fn, void *user, nlp_err *err);

/* Where the checkpoint goes (OUTPUT.ckpt). */
const char *nlp_trainer_checkpoint_path(const nlp_trainer *t);
/* The pipeline being trained (owned by the trainer). */
const nlp_pipeline *nlp_trainer_pipeline(const nlp_trainer *t);

#ifdef __cplusplus
}
#endif
#endif /* NLPIPE_TRAINER_H */
