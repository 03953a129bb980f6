/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/dropout.c - inverted dropout (see dropout.h). */
#include "config.h"

#include "dropout.h"

void dropout_forward(float *out, float *mask, const float *in, int n, float p, nlp_rng *rng)
{
	const float keep = 1.0f / (1.0f - p);

	for (int i = 0; i < n; i++) {
		mask[i] = nlp_rng_uniform(rng) < p ? 0.0f : keep;
		out[i] = in[i] * mask[i];
	}
}

void dropout_backward(float *din, const float *dout, const float *mask, int n)
{
	for (int i = 0; i < n; i++)
		din[i] = dout[i] * mask[i];
}
