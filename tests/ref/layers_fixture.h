/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* tests/ref/layers_fixture.h - read tests/ref/layers_fixtures.txt (written by
 * tests/ref/layers.py with PyTorch 1.13) and compare arrays with a stated
 * tolerance.  Header only, for the layer tests. */
#ifndef NLP_TESTS_LAYERS_FIXTURE_H
#define NLP_TESTS_LAYERS_FIXTURE_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

typedef struct fx_entry {
	char *name;
	int n;
	double *v;
} fx_entry;

static fx_entry *fx_tab_;
static int fx_n_;

/* Load the fixtures of tests/ref/<file>; fails when it cannot be found. */
static void fx_load_file(const char *file)
{
	const char *top = getenv("NLP_TOP_SRCDIR");
	char path[4096];
	FILE *f;
	char *line = NULL;
	size_t cap = 0;

	snprintf(path, sizeof path, "%s/tests/ref/%s", top ? top : ".", file);
	f = fopen(path, "r");
	if (!f) {
		printf("not ok 1 - cannot open %s (set NLP_TOP_SRCDIR)\n", path);
		exit(1);
	}
	while (getline(&line, &cap, f) > 0) {
		char *p = line, *q;
		fx_entry e;
		if (*p == '#' || *p == '\n')
			continue;
		q = strchr(p, ' ');
		if (!q)
			continue;
		e.name = strndup(p, (size_t)(q - p));
		e.n = (int)strtol(q + 1, &p, 10);
		e.v = calloc((size_t)e.n + 1, sizeof *e.v);
		for (int i = 0; i < e.n; i++)
			e.v[i] = strtod(p, &p);
		fx_tab_ = realloc(fx_tab_, (size_t)(fx_n_ + 1) * sizeof *fx_tab_);
		fx_tab_[fx_n_++] = e;
	}
	free(line);
	fclose(f);
}

/* The layers' fixtures (tests/ref/layers.py). */
static inline void fx_load(void)
{
	fx_load_file("layers_fixtures.txt");
}

/* The values of a fixture; exits the test (failing) when absent. */
static const double *fx_get(const char *name, int *n)
{
	for (int i = 0; i < fx_n_; i++)
		if (strcmp(fx_tab_[i].name, name) == 0) {
			if (n)
				*n = fx_tab_[i].n;
			return fx_tab_[i].v;
		}
	printf("not ok - fixture %s missing: regenerate with the tests/ref script that writes it\n",
	       name);
	exit(1);
}

static void fx_floats(float *dst, const char *name, int want)
{
	int n;
	const double *v = fx_get(name, &n);

	if (n != want) {
		printf("not ok - fixture %s has %d values, %d expected\n", name, n, want);
		exit(1);
	}
	for (int i = 0; i < n; i++)
		dst[i] = (float)v[i];
}

static double fx_worst_; /* the worst error/tolerance ratio seen, for the report */

/* Pass when |got[i] - want[i]| <= atol + rtol |want[i]| for all i. */
static int close_to(const float *got, const double *want, int n, double atol, double rtol,
                    const char *what)
{
	double worst = 0, worst_abs = 0;
	int at = -1;

	for (int i = 0; i < n; i++) {
		double d = fabs((double)got[i] - want[i]);
		double r = d / (atol + rtol * fabs(want[i]));
		if (!(r <= worst)) { /* NaN counts as worst */
			worst = isnan(r) ? INFINITY : r;
			worst_abs = d;
			at = i;
		}
	}
	if (worst > fx_worst_)
		fx_worst_ = worst;
	if (!ok(worst <= 1.0, what))
		diag("element %d: got %.9g want %.9g (abs err %.3g; tolerance %.1g + %.1g|want|)",
		     at, at >= 0 ? got[at] : 0.0, at >= 0 ? want[at] : 0.0, worst_abs, atol, rtol);
	return worst <= 1.0;
}

static int close_fx(const float *got, const char *name, int n, double atol, double rtol)
{
	int m;
	const double *want = fx_get(name, &m);
	char what[200];

	snprintf(what, sizeof what, "%s matches PyTorch (atol %.0e, rtol %.0e)", name, atol, rtol);
	if (m != n) {
		ok(0, what);
		diag("fixture has %d values, got %d", m, n);
		return 0;
	}
	return close_to(got, want, n, atol, rtol, what);
}

#endif /* NLP_TESTS_LAYERS_FIXTURE_H */
