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
#include "t_encoders_fixtures.h"

#define TOL_ABS 1e-6
#define TOL_REL 1e-6

int main(void)
{
	FILE *f = fixtures_open();
	fixture fc;
	int cases = 0;
	double overall = 0.0;
	while (fixture_read(f, &fc) > 0) {
		const int T = fc.steps, B = fc.docs;
		cases++;
		int len[64];
		for (int b = 0; b < B; b++)
			len[b] = (int)fc.lens.v[b];
		rec_config c = make_config(name_index(fc.cell, cell_names, 4), fc.in, fc.hidden,
		                           fc.layers, fc.bi, name_index(fc.pool, pool_names, 4));
		c.att_dim = fc.att_dim;
		for (int naive = 0; naive <= 1; naive++) {
			rec_net *n = must_new(&c);
			rec_set_naive(n, naive);
			nlp_params p;
			rec_params(n, &p);
			char name[160];
			snprintf(name, sizeof name, "%s bi=%d layers=%d pool=%s %s", fc.cell, fc.bi,
			         fc.layers, fc.pool, naive ? "naive" : "blas");
			if (!is_int((long long)p.count, (long long)fc.params.n,
			            "parameter count matches PyTorch")) {
				rec_free(n);
				continue;
			}
			memcpy(p.w, fc.params.v, p.count * sizeof(float));
			memset(p.g, 0, p.count * sizeof(float));
			const float *o, *d;
			nlp_err err = {0};
			int rc = rec_forward(n, &o, fc.x.v, T, B, len, 1, NULL, &err);
			rc = rc ? rc : rec_backward(n, &d, fc.dout.v, &err);
			if (!ok(rc == NLP_OK, "forward and backward run"))
				diag("%s", err.msg);
			double md, w;
			char msg[256];
			w = worst(o, fc.out.v, fc.out.n, TOL_ABS, TOL_REL, &md);
			overall = w > overall ? w : overall;
			snprintf(msg, sizeof msg, "%s: output (max diff %.2g)", name, md);
			ok(w <= 1.0, msg);
			w = worst(p.g, fc.grad.v, fc.grad.n, TOL_ABS, TOL_REL, &md);
			overall = w > overall ? w : overall;
			snprintf(msg, sizeof msg, "%s: parameter gradients (max diff %.2g)", name,
			         md);
			ok(w <= 1.0, msg);
			w = worst(d, fc.dx.v, fc.dx.n, TOL_ABS, TOL_REL, &md);
			overall = w > overall ? w : overall;
			snprintf(msg, sizeof msg, "%s: input gradient (max diff %.2g)", name, md);
			ok(w <= 1.0, msg);
			rec_free(n);
		}
		fixture_free(&fc);
	}
	fclose(f);
	is_int(cases, 16, "all 16 fixture cases read");
	diag("worst error / tolerance (abs %g + rel %g) = %.3f", TOL_ABS, TOL_REL, overall);
	return done_testing();
}
