/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* tests/models/t_encoders_fixtures.h - the reader of the encoders' PyTorch
 * fixtures, tests/ref/encoders.txt (written by tests/ref/encoders.py), for
 * t_encoders_ref.c and t_encoders_bf16.c.
 *
 * The file holds cases, each a line "case CELL BI LAYERS POOL IN H T B A"
 * followed by seven arrays, each a line "NAME COUNT" and COUNT numbers:
 * lens [B], params (PyTorch's order, nlpipe's buffer order), x [T x B x IN],
 * out, dout, grad (of sum(out * dout) by the parameters) and dx.
 */
#ifndef T_ENCODERS_FIXTURES_H
#define T_ENCODERS_FIXTURES_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "t_encoders_util.h"

/* An array of a case: its name in the file and n numbers. */
typedef struct arr {
	char name[32];
	size_t n;
	float *v; /* owned: [n] */
} arr;

/* A case: its line's fields and its arrays. */
typedef struct fixture {
	char cell[32], pool[32];                          /* as in cell_names, pool_names */
	int bi, layers, in, hidden, steps, docs, att_dim; /* BI LAYERS IN H T B A */
	arr lens, params, x, out, dout, grad, dx;
} fixture;

/* Opens $NLP_TOP_SRCDIR/tests/ref/encoders.txt; bails out when it cannot. */
static inline FILE *fixtures_open(void)
{
	const char *top = getenv("NLP_TOP_SRCDIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/tests/ref/encoders.txt", top ? top : ".");
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("Bail out! cannot open %s (set NLP_TOP_SRCDIR)\n", path);
		exit(1);
	}
	return f;
}

/* Reads the array named want into a; -1 when the file has something else. */
static inline int read_arr(FILE *f, arr *a, const char *want)
{
	if (fscanf(f, "%31s %zu", a->name, &a->n) != 2 || strcmp(a->name, want) != 0)
		return -1;
	a->v = xcalloc(a->n, sizeof *a->v);
	for (size_t i = 0; i < a->n; i++) {
		double d;
		if (fscanf(f, "%lf", &d) != 1)
			return -1;
		a->v[i] = (float)d;
	}
	return 0;
}

static inline void fixture_free(fixture *c)
{
	arr *const all[] = {&c->lens, &c->params, &c->x, &c->out, &c->dout, &c->grad, &c->dx};
	for (int k = 0; k < 7; k++) {
		free(all[k]->v);
		all[k]->v = NULL;
	}
}

/* Reads the next case of f into c: 1 (free it with fixture_free), 0 at the
 * end of the file, -1 when a case does not parse (a failing test says
 * which part; c holds nothing then). */
static inline int fixture_read(FILE *f, fixture *c)
{
	char line[512];
	memset(c, 0, sizeof *c);
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "case ", 5) != 0)
			continue;
		if (sscanf(line, "case %31s %d %d %31s %d %d %d %d %d", c->cell, &c->bi, &c->layers,
		           c->pool, &c->in, &c->hidden, &c->steps, &c->docs, &c->att_dim) != 9) {
			ok(0, "fixture case line parses");
			return -1;
		}
		if (read_arr(f, &c->lens, "lens") || read_arr(f, &c->params, "params") ||
		    read_arr(f, &c->x, "x") || read_arr(f, &c->out, "out") ||
		    read_arr(f, &c->dout, "dout") || read_arr(f, &c->grad, "grad") ||
		    read_arr(f, &c->dx, "dx")) {
			ok(0, "fixture arrays parse");
			fixture_free(c);
			return -1;
		}
		return 1;
	}
	return 0;
}

/* The index of s in names [count], or -1. */
static inline int name_index(const char *s, const char *const *names, int count)
{
	for (int i = 0; i < count; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* Worst violation ratio: max over i of |a - b| / (tol_abs + tol_rel |b|),
 * INFINITY at a NaN; *maxdiff: the largest |a - b|. */
static inline double worst(const float *a, const float *b, size_t n, double tol_abs, double tol_rel,
                           double *maxdiff)
{
	double w = 0.0;
	*maxdiff = 0.0;
	for (size_t i = 0; i < n; i++) {
		const double d = fabs((double)a[i] - (double)b[i]);
		if (!(d == d))
			return INFINITY;
		const double q = d / (tol_abs + tol_rel * fabs((double)b[i]));
		w = q > w ? q : w;
		*maxdiff = d > *maxdiff ? d : *maxdiff;
	}
	return w;
}

#endif
