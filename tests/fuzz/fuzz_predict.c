/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* fuzz_predict.c - fuzz target: the predict path (nlp_classify_texts of
 * <nlpipe/classifier.h>) on the small model tests/fuzz/tiny.nlpm (trained
 * on examples/reviews with tests/fuzz/tiny.ini, one epoch: 4 kB).  The bytes
 * are up to 16 texts separated by NUL bytes, in any encoding.  Checks: a
 * classified text's probabilities are finite and sum to 1; a refused one's
 * row is zero. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nlpipe/classifier.h"
#include "tests/fuzz/fuzz.h"

#define MAX_TEXTS 16

static nlp_classifier *classifier(void)
{
	static nlp_classifier *c;
	nlp_classifier_opts o = {0};
	nlp_err err = {0};

	if (c)
		return c;
	o.threads = 1;
	if (nlp_classifier_open(&c, fuzz_src_path("tests/fuzz/tiny.nlpm"), &o, &err))
		fuzz_fail("set-up: %s", err.msg);
	return c;
}

static void check_row(const float *p, size_t C, int status, size_t i)
{
	double sum = 0;

	for (size_t k = 0; k < C; k++) {
		if (!isfinite(p[k]) || p[k] < 0 || p[k] > 1)
			fuzz_fail("text %zu: probability %zu is %g", i, k, (double)p[k]);
		sum += p[k];
	}
	if (status == NLP_OK && fabs(sum - 1) > 1e-4)
		fuzz_fail("text %zu: probabilities sum to %g", i, sum);
	if (status != NLP_OK && sum != 0)
		fuzz_fail("text %zu: refused (%d) but its row sums to %g", i, status, sum);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	nlp_classifier *c = classifier();
	const size_t C = nlp_classifier_label_count(c);
	const char *texts[MAX_TEXTS];
	size_t lens[MAX_TEXTS], n = 0, start = 0;
	float probs[MAX_TEXTS * 8];
	int status[MAX_TEXTS];
	nlp_err err = {0};

	if (C > 8)
		fuzz_fail("set-up: the model has %zu labels", C);
	for (size_t i = 0; i <= size && n < MAX_TEXTS; i++) {
		if (i == size || data[i] == 0) {
			texts[n] = (const char *)data + start;
			lens[n++] = i - start;
			start = i + 1;
		}
	}
	if (nlp_classify_texts(c, texts, lens, n, probs, status, &err)) {
		if (!err.msg[0])
			fuzz_fail("nlp_classify_texts failed without a message");
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		check_row(probs + i * C, C, status[i], i);
	return 0;
}
