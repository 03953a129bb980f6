/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* cmd_tune.c - `nlpipe tune PIPELINE.ini DATA... -o BEST.ini`: the options,
 * then the tuner of libnlpipe (nlpipe/tune.h) searches; this file prints
 * its leaderboard and turns SIGINT and SIGTERM into a clean stop. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlpipe/tune.h"
#include "cli/cli.h"
#include "cli/data.h"
#include "cli/progress.h"

static const char usage[] =
        "Usage: nlpipe tune [OPTIONS] PIPELINE.ini DATA... -o BEST.ini\n\n"
        "Search the options named in the pipeline's [tune] section for the best\n"
        "validation result by successive halving, print a leaderboard (one line per\n"
        "trial and rung) and write the winning pipeline file to BEST.ini: the file\n"
        "with the chosen values in place and [tune] commented out, so that\n"
        "`nlpipe train BEST.ini DATA...` trains the winner.\n\n"
        "Options:\n"
        "  -o, --output BEST.ini    where to write the winning pipeline (required)\n"
        "  --budget B               epochs in total over all trials (300e: the same\n"
        "                           seed and budget give the same result), or a time\n"
        "                           (90s, 20m, 2h)\n"
        "  --trials N               at most N configurations (without --budget: N)\n"
        "  --seed N                 seed of the configurations drawn ([train] seed)\n"
        "  --eta N                  rung growth: each rung trains N times the epochs of\n"
        "                           the one before with the best 1/N of its trials (3)\n"
        "  --keep-models DIR        train and keep the trials' models in DIR\n"
        "                           (trial-001.nlp, ...); else a temporary folder\n"
        "  -q, --quiet              no progress, only the leaderboard and the result\n"
        "  -v, --verbose            name every skipped document\n"
        "  -h, --help               this text\n\n" DATA_USAGE
        "\nOn SIGINT or SIGTERM the running trial stops after its step and nothing is\n"
        "written (exit status 130).\n";

typedef struct tune_view {
	progress pg;
	cli_signals sig;
	int header; /* the leaderboard's header is out */
	int w[64];  /* column widths of the parameters */
} tune_view;

static void print_plan(const nlp_tune_event *ev)
{
	char rungs[512];
	size_t used = 0;

	rungs[0] = '\0';
	for (int k = 0; k < ev->rungs && used < sizeof rungs; k++)
		used += (size_t)snprintf(rungs + used, sizeof rungs - used, "%s%ld x %ld",
		                         k ? ", " : "", ev->rung_trials[k], ev->rung_epochs[k]);
	cli_info("tune: %ld trials; rungs (trials x epochs): %s; %ld epochs in all", ev->trials,
	         rungs, ev->planned_epochs);
}

/* The leaderboard: a header, then one line per trial and rung. */
static void print_trial(tune_view *v, const nlp_tune_event *ev)
{
	const size_t np = nlp_tune_space_count(ev->space);

	if (!v->header) {
		printf("%-4s %-6s %-5s", "rung", "epochs", "trial");
		for (size_t k = 0; k < np && k < 64; k++) {
			const nlp_tune_param *p = nlp_tune_space_param(ev->space, k);
			int w = (int)(strlen(p->section) + 1 + strlen(p->key));
			v->w[k] = w < 8 ? 8 : w;
			printf(" %s.%-*s", p->section, v->w[k] - (int)strlen(p->section) - 1,
			       p->key);
		}
		printf(" %-8s %-5s %s\n", ev->metric_name, "epoch", "seconds");
		v->header = 1;
	}
	printf("%-4d %-6ld %-5ld", ev->rung, ev->epochs, ev->trial);
	for (size_t k = 0; k < np && k < 64; k++)
		printf(" %-*s", v->w[k], ev->values[k]);
	printf(" %-8.4f %-5ld %.1f\n", ev->metric, ev->best_epoch, ev->seconds);
	fflush(stdout);
}

static void print_done(const nlp_tune_event *ev)
{
	printf("best: trial %ld, validation %s %.4f (epoch %ld)\n", ev->trial, ev->metric_name,
	       ev->metric, ev->best_epoch);
	for (size_t k = 0; k < nlp_tune_space_count(ev->space); k++) {
		const nlp_tune_param *p = nlp_tune_space_param(ev->space, k);
		printf("  %s.%s = %s\n", p->section, p->key, ev->values[k]);
	}
	cli_info("%ld epochs in %.1f s; the best pipeline is written to %s", ev->epochs_done,
	         ev->seconds, ev->output);
}

/* The tuner's events as lines; asks to stop once a signal came. */
static int on_event(void *user, const nlp_tune_event *ev)
{
	tune_view *v = user;
	const nlp_train_event *t = ev->train;

	if (ev->kind != NLP_TUNE_TRAIN || t->kind != NLP_TRAIN_PROGRESS)
		progress_end(&v->pg);
	switch (ev->kind) {
	case NLP_TUNE_PLAN:
		print_plan(ev);
		break;
	case NLP_TUNE_TRAIN:
		if (t->kind == NLP_TRAIN_PROGRESS)
			progress_update(&v->pg, t->epoch, t->epochs, t->batch, t->batches, t->loss,
			                t->tokens, t->seconds);
		break;
	case NLP_TUNE_TRIAL_END:
		print_trial(v, ev);
		break;
	case NLP_TUNE_RUNG_END:
		if (ev->kept)
			cli_info("rung %d (%ld epochs) done: the best %ld go on", ev->rung,
			         ev->epochs, ev->kept);
		break;
	case NLP_TUNE_OUT_OF_TIME:
		cli_info("the time budget is spent (%.0f s): the best of rung %d wins", ev->seconds,
		         ev->rung);
		break;
	case NLP_TUNE_DONE:
		print_done(ev);
		break;
	}
	return cli_stop_signal != 0;
}

/* The options of tune itself into o (budget, trials, seed, eta). */
static int tune_option(int c, const char *arg, nlp_tune_opts *o)
{
	nlp_err err = {0};
	long v;

	switch (c) {
	case 'B':
		if (nlp_tune_budget_parse(arg, &o->budget_seconds, &o->budget_epochs, &err))
			return cli_fail(&err);
		break;
	case 'T':
		return cli_long_arg("trials", arg, 1, 100000, &o->trials);
	case 'S':
		return cli_long_arg("seed", arg, 0, 2147483647, &o->seed);
	case 'E':
		if (cli_long_arg("eta", arg, 2, 100, &v))
			return EXIT_USAGE;
		o->eta = (int)v;
		break;
	case 'K':
		o->keep_models = arg;
		break;
	case 'o':
		o->output = arg;
		break;
	}
	return 0;
}

int cmd_tune(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"output", required_argument, NULL, 'o'},
	        {"budget", required_argument, NULL, 'B'},
	        {"trials", required_argument, NULL, 'T'},
	        {"seed", required_argument, NULL, 'S'},
	        {"eta", required_argument, NULL, 'E'},
	        {"keep-models", required_argument, NULL, 'K'},
	        DATA_LONGOPTS,
	};
	nlp_reader_opts ro;
	nlp_tune_opts o = {0};
	nlp_host *h = NULL;
	nlp_tuner *t = NULL;
	tune_view v;
	nlp_err err = {0};
	int c, rc = 0, code = 0;

	memset(&v, 0, sizeof v);
	o.seed = -1;
	data_begin(&ro);
	while ((c = data_getopt(argc, argv, "o:qvh", longopts, usage, &ro, &code)) >= 0)
		if ((code = tune_option(c, optarg, &o)))
			goto out;
	if (c == -2)
		goto out;
	ro.verbose = cli_verbose;
	if ((code = data_paths(argc, argv, "tune", o.output, "BEST.ini", usage, &o.data,
	                       &o.n_data)))
		goto out;
	o.reader = &ro;
	nlp_numerics_init();
	rc = nlp_host_new(&h, &err);
	if (!rc) {
		nlp_host_set_diag(h, cli_diag, NULL);
		rc = nlp_tuner_new(&t, h, argv[optind], &o, &err);
	}
	if (!rc) {
		progress_init(&v.pg, cli_quiet);
		cli_catch_signals(&v.sig);
		rc = nlp_tune(t, on_event, &v, &err);
	}
	progress_end(&v.pg);
	cli_release_signals(&v.sig);
	if (rc == NLP_TUNE_STOPPED) {
		cli_error("interrupted: nothing was written to %s", o.output);
		code = 130;
	} else if (rc) {
		code = cli_fail(&err);
	}
out:
	nlp_tuner_free(t);
	nlp_host_free(h);
	return code;
}
