/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_trainer.c - the training API (nlpipe/trainer.h) on the bundled example
 * corpus: the events in their order, a stop asked by the callback (the
 * checkpoint, NLP_TRAIN_STOPPED), and a resumed run that ends with the
 * bytes of a run that never stopped; bad options refused. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nlpipe/trainer.h"
#include "tests/tap.h"
#include "tests/train/trainer_util.h"

/* What a run's callback saw. */
typedef struct seen {
	nlp_train_event_kind kinds[512];
	int n;
	int progress, epoch_ends, stop_at_progress, stop_at_start;
	long stopped_step, resumed_epoch, resumed_step;
	uint64_t data_docs;
	char checkpoint[4096];
} seen;

static int on_event(void *user, const nlp_train_event *ev)
{
	seen *s = user;

	if (s->n < 512)
		s->kinds[s->n++] = ev->kind;
	switch (ev->kind) {
	case NLP_TRAIN_DATA:
		s->data_docs = ev->reader->docs;
		break;
	case NLP_TRAIN_RESUMED:
		s->resumed_epoch = ev->epoch;
		s->resumed_step = ev->step;
		break;
	case NLP_TRAIN_PROGRESS:
		s->progress++;
		return s->stop_at_progress && s->progress == s->stop_at_progress;
	case NLP_TRAIN_EPOCH_END:
		s->epoch_ends++;
		break;
	case NLP_TRAIN_STOPPED_EVENT:
		s->stopped_step = ev->step;
		snprintf(s->checkpoint, sizeof s->checkpoint, "%s", ev->checkpoint);
		break;
	default:
		break;
	}
	return ev->kind == NLP_TRAIN_START && s->stop_at_start;
}

/* One run of ini (NULL: o->resume's) with s's callback. */
static int run(const char *ini, nlp_trainer_opts *o, seen *s, char *ckpt, size_t ckpt_size)
{
	return tu_train(ini, o, on_event, s, ckpt, ckpt_size);
}

static void check_refusals(const char *ini, const char *data)
{
	nlp_trainer *t = (nlp_trainer *)1;
	nlp_host *h = NULL;
	nlp_err err = {0};
	nlp_trainer_opts o = {.output = "", .data = &data, .n_data = 1};

	nlp_host_new(&h, &err);
	is_int(nlp_trainer_new(&t, h, ini, &(nlp_trainer_opts){0}, &err), NLP_ECONFIG,
	       "no output and no data: NLP_ECONFIG");
	ok(t == NULL, "a failed nlp_trainer_new leaves *out NULL");
	is_int(nlp_trainer_new(&t, h, ini, &o, &err), NLP_ECONFIG, "an empty output: NLP_ECONFIG");
	like(err.msg, "the model path is empty", "... and says so");
	o.output = "/nonexistent-folder/m.nlp";
	is_int(nlp_trainer_new(&t, h, ini, &o, &err), NLP_EIO,
	       "an output in a missing folder: NLP_EIO");
	like(err.msg, "does not exist", "... and says so");
	nlp_host_free(h);
}

int main(void)
{
	const char *src = getenv("NLP_TOP_SRCDIR");
	const char *sets[] = {"train.threads=1", "train.epochs=3", "train.early_stopping=0"};
	char ini[4096], data[4096], dir[] = "/tmp/nlp_t_trainer.XXXXXX", a[4200], b[4200];
	char ckpt[4200], path[4200];
	const char *dp = data;
	nlp_trainer_opts o = {.data = &dp, .n_data = 1, .sets = sets, .n_sets = 3};
	seen sa = {0}, sb = {0}, sc = {0}, sd = {0};
	int rc;

	if (!src || !getenv("NLPIPE_PLUGIN_PATH"))
		skip_all("run through make check (NLP_TOP_SRCDIR, NLPIPE_PLUGIN_PATH)");
	snprintf(ini, sizeof ini, "%s/examples/sentiment.ini", src);
	snprintf(data, sizeof data, "%s/examples/reviews", src);
	snprintf(path, sizeof path, "%s/data", src);
	setenv("NLPIPE_DATA_DIR", path, 1);
	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	if (!mkdtemp(dir))
		skip_all("cannot make a temporary folder");
	nlp_numerics_init();
	check_refusals(ini, data);

	/* A whole run, progress every 5 batches (12 batches an epoch). */
	snprintf(a, sizeof a, "%s/a.nlp", dir);
	o.output = a;
	o.progress_every = 5;
	rc = run(ini, &o, &sa, NULL, 0);
	is_int(rc, NLP_OK, "a whole run: NLP_OK");
	is_int(sa.kinds[0], NLP_TRAIN_DATA, "the first event: DATA");
	is_int((long long)sa.data_docs, 400, "... with the reader's 400 documents");
	is_int(sa.kinds[1], NLP_TRAIN_START, "then START");
	is_int(sa.kinds[2], NLP_TRAIN_EPOCH_START, "then EPOCH_START");
	is_int(sa.n > 0 ? (int)sa.kinds[sa.n - 1] : -1, NLP_TRAIN_DONE, "the last event: DONE");
	is_int(sa.epoch_ends, 3, "three EPOCH_END");
	is_int(sa.progress, 9, "PROGRESS after batches 5, 10 and 12 of each epoch");

	/* Stopped by the callback after the 4th step, then resumed. */
	snprintf(b, sizeof b, "%s/b.nlp", dir);
	o.output = b;
	o.progress_every = 0;
	sb.stop_at_progress = 4;
	rc = run(ini, &o, &sb, ckpt, sizeof ckpt);
	is_int(rc, NLP_TRAIN_STOPPED, "a stop asked by the callback: NLP_TRAIN_STOPPED");
	is_int(sb.kinds[sb.n - 1], NLP_TRAIN_STOPPED_EVENT, "... the last event: STOPPED_EVENT");
	is_int(sb.stopped_step, 4, "... after the step the callback saw");
	is_str(sb.checkpoint, ckpt, "... naming the checkpoint");
	ok(access(ckpt, R_OK) == 0, "... which was written");
	ok(access(b, R_OK) != 0, "... and no model yet (no epoch ended)");
	o.resume = ckpt;
	o.n_sets = 2; /* [train] only; the pipeline comes from the checkpoint */
	rc = run(NULL, &o, &sc, NULL, 0);
	is_int(rc, NLP_OK, "the resumed run: NLP_OK");
	is_int(sc.resumed_step, 4, "RESUMED: 4 steps done");
	is_int(sc.resumed_epoch, 0, "RESUMED: no epoch done");
	ok(tu_same_file(a, b), "the resumed run's model has the bytes of the run never stopped");

	/* A stop asked outside the batches takes effect after the next step. */
	o.resume = NULL;
	o.n_sets = 3;
	sd.stop_at_start = 1;
	rc = run(ini, &o, &sd, NULL, 0);
	is_int(rc, NLP_TRAIN_STOPPED, "a stop asked at START: NLP_TRAIN_STOPPED");
	is_int(sd.stopped_step, 1, "... after one step");

	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	if (system(path) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
