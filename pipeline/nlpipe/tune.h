/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* nlpipe/tune.h - search a pipeline's options for the best validation
 * result: the API behind `nlpipe tune`.
 *
 * The [tune] section of a pipeline file names options (SECTION.KEY of a
 * stage or of [train]) and their candidates:
 *
 *     [tune]
 *     encode.hidden = 64, 128, 256              ; a list: one of these
 *     train.learning_rate = 0.0005 .. 0.01 log  ; a range, log-uniform
 *     embed.dim = 32 .. 128 int                 ; whole numbers, uniform
 *
 * The search is successive halving: configurations drawn with a seeded
 * generator are trained for the first rung's epochs; the best 1/eta of them
 * (by the [train] metric of their best epoch, on the same seeded validation
 * carve) go on to the next rung, eta times as many epochs, from their
 * checkpoints, up to [train] epochs.  The budget is epochs in total over
 * all trials (deterministic: the same pipeline, data, seed and budget give
 * the same result) or seconds.  The winner's pipeline file is the original
 * text with its values put in place and [tune] commented out.
 *
 *     nlp_tune_opts o = {.output = "best.ini", .data = data, .n_data = 1,
 *                        .budget_epochs = 300};
 *     nlp_tuner *t;
 *     if (nlp_tuner_new(&t, h, "sentiment.ini", &o, &err) ||
 *         nlp_tune(t, on_event, NULL, &err)) { ...err.msg... }
 *     nlp_tuner_free(t);
 *
 * The library prints nothing: the callback gets events (a leaderboard line
 * is NLP_TUNE_TRIAL_END).  Trials run one at a time, each with the [train]
 * threads; their models go to a temporary folder that is removed (or to
 * opts.keep_models, kept).  Ownership: the host and the strings in
 * nlp_tune_opts are borrowed and must outlive the tuner; what an event
 * points to is valid until the callback returns.
 */
#ifndef NLPIPE_TUNE_H
#define NLPIPE_TUNE_H

#include <stddef.h>

#include <nlpipe/nlpipe.h>
#include <nlpipe/trainer.h>

#ifdef __cplusplus
extern "C" {
#endif

/* nlp_tune's result when the callback asked it to stop (no output was
 * written).  Not an nlp_rc error code. */
#define NLP_TUNE_STOPPED NLP_TRAIN_STOPPED

/* ---- the search space: the [tune] section ---- */

typedef enum nlp_tune_kind {
	NLP_TUNE_LIST = 0, /* one of values[] */
	NLP_TUNE_RANGE     /* a number in [lo, hi] */
} nlp_tune_kind;

typedef struct nlp_tune_param {
	const char *section, *key; /* the option tuned: [section] key */
	const char *text;          /* the [tune] value as written */
	int line;                  /* its line in the pipeline file */
	nlp_tune_kind kind;
	const char *const *values; /* LIST: the candidates [n_values] */
	size_t n_values;
	double lo, hi; /* RANGE: the ends (included) */
	int log;       /* RANGE: log-uniform (else uniform) */
	int integer;   /* RANGE: whole numbers (an int option, or `int`) */
} nlp_tune_param;

typedef struct nlp_tune_space nlp_tune_space;

/* Read and check the [tune] section of ini against pipeline p (built from
 * ini): every key must be SECTION.KEY of one of p's stages or of [train]
 * (except the [train] options the search itself sets: epochs, seed,
 * validation, validation_data, metric, threads, time_limit,
 * checkpoint_every), every candidate and both ends of every range a valid
 * value of that option.  Every problem is reported, FILE:LINE: a line.  A
 * file without [tune] gives an empty space. */
int nlp_tune_space_new(nlp_tune_space **out, const nlp_ini *ini, const nlp_pipeline *p,
                       nlp_err *err);
void nlp_tune_space_free(nlp_tune_space *s);
size_t nlp_tune_space_count(const nlp_tune_space *s);
const nlp_tune_param *nlp_tune_space_param(const nlp_tune_space *s, size_t i);

/* Draw a value of param with rng, as the text an INI file holds ("128",
 * "0.00231": three significant digits, within [lo, hi]), into buf. */
void nlp_tune_sample(const nlp_tune_param *param, nlp_rng *rng, char *buf, size_t size);

/* A --budget: "20m", "90s", "2h" (time) or "300e" (epochs in total). */
int nlp_tune_budget_parse(const char *text, double *seconds, long *epochs, nlp_err *err);

/* ---- the search ---- */

typedef struct nlp_tuner nlp_tuner;

typedef struct nlp_tune_opts {
	const char *output;      /* the winner's pipeline file (required); its folder must exist */
	const char *const *data; /* labelled training data paths [n_data] (n_data >= 1) */
	size_t n_data;
	const nlp_reader_opts *reader; /* how to read it; NULL: defaults */
	long seed;                     /* of the configurations drawn; < 0: the [train] seed */
	long budget_epochs;            /* epochs in total over all trials, or 0 */
	double budget_seconds;         /* or a time budget (0: none) */
	long trials;                   /* at most this many configurations; 0: as the budget allows.
	                                * Without a budget it is required. */
	int eta;                       /* rung growth and the share kept (1/eta); 0: 3 */
	const char *keep_models;       /* a folder (it must exist) to train and keep the trials'
	                                * models in (trial-001.nlp...), or NULL: a temporary one */
} nlp_tune_opts;

/* What the tuner tells its callback: PLAN (once the number of trials is
 * known: at the start with an epoch budget or --trials, after the first
 * trial with a time budget), for each trial of each rung TRAIN events (the
 * trainer's, in ev->train) then TRIAL_END, after each rung RUNG_END; then
 * OUT_OF_TIME when the time budget ended the search early, and DONE. */
typedef enum nlp_tune_event_kind {
	NLP_TUNE_PLAN = 0,
	NLP_TUNE_TRAIN,
	NLP_TUNE_TRIAL_END,
	NLP_TUNE_RUNG_END,
	NLP_TUNE_OUT_OF_TIME,
	NLP_TUNE_DONE
} nlp_tune_event_kind;

typedef struct nlp_tune_event {
	nlp_tune_event_kind kind;
	const nlp_tune_space *space;
	/* PLAN */
	long trials;             /* configurations in the first rung */
	int rungs;               /* rungs: 0 .. rungs-1 */
	const long *rung_epochs; /* [rungs] epochs a trial has trained at the end of each */
	const long *rung_trials; /* [rungs] trials in each */
	long planned_epochs;     /* epochs in total */
	/* TRAIN */
	const nlp_train_event *train;
	/* TRAIN, TRIAL_END: the trial; RUNG_END: the rung; DONE: the winner */
	long trial;                /* 1-based */
	int rung;                  /* 0-based */
	long epochs;               /* the rung's epochs */
	int resumed;               /* the trial went on from its checkpoint of the rung before */
	const char *const *values; /* [nlp_tune_space_count] the trial's values */
	double metric;             /* its best epoch's validation metric */
	long best_epoch;
	const char *metric_name; /* [train] metric */
	double seconds;          /* TRIAL_END: the trial's run; others: since the start */
	long epochs_done;        /* epochs trained over all trials so far */
	long kept;               /* RUNG_END: trials promoted to the next rung */
	const char *model;       /* TRIAL_END: the trial's model (gone after the search
	                          * unless keep_models) */
	const char *output;      /* DONE */
} nlp_tune_event;

/* Called for every event; return non-zero to stop: the running trial stops
 * after its step, nothing is written and nlp_tune returns NLP_TUNE_STOPPED. */
typedef int (*nlp_tune_fn)(void *user, const nlp_tune_event *ev);

/* Check everything before any training: opts, the output's folder, the
 * pipeline file (with modules from h's search path), its [tune] section
 * (not empty), [train] (validation on, the rungs), the budget.  On failure
 * *out is NULL and err says why. */
int nlp_tuner_new(nlp_tuner **out, nlp_host *h, const char *pipeline_path,
                  const nlp_tune_opts *opts, nlp_err *err);
void nlp_tuner_free(nlp_tuner *t);
const nlp_tune_space *nlp_tuner_space(const nlp_tuner *t);

/* Run the search and write the winner's pipeline file (atomically).
 * NLP_OK, NLP_TUNE_STOPPED, or an error (a trial's: "trial 3 (encode.hidden
 * = 64, ...): ..."). Call it once. */
int nlp_tune(nlp_tuner *t, nlp_tune_fn fn, void *user, nlp_err *err);

#ifdef __cplusplus
}
#endif
#endif /* NLPIPE_TUNE_H */
