/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* paramcmp.c - a helper of tests/train/t_finetune.sh (not a test itself):
 *
 *     paramcmp [--state] A.nlp STAGE_A B.nlp STAGE_B
 *
 * prints "same" and exits 0 when stage STAGE_A of model A and stage STAGE_B
 * of model B have byte-identical parameters and saved state (vocabulary...),
 * prints "differ" and exits 1 when not, exits 2 on an error.  With --state,
 * only the saved state is compared (a head's tuned thresholds: t_refit.sh).
 * Uses only the public API (nlpipe/model.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlpipe/model.h"

/* Stage name of m's pipeline: its parameters and saved state (into st). */
static int stage_of(const nlp_model *m, const char *name, nlp_params *prm, nlp_buf *st)
{
	const nlp_pipeline *p = m->pipeline;
	nlp_err err = {0};

	for (size_t i = 0; i < nlp_pipeline_stage_count(p); i++) {
		const nlp_train_ops *ops = nlp_pipeline_stage_class(p, i)->train;
		void *self = nlp_pipeline_stage_instance(p, i);
		if (strcmp(nlp_pipeline_stage_name(p, i), name) || !ops)
			continue;
		ops->params(self, prm);
		if (ops->save && ops->save(self, st, &err)) {
			fprintf(stderr, "paramcmp: %s\n", err.msg);
			return 2;
		}
		return 0;
	}
	fprintf(stderr, "paramcmp: %s has no trainable stage %s\n", m->path, name);
	return 2;
}

int main(int argc, char **argv)
{
	nlp_host *h = NULL;
	nlp_model *a = NULL, *b = NULL;
	nlp_params pa = {0}, pb = {0};
	nlp_buf sa = {0}, sb = {0};
	nlp_err err = {0};
	int rc = 2, state_only = argc == 6 && !strcmp(argv[1], "--state");

	argv += state_only;
	argc -= state_only;
	if (argc != 5) {
		fprintf(stderr, "usage: paramcmp [--state] A.nlp STAGE_A B.nlp STAGE_B\n");
		return 2;
	}
	if (nlp_host_new(&h, &err) || nlp_host_add_default_paths(h, &err) ||
	    nlp_host_load_modules(h, &err) || nlp_model_load(&a, argv[1], h, &err) ||
	    nlp_model_load(&b, argv[3], h, &err)) {
		fprintf(stderr, "paramcmp: %s\n", err.msg);
		goto out;
	}
	if (stage_of(a, argv[2], &pa, &sa) || stage_of(b, argv[4], &pb, &sb))
		goto out;
	rc = (!state_only && (pa.count != pb.count ||
	                      (pa.count && memcmp(pa.w, pb.w, pa.count * sizeof *pa.w)))) ||
	     sa.len != sb.len || (sa.len && memcmp(sa.data, sb.data, sa.len));
	puts(rc ? "differ" : "same");
out:
	free(sa.data);
	free(sb.data);
	nlp_model_free(a);
	nlp_model_free(b);
	nlp_host_free(h);
	return rc;
}
