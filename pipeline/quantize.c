/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* quantize.c - int8 parameters in model files: nlp_model_quantize (what
 * `nlpipe quantize` runs) and the PARAMS_Q8 section's encoding, which
 * model.c reads back.  The format is in docs/model-format.md. */
#define _GNU_SOURCE /* asprintf */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nlpipe/model.h"
#include "internal.h"

/* A block stored int8: at least 2 rows of at least 8 columns. */
static int q8_eligible(const nlp_model_block *b)
{
	return b->rows >= 2 && b->cols >= 8 && (uint64_t)b->rows * b->cols == b->count;
}

/* ==== The PARAMS_Q8 payload ====
 *
 *   u32      n_q: blocks stored int8
 *   u32      their indices in the stage record, increasing (n_q of them)
 *   float32  every value outside those blocks, in buffer order
 *   per int8 block, in the order of the indices:
 *     float32  rows scales (finite, >= 0)
 *     int8     rows x cols values (row-major, -127 .. 127)
 *
 * A value is q * scale of its row. */

/* The int8 blocks of a payload, checked against the stage record.  On
 * success q[0 .. *n_q) are their indices and *f32 the count of float32
 * values; NLP_EDATA (with why) when the payload does not fit the record. */
static int q8_head(const nlp_model_stage *st, const unsigned char *d, size_t len, uint32_t *q,
                   uint32_t *n_q, uint64_t *f32, const char **why)
{
	uint64_t need, inq = 0, bytes = 0;
	uint32_t n;

	*why = "malformed int8 parameter section";
	if (len < 4 || (n = nlp_le32_get(d)) > st->n_blocks || len - 4 < (uint64_t)n * 4)
		return NLP_EDATA;
	for (uint32_t k = 0; k < n; k++) {
		const nlp_model_block *b;
		q[k] = nlp_le32_get(d + 4 + 4 * k);
		if (q[k] >= st->n_blocks || (k && q[k] <= q[k - 1]))
			return NLP_EDATA;
		b = &st->blocks[q[k]];
		if (!q8_eligible(b)) {
			*why = "an int8 block is not a matrix of at least 2 x 8";
			return NLP_EDATA;
		}
		for (uint32_t j = 0; j < k; j++) {
			const nlp_model_block *o = &st->blocks[q[j]];
			if (b->offset < o->offset + o->count && o->offset < b->offset + b->count) {
				*why = "two int8 blocks overlap";
				return NLP_EDATA;
			}
		}
		inq += b->count;
		bytes += b->rows * 4ull + b->count;
	}
	*n_q = n;
	*f32 = st->n_params - inq; /* blocks lie inside the buffer: checked */
	need = 4 + 4ull * n + 4 * *f32 + bytes;
	if (inq > st->n_params || need != len) {
		*why = "the int8 parameter section's size differs from the stage record's";
		return NLP_EDATA;
	}
	return NLP_OK;
}

int nlp_q8_check(nlp_model_stage *st, const unsigned char *d, size_t len, const char **why)
{
	uint32_t *q = malloc((st->n_blocks ? st->n_blocks : 1) * sizeof *q), n_q = 0;
	uint64_t f32;
	int rc;

	if (!q)
		return NLP_ENOMEM;
	rc = q8_head(st, d, len, q, &n_q, &f32, why);
	if (!rc)
		st->n_q8_blocks = n_q;
	free(q);
	return rc;
}

/* Is position k of the buffer inside one of the int8 blocks? The index of
 * the block that starts there, else -1; *end is where the next int8 block
 * (or the buffer) starts. */
static long q8_at(const nlp_model_stage *st, const uint32_t *q, uint32_t n_q, uint64_t k,
                  uint64_t *end)
{
	*end = st->n_params;
	for (uint32_t j = 0; j < n_q; j++) {
		const nlp_model_block *b = &st->blocks[q[j]];
		if (b->offset == k)
			return j;
		if (b->offset > k && b->offset < *end)
			*end = b->offset;
	}
	return -1;
}

/* w[n_params] from a checked payload: the float32 values into the gaps,
 * each int8 block as q * scale. */
int nlp_q8_decode(const nlp_model_stage *st, const unsigned char *d, size_t len, float *w,
                  const char **why)
{
	uint32_t *q = malloc((st->n_blocks ? st->n_blocks : 1) * sizeof *q), n_q = 0;
	const unsigned char *fp, *qp;
	uint64_t f32, k = 0, end;
	int rc;

	if (!q)
		return NLP_ENOMEM;
	if ((rc = q8_head(st, d, len, q, &n_q, &f32, why)))
		goto out;
	fp = d + 4 + 4 * (size_t)n_q;
	while (k < st->n_params) { /* the float32 values, in buffer order */
		long j = q8_at(st, q, n_q, k, &end);
		if (j >= 0) {
			k += st->blocks[q[j]].count;
			continue;
		}
		nlp_model_get_f32(w + k, fp, (size_t)(end - k));
		fp += 4 * (size_t)(end - k);
		k = end;
	}
	qp = fp;
	for (uint32_t j = 0; j < n_q && !rc; j++) {
		const nlp_model_block *b = &st->blocks[q[j]];
		const signed char *v = (const signed char *)(qp + 4 * (size_t)b->rows);
		for (uint32_t r = 0; r < b->rows && !rc; r++) {
			float s;
			nlp_model_get_f32(&s, qp + 4 * (size_t)r, 1);
			if (!isfinite(s) || s < 0.0f) {
				*why = "an int8 block's scale is not a finite number >= 0";
				rc = NLP_EDATA;
			}
			for (uint32_t c = 0; c < b->cols && !rc; c++) {
				const int x = v[(size_t)r * b->cols + c];
				if (x < -127) {
					*why = "an int8 value is -128 (the format uses -127 .. "
					       "127)";
					rc = NLP_EDATA;
				}
				w[b->offset + (size_t)r * b->cols + c] = (float)x * s;
			}
		}
		qp += 4 * (size_t)b->rows + b->count;
	}
out:
	free(q);
	return rc;
}

/* One row of n values: its scale and int8 values (the scale and rounding
 * of models/gemm_int8.c, per output column there, per row here). */
static void q8_row(const float *x, size_t n, float *scale, signed char *out)
{
	float amax = 0.0f, inv;

	for (size_t i = 0; i < n; i++)
		amax = fabsf(x[i]) > amax ? fabsf(x[i]) : amax;
	nlp_q8_scale(amax, scale, &inv);
	for (size_t i = 0; i < n; i++)
		out[i] = (signed char)nlp_q127(x[i] * inv);
}

/* The PARAMS_Q8 payload of stage st, whose values are w, into b. */
static int q8_encode(const nlp_model_stage *st, const float *w, nlp_buf *b,
                     nlp_quantize_report *rep)
{
	uint32_t n_q = 0, *q = malloc((st->n_blocks ? st->n_blocks : 1) * sizeof *q);
	signed char *row = NULL;
	unsigned char le[4];
	uint64_t k = 0, end, maxc = 1;
	int rc = NLP_OK;

	if (!q)
		return NLP_ENOMEM;
	for (uint32_t i = 0; i < st->n_blocks; i++) {
		const nlp_model_block *bl = &st->blocks[i];
		int overlaps = 0;
		for (uint32_t j = 0; j < n_q; j++) {
			const nlp_model_block *o = &st->blocks[q[j]];
			overlaps |= bl->offset < o->offset + o->count &&
			            o->offset < bl->offset + bl->count;
		}
		if (q8_eligible(bl) && !overlaps) {
			q[n_q++] = i;
			maxc = bl->cols > maxc ? bl->cols : maxc;
		}
	}
	row = malloc(maxc);
	rc = row ? nlp_buf_put_u32(b, n_q) : NLP_ENOMEM;
	for (uint32_t j = 0; j < n_q && !rc; j++)
		rc = nlp_buf_put_u32(b, q[j]);
	while (k < st->n_params && !rc) {
		long j = q8_at(st, q, n_q, k, &end);
		if (j >= 0) {
			k += st->blocks[q[j]].count;
			continue;
		}
		rc = nlp_model_buf_put_f32(b, w + k, (size_t)(end - k));
		rep->f32_values += end - k;
		k = end;
	}
	for (uint32_t j = 0; j < n_q && !rc; j++) {
		const nlp_model_block *bl = &st->blocks[q[j]];
		float s;
		/* the scales, then the values: each row quantized twice */
		for (uint32_t r = 0; r < bl->rows && !rc; r++) {
			q8_row(w + bl->offset + (size_t)r * bl->cols, bl->cols, &s, row);
			nlp_le_f32_put(le, &s, 1);
			rc = nlp_buf_put(b, le, 4);
		}
		for (uint32_t r = 0; r < bl->rows && !rc; r++) {
			q8_row(w + bl->offset + (size_t)r * bl->cols, bl->cols, &s, row);
			rc = nlp_buf_put(b, row, bl->cols);
		}
		rep->q8_values += bl->count;
		rep->q8_blocks++;
	}
	free(row);
	free(q);
	return rc;
}

/* ==== nlp_model_quantize ==== */

/* The stored pipeline text with precision = int8 in every section that has
 * a precision key (the stored text holds every option's value). */
static int int8_text(const nlp_model *m, nlp_buf *out, uint32_t *n_int8, nlp_err *err)
{
	nlp_ini *ini = NULL;
	int rc = nlp_ini_parse(&ini, m->path, m->ini_text, m->ini_len, err);

	*n_int8 = 0;
	for (size_t i = 0; !rc && i < nlp_ini_section_count(ini); i++) {
		const char *sec = nlp_ini_section(ini, i, NULL);
		char *set = NULL;
		if (!nlp_ini_get(ini, sec, "precision") || !strcmp(sec, "train"))
			continue;
		if (asprintf(&set, "%s.precision=int8", sec) < 0)
			rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		else
			rc = nlp_ini_override(ini, set, err);
		free(set);
		(*n_int8)++;
	}
	if (!rc && nlp_ini_dump(ini, out))
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
	nlp_ini_free(ini);
	return rc;
}

/* What makes in a model nlpipe quantize does not take. */
static int quantizable(const nlp_model *m, nlp_err *err)
{
	int any = 0;

	if (m->flags & NLP_MODEL_CHECKPOINT)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "%s is a training checkpoint: quantize the model that train "
		                   "wrote (the file without .ckpt)",
		                   m->path);
	if (nlp_model_is_quantized(m))
		return nlp_err_set(err, NLP_ECONFIG,
		                   "%s is already quantized: quantize the fp32 model it was made "
		                   "from",
		                   m->path);
	if (m->n_labels == 0)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "%s is a language or sequence-to-sequence model: nlpipe "
		                   "quantize handles classifiers only",
		                   m->path);
	for (size_t i = 0; i + 1 < m->n_stages; i++)
		for (uint32_t k = 0; k < m->stages[i].n_blocks; k++)
			any |= q8_eligible(&m->stages[i].blocks[k]);
	if (!any)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "%s: nothing to quantize: no stage before the last has a "
		                   "parameter matrix of at least 2 rows x 8 columns",
		                   m->path);
	return NLP_OK;
}

/* One section of the input, as it goes to the output. */
static int copy_section(nlp_model_writer *w, const nlp_model *m, const nlp_model_section *s,
                        const nlp_buf *text, nlp_quantize_report *rep, nlp_err *err)
{
	const nlp_model_stage *st = s->stage < m->n_stages ? &m->stages[s->stage] : NULL;
	nlp_buf b = {0};
	float *x = NULL;
	int rc;

	if (s->type == NLP_SEC_PIPELINE)
		return nlp_model_writer_add(w, s->type, s->stage, text->data, text->len, err);
	if (s->type != NLP_SEC_PARAMS || !st || s->stage + 1 == m->n_stages) {
		if (s->type == NLP_SEC_PARAMS)
			rep->f32_values += s->len / 4;
		return nlp_model_writer_add(w, s->type, s->stage, s->data, s->len, err);
	}
	x = malloc(st->n_params ? st->n_params * sizeof *x : 1);
	if (!x) {
		rc = nlp_err_set(err, NLP_ENOMEM, "%s: out of memory", m->path);
		goto out;
	}
	nlp_model_get_f32(x, s->data, st->n_params);
	if ((rc = q8_encode(st, x, &b, rep))) {
		rc = nlp_err_set(err, rc, "%s: out of memory", m->path);
		goto out;
	}
	rc = nlp_model_writer_add(w, NLP_SEC_PARAMS_Q8, s->stage, b.data, b.len, err);
out:
	free(b.data);
	free(x);
	return rc;
}

int nlp_model_quantize(const char *in_path, const char *out_path, nlp_quantize_report *report,
                       nlp_err *err)
{
	nlp_quantize_report rep = {0};
	nlp_model *m = NULL;
	nlp_model_writer *w = NULL;
	nlp_buf text = {0};
	struct stat sb;
	int rc;

	if ((rc = nlp_model_read(&m, in_path, err)))
		goto out;
	if ((rc = quantizable(m, err)) || (rc = int8_text(m, &text, &rep.int8_stages, err)))
		goto out;
	if ((rc = nlp_model_writer_open(&w, out_path, 0, err)) ||
	    (rc = nlp_model_writer_set_version(w, 3, err)))
		goto out;
	for (size_t i = 0; i < nlp_model_reader_count(m->reader_) && !rc; i++)
		rc = copy_section(w, m, nlp_model_reader_section(m->reader_, i), &text, &rep, err);
	if (rc)
		goto out;
	rc = nlp_model_writer_commit(w, err);
	w = NULL;
	rep.in_bytes = m->size;
	if (!rc && stat(out_path, &sb) == 0)
		rep.out_bytes = (uint64_t)sb.st_size;
out:
	nlp_model_writer_abort(w);
	nlp_model_free(m);
	free(text.data);
	if (report)
		*report = rep;
	return rc;
}
