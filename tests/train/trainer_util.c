/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* trainer_util.c - see trainer_util.h. */
#include "config.h"

#include <stdio.h>

#include "tests/tap.h"
#include "tests/train/trainer_util.h"

int tu_train(const char *ini, const nlp_trainer_opts *o, nlp_train_fn fn, void *user, char *ckpt,
             size_t ckpt_size)
{
	nlp_host *h = NULL;
	nlp_trainer *t = NULL;
	nlp_err err = {0};
	int rc = nlp_host_new(&h, &err);

	if (!rc)
		rc = nlp_trainer_new(&t, h, ini, o, &err);
	if (!rc) {
		rc = nlp_train(t, fn, user, &err);
		if (ckpt)
			snprintf(ckpt, ckpt_size, "%s", nlp_trainer_checkpoint_path(t));
	}
	if (rc && rc != NLP_TRAIN_STOPPED)
		diag("run: %s", err.msg);
	nlp_trainer_free(t);
	nlp_host_free(h);
	return rc;
}

int tu_same_file(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int ca, cb, same = fa && fb;

	while (same) {
		ca = getc(fa);
		cb = getc(fb);
		same = ca == cb;
		if (ca == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}
