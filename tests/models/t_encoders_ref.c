/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_encoders_ref.c - the recurrent encoders against PyTorch 1.13.
 *
 * tests/ref/encoders.py (run once with /usr/bin/python3, output committed)
 * wrote tests/ref/encoders.txt: for each cell x {uni, bi} x {1, 2 layers}
 * (poolings rotating so each cell meets all four), PyTorch's parameters, an
 * input batch with padding, the pooled output, and the gradients of
 * sum(out * dout) for a random dout, all computed in float64 through
 * pack_padded_sequence.  Here the same parameters are loaded into nlpipe's
 * buffer (same order) and out, every parameter gradient and dx are compared
 * with both the BLAS and the reference (naive) kernels.
 *
 * Tolerance: |ours - torch| <= TOL_ABS + TOL_REL * |torch| elementwise.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "t_encoders_util.h"

#define TOL_ABS 1e-6
#define TOL_REL 1e-6

typedef struct arr {
	char name[32];
	size_t n;
	float *v;
} arr;

static int read_arr(FILE *f, arr *a, const char *want)
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

static int cell_index(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, cell_names[i]) == 0)
			return i;
	return -1;
}

static int pool_index(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, pool_names[i]) == 0)
			return i;
	return -1;
}

/* Worst violation ratio: max over i of |a - b| / (TOL_ABS + TOL_REL |b|). */
static double worst(const float *a, const float *b, size_t n, double *maxdiff)
{
	double w = 0.0;
	*maxdiff = 0.0;
	for (size_t i = 0; i < n; i++) {
		double d = fabs((double)a[i] - (double)b[i]);
		if (!(d == d))
			return INFINITY;
		double r = d / (TOL_ABS + TOL_REL * fabs((double)b[i]));
		if (r > w)
			w = r;
		if (d > *maxdiff)
			*maxdiff = d;
	}
	return w;
}

int main(void)
{
	const char *top = getenv("NLP_TOP_SRCDIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/tests/ref/encoders.txt", top ? top : ".");
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("Bail out! cannot open %s (set NLP_TOP_SRCDIR)\n", path);
		return 1;
	}
	char line[512];
	int cases = 0;
	double overall = 0.0;
	while (fgets(line, sizeof line, f)) {
		char cs[32], ps[32];
		int bi, layers, in, H, T, B, A;
		if (strncmp(line, "case ", 5) != 0)
			continue;
		if (sscanf(line, "case %31s %d %d %31s %d %d %d %d %d", cs, &bi, &layers, ps, &in,
		           &H, &T, &B, &A) != 9) {
			ok(0, "fixture case line parses");
			break;
		}
		arr lens, params, x, out, dout, grad, dx;
		if (read_arr(f, &lens, "lens") || read_arr(f, &params, "params") ||
		    read_arr(f, &x, "x") || read_arr(f, &out, "out") ||
		    read_arr(f, &dout, "dout") || read_arr(f, &grad, "grad") ||
		    read_arr(f, &dx, "dx")) {
			ok(0, "fixture arrays parse");
			break;
		}
		cases++;
		int len[64];
		for (int b = 0; b < B; b++)
			len[b] = (int)lens.v[b];
		rec_config c = make_config(cell_index(cs), in, H, layers, bi, pool_index(ps));
		c.att_dim = A;
		for (int naive = 0; naive <= 1; naive++) {
			rec_net *n = must_new(&c);
			rec_set_naive(n, naive);
			nlp_params p;
			rec_params(n, &p);
			char name[160];
			snprintf(name, sizeof name, "%s bi=%d layers=%d pool=%s %s", cs, bi, layers,
			         ps, naive ? "naive" : "blas");
			if (!is_int((long long)p.count, (long long)params.n,
			            "parameter count matches PyTorch")) {
				rec_free(n);
				continue;
			}
			memcpy(p.w, params.v, p.count * sizeof(float));
			memset(p.g, 0, p.count * sizeof(float));
			const float *o, *d;
			nlp_err err = {0};
			int rc = rec_forward(n, &o, x.v, T, B, len, 1, NULL, &err);
			rc = rc ? rc : rec_backward(n, &d, dout.v, &err);
			if (!ok(rc == NLP_OK, "forward and backward run"))
				diag("%s", err.msg);
			double md, w;
			char msg[256];
			w = worst(o, out.v, out.n, &md);
			overall = w > overall ? w : overall;
			snprintf(msg, sizeof msg, "%s: output (max diff %.2g)", name, md);
			ok(w <= 1.0, msg);
			w = worst(p.g, grad.v, grad.n, &md);
			overall = w > overall ? w : overall;
			snprintf(msg, sizeof msg, "%s: parameter gradients (max diff %.2g)", name,
			         md);
			ok(w <= 1.0, msg);
			w = worst(d, dx.v, dx.n, &md);
			overall = w > overall ? w : overall;
			snprintf(msg, sizeof msg, "%s: input gradient (max diff %.2g)", name, md);
			ok(w <= 1.0, msg);
			rec_free(n);
		}
		free(lens.v);
		free(params.v);
		free(x.v);
		free(out.v);
		free(dout.v);
		free(grad.v);
		free(dx.v);
	}
	fclose(f);
	is_int(cases, 16, "all 16 fixture cases read");
	diag("worst error / tolerance (abs %g + rel %g) = %.3f", TOL_ABS, TOL_REL, overall);
	return done_testing();
}
