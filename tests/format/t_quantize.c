/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_quantize.c - nlp_model_quantize and the PARAMS_Q8 sections, on
 * tests/format/q8-src.nlpm (tokenizer -> embedding 24 x 8 -> 2-layer GRU
 * H8 -> softmax): the quantized file is version 3 and smaller; loaded, every
 * int8 value is exactly q * scale of its row as the encoders' int8 product
 * quantizes (nlp_q8_scale, nlp_q127) and within half a scale of the float32
 * value, quantizing it again gives the same integers, and every other
 * parameter is bit-identical; a quantized model, a missing folder and
 * damaged int8 sections (CRCs made right: a -128, a NaN scale, a wrong
 * block count, a short payload, a version 2 header, float32 and int8
 * parameters together, seeded damage) are refused with the file named,
 * never a crash.  Skips when the built-in modules are not built. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nlpipe/model.h"
#include "tests/tap.h"

/* A copy of the model at path in out, as format version, with section
 * `sec` (its index) given payload d[0..n) (or left out when d is NULL),
 * and one more section of type extra for the same stage after it (0: none).
 * The CRCs are made right. */
static int rewrite(const char *path, const char *out, uint32_t version, size_t sec,
                   const unsigned char *d, size_t n, uint32_t extra)
{
	nlp_model_reader *r = NULL;
	nlp_model_writer *w = NULL;
	nlp_err err = {0};
	int rc = nlp_model_reader_open(&r, path, &err);

	if (!rc)
		rc = nlp_model_writer_open(&w, out, nlp_model_reader_flags(r), &err);
	if (!rc)
		rc = nlp_model_writer_set_version(w, version, &err);
	for (size_t k = 0; r && k < nlp_model_reader_count(r) && !rc; k++) {
		const nlp_model_section *s = nlp_model_reader_section(r, k);
		if (k == sec && !d)
			continue;
		rc = nlp_model_writer_add(w, s->type, s->stage, k == sec ? d : s->data,
		                          k == sec ? n : s->len, &err);
		if (!rc && k == sec && extra)
			rc = nlp_model_writer_add(w, extra, s->stage, s->data, s->len, &err);
	}
	if (w)
		rc = rc ? (nlp_model_writer_abort(w), rc) : nlp_model_writer_commit(w, &err);
	if (rc)
		diag("rewrite: %s", err.msg);
	nlp_model_reader_free(r);
	return rc;
}

/* The file's section index of stage st's PARAMS_Q8 (or PARAMS), or -1. */
static long find_sec(const char *path, uint32_t type, uint32_t st, unsigned char **copy,
                     size_t *len)
{
	nlp_model_reader *r = NULL;
	nlp_err err = {0};
	long at = -1;

	if (nlp_model_reader_open(&r, path, &err))
		return -1;
	for (size_t k = 0; k < nlp_model_reader_count(r); k++) {
		const nlp_model_section *s = nlp_model_reader_section(r, k);
		if (s->type == type && s->stage == st) {
			at = (long)k;
			*len = s->len;
			*copy = malloc(s->len + 1);
			memcpy(*copy, s->data, s->len);
		}
	}
	nlp_model_reader_free(r);
	return at;
}

/* Every parameter of stage i: int8 blocks as the encoders quantize, the
 * others bit-identical.  Counts the values checked into *n_q8. */
static int same_or_quantized(const nlp_model *a, const nlp_model *q, size_t i, size_t *n_q8)
{
	const nlp_stage_class *cls = nlp_pipeline_stage_class(a->pipeline, i);
	const nlp_model_stage *st = &a->stages[i];
	nlp_params pa = {0}, pq = {0};
	int good = 1;

	cls->train->params(nlp_pipeline_stage_instance(a->pipeline, i), &pa);
	cls->train->params(nlp_pipeline_stage_instance(q->pipeline, i), &pq);
	if (pa.count != pq.count)
		return 0;
	char *is_q = calloc(pa.count + 1, 1);
	for (uint32_t k = 0; k < st->n_blocks; k++) {
		const nlp_model_block *b = &st->blocks[k];
		if (i + 1 == a->n_stages || b->rows < 2 || b->cols < 8)
			continue;
		memset(is_q + b->offset, 1, b->count);
		for (uint32_t r = 0; r < b->rows; r++) {
			const float *x = pa.w + b->offset + (size_t)r * b->cols;
			const float *y = pq.w + b->offset + (size_t)r * b->cols;
			float amax = 0, s, inv, amax2 = 0, s2, inv2;
			for (uint32_t c = 0; c < b->cols; c++) {
				amax = fmaxf(amax, fabsf(x[c]));
				amax2 = fmaxf(amax2, fabsf(y[c]));
			}
			nlp_q8_scale(amax, &s, &inv);
			nlp_q8_scale(amax2, &s2, &inv2);
			for (uint32_t c = 0; c < b->cols; c++) {
				const int want = nlp_q127(x[c] * inv);
				good &= y[c] == (float)want * s;
				good &= fabsf(y[c] - x[c]) <= 0.5f * s * (1 + 1e-5f);
				good &= nlp_q127(y[c] * inv2) == want;
				++*n_q8;
			}
		}
	}
	for (size_t k = 0; k < pa.count; k++)
		good &= is_q[k] || !memcmp(&pa.w[k], &pq.w[k], sizeof *pa.w);
	free(is_q);
	return good;
}

/* Loading path is refused with a message naming it and holding what. */
static void refused(nlp_host *h, const char *path, const char *what, const char *name)
{
	nlp_model *m = NULL;
	nlp_err err = {0};
	int rc = nlp_model_load(&m, path, h, &err);

	if (!ok(rc == NLP_EDATA && strstr(err.msg, path) && strstr(err.msg, what), name))
		diag("rc %d: %s", rc, err.msg);
	nlp_model_free(m);
}

/* Seeded damage inside the int8 sections, CRCs made right: no crash, and
 * every refusal names the file. */
static void seeded(nlp_host *h, const char *q, const char *dmg)
{
	nlp_model_reader *r = NULL;
	nlp_err err = {0};
	nlp_rng rng;
	int tries = 0, bad = 0, refusals = 0;

	nlp_rng_seed(&rng, 7);
	if (nlp_model_reader_open(&r, q, &err))
		return;
	for (size_t i = 0; i < nlp_model_reader_count(r); i++) {
		const nlp_model_section *s = nlp_model_reader_section(r, i);
		if (s->type != NLP_SEC_PARAMS_Q8)
			continue;
		for (int t = 0; t < 40; t++) {
			unsigned char *c = malloc(s->len + 1);
			size_t n = s->len;
			nlp_model *m = NULL;
			memcpy(c, s->data, n);
			if (t % 2)
				n = (size_t)(nlp_rng_next(&rng) % n);
			for (int k = 0; k < 1 + t % 4 && n; k++)
				c[nlp_rng_next(&rng) % n] = (unsigned char)nlp_rng_next(&rng);
			if (!rewrite(q, dmg, 3, i, c, n, 0) && nlp_model_load(&m, dmg, h, &err)) {
				refusals++;
				if (!strstr(err.msg, dmg) && bad++ < 5)
					diag("%s", err.msg);
			}
			tries++;
			nlp_model_free(m);
			free(c);
		}
	}
	nlp_model_reader_free(r);
	diag("%d damaged int8 sections, %d refused", tries, refusals);
	ok(tries > 0 && refusals > 0 && !bad,
	   "seeded damage in int8 sections: no crash, refusals name the file");
}

static void damaged(nlp_host *h, const char *q, const char *dmg)
{
	unsigned char *c = NULL;
	size_t n = 0;
	const float nan = NAN;
	/* stage 1, the embedding: n_q 1, index 0, 24 scales, 24 x 8 values */
	long at = find_sec(q, NLP_SEC_PARAMS_Q8, 1, &c, &n);

	if (!ok(at >= 0 && n == 8 + 24 * 4 + 24 * 8,
	        "the embedding's int8 section as documented")) {
		skip(6, "no section");
		free(c);
		return;
	}
	c[8 + 24 * 4] = 0x80;
	rewrite(q, dmg, 3, (size_t)at, c, n, 0);
	refused(h, dmg, "-128", "an int8 value of -128 is refused");
	c[8 + 24 * 4] = 0;
	memcpy(c + 8, &nan, 4);
	rewrite(q, dmg, 3, (size_t)at, c, n, 0);
	refused(h, dmg, "scale", "a NaN scale is refused");
	memcpy(c + 8, c + 12, 4);
	c[0] = 2;
	rewrite(q, dmg, 3, (size_t)at, c, n, 0);
	refused(h, dmg, "int8", "a wrong block count is refused");
	c[0] = 1;
	rewrite(q, dmg, 3, (size_t)at, c, n - 1, 0);
	refused(h, dmg, "size", "a short int8 section is refused");
	rewrite(q, dmg, 2, (size_t)at, c, n, 0);
	refused(h, dmg, "version 2", "int8 parameters in a version 2 file are refused");
	rewrite(q, dmg, 3, (size_t)at, c, n, NLP_SEC_PARAMS);
	refused(h, dmg, "both", "float32 and int8 parameters of one stage are refused");
	free(c);
}

int main(void)
{
	const char *sd = getenv("NLP_TOP_SRCDIR"), *tmp = getenv("TMPDIR");
	char src[4200], dir[4096], q[4200], q2[4200], dmg[4200];
	nlp_quantize_report rep = {0};
	nlp_model *a = NULL, *b = NULL;
	nlp_host *h = NULL;
	nlp_err err = {0};
	size_t n_q8 = 0;
	int rc, good = 1;

	snprintf(src, sizeof src, "%s/tests/format/q8-src.nlpm", sd ? sd : ".");
	if (nlp_host_new(&h, &err) || nlp_host_add_default_paths(h, &err))
		skip_all("no host");
	nlp_host_set_diag(h, NULL, NULL);
	nlp_host_load_modules(h, &err);
	if (!nlp_host_find_class(h, "gru", NULL) || !nlp_host_find_class(h, "embedding", NULL))
		skip_all("the built-in nn and rnn modules are not in NLPIPE_PLUGIN_PATH");
	snprintf(dir, sizeof dir, "%s/nlp-quantize-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		printf("Bail out! cannot make a temporary folder: %s\n", strerror(errno));
		return 1;
	}
	snprintf(q, sizeof q, "%s/q.nlpm", dir);
	snprintf(q2, sizeof q2, "%s/q2.nlpm", dir);
	snprintf(dmg, sizeof dmg, "%s/dmg.nlpm", dir);

	rc = nlp_model_quantize(src, q, &rep, &err);
	if (!is_int(rc, NLP_OK, "quantize the model"))
		diag("%s", err.msg);
	diag("%llu -> %llu bytes, %u int8 blocks (%llu values), %llu float32",
	     (unsigned long long)rep.in_bytes, (unsigned long long)rep.out_bytes, rep.q8_blocks,
	     (unsigned long long)rep.q8_values, (unsigned long long)rep.f32_values);
	ok(rep.q8_blocks == 5 && rep.q8_values == 24 * 8 * 5 && rep.int8_stages == 1 &&
	           rep.out_bytes > 0 && rep.out_bytes < rep.in_bytes,
	   "the report: 5 int8 blocks (table, 4 GRU weights), one encoder made int8, smaller");
	rc = nlp_model_load(&a, src, h, &err) || nlp_model_load(&b, q, h, &err);
	if (!ok(!rc, "both models load")) {
		diag("%s", err.msg);
		skip(4, "no model");
		goto out;
	}
	ok(!nlp_model_is_quantized(a) && nlp_model_is_quantized(b) && b->version == 3 &&
	           a->version == 1,
	   "the quantized model is version 3 and says it is quantized");
	for (size_t i = 1; i < a->n_stages; i++)
		good &= same_or_quantized(a, b, i, &n_q8);
	diag("%zu int8 values checked", n_q8);
	ok(good && n_q8 == 24 * 8 * 5,
	   "int8 values are q * scale as the int8 product quantizes, within scale / 2, "
	   "quantize again to the same integers; the rest bit-identical");
	ok(strstr(b->ini_text, "precision = int8") && strstr(a->ini_text, "precision = fp32"),
	   "the encoder's precision is int8 in the quantized model");

	rc = nlp_model_quantize(q, q2, NULL, &err);
	ok(rc == NLP_ECONFIG && strstr(err.msg, "already quantized") && access(q2, F_OK) != 0,
	   "a quantized model is refused, nothing written");
	snprintf(q2, sizeof q2, "%s/no/such/folder/q.nlpm", dir);
	rc = nlp_model_quantize(src, q2, NULL, &err);
	ok(rc != NLP_OK && access(q2, F_OK) != 0, "an output in a missing folder fails cleanly");

	damaged(h, q, dmg);
	seeded(h, q, dmg);
out:
	nlp_model_free(a);
	nlp_model_free(b);
	nlp_host_free(h);
	unlink(q);
	unlink(dmg);
	rmdir(dir);
	return done_testing();
}
