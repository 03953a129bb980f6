/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_refit_api.c - [train] refit through the training API (nlpipe/trainer.h) on
 * the bundled example corpus: the events of both phases; the refit of a
 * linear schedule has the parameters of a run on every document for the
 * first run's 40-epoch horizon stopped after its best epoch E (and not those
 * of a schedule stretched over E epochs); a run stopped in the refit, or in
 * the first run, and resumed ends with the bytes of a run never stopped; a
 * run that stopped early resumes as stopped.
 * Parameters are compared by tests/train/paramcmp. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nlpipe/trainer.h"
#include "tests/tap.h"
#include "tests/train/trainer_util.h"

/* What a run's callback saw. */
typedef struct seen {
	nlp_train_event_kind kinds[1024];
	int refit[1024]; /* each event's refit phase */
	int n;
	int epoch_ends[3]; /* by phase */
	int progress[3];
	int stop_phase, stop_at_progress; /* stop at that PROGRESS of that phase */
	long stop_at_epoch;               /* stop at that EPOCH_END (phase 0) */
	nlp_train_event refit_ev, start_ev, done_ev;
} seen;

static int on_event(void *user, const nlp_train_event *ev)
{
	seen *s = user;

	if (s->n < 1024) {
		s->refit[s->n] = ev->refit;
		s->kinds[s->n++] = ev->kind;
	}
	switch (ev->kind) {
	case NLP_TRAIN_REFIT:
		s->refit_ev = *ev;
		break;
	case NLP_TRAIN_START:
		s->start_ev = *ev;
		break;
	case NLP_TRAIN_DONE:
		s->done_ev = *ev;
		break;
	case NLP_TRAIN_PROGRESS:
		s->progress[ev->refit]++;
		return s->stop_at_progress && ev->refit == s->stop_phase &&
		       s->progress[ev->refit] == s->stop_at_progress;
	case NLP_TRAIN_EPOCH_END:
		s->epoch_ends[ev->refit]++;
		return s->stop_at_epoch && ev->epoch == s->stop_at_epoch;
	default:
		break;
	}
	return 0;
}

/* One run of the pipeline ini (NULL: opts->resume) with sets; returns
 * nlp_train's code (or nlp_trainer_new's). */
static int run(const char *ini, const char *data, const char *out, const char *resume,
               const char *const *sets, size_t n_sets, seen *s)
{
	const nlp_trainer_opts o = {.output = out,
	                            .data = &data,
	                            .n_data = 1,
	                            .sets = sets,
	                            .n_sets = n_sets,
	                            .resume = resume};

	return tu_train(ini, &o, on_event, s, NULL, 0);
}

/* A refit run into out stopped at the at-th PROGRESS of phase, then
 * resumed from its checkpoint (its events into *q); returns the stopped
 * run's code, the resumed run's in *resumed_rc. */
static int stop_resume(const char *ini, const char *data, const char *out, int phase, int at,
                       seen *q, int *resumed_rc)
{
	const char *refit[] = {"train.refit=true"};
	char ck[4300];
	seen s = {0};
	int rc;

	s.stop_phase = phase;
	s.stop_at_progress = at;
	snprintf(ck, sizeof ck, "%s.ckpt", out);
	rc = run(ini, data, out, NULL, refit, 1, &s);
	*resumed_rc = run(NULL, data, out, ck, NULL, 0, q);
	return rc;
}

/* paramcmp's answer for stage of models a and b: 1 same, 0 not. */
static int same_stage(const char *a, const char *b, const char *stage)
{
	char cmd[8192];

	snprintf(cmd, sizeof cmd, "'%s/tests/train/paramcmp' '%s' %s '%s' %s >/dev/null",
	         getenv("NLP_TOP_BUILDDIR"), a, stage, b, stage);
	return system(cmd) == 0;
}

/* The index of the first event of kind in s at or after from; -1: none. */
static int find(const seen *s, int from, nlp_train_event_kind kind)
{
	for (int i = from; i < s->n; i++)
		if (s->kinds[i] == kind)
			return i;
	return -1;
}

static void write_ini(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		skip_all("cannot write the pipeline file");
	fputs("[pipeline]\nstages = tokenize, bag, classify\n\n"
	      "[tokenize]\ntype = tokenizer\n\n"
	      "[bag]\ntype = bag\ndim = 8\nngrams = 2\nbuckets = 4096\nnb = on\n\n"
	      "[classify]\ntype = softmax\n\n"
	      "[train]\nepochs = 40\nbatch = 16\nthreads = 1\nlearning_rate = 0.003\n"
	      "schedule = linear\nwarmup = 5\nvalidation = 0.2\nearly_stopping = 3\nseed = 2\n",
	      f);
	fclose(f);
}

/* The refit run r and its events. */
static void check_events(const seen *r, long *e)
{
	const int at = find(r, 0, NLP_TRAIN_REFIT);
	const int start2 = find(r, at < 0 ? r->n : at, NLP_TRAIN_START);

	*e = r->refit_ev.epochs;
	diag("the first run kept epoch %ld (validation accuracy %.4f)", *e, r->refit_ev.best);
	ok(at > 0 && r->refit[at] == 1, "a REFIT event ends the first run");
	ok(*e >= 2 && *e < r->epoch_ends[1], "... at its best epoch, before its last");
	is_int(r->refit_ev.best_epoch, *e, "... REFIT: best_epoch is the refit's epochs");
	is_int((long long)r->refit_ev.first_documents, 320, "... 320 documents trained on");
	is_int((long long)r->refit_ev.first_validation_documents, 80, "... 80 held out");
	is_int((long long)r->refit_ev.documents, 400, "... the refit's 400");
	ok(find(r, 0, NLP_TRAIN_DONE) > at, "no DONE before the refit");
	ok(start2 > at && r->kinds[at + 1] == NLP_TRAIN_DATA, "the refit reads its data again");
	ok(start2 > 0 && r->refit[start2] == 2, "... and starts (START, refit 2)");
	is_int((long long)r->start_ev.documents, 400, "... on 400 documents");
	is_int((long long)r->start_ev.validation_documents, 0, "... none held out");
	is_int(r->start_ev.epochs, *e, "... for E epochs");
	is_int(r->epoch_ends[2], *e, "the refit runs E epochs");
	is_int(r->n ? (int)r->kinds[r->n - 1] : -1, NLP_TRAIN_DONE, "DONE ends the run");
	is_int(r->done_ev.refit, 2, "... refit 2");
	is_int(r->done_ev.best_epoch, *e, "... best_epoch: E");
	is_double(r->done_ev.best, r->refit_ev.best, 1e-6, "... best: the first run's figure");
	is_int((long long)r->done_ev.first_validation_documents, 80, "... and its documents");
}

/* A run that stopped early, resumed from its last checkpoint: it stops
 * again at once (no epoch more) and keeps the model; into another output
 * it is an error (the checkpoint holds the last epoch, not the best). */
static void check_early_stop_resume(const char *ini, const char *data, const char *dir)
{
	char a[4200], a0[4200], b[4200], ck[4300], cmd[8600];
	seen sa = {0}, sb = {0}, sc = {0};

	snprintf(a, sizeof a, "%s/early.nlp", dir);
	snprintf(a0, sizeof a0, "%s/early0.nlp", dir);
	snprintf(b, sizeof b, "%s/early2.nlp", dir);
	snprintf(ck, sizeof ck, "%s.ckpt", a);
	is_int(run(ini, data, a, NULL, NULL, 0, &sa), NLP_OK, "an early-stopping run: NLP_OK");
	diag("it stopped after %d of 40 epochs", sa.epoch_ends[0]);
	ok(find(&sa, 0, NLP_TRAIN_EARLY_STOP) > 0 && sa.epoch_ends[0] < 40, "... it stops early");
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", a, a0);
	if (system(cmd) != 0)
		diag("cannot copy %s", a);
	is_int(run(NULL, data, a, ck, NULL, 0, &sb), NLP_OK, "resumed from its checkpoint: NLP_OK");
	ok(find(&sb, 0, NLP_TRAIN_EARLY_STOP) > 0 && find(&sb, 0, NLP_TRAIN_EPOCH_START) < 0,
	   "... it stops again without another epoch");
	is_int(sb.done_ev.best_epoch, sa.done_ev.best_epoch, "... the same best epoch");
	ok(tu_same_file(a, a0), "... and the model keeps its bytes");
	is_int(run(NULL, data, b, ck, NULL, 0, &sc), NLP_EDATA,
	       "resumed into another output: NLP_EDATA (the best model is not there)");
	ok(access(b, F_OK) != 0, "... and nothing is written there");
}

int main(void)
{
	const char *src = getenv("NLP_TOP_SRCDIR");
	const char *refit[] = {"train.refit=true"};
	const char *v0[] = {"train.validation=0", "train.epochs=40", "train.early_stopping=0"};
	char dir[] = "/tmp/nlp_t_refit.XXXXXX", ini[4200], data[4096], path[4200];
	char r[4200], l[4200], s2[4200], s1[4200], stretched[4200], set_e[64];
	seen sr = {0}, sl = {0}, sq = {0}, sp = {0}, sx = {0};
	long e = 0;
	int rc;

	if (!src || !getenv("NLPIPE_PLUGIN_PATH") || !getenv("NLP_TOP_BUILDDIR"))
		skip_all("run through make check (NLP_TOP_SRCDIR, NLPIPE_PLUGIN_PATH)");
	snprintf(data, sizeof data, "%s/examples/reviews", src);
	snprintf(path, sizeof path, "%s/data", src);
	setenv("NLPIPE_DATA_DIR", path, 1);
	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	if (!mkdtemp(dir))
		skip_all("cannot make a temporary folder");
	nlp_numerics_init();
	snprintf(ini, sizeof ini, "%s/bag.ini", dir);
	write_ini(ini);

	snprintf(r, sizeof r, "%s/r.nlp", dir);
	is_int(run(ini, data, r, NULL, refit, 1, &sr), NLP_OK, "a refit run: NLP_OK");
	check_events(&sr, &e);

	/* The refit replays the first run's rates: a run on every document
	 * for the 40 epochs of the schedule, stopped after epoch E. */
	snprintf(l, sizeof l, "%s/l.nlp", dir);
	sl.stop_at_epoch = e;
	run(ini, data, l, NULL, v0, 3, &sl);
	ok(same_stage(r, l, "bag") && same_stage(r, l, "classify"),
	   "the refit's parameters are those of epoch E of a 40-epoch run on every document");
	snprintf(stretched, sizeof stretched, "%s/x.nlp", dir);
	snprintf(set_e, sizeof set_e, "train.epochs=%ld", e);
	{
		const char *xs[] = {"train.validation=0", set_e};
		run(ini, data, stretched, NULL, xs, 2, &sx);
	}
	ok(!same_stage(r, stretched, "classify"),
	   "... not those of the linear schedule stretched over E epochs");

	/* Stopped in the refit, resumed: the bytes of the run never stopped. */
	snprintf(s2, sizeof s2, "%s/s2.nlp", dir);
	is_int(stop_resume(ini, data, s2, 2, 30, &sq, &rc), NLP_TRAIN_STOPPED,
	       "stopped in the refit: NLP_TRAIN_STOPPED");
	is_int(rc, NLP_OK, "resumed in the refit: NLP_OK");
	ok(find(&sq, 0, NLP_TRAIN_REFIT) < 0 && sq.start_ev.refit == 2,
	   "... it goes on with the refit (no first run)");
	is_int(sq.done_ev.best_epoch, e, "... for E epochs");
	ok(tu_same_file(r, s2), "... and ends with the bytes of the run never stopped");

	/* Stopped in the first run, resumed: that run, then the refit. */
	snprintf(s1, sizeof s1, "%s/s1.nlp", dir);
	is_int(stop_resume(ini, data, s1, 1, 50, &sp, &rc), NLP_TRAIN_STOPPED,
	       "stopped in the first run: NLP_TRAIN_STOPPED");
	is_int(rc, NLP_OK, "resumed in the first run: NLP_OK");
	ok(find(&sp, 0, NLP_TRAIN_REFIT) > 0, "... it ends the first run, then refits");
	ok(tu_same_file(r, s1), "... and ends with the bytes of the run never stopped");

	check_early_stop_resume(ini, data, dir);

	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	if (system(path) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
