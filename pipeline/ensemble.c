/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* pipeline/ensemble.c - [train] ensemble = K: K models of one pipeline
 * trained one after the other with the seeds seed .. seed + K - 1 (each
 * a whole run: its own validation carve, early stopping and refit), stored
 * in one model file (format version 4: member 0's sections, then the others
 * as MEMBER sections); a classifier averages their probabilities
 * (classifier.c).  Members differ in their initial weights, the order of
 * their batches, their dropout and their validation carve. */
#define _GNU_SOURCE /* asprintf */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nlpipe/model.h"
#include "pipeline/ensemble.h"

/* The caller's callback, with the member's number on every event. */
typedef struct relay {
	const nlp_ensemble_run *run;
	int member; /* 1-based */
} relay;

static int relay_event(void *user, const nlp_train_event *ev)
{
	const relay *r = user;
	nlp_train_event e = *ev;

	e.member = r->member;
	e.members = (int)r->run->members;
	return r->run->fn ? r->run->fn(r->run->user, &e) : 0;
}

/* A member's model file and what its trainer may leave beside it. */
static void remove_member(const char *path)
{
	static const char *const ext[] = {"", ".ckpt", ".last"};
	char buf[4200];

	for (size_t i = 0; i < sizeof ext / sizeof *ext; i++)
		if ((size_t)snprintf(buf, sizeof buf, "%s%s", path, ext[i]) < sizeof buf)
			unlink(buf);
}

/* Member k (0-based) trained into path: the caller's settings, then its
 * seed, one model, and no checkpoint left behind. */
static int train_member(const nlp_ensemble_run *run, int k, const char *path, nlp_err *err)
{
	const nlp_trainer_opts *o = run->opts;
	const char **sets = malloc((o->n_sets + 3) * sizeof *sets);
	char seed[48];
	nlp_trainer_opts mo = *o;
	nlp_trainer *t = NULL;
	relay r = {run, k + 1};
	nlp_train_event ev = {.kind = NLP_TRAIN_MEMBER,
	                      .member = k + 1,
	                      .members = (int)run->members,
	                      .output = o->output};
	int rc;

	if (!sets)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	ev.seed = (run->seed + k) % 2147483648L;
	snprintf(seed, sizeof seed, "train.seed=%ld", ev.seed);
	if (o->n_sets)
		memcpy(sets, o->sets, o->n_sets * sizeof *sets);
	sets[o->n_sets] = "train.ensemble=1";
	sets[o->n_sets + 1] = "train.keep_checkpoint=false";
	sets[o->n_sets + 2] = seed;
	mo.sets = sets;
	mo.n_sets = o->n_sets + 3;
	mo.output = path;
	if (run->fn && run->fn(run->user, &ev)) {
		ev.kind = NLP_TRAIN_STOPPED_EVENT; /* asked before the member started */
		ev.output = NULL;
		run->fn(run->user, &ev);
		rc = NLP_TRAIN_STOPPED;
	} else if (!(rc = nlp_trainer_new(&t, run->host, run->pipeline_path, &mo, err)))
		rc = nlp_train(t, relay_event, &r, err);
	nlp_trainer_free(t);
	free(sets);
	return rc;
}

int nlp_ensemble_train(const nlp_ensemble_run *run, nlp_err *err)
{
	const char *out = run->opts->output;
	const int K = (int)run->members;
	char **paths = calloc((size_t)K, sizeof *paths);
	char note[200];
	int rc = NLP_OK, made = 0;

	if (!paths)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	for (int k = 0; k < K && !rc; k++) {
		if (asprintf(&paths[k], "%s.member%d", out, k + 1) < 0) {
			paths[k] = NULL;
			rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
			break;
		}
		made = k + 1;
		rc = train_member(run, k, paths[k], err);
	}
	snprintf(note, sizeof note,
	         "%d members, seeds %ld to %ld; a prediction averages their probabilities", K,
	         run->seed, (run->seed + K - 1) % 2147483648L);
	if (!rc &&
	    (rc = nlp_model_save_ensemble(out, (const char *const *)paths, (size_t)K, note, err))) {
		/* every member trained: keep them for another try, and say where */
		char msg[sizeof err->msg];
		snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
		nlp_err_set(err, rc,
		            "%s; the %d trained members are kept as %s .. %s (nlpipe predict "
		            "takes each; free the space and train again)",
		            msg, K, paths[0], paths[K - 1]);
		made = 0;
	}
	for (int k = 0; k < made; k++)
		remove_member(paths[k]);
	if (!rc && run->fn) {
		const nlp_train_event ev = {.kind = NLP_TRAIN_DONE, .members = K, .output = out};
		run->fn(run->user, &ev);
	}
	for (int k = 0; k < K; k++)
		free(paths[k]);
	free(paths);
	return rc;
}
