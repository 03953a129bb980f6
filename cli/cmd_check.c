/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* cmd_check.c - `nlpipe check PIPELINE.ini`: validate, print resolved. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "nlpipe/finetune.h"
#include "nlpipe/trainer.h"
#include "nlpipe/tune.h"
#include "cli/cli.h"

static const char usage[] =
        "Usage: nlpipe check [--set SECTION.KEY=VALUE]... PIPELINE.ini\n\n"
        "Check a pipeline file completely (every problem is reported as FILE:LINE:)\n"
        "and print the resolved pipeline: every stage with every option's value.\n";

/* [train], resolved: every key with its value, defaults marked. */
static void print_train(const nlp_config *c)
{
	size_t w = 4;

	for (size_t k = 0; k < nlp_config_count(c); k++) {
		size_t len = strlen(nlp_config_entry(c, k, NULL, NULL));
		w = len > w ? len : w;
	}
	printf("\n[train]    ; read by nlpipe train and nlpipe tune\n");
	for (size_t k = 0; k < nlp_config_count(c); k++) {
		const char *v;
		int def;
		const char *name = nlp_config_entry(c, k, &v, &def);
		printf("%-*s = %s%s\n", (int)w, name, v, def ? "    ; default" : "");
	}
}

/* What fine-tuning does: the model the stages come from, which do, the
 * frozen epochs and the stages' learning-rate scales. */
static void print_finetune(const nlp_finetune *f, const nlp_pipeline *p)
{
	const size_t first = nlp_pipeline_text_end(p), n = nlp_pipeline_stage_count(p);

	printf("\n; fine-tuning%s\n", nlp_finetune_gradual(f) ? " (unfreeze = gradual)" : "");
	if (*nlp_finetune_source(f))
		printf(";   init_from = %s (it loads)\n", nlp_finetune_source(f));
	for (size_t i = first; i < n; i++) {
		const double s = nlp_pipeline_stage_lr_scale(p, i);
		const int from = nlp_finetune_from_model(f, i);
		const long freeze = nlp_finetune_frozen_epochs(f, i);
		printf(";   [%s] %s", nlp_pipeline_stage_name(p, i),
		       from ? "starts from the model" : "trains from scratch");
		if (from && freeze == 1)
			printf(", frozen in epoch 1");
		else if (from && freeze > 1)
			printf(", frozen in epochs 1-%ld", freeze);
		if (s != 1.0)
			printf(", lr_scale %g%s", s, s == 0 ? " (frozen)" : "");
		printf("\n");
	}
}

/* [tune], with what each line searches. */
static void print_tune(const nlp_tune_space *s)
{
	printf("\n[tune]    ; read by nlpipe tune, ignored by nlpipe train\n");
	for (size_t i = 0; i < nlp_tune_space_count(s); i++) {
		const nlp_tune_param *t = nlp_tune_space_param(s, i);
		printf("%s.%s = %s    ; ", t->section, t->key, t->text);
		if (t->kind == NLP_TUNE_LIST)
			printf("one of %zu\n", t->n_values);
		else
			printf("%s%s from %g to %g\n", t->integer ? "whole numbers, " : "",
			       t->log ? "log-uniform" : "uniform", t->lo, t->hi);
	}
}

int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"set", required_argument, NULL, 's'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	cli_sets sets = {0};
	nlp_host *h;
	nlp_ini *ini;
	nlp_pipeline *p;
	nlp_tune_space *ts = NULL;
	nlp_finetune *ft = NULL;
	nlp_config *tc = NULL;
	nlp_err err = {0};
	size_t n;
	int c, rc = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:h", longopts, NULL)) != -1) {
		if (c == 's') {
			if ((rc = cli_sets_add(&sets, optarg)))
				goto out;
		} else if (c == 'h') {
			fputs(usage, stdout);
			goto out;
		} else {
			cli_try_help();
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (optind != argc - 1) {
		cli_error("check needs exactly one pipeline file");
		cli_try_help();
		rc = EXIT_USAGE;
		goto out;
	}
	rc = cli_open_pipeline(argv[optind], &sets, &h, &ini, &p);
	if (rc)
		goto out;
	if (nlp_config_from_ini(&tc, ini, "train", nlp_train_options, &err) ||
	    nlp_finetune_new(&ft, h, p, tc, NULL, &err) ||
	    (nlp_ini_line(ini, "tune", NULL) && nlp_tune_space_new(&ts, ini, p, &err))) {
		rc = cli_fail(&err);
	} else {
		nlp_pipeline_print(p, stdout);
		print_train(tc);
		print_finetune(ft, p);
		if (ts)
			print_tune(ts);
		n = nlp_pipeline_stage_count(p);
		cli_info("%s: OK, %zu stage%s", argv[optind], n, n == 1 ? "" : "s");
	}
	nlp_tune_space_free(ts);
	nlp_finetune_free(ft);
	nlp_config_destroy(tc);
	nlp_pipeline_free(p);
	nlp_ini_free(ini);
	nlp_host_free(h);
out:
	cli_sets_free(&sets);
	return rc;
}
