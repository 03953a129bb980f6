/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* tests/format/files.h - file helpers of the model tests: paths in the
 * test's scratch folder `dir` (which the test defines and fills), whole-file
 * reads and writes; and a comparison of two pipelines' parameters. */
#ifndef NLP_TEST_FILES_H
#define NLP_TEST_FILES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlpipe/nlpipe.h"

static char dir[4096];

/* dir/name, in one of 8 rotating buffers. */
static inline char *path_in(const char *name)
{
	static char buf[8][4200];
	static int k;
	char *p = buf[k++ % 8];
	snprintf(p, sizeof buf[0], "%s/%s", dir, name);
	return p;
}

/* The whole file (caller frees), or NULL. */
static inline unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *d = NULL;
	long n;

	*len = 0;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	d = malloc(n ? (size_t)n : 1);
	if (d && fread(d, 1, (size_t)n, f) != (size_t)n) {
		free(d);
		d = NULL;
	}
	fclose(f);
	*len = d ? (size_t)n : 0;
	return d;
}

/* Write n bytes to path; 1 on success. */
static inline int spew(const char *path, const void *d, size_t n)
{
	FILE *f = fopen(path, "wb");
	int good = f && fwrite(d, 1, n, f) == n;
	if (f && fclose(f))
		good = 0;
	return good;
}

/* 1 when the trainable stages of a and b (built from the same INI) have
 * bit-identical parameters, else 0. */
static inline int same_params(nlp_pipeline *a, nlp_pipeline *b)
{
	for (size_t i = nlp_pipeline_text_end(a); i < nlp_pipeline_stage_count(a); i++) {
		nlp_params pa = {0}, pb = {0};
		nlp_pipeline_stage_class(a, i)->train->params(nlp_pipeline_stage_instance(a, i),
		                                              &pa);
		nlp_pipeline_stage_class(b, i)->train->params(nlp_pipeline_stage_instance(b, i),
		                                              &pb);
		if (pa.count != pb.count || memcmp(pa.w, pb.w, pa.count * sizeof *pa.w))
			return 0;
	}
	return 1;
}

#endif
