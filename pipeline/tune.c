/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* tune.c - the search of nlpipe tune (nlpipe/tune.h): successive halving
 * over configurations drawn from the [tune] space, each trial trained by the
 * trainer and promoted from its checkpoint, and the winner's pipeline file. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nlpipe/runner.h"
#include "nlpipe/trainer.h"
#include "nlpipe/tune.h"
#include "pipeline/internal.h"

#define MAX_RUNGS    32
#define MAX_TRIALS   100000
#define PIPELINE_MAX (4u << 20)

typedef struct trial {
	char **values; /* [space count] */
	char **sets;   /* [space count + 4]: SECTION.KEY=VALUE, then train.epochs=E,
	                * train.refit=false, train.ensemble=1 and
	                * train.keep_checkpoint=true (while a trial trains from its
	                * start) */
	char *model;   /* DIR/trial-NNN.nlp */
	double metric; /* of its best epoch so far */
	long best_epoch;
	int rung; /* the last rung it finished; -1: none */
} trial;

struct nlp_tuner {
	nlp_host *host;   /* borrowed */
	nlp_tune_opts o;  /* pointers borrowed */
	const char *path; /* borrowed */
	char *text;       /* the pipeline file as read */
	size_t text_len;
	nlp_ini *ini;
	nlp_pipeline *p;
	nlp_tune_space *space;
	nlp_config *tc; /* [train] */
	size_t np;      /* parameters */
	int loss;       /* the metric is a loss: lower is better */
	const char *metric;
	int eta, rungs;
	long e[MAX_RUNGS];  /* epochs at the end of each rung */
	long nk[MAX_RUNGS]; /* trials in each rung */
	long n;             /* trials planned; 0: not yet (time budget) */
	trial *tr;
	size_t ntr;
	nlp_rng rng;
	char *dir; /* where the models go */
	nlp_tune_fn fn;
	void *user;
	int stop, out_of_time, ran;
	double started;
	long epochs_done;
	long cur; /* the running trial, or -1 */
	int cur_rung;
};

/* ---- events ---- */

static nlp_tune_event event(const nlp_tuner *t, nlp_tune_event_kind kind)
{
	nlp_tune_event ev;

	memset(&ev, 0, sizeof ev);
	ev.kind = kind;
	ev.space = t->space;
	ev.trials = t->n;
	ev.rungs = t->rungs;
	ev.rung_epochs = t->e;
	ev.rung_trials = t->nk;
	ev.metric_name = t->metric;
	ev.seconds = nlp_clock_seconds() - t->started;
	ev.epochs_done = t->epochs_done;
	return ev;
}

/* The event of trial i (its values, metric) at rung r. */
static nlp_tune_event trial_event(const nlp_tuner *t, nlp_tune_event_kind kind, long i, int r)
{
	nlp_tune_event ev = event(t, kind);
	const trial *tr = &t->tr[i];

	ev.trial = i + 1;
	ev.rung = r;
	ev.epochs = t->e[r];
	ev.resumed = r > 0;
	ev.values = (const char *const *)tr->values;
	ev.metric = tr->metric;
	ev.best_epoch = tr->best_epoch;
	ev.model = tr->model;
	return ev;
}

static void emit(nlp_tuner *t, const nlp_tune_event *ev)
{
	if (t->fn && t->fn(t->user, ev))
		t->stop = 1;
}

/* ---- the plan ---- */

/* Trials in each rung for n trials (into nk); returns the epochs in all. */
static long plan_cost(const nlp_tuner *t, long n, long *nk)
{
	long cost = 0, prev = 0, div = 1;

	for (int k = 0; k < t->rungs; k++) {
		nk[k] = n / div > 0 ? n / div : 1;
		cost += nk[k] * (t->e[k] - prev);
		prev = t->e[k];
		div *= t->eta;
	}
	return cost;
}

/* As many trials as budget epochs pay for (at least one), at most cap. */
static long trials_for(const nlp_tuner *t, long budget, long cap)
{
	long nk[MAX_RUNGS], n = 1;

	while (n < cap && plan_cost(t, n + 1, nk) <= budget)
		n++;
	return n;
}

/* Rung epochs: [train] epochs divided by eta as often as a whole epoch
 * stays, e.g. 9 epochs, eta 3: 1, 3, 9. */
static void make_rungs(nlp_tuner *t)
{
	const long R = nlp_config_int(t->tc, "epochs");
	long div = 1;

	t->rungs = 1;
	while (t->rungs < MAX_RUNGS && div * t->eta <= R) {
		div *= t->eta;
		t->rungs++;
	}
	for (int k = 0; k < t->rungs; k++) {
		t->e[k] = R / div;
		div /= t->eta > 0 ? t->eta : 1;
		if (div == 0)
			div = 1;
	}
	t->e[t->rungs - 1] = R;
}

/* Fix the number of trials: n, then the plan event. */
static void set_plan(nlp_tuner *t, long n)
{
	nlp_tune_event ev;

	t->n = n;
	ev = event(t, NLP_TUNE_PLAN);
	ev.planned_epochs = plan_cost(t, n, t->nk);
	ev.trials = n;
	emit(t, &ev);
}

/* ---- trials ---- */

static void trial_free(trial *tr, size_t np)
{
	for (size_t k = 0; k < np; k++) {
		if (tr->values)
			free(tr->values[k]);
		if (tr->sets)
			free(tr->sets[k]);
	}
	free(tr->values);
	free(tr->sets);
	free(tr->model);
}

/* Trial number t->ntr: its values drawn from the space, its sets and its
 * model's path. */
static int new_trial(nlp_tuner *t, nlp_err *err)
{
	trial *nt = realloc(t->tr, (t->ntr + 1) * sizeof *nt), *tr;
	char buf[256];
	size_t len;
	int oom = 0;

	if (!nt)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	t->tr = nt;
	tr = &t->tr[t->ntr++];
	memset(tr, 0, sizeof *tr);
	tr->rung = -1;
	tr->values = calloc(t->np + 1, sizeof *tr->values);
	tr->sets = calloc(t->np + 4, sizeof *tr->sets);
	len = strlen(t->dir) + 32;
	tr->model = malloc(len);
	if (!tr->values || !tr->sets || !tr->model)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	snprintf(tr->model, len, "%s/trial-%03zu.nlp", t->dir, t->ntr);
	for (size_t k = 0; k < t->np; k++) {
		const nlp_tune_param *pr = nlp_tune_space_param(t->space, k);
		nlp_tune_sample(pr, &t->rng, buf, sizeof buf);
		tr->values[k] = strdup(buf);
		len = strlen(pr->section) + strlen(pr->key) + strlen(buf) + 3;
		tr->sets[k] = malloc(len);
		if (!tr->values[k] || !tr->sets[k])
			oom = 1;
		else
			snprintf(tr->sets[k], len, "%s.%s=%s", pr->section, pr->key, buf);
	}
	return oom ? nlp_err_set(err, NLP_ENOMEM, "out of memory") : NLP_OK;
}

/* The trainer's events: the DONE figures, forwarded as TRAIN events; a stop
 * when the caller asks or the time budget is spent. */
static int on_train(void *user, const nlp_train_event *ev)
{
	nlp_tuner *t = user;
	trial *tr = &t->tr[t->cur];
	nlp_tune_event te = trial_event(t, NLP_TUNE_TRAIN, t->cur, t->cur_rung);

	if (ev->kind == NLP_TRAIN_EPOCH_END)
		t->epochs_done++;
	if (ev->kind == NLP_TRAIN_DONE) {
		tr->metric = ev->best;
		tr->best_epoch = ev->best_epoch;
	}
	te.train = ev;
	emit(t, &te);
	if (t->o.budget_seconds > 0 && nlp_clock_seconds() - t->started >= t->o.budget_seconds)
		t->out_of_time = 1;
	return t->stop || t->out_of_time;
}

/* "trial 3 (encode.hidden = 64, ...): " in front of err's message. */
static int trial_error(const nlp_tuner *t, long i, int rc, nlp_err *err)
{
	char head[512], msg[sizeof err->msg];
	size_t used;

	used = (size_t)snprintf(head, sizeof head, "trial %ld (", i + 1);
	for (size_t k = 0; k < t->np && used < sizeof head; k++) {
		const nlp_tune_param *pr = nlp_tune_space_param(t->space, k);
		used += (size_t)snprintf(head + used, sizeof head - used, "%s%s.%s = %s",
		                         k ? ", " : "", pr->section, pr->key, t->tr[i].values[k]);
	}
	memcpy(msg, err->msg, sizeof msg);
	nlp_err_set(err, rc, "%s): %s", head, msg);
	return rc;
}

/* Train trial i to the epochs of rung r: from the pipeline file with its
 * values at rung 0, else on from its checkpoint.  NLP_TUNE_STOPPED when
 * stopped (asked, or out of time). */
static int run_trial(nlp_tuner *t, long i, int r, nlp_err *err)
{
	trial *tr = &t->tr[i];
	nlp_trainer_opts o = {0};
	nlp_trainer *tn = NULL;
	char epochs[64], ckpt[4096];
	const char *one[1] = {epochs};
	double t0 = nlp_clock_seconds();
	nlp_tune_event ev;
	int rc;

	snprintf(epochs, sizeof epochs, "train.epochs=%ld", t->e[r]);
	snprintf(ckpt, sizeof ckpt, "%s.ckpt", tr->model);
	o.output = tr->model;
	o.data = t->o.data;
	o.n_data = t->o.n_data;
	o.reader = t->o.reader;
	o.progress_every = 10;
	if (r == 0) {
		/* A trial is judged by its validation; a refit or other members
		 * would only cost time (the winner's pipeline file keeps [train]
		 * refit and ensemble). */
		tr->sets[t->np] = epochs;
		tr->sets[t->np + 1] = "train.refit=false";
		tr->sets[t->np + 2] = "train.ensemble=1";
		tr->sets[t->np + 3] = "train.keep_checkpoint=true"; /* the next rungs' start */
		o.sets = (const char *const *)tr->sets;
		o.n_sets = t->np + 4;
	} else {
		o.resume = ckpt;
		o.sets = one;
		o.n_sets = 1;
	}
	t->cur = i;
	t->cur_rung = r;
	rc = nlp_trainer_new(&tn, t->host, r == 0 ? t->path : NULL, &o, err);
	if (!rc)
		rc = nlp_train(tn, on_train, t, err);
	nlp_trainer_free(tn);
	tr->sets[t->np] = NULL;
	tr->sets[t->np + 1] = NULL;
	tr->sets[t->np + 2] = NULL;
	tr->sets[t->np + 3] = NULL;
	t->cur = -1;
	if (rc == NLP_TRAIN_STOPPED)
		return NLP_TUNE_STOPPED;
	if (rc)
		return trial_error(t, i, rc, err);
	tr->rung = r;
	ev = trial_event(t, NLP_TUNE_TRIAL_END, i, r);
	ev.seconds = nlp_clock_seconds() - t0;
	emit(t, &ev);
	return t->stop ? NLP_TUNE_STOPPED : NLP_OK;
}

/* Is trial a better than trial b?  Ties go to the earlier trial. */
static int beats(const nlp_tuner *t, long a, long b)
{
	double ma = t->tr[a].metric, mb = t->tr[b].metric;

	if (ma != mb)
		return t->loss ? ma < mb : ma > mb;
	return a < b;
}

/* The trials that finished rung r, best first, into idx; returns how many. */
static long ranked(const nlp_tuner *t, int r, long *idx)
{
	long m = 0;

	for (long i = 0; i < (long)t->ntr; i++) {
		long j = m++;
		if (t->tr[i].rung < r) {
			m--;
			continue;
		}
		while (j > 0 && beats(t, i, idx[j - 1])) { /* insertion: few trials */
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = i;
	}
	return m;
}

/* Rung 0: the trials drawn one after the other; with a time budget the
 * number of trials comes from the first one's time. */
static int first_rung(nlp_tuner *t, nlp_err *err)
{
	int rc = NLP_OK;

	for (long i = 0; !rc && (t->n == 0 || i < t->n); i++) {
		double t0 = nlp_clock_seconds();
		if (t->out_of_time)
			break;
		rc = new_trial(t, err);
		if (!rc)
			rc = run_trial(t, i, 0, err);
		if (!rc && t->n == 0) {
			/* seconds per epoch, data reading included */
			double per = (nlp_clock_seconds() - t0) / (double)t->e[0];
			double budget = t->o.budget_seconds / (per > 1e-6 ? per : 1e-6);
			long cap = t->o.trials > 0 ? t->o.trials : MAX_TRIALS;
			set_plan(t, trials_for(t, budget < 1e9 ? (long)budget : 1000000000L, cap));
		}
	}
	return rc;
}

/* Successive halving: rung 0, then the best 1/eta of each rung on to the
 * next; stops early when the time budget is spent. */
static int halve(nlp_tuner *t, long *idx, nlp_err *err)
{
	int rc = first_rung(t, err);

	for (int r = 1; !rc && r <= t->rungs && !t->out_of_time; r++) {
		long m = ranked(t, r - 1, idx);
		long keep = r == t->rungs ? 0 : t->nk[r] < m ? t->nk[r] : m;
		nlp_tune_event ev = event(t, NLP_TUNE_RUNG_END);
		ev.rung = r - 1;
		ev.epochs = t->e[r - 1];
		ev.kept = keep;
		emit(t, &ev);
		if (t->stop)
			return NLP_TUNE_STOPPED;
		for (long j = 0; !rc && j < keep && !t->out_of_time; j++)
			rc = run_trial(t, idx[j], r, err);
	}
	if (rc == NLP_TUNE_STOPPED && t->out_of_time && !t->stop)
		rc = NLP_OK; /* the trial cut short does not count */
	return rc;
}

/* ---- the winner's pipeline file ---- */

/* Write the original text with the winner's values in place and [tune]
 * commented out. */
static void write_best(const nlp_tuner *t, long w, FILE *f)
{
	const int tune_at = nlp_ini_line(t->ini, "tune", NULL);
	int tune_end = 1 << 30, line = 1;
	const char *s = t->text, *end = t->text + t->text_len;

	for (size_t i = 0; i < nlp_ini_section_count(t->ini); i++) {
		int l;
		nlp_ini_section(t->ini, i, &l);
		if (l > tune_at && l < tune_end)
			tune_end = l;
	}
	for (; s < end; line++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		int done = 0;
		for (size_t k = 0; k < t->np; k++) {
			const nlp_tune_param *pr = nlp_tune_space_param(t->space, k);
			if (nlp_ini_line(t->ini, pr->section, pr->key) == line) {
				size_t ind = strspn(s, " \t");
				fprintf(f, "%.*s%s = %s\n", (int)ind, s, pr->key,
				        t->tr[w].values[k]);
				done = 1;
			}
		}
		if (line == tune_at)
			fprintf(f,
			        "; nlpipe tune put in the values of trial %ld, the best of %zu "
			        "(validation %s %.4f at epoch %ld),\n; searched in:\n",
			        w + 1, t->ntr, t->metric, t->tr[w].metric, t->tr[w].best_epoch);
		if (line >= tune_at && line < tune_end)
			fprintf(f, ";%s%.*s\n", n ? " " : "", (int)n, s);
		else if (!done)
			fprintf(f, "%.*s\n", (int)n, s);
		/* keys the file does not set go after their section's header */
		for (size_t k = 0; k < t->np; k++) {
			const nlp_tune_param *pr = nlp_tune_space_param(t->space, k);
			if (nlp_ini_line(t->ini, pr->section, NULL) == line &&
			    !nlp_ini_line(t->ini, pr->section, pr->key))
				fprintf(f, "%s = %s\n", pr->key, t->tr[w].values[k]);
		}
		s = nl ? nl + 1 : end;
	}
	/* [train] when the file has none */
	for (size_t k = 0, head = 0; k < t->np; k++) {
		const nlp_tune_param *pr = nlp_tune_space_param(t->space, k);
		if (nlp_ini_line(t->ini, pr->section, NULL))
			continue;
		if (!head++)
			fprintf(f, "\n[%s]\n", pr->section);
		fprintf(f, "%s = %s\n", pr->key, t->tr[w].values[k]);
	}
}

/* The winner (the best of the last rung reached) to opts.output. */
static int finish(nlp_tuner *t, long *idx, nlp_err *err)
{
	nlp_atomic_file a;
	nlp_tune_event ev;
	int r = t->rungs - 1, rc;

	while (r > 0 && ranked(t, r, idx) == 0)
		r--;
	if (ranked(t, r, idx) == 0)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "--budget: the time ran out before the first trial ended: give "
		                   "more time");
	if (t->out_of_time)
		emit(t, &(nlp_tune_event){.kind = NLP_TUNE_OUT_OF_TIME,
		                          .space = t->space,
		                          .rung = r,
		                          .seconds = nlp_clock_seconds() - t->started,
		                          .epochs_done = t->epochs_done});
	rc = nlp_atomic_open(&a, t->o.output, err);
	if (rc)
		return rc;
	write_best(t, idx[0], a.f);
	rc = nlp_atomic_commit(&a, err);
	if (rc)
		return rc;
	ev = trial_event(t, NLP_TUNE_DONE, idx[0], r);
	ev.output = t->o.output;
	ev.seconds = nlp_clock_seconds() - t->started;
	emit(t, &ev);
	return NLP_OK;
}

/* ---- the models' folder ---- */

static int make_dir(nlp_tuner *t, nlp_err *err)
{
	const char *tmp = getenv("TMPDIR");
	size_t len;

	if (t->o.keep_models) {
		t->dir = strdup(t->o.keep_models);
		return t->dir ? NLP_OK : nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	if (!tmp || !*tmp)
		tmp = "/tmp";
	len = strlen(tmp) + 32;
	if (!(t->dir = malloc(len)))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	snprintf(t->dir, len, "%s/nlpipe-tune.XXXXXX", tmp);
	if (!mkdtemp(t->dir)) {
		int e = errno;
		free(t->dir);
		t->dir = NULL;
		return nlp_err_set(err, NLP_EIO,
		                   "cannot make a temporary folder in %s for the trials' models: "
		                   "%s (set TMPDIR)",
		                   tmp, strerror(e));
	}
	return NLP_OK;
}

/* Remove the trials' checkpoints (kept models) or the temporary folder
 * with everything in it. */
static void clean_dir(nlp_tuner *t)
{
	char path[4096];
	DIR *d;
	struct dirent *de;

	if (!t->dir)
		return;
	if (t->o.keep_models) {
		for (size_t i = 0; i < t->ntr; i++) {
			snprintf(path, sizeof path, "%s.ckpt", t->tr[i].model);
			unlink(path);
		}
		return;
	}
	if ((d = opendir(t->dir))) {
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
				snprintf(path, sizeof path, "%s/%s", t->dir, de->d_name);
				unlink(path);
			}
		closedir(d);
	}
	rmdir(t->dir);
}

int nlp_tune(nlp_tuner *t, nlp_tune_fn fn, void *user, nlp_err *err)
{
	long *idx = NULL;
	int rc;

	if (t->ran)
		return nlp_err_set(err, NLP_EINTERNAL, "nlp_tune: this tuner has run already");
	t->ran = 1;
	t->fn = fn;
	t->user = user;
	t->started = nlp_clock_seconds();
	rc = make_dir(t, err);
	if (rc)
		return rc;
	if (t->n > 0)
		set_plan(t, t->n);
	idx = malloc((t->n > 0 ? (size_t)t->n : MAX_TRIALS) * sizeof *idx);
	if (!idx)
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (!rc && t->stop)
		rc = NLP_TUNE_STOPPED;
	if (!rc)
		rc = halve(t, idx, err);
	if (!rc)
		rc = finish(t, idx, err);
	clean_dir(t);
	free(idx);
	return rc;
}

/* ---- opening ---- */

/* Checks of opts that need no file. */
static int check_opts(const nlp_tune_opts *o, const char *path, nlp_err *err)
{
	struct stat sb;

	if (!o->output || !o->data || o->n_data < 1 || !path)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "nlp_tuner_new: give a pipeline file, opts.output and at least "
		                   "one data path");
	if (o->budget_epochs < 0 || o->budget_seconds < 0 || o->trials < 0 || o->eta == 1 ||
	    o->eta < 0)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "nlp_tuner_new: budgets and trials must not be negative, eta "
		                   "at least 2");
	if (o->budget_epochs > 0 && o->budget_seconds > 0)
		return nlp_err_set(err, NLP_ECONFIG, "--budget: give a time or epochs, not both");
	if (!o->budget_epochs && !o->budget_seconds && !o->trials)
		return nlp_err_set(
		        err, NLP_ECONFIG,
		        "tune needs a budget: --budget 20m (time), --budget 300e (epochs "
		        "in total over all trials) or --trials N");
	if (o->keep_models && (stat(o->keep_models, &sb) != 0 || !S_ISDIR(sb.st_mode) ||
	                       access(o->keep_models, W_OK | X_OK) != 0))
		return nlp_err_set(err, NLP_EIO,
		                   "--keep-models %s: not a folder this user can write in: create "
		                   "it first",
		                   o->keep_models);
	return nlp_check_output(o->output, "pipeline", "best.ini", err);
}

/* [train]: validation on, the metric, the rungs. */
static int check_train(nlp_tuner *t, nlp_err *err)
{
	const char *file = nlp_ini_name(t->ini);

	if (!*nlp_config_str(t->tc, "validation_data") &&
	    nlp_config_float(t->tc, "validation") <= 0)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "%s: [train] validation = 0 and no validation_data: tune judges "
		                   "the trials on validation data; set validation (e.g. 0.1) or "
		                   "validation_data",
		                   file);
	t->metric = nlp_config_str(t->tc, "metric");
	t->loss = strcmp(t->metric, "loss") == 0;
	make_rungs(t);
	return NLP_OK;
}

/* The space: [tune] checked and not empty. */
static int open_space(nlp_tuner *t, nlp_err *err)
{
	int rc = nlp_tune_space_new(&t->space, t->ini, t->p, err);

	if (!rc && nlp_tune_space_count(t->space) == 0)
		rc = nlp_err_set(err, NLP_ECONFIG,
		                 "%s: no [tune] section (or an empty one): name the options to "
		                 "search and their candidates, e.g. [tune] encode.hidden = 64, 128",
		                 nlp_ini_name(t->ini));
	t->np = nlp_tune_space_count(t->space);
	return rc;
}

/* With an epoch budget (or --trials alone) the plan is known now. */
static int plan_epochs(nlp_tuner *t, nlp_err *err)
{
	long nk[MAX_RUNGS];
	const long cap = t->o.trials > 0 ? t->o.trials : MAX_TRIALS;
	const long one = plan_cost(t, 1, nk);

	if (t->o.budget_epochs > 0 && t->o.budget_epochs < one)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "--budget %lde: one trial trains [train] epochs = %ld: give at "
		                   "least %lde",
		                   t->o.budget_epochs, one, one);
	if (t->o.budget_epochs > 0)
		t->n = trials_for(t, t->o.budget_epochs, cap);
	else if (!t->o.budget_seconds)
		t->n = t->o.trials;
	return NLP_OK;
}

int nlp_tuner_new(nlp_tuner **out, nlp_host *h, const char *pipeline_path,
                  const nlp_tune_opts *opts, nlp_err *err)
{
	nlp_tuner *t = calloc(1, sizeof *t);
	int rc;

	*out = NULL;
	if (!t)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	t->cur = -1;
	rc = check_opts(opts, pipeline_path, err);
	if (rc)
		goto out;
	t->host = h;
	t->o = *opts;
	t->path = pipeline_path;
	t->eta = opts->eta ? opts->eta : 3;
	rc = nlp_read_file(pipeline_path, PIPELINE_MAX, &t->text, &t->text_len, err);
	if (!rc)
		rc = nlp_ini_read(&t->ini, pipeline_path, err);
	if (!rc)
		rc = nlp_pipeline_new(&t->p, h, t->ini, err);
	if (!rc)
		rc = nlp_pipeline_check_classifier(t->p, err);
	if (!rc)
		rc = nlp_config_from_ini(&t->tc, t->ini, "train", nlp_train_options, err);
	if (!rc)
		rc = open_space(t, err);
	if (!rc)
		rc = check_train(t, err);
	if (!rc)
		rc = plan_epochs(t, err);
	if (!rc)
		nlp_rng_seed(&t->rng, (uint64_t)(opts->seed >= 0 ? opts->seed
		                                                 : nlp_config_int(t->tc, "seed")));
out:
	if (rc)
		nlp_tuner_free(t);
	else
		*out = t;
	return rc;
}

void nlp_tuner_free(nlp_tuner *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ntr; i++)
		trial_free(&t->tr[i], t->np);
	free(t->tr);
	free(t->dir);
	nlp_tune_space_free(t->space);
	nlp_config_destroy(t->tc);
	nlp_pipeline_free(t->p);
	nlp_ini_free(t->ini);
	free(t->text);
	free(t);
}

const nlp_tune_space *nlp_tuner_space(const nlp_tuner *t)
{
	return t->space;
}
