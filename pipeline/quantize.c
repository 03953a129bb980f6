/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* quantize.c - int8 parameters in model files: nlp_model_quantize (what
 * `nlpipe quantize` runs) and the PARAMS_Q8 section's encoding, which
 * model.c reads back.  The format is in docs/model-format.md. */
#define _GNU_SOURCE /* asprintf */
#include "config.h"

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

/* An int8 block: where it lies in the buffer, and its scales in the payload. */
typedef struct q8_part {
	uint64_t offset, count;
	uint32_t block; /* index in the stage record */
	size_t at;      /* payload offset of its scales (set by q8_head) */
} q8_part;

static int by_offset(const void *a, const void *b)
{
	const q8_part *x = a, *y = b;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* The int8 blocks of a payload, checked against the stage record: on
 * success p[0 .. *n_q) are they, sorted by offset (p holds st->n_blocks),
 * and *fp32 the payload offset of the float32 values.  NLP_EDATA (with
 * why) when the payload does not fit the record. */
static int q8_head(const nlp_model_stage *st, const unsigned char *d, size_t len, q8_part *p,
                   uint32_t *n_q, size_t *fp32, const char **why)
{
	uint64_t inq = 0, rel = 0, base;
	uint32_t n, prev = 0;

	*why = "malformed int8 parameter section";
	if (len < 4 || (n = nlp_le32_get(d)) > st->n_blocks || len - 4 < (uint64_t)n * 4)
		return NLP_EDATA;
	for (uint32_t k = 0; k < n; k++) {
		const uint32_t i = nlp_le32_get(d + 4 + 4 * (size_t)k);
		if (i >= st->n_blocks || (k && i <= prev))
			return NLP_EDATA;
		prev = i;
		if (!q8_eligible(&st->blocks[i])) {
			*why = "an int8 block is not a matrix of at least 2 x 8";
			return NLP_EDATA;
		}
		/* at: from the end of the float32 values, until their count is known */
		p[k] = (q8_part){st->blocks[i].offset, st->blocks[i].count, i, (size_t)rel};
		inq += p[k].count;
		rel += st->blocks[i].rows * 4ull + st->blocks[i].count;
	}
	/* blocks lie inside the buffer (checked with the stage record) */
	qsort(p, n, sizeof *p, by_offset);
	for (uint32_t k = 1; k < n; k++)
		if (p[k].offset < p[k - 1].offset + p[k - 1].count) {
			*why = "two int8 blocks overlap";
			return NLP_EDATA;
		}
	*fp32 = 4 + 4 * (size_t)n;
	base = *fp32 + 4 * (st->n_params - inq);
	if (base + rel != len) {
		*why = "the int8 parameter section's size differs from the stage record's";
		return NLP_EDATA;
	}
	for (uint32_t k = 0; k < n; k++)
		p[k].at += (size_t)base;
	*n_q = n;
	return NLP_OK;
}

/* Block part of the buffer w from its scales and values at d. */
static int q8_part_decode(const nlp_model_block *b, const unsigned char *d, float *w,
                          const char **why)
{
	const signed char *v = (const signed char *)(d + 4 * (size_t)b->rows);

	for (uint32_t r = 0; r < b->rows; r++) {
		float s;
		nlp_model_get_f32(&s, d + 4 * (size_t)r, 1);
		if (!isfinite(s) || s < 0.0f) {
			*why = "an int8 block's scale is not a finite number >= 0";
			return NLP_EDATA;
		}
		for (uint32_t c = 0; c < b->cols; c++) {
			const int x = v[(size_t)r * b->cols + c];
			if (x < -127) {
				*why = "an int8 value is -128 (the format uses -127 .. 127)";
				return NLP_EDATA;
			}
			w[(size_t)r * b->cols + c] = (float)x * s;
		}
	}
	return NLP_OK;
}

/* The payload's int8 blocks checked against the stage record (their count
 * into *n_q); when w is not NULL, also w[n_params] from the payload: the
 * float32 values into the gaps between the int8 blocks, in buffer order,
 * and each int8 block as q * scale. */
static int q8_read(const nlp_model_stage *st, const unsigned char *d, size_t len, float *w,
                   uint32_t *n_q, const char **why)
{
	q8_part *p = malloc((st->n_blocks ? st->n_blocks : 1) * sizeof *p);
	uint64_t k = 0;
	size_t fp;
	int rc;

	if (!p)
		return NLP_ENOMEM;
	rc = q8_head(st, d, len, p, n_q, &fp, why);
	for (uint32_t j = 0; w && j <= *n_q && !rc; j++) {
		const uint64_t end = j < *n_q ? p[j].offset : st->n_params;
		nlp_model_get_f32(w + k, d + fp, (size_t)(end - k));
		fp += 4 * (size_t)(end - k);
		if (j < *n_q) {
			rc = q8_part_decode(&st->blocks[p[j].block], d + p[j].at, w + end, why);
			k = end + p[j].count;
		}
	}
	free(p);
	return rc;
}

int nlp_q8_check(nlp_model_stage *st, const unsigned char *d, size_t len, const char **why)
{
	uint32_t n_q = 0;
	int rc = q8_read(st, d, len, NULL, &n_q, why);

	if (!rc)
		st->n_q8_blocks = n_q;
	return rc;
}

int nlp_q8_decode(const nlp_model_stage *st, const unsigned char *d, size_t len, float *w,
                  const char **why)
{
	uint32_t n_q = 0;

	return q8_read(st, d, len, w, &n_q, why);
}

/* One row of n values: its scale and int8 values. */
static void q8_row(const float *x, size_t n, float *scale, signed char *out)
{
	float amax = 0.0f, inv;

	for (size_t i = 0; i < n; i++)
		amax = fabsf(x[i]) > amax ? fabsf(x[i]) : amax;
	nlp_q8_scale(amax, scale, &inv);
	for (size_t i = 0; i < n; i++)
		out[i] = (signed char)nlp_q127(x[i] * inv);
}

static int by_block(const void *a, const void *b)
{
	const q8_part *x = a, *y = b;
	return x->block < y->block ? -1 : x->block > y->block;
}

/* The blocks of st to store int8: every eligible one that overlaps no
 * earlier kept one (by offset), into p in index order; returns how many. */
static uint32_t q8_choose(const nlp_model_stage *st, q8_part *p)
{
	uint32_t n = 0, kept = 0;

	for (uint32_t i = 0; i < st->n_blocks; i++)
		if (q8_eligible(&st->blocks[i]))
			p[n++] = (q8_part){st->blocks[i].offset, st->blocks[i].count, i, 0};
	qsort(p, n, sizeof *p, by_offset);
	for (uint32_t k = 0; k < n; k++)
		if (!kept || p[k].offset >= p[kept - 1].offset + p[kept - 1].count)
			p[kept++] = p[k];
	qsort(p, kept, sizeof *p, by_block);
	return kept;
}

/* The PARAMS_Q8 payload of stage st, whose values are w, into b. */
static int q8_encode(const nlp_model_stage *st, const float *w, nlp_buf *b,
                     nlp_quantize_report *rep)
{
	q8_part *p = malloc((st->n_blocks ? st->n_blocks : 1) * sizeof *p);
	signed char *row = NULL;
	unsigned char le[4];
	uint32_t n_q = p ? q8_choose(st, p) : 0, maxc = 1;
	uint64_t k = 0;
	int rc = p ? NLP_OK : NLP_ENOMEM;

	for (uint32_t j = 0; j < n_q; j++)
		maxc = st->blocks[p[j].block].cols > maxc ? st->blocks[p[j].block].cols : maxc;
	if (!rc && !(row = malloc(maxc)))
		rc = NLP_ENOMEM;
	rc = rc ? rc : nlp_buf_put_u32(b, n_q);
	for (uint32_t j = 0; j < n_q && !rc; j++)
		rc = nlp_buf_put_u32(b, p[j].block);
	if (!rc) /* the float32 values: the gaps between the blocks, by offset */
		qsort(p, n_q, sizeof *p, by_offset);
	for (uint32_t j = 0; j <= n_q && !rc; j++) {
		const uint64_t end = j < n_q ? p[j].offset : st->n_params;
		rc = nlp_model_buf_put_f32(b, w + k, (size_t)(end - k));
		rep->f32_values += end - k;
		k = j < n_q ? end + p[j].count : end;
	}
	if (!rc)
		qsort(p, n_q, sizeof *p, by_block);
	for (uint32_t j = 0; j < n_q && !rc; j++) {
		const nlp_model_block *bl = &st->blocks[p[j].block];
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
	free(p);
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

/* Does stage i get a PARAMS_Q8 section: is it not the last, and has it a
 * block to store int8? */
static int q8_stage(const nlp_model *m, size_t i)
{
	const nlp_model_stage *st = &m->stages[i];
	int any = 0;

	for (uint32_t k = 0; k < st->n_blocks && i + 1 < m->n_stages; k++)
		any |= q8_eligible(&st->blocks[k]);
	return any;
}

/* What in a model nlpipe quantize does not take. */
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
	if (m->n_members)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "%s is an ensemble of %zu models ([train] ensemble): nlpipe "
		                   "quantizes one model; train with ensemble = 1 to quantize",
		                   m->path, m->n_members + 1);
	if (m->n_labels == 0)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "%s is a language or sequence-to-sequence model: nlpipe "
		                   "quantize handles classifiers only",
		                   m->path);
	for (size_t i = 0; i < m->n_stages; i++)
		any |= q8_stage(m, i);
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
	if (s->type != NLP_SEC_PARAMS || !st || !q8_stage(m, s->stage)) {
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
