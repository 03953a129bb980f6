/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* model.c - model files: the checked container and the trained pipeline in it.
 * The format is described in docs/model-format.md; the API in nlpipe/model.h.
 */
#define _GNU_SOURCE /* vasprintf */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "nlpipe/lm.h"
#include "nlpipe/seq2seq.h"
#include "nlpipe/model.h"
#include "nlpipe/reader.h"
#include "nlpipe/trainer.h"
#include "internal.h"

static const unsigned char model_magic[8] = {0x89, 'N', 'L', 'P', '\r', '\n', 0x1a, '\n'};

#define SEC_HEAD     16u             /* type u32, stage u32, length u64 */
#define SEC_OVERHEAD (SEC_HEAD + 4u) /* plus the CRC32 after the payload */
#define MAX_NAME     4096u           /* longest name, label or module version we accept */
#define MAX_TEXT     (1u << 30)      /* longest INI text or metadata value */

static uint32_t crc_update(uint32_t crc, const void *data, size_t len)
{
	if (!len) /* zlib treats a NULL buffer as "give the initial value" */
		return crc;
	return (uint32_t)crc32_z(crc, (const Bytef *)data, len);
}

/* ==== The writer ==== */

struct nlp_model_writer {
	nlp_atomic_file af; /* the file, written atomically */
	uint32_t flags;
	uint32_t version;
	uint32_t count;
	uint64_t size;
	int rc;            /* first failure, sticky */
	nlp_err first_err; /* its message */
};

static int writer_fail(nlp_model_writer *w, nlp_err *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int writer_fail(nlp_model_writer *w, nlp_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!w->rc) {
		w->rc = code;
		w->first_err.code = code;
		va_start(ap, fmt);
		vsnprintf(w->first_err.msg, sizeof w->first_err.msg, fmt, ap);
		va_end(ap);
	}
	if (err)
		*err = w->first_err;
	return w->rc;
}

static void writer_free(nlp_model_writer *w)
{
	nlp_atomic_abort(&w->af);
	free(w);
}

int nlp_model_writer_open(nlp_model_writer **out, const char *path, uint32_t flags, nlp_err *err)
{
	nlp_model_writer *w = NULL;
	unsigned char zero[NLP_MODEL_HEADER_SIZE] = {0};
	int rc = NLP_OK;

	*out = NULL;
	if (!path || !*path)
		return nlp_err_set(err, NLP_ECONFIG, "model file: no path given");
	w = calloc(1, sizeof *w);
	if (!w)
		return nlp_err_set(err, NLP_ENOMEM, "%s: out of memory", path);
	w->flags = flags;
	w->version = NLP_MODEL_FORMAT_VERSION;
	if ((rc = nlp_atomic_open(&w->af, path, err)))
		goto out;
	/* The header is written last, once sizes are known. */
	if (fwrite(zero, 1, sizeof zero, w->af.f) != sizeof zero) {
		rc = nlp_err_set(err, NLP_EIO, "%s: write failed: %s", w->af.tmp, strerror(errno));
		goto out;
	}
	w->size = sizeof zero;
out:
	if (rc)
		writer_free(w);
	else
		*out = w;
	return rc;
}

static int writer_put(nlp_model_writer *w, const void *p, size_t n, uint32_t *crc, nlp_err *err)
{
	if (n && fwrite(p, 1, n, w->af.f) != n)
		return writer_fail(w, err, NLP_EIO, "%s: write failed: %s", w->af.tmp,
		                   strerror(errno ? errno : EIO));
	*crc = crc_update(*crc, p, n);
	w->size += n;
	return NLP_OK;
}

static int writer_head(nlp_model_writer *w, uint32_t type, uint32_t stage, uint64_t len,
                       uint32_t *crc, nlp_err *err)
{
	unsigned char h[SEC_HEAD];

	if (w->rc)
		return writer_fail(w, err, w->rc, "(earlier failure)");
	if (type == 0)
		return writer_fail(w, err, NLP_EINTERNAL, "%s: section type 0 is reserved",
		                   w->af.path);
	if (w->count == UINT32_MAX)
		return writer_fail(w, err, NLP_EINTERNAL, "%s: too many sections", w->af.path);
	nlp_le32_put(h, type);
	nlp_le32_put(h + 4, stage);
	nlp_le64_put(h + 8, len);
	*crc = 0;
	return writer_put(w, h, sizeof h, crc, err);
}

static int writer_tail(nlp_model_writer *w, uint32_t crc, nlp_err *err)
{
	unsigned char c[4];
	uint32_t dummy = 0;
	int rc;

	nlp_le32_put(c, crc);
	rc = writer_put(w, c, 4, &dummy, err);
	if (!rc)
		w->count++;
	return rc;
}

int nlp_model_writer_add(nlp_model_writer *w, uint32_t type, uint32_t stage, const void *data,
                         size_t len, nlp_err *err)
{
	uint32_t crc;
	int rc;

	if ((rc = writer_head(w, type, stage, len, &crc, err)))
		return rc;
	if ((rc = writer_put(w, data, len, &crc, err)))
		return rc;
	return writer_tail(w, crc, err);
}

int nlp_model_writer_add_f32(nlp_model_writer *w, uint32_t type, uint32_t stage, const float *x,
                             size_t n, nlp_err *err)
{
	unsigned char chunk[4096];
	uint32_t crc;
	int rc;

	if (n > SIZE_MAX / 4)
		return writer_fail(w, err, NLP_EINTERNAL, "%s: section too large", w->af.path);
	if ((rc = writer_head(w, type, stage, (uint64_t)n * 4, &crc, err)))
		return rc;
	while (n) {
		size_t k = n < sizeof chunk / 4 ? n : sizeof chunk / 4;

		nlp_le_f32_put(chunk, x, k);
		if ((rc = writer_put(w, chunk, 4 * k, &crc, err)))
			return rc;
		x += k;
		n -= k;
	}
	return writer_tail(w, crc, err);
}

int nlp_model_writer_set_version(nlp_model_writer *w, uint32_t version, nlp_err *err)
{
	if (version < 1 || version > NLP_MODEL_FORMAT_VERSION)
		return writer_fail(w, err, NLP_EINTERNAL, "%s: no model format version %u",
		                   w->af.tmp, version);
	w->version = version;
	return NLP_OK;
}

int nlp_model_writer_commit(nlp_model_writer *w, nlp_err *err)
{
	unsigned char h[NLP_MODEL_HEADER_SIZE] = {0};
	int rc = w->rc;

	if (rc) {
		if (err)
			*err = w->first_err;
		goto out;
	}
	memcpy(h, model_magic, 8);
	nlp_le32_put(h + 8, NLP_MODEL_HEADER_SIZE);
	nlp_le32_put(h + 12, w->version);
	nlp_le32_put(h + 16, w->flags);
	nlp_le32_put(h + 20, w->count);
	nlp_le64_put(h + 24, w->size);
	nlp_le32_put(h + NLP_MODEL_HEADER_SIZE - 4, crc_update(0, h, NLP_MODEL_HEADER_SIZE - 4));
	errno = 0;
	if (fseek(w->af.f, 0, SEEK_SET) || fwrite(h, 1, sizeof h, w->af.f) != sizeof h) {
		rc = nlp_err_set(err, NLP_EIO, "%s: write failed: %s", w->af.tmp,
		                 strerror(errno ? errno : EIO));
		goto out;
	}
	rc = nlp_atomic_commit(&w->af, err);
out:
	writer_free(w);
	return rc;
}

void nlp_model_writer_abort(nlp_model_writer *w)
{
	if (w)
		writer_free(w);
}

/* ==== The reader ==== */

struct nlp_model_reader {
	char *name;
	unsigned char *data;
	size_t len;
	uint32_t version, flags;
	nlp_model_section *sec;
	size_t n_sec;
};

void nlp_model_reader_free(nlp_model_reader *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->data);
	free(r->sec);
	free(r);
}

/* Check everything about the container.  Order matters for the messages:
 * magic, header size, header CRC, version, total size, then sections. */
static int reader_parse(nlp_model_reader *r, nlp_err *err)
{
	const unsigned char *d = r->data;
	const char *name = r->name;
	uint32_t hsize, count;
	uint64_t total, pos;
	size_t n = r->len;

	if (n == 0)
		return nlp_err_set(err, NLP_EDATA, "%s: empty file, not an nlpipe model", name);
	if (memcmp(d, model_magic, n < 8 ? n : 8) != 0)
		return nlp_err_set(err, NLP_EDATA,
		                   "%s: not an nlpipe model file (wrong magic bytes at the start)",
		                   name);
	if (n < 16)
		return nlp_err_set(err, NLP_EDATA,
		                   "%s: truncated: %zu bytes, shorter than the model header", name,
		                   n);
	hsize = nlp_le32_get(d + 8);
	if (hsize < NLP_MODEL_HEADER_SIZE || hsize > 4096 || hsize % 4)
		return nlp_err_set(err, NLP_EDATA,
		                   "%s: corrupt header (header size %u): the file is damaged", name,
		                   hsize);
	if (n < hsize)
		return nlp_err_set(err, NLP_EDATA,
		                   "%s: truncated: %zu bytes, shorter than the %u-byte header",
		                   name, n, hsize);
	if (crc_update(0, d, hsize - 4) != nlp_le32_get(d + hsize - 4))
		return nlp_err_set(err, NLP_EDATA,
		                   "%s: header checksum mismatch: the file is damaged", name);
	r->version = nlp_le32_get(d + 12);
	r->flags = nlp_le32_get(d + 16);
	count = nlp_le32_get(d + 20);
	total = nlp_le64_get(d + 24);
	if (r->version == 0)
		return nlp_err_set(err, NLP_EDATA, "%s: corrupt header (format version 0)", name);
	if (r->version > NLP_MODEL_FORMAT_VERSION)
		return nlp_err_set(err, NLP_EDATA,
		                   "%s: model format version %u is newer than this nlpipe (%s) "
		                   "reads (up to %u): upgrade nlpipe to use this model",
		                   name, r->version, nlp_version(), NLP_MODEL_FORMAT_VERSION);
	if (total > n)
		return nlp_err_set(err, NLP_EDATA,
		                   "%s: truncated: %zu of %llu bytes (was it copied completely?)",
		                   name, n, (unsigned long long)total);
	if (total < n)
		return nlp_err_set(err, NLP_EDATA,
		                   "%s: %zu bytes but the header says %llu: extra data at the end",
		                   name, n, (unsigned long long)total);
	if (count > (n - hsize) / SEC_OVERHEAD)
		return nlp_err_set(err, NLP_EDATA,
		                   "%s: corrupt header (%u sections cannot fit in %zu bytes)", name,
		                   count, n);
	r->sec = calloc(count ? count : 1, sizeof *r->sec);
	if (!r->sec)
		return nlp_err_set(err, NLP_ENOMEM, "%s: out of memory", name);
	pos = hsize;
	for (uint32_t i = 0; i < count; i++) {
		nlp_model_section *s = &r->sec[i];
		uint64_t len;

		if (n - pos < SEC_OVERHEAD)
			return nlp_err_set(err, NLP_EDATA,
			                   "%s: section %u of %u at byte %llu: truncated header",
			                   name, i + 1, count, (unsigned long long)pos);
		s->type = nlp_le32_get(d + pos);
		s->stage = nlp_le32_get(d + pos + 4);
		len = nlp_le64_get(d + pos + 8);
		s->offset = (size_t)pos;
		if (len > n - pos - SEC_OVERHEAD)
			return nlp_err_set(err, NLP_EDATA,
			                   "%s: section %u of %u at byte %llu: its length (%llu "
			                   "bytes) runs past the end of the file: the file is "
			                   "damaged or truncated",
			                   name, i + 1, count, (unsigned long long)pos,
			                   (unsigned long long)len);
		if (crc_update(0, d + pos, SEC_HEAD + len) !=
		    nlp_le32_get(d + pos + SEC_HEAD + len))
			return nlp_err_set(err, NLP_EDATA,
			                   "%s: section %u of %u (type %u) at byte %llu: checksum "
			                   "mismatch: the file is damaged",
			                   name, i + 1, count, s->type, (unsigned long long)pos);
		if (s->type == 0)
			return nlp_err_set(err, NLP_EDATA,
			                   "%s: section %u at byte %llu has type 0: the file is "
			                   "damaged",
			                   name, i + 1, (unsigned long long)pos);
		s->data = d + pos + SEC_HEAD;
		s->len = (size_t)len;
		pos += SEC_OVERHEAD + len;
	}
	if (pos != n)
		return nlp_err_set(
		        err, NLP_EDATA,
		        "%s: %llu bytes after the last of %u sections: the file is damaged", name,
		        (unsigned long long)(n - pos), count);
	r->n_sec = count;
	return NLP_OK;
}

static int reader_new(nlp_model_reader **out, const char *name, nlp_err *err)
{
	nlp_model_reader *r = calloc(1, sizeof *r);

	*out = NULL;
	if (!r || !(r->name = strdup(name))) {
		free(r);
		return nlp_err_set(err, NLP_ENOMEM, "%s: out of memory", name);
	}
	*out = r;
	return NLP_OK;
}

int nlp_model_reader_open_mem(nlp_model_reader **out, const char *name, const void *data,
                              size_t len, nlp_err *err)
{
	nlp_model_reader *r;
	int rc;

	*out = NULL;
	if ((rc = reader_new(&r, name, err)))
		return rc;
	r->data = malloc(len ? len : 1);
	if (!r->data) {
		rc = nlp_err_set(err, NLP_ENOMEM, "%s: out of memory", name);
		goto out;
	}
	if (len)
		memcpy(r->data, data, len);
	r->len = len;
	rc = reader_parse(r, err);
out:
	if (rc)
		nlp_model_reader_free(r);
	else
		*out = r;
	return rc;
}

int nlp_model_reader_open(nlp_model_reader **out, const char *path, nlp_err *err)
{
	nlp_model_reader *r = NULL;
	struct stat st;
	size_t got = 0;
	FILE *f = NULL;
	int rc;

	*out = NULL;
	if ((rc = reader_new(&r, path, err)))
		return rc;
	rc = nlp_open_regular(path, &f);
	if (rc < 0) {
		rc = nlp_err_set(err, NLP_EIO, "%s: cannot open the model file: %s", path,
		                 strerror(errno));
		goto out;
	}
	if (rc > 0 || fstat(fileno(f), &st)) {
		rc = nlp_err_set(err, NLP_EIO, "%s: not a regular file: give a model file", path);
		goto out;
	}
	if ((uint64_t)st.st_size >= SIZE_MAX / 2) {
		rc = nlp_err_set(err, NLP_EDATA, "%s: too large for a model file", path);
		goto out;
	}
	r->data = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!r->data) {
		rc = nlp_err_set(err, NLP_ENOMEM, "%s: out of memory (%lld bytes)", path,
		                 (long long)st.st_size);
		goto out;
	}
	got = fread(r->data, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		rc = nlp_err_set(err, NLP_EIO, "%s: read failed: %s", path, strerror(errno));
		goto out;
	}
	r->len = got; /* a file that shrank while we read is simply shorter */
	rc = reader_parse(r, err);
out:
	if (f)
		fclose(f);
	if (rc)
		nlp_model_reader_free(r);
	else
		*out = r;
	return rc;
}

const char *nlp_model_reader_name(const nlp_model_reader *r)
{
	return r->name;
}

uint32_t nlp_model_reader_version(const nlp_model_reader *r)
{
	return r->version;
}

uint32_t nlp_model_reader_flags(const nlp_model_reader *r)
{
	return r->flags;
}

uint64_t nlp_model_reader_size(const nlp_model_reader *r)
{
	return r->len;
}

size_t nlp_model_reader_count(const nlp_model_reader *r)
{
	return r->n_sec;
}

const nlp_model_section *nlp_model_reader_section(const nlp_model_reader *r, size_t i)
{
	return i < r->n_sec ? &r->sec[i] : NULL;
}

const nlp_model_section *nlp_model_reader_find(const nlp_model_reader *r, uint32_t type,
                                               uint32_t stage)
{
	for (size_t i = 0; i < r->n_sec; i++)
		if (r->sec[i].type == type && r->sec[i].stage == stage)
			return &r->sec[i];
	return NULL;
}

/* ==== Metadata ==== */

int nlp_model_meta_set(nlp_model_meta *m, const char *key, const char *value)
{
	char *v;

	for (size_t i = 0; i < m->n; i++) {
		if (strcmp(m->kv[i].key, key) == 0) {
			if (!(v = strdup(value)))
				return NLP_ENOMEM;
			free(m->kv[i].value);
			m->kv[i].value = v;
			return NLP_OK;
		}
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 8;
		nlp_model_kv *kv = realloc(m->kv, cap * sizeof *kv);
		if (!kv)
			return NLP_ENOMEM;
		m->kv = kv;
		m->cap = cap;
	}
	m->kv[m->n].key = strdup(key);
	m->kv[m->n].value = strdup(value);
	if (!m->kv[m->n].key || !m->kv[m->n].value) {
		free(m->kv[m->n].key);
		free(m->kv[m->n].value);
		return NLP_ENOMEM;
	}
	m->n++;
	return NLP_OK;
}

int nlp_model_meta_setf(nlp_model_meta *m, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n, rc;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NLP_ENOMEM;
	rc = nlp_model_meta_set(m, key, s);
	free(s);
	return rc;
}

const char *nlp_model_meta_get(const nlp_model_meta *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->kv[i].key, key) == 0)
			return m->kv[i].value;
	return NULL;
}

void nlp_model_meta_free(nlp_model_meta *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->kv[i].key);
		free(m->kv[i].value);
	}
	free(m->kv);
	memset(m, 0, sizeof *m);
}

int nlp_model_meta_set_date(nlp_model_meta *m)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	time_t t = time(NULL);
	struct tm tm;
	char buf[64];

	if (sde && *sde) {
		char *end;
		long long v = strtoll(sde, &end, 10);
		if (*end == '\0' && v >= 0)
			t = (time_t)v;
	}
	if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return NLP_EINTERNAL;
	return nlp_model_meta_set(m, "date", buf);
}

/* ==== Saving a pipeline ==== */

static int buf_printf(nlp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int buf_printf(nlp_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n, rc;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NLP_ENOMEM;
	rc = nlp_buf_put(b, s, (size_t)n);
	free(s);
	return rc;
}

static int value_storable(const char *v)
{
	size_t n = strlen(v);

	/* INI values are one line, trimmed, and an inline " ;" starts a comment. */
	if (strpbrk(v, "\r\n") || strstr(v, " ;") || strstr(v, "\t;") || strstr(v, " #"))
		return 0;
	return n == 0 || (v[0] != ' ' && v[0] != '\t' && v[n - 1] != ' ' && v[n - 1] != '\t');
}

/* One section: [sec], type = (stages only), then every option value of c
 * except empty defaults. */
static int put_section(nlp_buf *b, const char *sec, const char *type, const char *input,
                       double lr_scale, const nlp_config *c, const char *path, nlp_err *err)
{
	size_t nc = c ? nlp_config_count(c) : 0;
	int rc = buf_printf(b, "\n[%s]\n", sec);

	if (type)
		rc |= buf_printf(b, "type = %s\n", type);
	if (input)
		rc |= buf_printf(b, "input = %s\n", input);
	if (lr_scale != 1.0) {
		char g[40];
		snprintf(g, sizeof g, "%g", lr_scale);
		if (strtod(g, NULL) != lr_scale)
			snprintf(g, sizeof g, "%.17g", lr_scale);
		rc |= buf_printf(b, "lr_scale = %s\n", g);
	}
	for (size_t k = 0; k < nc && !rc; k++) {
		const char *v = NULL;
		int is_default = 0;
		const char *key = nlp_config_entry(c, k, &v, &is_default);

		if (!key || !v || strcmp(key, "type") == 0)
			continue;
		if (!value_storable(v))
			return nlp_err_set(
			        err, NLP_ECONFIG,
			        "%s: option %s.%s = \"%s\" cannot be stored in a model's "
			        "INI text (line breaks, comment characters or edge spaces)",
			        path, sec, key, v);
		if (!*v && is_default)
			continue;
		rc |= buf_printf(b, "%s = %s\n", key, v);
	}
	return rc ? nlp_err_set(err, NLP_ENOMEM, "%s: out of memory", path) : NLP_OK;
}

/* The resolved pipeline as INI text: [pipeline] stages, every stage with
 * its class and every option value (defaults included), so that the model
 * does not change when a module's defaults do, then the resolved [train]
 * section (what `nlpipe train --resume` continues with). */
static int pipeline_ini(nlp_buf *b, const nlp_pipeline *p, const nlp_config *train,
                        const char *path, nlp_err *err)
{
	size_t n = nlp_pipeline_stage_count(p);
	int rc = NLP_OK;

	rc |= buf_printf(
	        b, "; resolved pipeline stored by nlpipe %s\n[pipeline]\nstages = ", nlp_version());
	for (size_t i = 0; i < n; i++)
		rc |= buf_printf(b, "%s%s", i ? ", " : "", nlp_pipeline_stage_name(p, i));
	rc |= nlp_buf_put(b, "\n", 1);
	if (rc)
		return nlp_err_set(err, NLP_ENOMEM, "%s: out of memory", path);
	for (size_t i = 0; i < n && !rc; i++) {
		char in[2048];
		rc = put_section(b, nlp_pipeline_stage_name(p, i),
		                 nlp_pipeline_stage_class(p, i)->name,
		                 nlp_pipeline_stage_input_text(p, i, in, sizeof in),
		                 nlp_pipeline_stage_lr_scale(p, i), nlp_pipeline_stage_config(p, i),
		                 path, err);
	}
	if (!rc && train)
		rc = put_section(b, "train", NULL, NULL, 1.0, train, path, err);
	return rc;
}

/* Every stored value of a section must read back as it is (INI quirks:
 * comments, trimming). */
static int check_section(const nlp_ini *check, const char *sec, const nlp_config *c,
                         const char *path, nlp_err *err)
{
	for (size_t k = 0; c && k < nlp_config_count(c); k++) {
		const char *v = NULL, *got;
		int is_default = 0;
		const char *key = nlp_config_entry(c, k, &v, &is_default);

		if (!key || !v || !strcmp(key, "type") || (!*v && is_default))
			continue;
		got = nlp_ini_get(check, sec, key);
		if (!got || strcmp(got, v))
			return nlp_err_set(
			        err, NLP_ECONFIG,
			        "%s: option %s.%s = \"%s\" cannot be stored in a model's "
			        "INI text (it reads back as \"%s\")",
			        path, sec, key, v, got ? got : "(nothing)");
	}
	return NLP_OK;
}

static int ini_matches(const nlp_ini *check, const nlp_pipeline *p, const nlp_config *train,
                       const char *path, nlp_err *err)
{
	int rc = NLP_OK;

	for (size_t i = 0; i < nlp_pipeline_stage_count(p) && !rc; i++) {
		const char *sec = nlp_pipeline_stage_name(p, i);
		const char *type = nlp_ini_get(check, sec, "type");
		const char *in = nlp_ini_get(check, sec, "input");
		char want[2048];
		const char *win = nlp_pipeline_stage_input_text(p, i, want, sizeof want);

		if (!type || strcmp(type, nlp_pipeline_stage_class(p, i)->name) || !in != !win ||
		    (in && strcmp(in, win)))
			return nlp_err_set(err, NLP_EINTERNAL,
			                   "%s: stage %s does not read back from the stored text",
			                   path, sec);
		rc = check_section(check, sec, nlp_pipeline_stage_config(p, i), path, err);
	}
	if (!rc && train)
		rc = check_section(check, "train", train, path, err);
	return rc;
}

static int stage_record(nlp_buf *b, const nlp_pipeline *p, size_t i, nlp_params *prm)
{
	const nlp_stage_class *cls = nlp_pipeline_stage_class(p, i);
	const nlp_module_info *from = nlp_pipeline_stage_module(p, i);
	int rc = 0;

	rc |= nlp_buf_put_str(b, nlp_pipeline_stage_name(p, i));
	rc |= nlp_buf_put_str(b, cls->name);
	rc |= nlp_buf_put_str(b, from && from->name ? from->name : "");
	rc |= nlp_buf_put_str(b, from && from->version ? from->version : "");
	rc |= nlp_buf_put_u32(b, cls->train ? 1 : 0);
	rc |= nlp_model_buf_put_u64(b, cls->train ? prm->count : 0);
	rc |= nlp_buf_put_u32(b, cls->train ? (uint32_t)prm->n_blocks : 0);
	for (int k = 0; cls->train && k < prm->n_blocks; k++) {
		const nlp_param_block *bl = &prm->blocks[k];
		rc |= nlp_buf_put_str(b, bl->name ? bl->name : "");
		rc |= nlp_model_buf_put_u64(b, bl->offset);
		rc |= nlp_model_buf_put_u64(b, bl->count);
		rc |= nlp_buf_put_u32(b, bl->rows > 0 ? (uint32_t)bl->rows : 0);
		rc |= nlp_buf_put_u32(b, bl->cols > 0 ? (uint32_t)bl->cols : 0);
		rc |= nlp_buf_put_u32(b, bl->decay ? 1 : 0);
	}
	return rc ? NLP_ENOMEM : NLP_OK;
}

/* The GRAPH section: u32 stage count, then per stage u32 input count and
 * the input stages' indices. */
static int graph_record(nlp_buf *b, const nlp_pipeline *p)
{
	const size_t n = nlp_pipeline_stage_count(p);
	int rc = nlp_buf_put_u32(b, (uint32_t)n);

	for (size_t i = 0; i < n && !rc; i++) {
		const size_t *in;
		const size_t m = nlp_pipeline_stage_inputs(p, i, &in);
		rc = nlp_buf_put_u32(b, (uint32_t)m);
		for (size_t k = 0; k < m && !rc; k++)
			rc = nlp_buf_put_u32(b, (uint32_t)in[k]);
	}
	return rc ? NLP_ENOMEM : NLP_OK;
}

/* The META section: the count, then each key and value. */
static int meta_section(nlp_model_writer *w, const char *path, const nlp_model_meta *meta,
                        nlp_err *err)
{
	nlp_buf b = {0};
	int rc = nlp_buf_put_u32(&b, meta ? (uint32_t)meta->n : 0);

	for (size_t i = 0; meta && i < meta->n && !rc; i++) {
		rc = nlp_buf_put_str(&b, meta->kv[i].key);
		if (!rc)
			rc = nlp_buf_put_str(&b, meta->kv[i].value);
	}
	if (rc)
		rc = nlp_err_set(err, rc, "%s: out of memory", path);
	else
		rc = nlp_model_writer_add(w, NLP_SEC_META, NLP_MODEL_NO_STAGE, b.data, b.len, err);
	free(b.data);
	return rc;
}

int nlp_model_save(const char *path, const nlp_pipeline *p, const char *const *labels,
                   size_t n_labels, const nlp_model_meta *meta, const nlp_buf *checkpoint,
                   nlp_err *err)
{
	nlp_model_writer *w = NULL;
	nlp_buf b = {0};
	nlp_ini *check = NULL;
	nlp_config *train = NULL;
	size_t n = nlp_pipeline_stage_count(p);
	char info[128];
	int rc;

	if (n_labels > UINT32_MAX)
		return nlp_err_set(err, NLP_ECONFIG, "%s: too many labels", path);
	for (size_t i = 0; i < n_labels; i++) {
		if (!labels[i] || !*labels[i])
			return nlp_err_set(err, NLP_ECONFIG, "%s: label %zu is empty", path, i);
		for (size_t j = 0; j < i; j++)
			if (strcmp(labels[i], labels[j]) == 0)
				return nlp_err_set(err, NLP_ECONFIG,
				                   "%s: label \"%s\" appears twice", path,
				                   labels[i]);
	}
	if ((rc = nlp_model_writer_open(&w, path, checkpoint ? NLP_MODEL_CHECKPOINT : 0, err)))
		return rc;
	/* A chain is written as version 1, which every nlpipe reads. */
	if ((rc = nlp_model_writer_set_version(w, nlp_pipeline_is_linear(p) ? 1 : 2, err)))
		goto out;

	snprintf(info, sizeof info, "nlpipe %s", nlp_version());
	if ((rc = nlp_model_writer_add(w, NLP_SEC_INFO, NLP_MODEL_NO_STAGE, info, strlen(info),
	                               err)))
		goto out;

	/* The pipeline text, checked by parsing it back. */
	if (nlp_pipeline_ini(p) && (rc = nlp_config_from_ini(&train, nlp_pipeline_ini(p), "train",
	                                                     nlp_train_options, err)))
		goto out;
	if ((rc = pipeline_ini(&b, p, train, path, err)))
		goto out;
	if ((rc = nlp_ini_parse(&check, path, (const char *)b.data, b.len, err))) {
		char msg[sizeof err->msg];
		snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
		rc = nlp_err_set(err, NLP_EINTERNAL,
		                 "%s: the pipeline text written for the model does not parse: %s",
		                 path, msg);
		goto out;
	}
	if ((rc = ini_matches(check, p, train, path, err)))
		goto out;
	if ((rc = nlp_model_writer_add(w, NLP_SEC_PIPELINE, NLP_MODEL_NO_STAGE, b.data, b.len,
	                               err)))
		goto out;

	for (size_t i = 0; i < n; i++) {
		const nlp_stage_class *cls = nlp_pipeline_stage_class(p, i);
		nlp_params prm = {0};

		if (cls->train && cls->train->params)
			cls->train->params(nlp_pipeline_stage_instance(p, i), &prm);
		b.len = 0;
		if ((rc = stage_record(&b, p, i, &prm))) {
			rc = nlp_err_set(err, rc, "%s: out of memory", path);
			goto out;
		}
		if ((rc = nlp_model_writer_add(w, NLP_SEC_STAGE, (uint32_t)i, b.data, b.len, err)))
			goto out;
	}
	if (!nlp_pipeline_is_linear(p)) {
		b.len = 0;
		if ((rc = graph_record(&b, p))) {
			rc = nlp_err_set(err, rc, "%s: out of memory", path);
			goto out;
		}
		if ((rc = nlp_model_writer_add(w, NLP_SEC_GRAPH, NLP_MODEL_NO_STAGE, b.data, b.len,
		                               err)))
			goto out;
	}

	b.len = 0;
	rc = nlp_buf_put_u32(&b, (uint32_t)n_labels);
	for (size_t i = 0; i < n_labels && !rc; i++)
		rc = nlp_buf_put_str(&b, labels[i]);
	if (rc) {
		rc = nlp_err_set(err, rc, "%s: out of memory", path);
		goto out;
	}
	if ((rc = nlp_model_writer_add(w, NLP_SEC_LABELS, NLP_MODEL_NO_STAGE, b.data, b.len, err)))
		goto out;

	if ((rc = meta_section(w, path, meta, err)))
		goto out;

	for (size_t i = 0; i < n; i++) {
		const nlp_stage_class *cls = nlp_pipeline_stage_class(p, i);
		void *self = nlp_pipeline_stage_instance(p, i);
		nlp_params prm = {0};

		if (!cls->train)
			continue;
		b.len = 0;
		if (cls->train->save && (rc = cls->train->save(self, &b, err))) {
			char msg[sizeof err->msg];
			snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
			rc = nlp_err_set(err, rc, "%s: stage %s (%s) could not save its state: %s",
			                 path, nlp_pipeline_stage_name(p, i), cls->name, msg);
			goto out;
		}
		if ((rc = nlp_model_writer_add(w, NLP_SEC_STATE, (uint32_t)i, b.data, b.len, err)))
			goto out;
		if (cls->train->params)
			cls->train->params(self, &prm);
		if (prm.count && !prm.w) {
			rc = nlp_err_set(
			        err, NLP_EINTERNAL,
			        "%s: stage %s (%s) has no parameter buffer: was it set up?", path,
			        nlp_pipeline_stage_name(p, i), cls->name);
			goto out;
		}
		if ((rc = nlp_model_writer_add_f32(w, NLP_SEC_PARAMS, (uint32_t)i, prm.w, prm.count,
		                                   err)))
			goto out;
	}
	if (checkpoint && (rc = nlp_model_writer_add(w, NLP_SEC_CHECKPOINT, NLP_MODEL_NO_STAGE,
	                                             checkpoint->data, checkpoint->len, err)))
		goto out;
	rc = nlp_model_writer_commit(w, err);
	w = NULL;
out:
	nlp_model_writer_abort(w);
	nlp_config_destroy(train);
	nlp_ini_free(check);
	free(b.data);
	return rc;
}

/* ==== Reading a model ==== */

/* A string without NUL bytes, copied. */
static int cur_strdup(nlp_cursor *c, char **out, uint32_t max)
{
	const char *s;
	uint32_t n;

	*out = NULL;
	if (nlp_cursor_get_str(c, &s, &n, max) || memchr(s, '\0', n))
		return NLP_EDATA;
	*out = malloc((size_t)n + 1);
	if (!*out)
		return NLP_ENOMEM;
	memcpy(*out, s, n);
	(*out)[n] = '\0';
	return NLP_OK;
}

static nlp_cursor cursor_of(const nlp_model_section *s)
{
	nlp_cursor c = {s->data, s->data + s->len};
	return c;
}

static void stage_free(nlp_model_stage *st)
{
	free(st->name);
	free(st->class_name);
	free(st->module);
	free(st->module_version);
	for (uint32_t k = 0; k < st->n_blocks; k++)
		free(st->blocks[k].name);
	free(st->blocks);
	free(st->inputs);
}

void nlp_model_free(nlp_model *m)
{
	if (!m)
		return;
	nlp_pipeline_free(m->pipeline);
	nlp_ini_free(m->ini);
	for (size_t i = 0; i < m->n_stages; i++)
		stage_free(&m->stages[i]);
	free(m->stages);
	for (size_t i = 0; i < m->n_labels; i++)
		free(m->labels[i]);
	free(m->labels);
	nlp_model_meta_free(&m->meta);
	free(m->checkpoint.data);
	free(m->warnings);
	free(m->writer);
	free(m->ini_text);
	free(m->path);
	nlp_model_reader_free(m->reader_);
	for (size_t k = 0; k < m->n_members; k++)
		nlp_model_free(m->members[k]);
	free(m->members);
	free(m);
}

/* Decode one STAGE section into st.  Returns NLP_EDATA with a short reason
 * in why on malformed content. */
static int stage_decode(nlp_model_stage *st, const nlp_model_section *s, const char **why)
{
	nlp_cursor c = cursor_of(s);
	uint32_t trainable, nb;
	int rc;

	*why = "malformed stage record";
	if ((rc = cur_strdup(&c, &st->name, MAX_NAME)) ||
	    (rc = cur_strdup(&c, &st->class_name, MAX_NAME)) ||
	    (rc = cur_strdup(&c, &st->module, MAX_NAME)) ||
	    (rc = cur_strdup(&c, &st->module_version, MAX_NAME)) ||
	    (rc = nlp_cursor_get_u32(&c, &trainable)) ||
	    (rc = nlp_model_cursor_get_u64(&c, &st->n_params)) ||
	    (rc = nlp_cursor_get_u32(&c, &nb)))
		return rc;
	if (trainable > 1 || (!trainable && (st->n_params || nb)))
		return NLP_EDATA;
	st->trainable = (int)trainable;
	/* Each block takes at least 32 bytes: do not trust nb before that. */
	if (nb > (size_t)(c.end - c.p) / 32)
		return NLP_EDATA;
	st->blocks = calloc(nb ? nb : 1, sizeof *st->blocks);
	if (!st->blocks)
		return NLP_ENOMEM;
	while (st->n_blocks < nb) {
		nlp_model_block *bl = &st->blocks[st->n_blocks++]; /* freed by stage_free */
		if ((rc = cur_strdup(&c, &bl->name, MAX_NAME)))
			return rc;
		if (nlp_model_cursor_get_u64(&c, &bl->offset) ||
		    nlp_model_cursor_get_u64(&c, &bl->count) || nlp_cursor_get_u32(&c, &bl->rows) ||
		    nlp_cursor_get_u32(&c, &bl->cols) || nlp_cursor_get_u32(&c, &bl->decay))
			return NLP_EDATA;
		if (bl->offset > st->n_params || bl->count > st->n_params - bl->offset) {
			*why = "a parameter block lies outside the parameter buffer";
			return NLP_EDATA;
		}
		if ((bl->rows || bl->cols) && (uint64_t)bl->rows * bl->cols != bl->count) {
			*why = "a parameter block's rows x cols differs from its size";
			return NLP_EDATA;
		}
	}
	if (c.p != c.end) {
		*why = "extra bytes after the stage record";
		return NLP_EDATA;
	}
	return NLP_OK;
}

/* The label set: distinct, non-empty names. */
static int decode_labels(nlp_model *m, nlp_cursor *c, nlp_err *err)
{
	const char *name = m->path;
	uint32_t nl;
	int rc;

	if (nlp_cursor_get_u32(c, &nl) || nl > (size_t)(c->end - c->p) / 4)
		return nlp_err_set(err, NLP_EDATA, "%s: malformed label set", name);
	m->labels = calloc(nl ? nl : 1, sizeof *m->labels);
	if (!m->labels)
		return nlp_err_set(err, NLP_ENOMEM, "%s: out of memory", name);
	for (; m->n_labels < nl; m->n_labels++) {
		char **l = &m->labels[m->n_labels];
		rc = cur_strdup(c, l, MAX_NAME);
		if (rc == NLP_ENOMEM)
			return nlp_err_set(err, rc, "%s: out of memory", name);
		if (rc || !**l) {
			free(*l); /* not counted in n_labels yet */
			*l = NULL;
			return nlp_err_set(err, NLP_EDATA, "%s: label %zu is malformed", name,
			                   m->n_labels + 1);
		}
		for (size_t j = 0; j < m->n_labels; j++)
			if (!strcmp(m->labels[j], *l)) {
				rc = nlp_err_set(err, NLP_EDATA, "%s: label \"%s\" appears twice",
				                 name, m->labels[j]);
				free(*l);
				*l = NULL;
				return rc;
			}
	}
	if (c->p != c->end)
		return nlp_err_set(err, NLP_EDATA, "%s: extra bytes after the label set", name);
	return NLP_OK;
}

/* The metadata: key/value pairs. */
static int decode_meta(nlp_model *m, nlp_cursor *c, nlp_err *err)
{
	const char *name = m->path;
	uint32_t nm;
	int rc;

	if (nlp_cursor_get_u32(c, &nm) || nm > (size_t)(c->end - c->p) / 8)
		return nlp_err_set(err, NLP_EDATA, "%s: malformed metadata", name);
	for (uint32_t k = 0; k < nm; k++) {
		char *key = NULL, *val = NULL;
		rc = cur_strdup(c, &key, MAX_NAME);
		if (!rc)
			rc = cur_strdup(c, &val, MAX_TEXT);
		if (!rc)
			rc = nlp_model_meta_set(&m->meta, key, val);
		free(key);
		free(val);
		if (rc == NLP_ENOMEM)
			return nlp_err_set(err, rc, "%s: out of memory", name);
		if (rc)
			return nlp_err_set(err, NLP_EDATA, "%s: metadata entry %u is malformed",
			                   name, k + 1);
	}
	if (c->p != c->end)
		return nlp_err_set(err, NLP_EDATA, "%s: extra bytes after the metadata", name);
	return NLP_OK;
}

/* A copy of a text section, NUL-terminated; a NUL inside is damage. */
static int decode_text(nlp_model *m, const nlp_model_section *s, char **out, const char *what,
                       nlp_err *err)
{
	if (memchr(s->data, '\0', s->len) || s->len > MAX_TEXT)
		return nlp_err_set(err, NLP_EDATA, "%s: the %s holds a NUL byte or is too long",
		                   m->path, what);
	*out = malloc(s->len + 1);
	if (!*out)
		return nlp_err_set(err, NLP_ENOMEM, "%s: out of memory", m->path);
	memcpy(*out, s->data, s->len);
	(*out)[s->len] = '\0';
	return NLP_OK;
}

/* A stage record. */
static int decode_stage(nlp_model *m, const nlp_model_section *s, nlp_err *err)
{
	const char *why = NULL;
	nlp_model_stage *st;
	int rc;

	if (s->stage >= m->n_stages)
		return nlp_err_set(err, NLP_EDATA,
		                   "%s: stage record %u but only %zu stages: the file is damaged",
		                   m->path, s->stage, m->n_stages);
	st = &m->stages[s->stage];
	if (st->class_name)
		return nlp_err_set(err, NLP_EDATA, "%s: stage %u is described twice", m->path,
		                   s->stage);
	rc = stage_decode(st, s, &why);
	if (rc == NLP_ENOMEM)
		return nlp_err_set(err, rc, "%s: out of memory", m->path);
	if (rc)
		return nlp_err_set(err, NLP_EDATA, "%s: stage %u: %s", m->path, s->stage, why);
	return NLP_OK;
}

/* First pass: sections that may appear once appear at most once, the
 * required ones are there, and *n_stages stage records. */
static int count_sections(nlp_model *m, size_t *n_stages, nlp_err *err)
{
	nlp_model_reader *r = m->reader_;
	int seen_pipeline = 0, seen_labels = 0, seen_meta = 0, seen_info = 0, seen_ckpt = 0,
	    seen_graph = 0;

	*n_stages = 0;
	for (size_t i = 0; i < nlp_model_reader_count(r); i++) {
		const nlp_model_section *s = nlp_model_reader_section(r, i);
		int *seen = s->type == NLP_SEC_PIPELINE     ? &seen_pipeline
		            : s->type == NLP_SEC_LABELS     ? &seen_labels
		            : s->type == NLP_SEC_META       ? &seen_meta
		            : s->type == NLP_SEC_INFO       ? &seen_info
		            : s->type == NLP_SEC_CHECKPOINT ? &seen_ckpt
		            : s->type == NLP_SEC_GRAPH      ? &seen_graph
		                                            : NULL;
		if (seen && (*seen)++)
			return nlp_err_set(err, NLP_EDATA,
			                   "%s: section type %u appears twice: the file is damaged",
			                   m->path, s->type);
		if (s->type == NLP_SEC_STAGE)
			(*n_stages)++;
		if (s->type == NLP_SEC_MEMBER &&
		    (m->version < 4 || (m->flags & NLP_MODEL_CHECKPOINT)))
			return nlp_err_set(
			        err, NLP_EDATA,
			        "%s: an ensemble member in a %s: the file is damaged", m->path,
			        m->version < 4 ? "file of version < 4" : "training checkpoint");
	}
	if (!seen_pipeline || !seen_labels || !*n_stages)
		return nlp_err_set(err, NLP_EDATA,
		                   "%s: no %s section: the file is damaged or not a complete model",
		                   m->path,
		                   !seen_pipeline ? "pipeline"
		                   : !seen_labels ? "labels"
		                                  : "stage");
	if (!!(m->flags & NLP_MODEL_CHECKPOINT) != seen_ckpt)
		return nlp_err_set(err, NLP_EDATA,
		                   "%s: the header's checkpoint flag and the sections disagree",
		                   m->path);
	return NLP_OK;
}

/* Every stage is described; trainable ones have saved state and parameters
 * of the recorded size, others none; no stray or repeated saved sections. */
static int check_saved(nlp_model *m, nlp_err *err)
{
	nlp_model_reader *r = m->reader_;
	const char *name = m->path;

	for (size_t i = 0; i < m->n_stages; i++) {
		nlp_model_stage *st = &m->stages[i];
		const nlp_model_section *state, *params, *q8;

		if (!st->class_name)
			return nlp_err_set(err, NLP_EDATA, "%s: stage %zu is not described", name,
			                   i);
		state = nlp_model_reader_find(r, NLP_SEC_STATE, (uint32_t)i);
		params = nlp_model_reader_find(r, NLP_SEC_PARAMS, (uint32_t)i);
		q8 = nlp_model_reader_find(r, NLP_SEC_PARAMS_Q8, (uint32_t)i);
		if (q8 && m->version < 3)
			return nlp_err_set(err, NLP_EDATA,
			                   "%s: stage %s: int8 parameters in a version %u file "
			                   "(they came with version 3): the file is damaged",
			                   name, st->name, m->version);
		if (q8 && params)
			return nlp_err_set(
			        err, NLP_EDATA,
			        "%s: stage %s: both float32 and int8 parameters: the file "
			        "is damaged",
			        name, st->name);
		if (!st->trainable) {
			if (state || params || q8)
				return nlp_err_set(err, NLP_EDATA,
				                   "%s: stage %s is not trainable but has saved "
				                   "parameters",
				                   name, st->name);
			continue;
		}
		if (!state || (!params && !q8))
			return nlp_err_set(err, NLP_EDATA, "%s: stage %s: saved %s missing", name,
			                   st->name, !state ? "state" : "parameters");
		st->state_len = state->len;
		if (q8) {
			const char *why = NULL;
			int rc = nlp_q8_check(st, q8->data, q8->len, &why);
			if (rc)
				return nlp_err_set(err, rc, "%s: stage %s: %s", name, st->name,
				                   rc == NLP_EDATA ? why : "out of memory");
			st->params_bytes = q8->len;
			continue;
		}
		st->params_bytes = params->len;
		if (params->len / 4 != st->n_params || params->len % 4)
			return nlp_err_set(
			        err, NLP_EDATA,
			        "%s: stage %s: %zu bytes of parameters, the stage record "
			        "says %llu floats",
			        name, st->name, params->len, (unsigned long long)st->n_params);
	}
	for (size_t i = 0; i < nlp_model_reader_count(r); i++) {
		const nlp_model_section *s = nlp_model_reader_section(r, i);
		if (s->type != NLP_SEC_STATE && s->type != NLP_SEC_PARAMS &&
		    s->type != NLP_SEC_PARAMS_Q8)
			continue;
		if (s->stage >= m->n_stages || nlp_model_reader_find(r, s->type, s->stage) != s)
			return nlp_err_set(
			        err, NLP_EDATA, "%s: stray or repeated saved %s for stage %u", name,
			        s->type == NLP_SEC_STATE ? "state" : "parameters", s->stage);
	}
	return NLP_OK;
}

/* The GRAPH section: each stage's inputs, earlier stages only. */
static int decode_graph(nlp_model *m, nlp_cursor *c, nlp_err *err)
{
	uint32_t n;

	if (nlp_cursor_get_u32(c, &n) || n != m->n_stages)
		return nlp_err_set(err, NLP_EDATA,
		                   "%s: the graph section does not describe the file's %zu stages",
		                   m->path, m->n_stages);
	for (uint32_t i = 0; i < n; i++) {
		nlp_model_stage *st = &m->stages[i];
		uint32_t k;
		if (nlp_cursor_get_u32(c, &k) || (i == 0) != (k == 0) || k > i)
			return nlp_err_set(err, NLP_EDATA,
			                   "%s: the graph section gives stage %u impossible "
			                   "inputs: the file is damaged",
			                   m->path, i);
		st->inputs = malloc((k ? k : 1) * sizeof *st->inputs);
		if (!st->inputs)
			return nlp_err_set(err, NLP_ENOMEM, "%s: out of memory", m->path);
		for (st->n_inputs = 0; st->n_inputs < k; st->n_inputs++) {
			uint32_t *j = &st->inputs[st->n_inputs];
			if (nlp_cursor_get_u32(c, j) || *j >= i)
				return nlp_err_set(
				        err, NLP_EDATA,
				        "%s: the graph section makes stage %u read a stage "
				        "not before it: the file is damaged",
				        m->path, i);
		}
	}
	if (c->p != c->end)
		return nlp_err_set(err, NLP_EDATA,
		                   "%s: the graph section is longer than its stages", m->path);
	return NLP_OK;
}

/* Without a GRAPH section each stage reads the one before it. */
static int chain_graph(nlp_model *m, nlp_err *err)
{
	for (size_t i = 0; i < m->n_stages; i++) {
		nlp_model_stage *st = &m->stages[i];
		if (st->inputs)
			return NLP_OK;
		st->inputs = malloc(sizeof *st->inputs);
		if (!st->inputs)
			return nlp_err_set(err, NLP_ENOMEM, "%s: out of memory", m->path);
		st->inputs[0] = (uint32_t)i - 1;
		st->n_inputs = i ? 1 : 0;
	}
	return NLP_OK;
}

static int model_decode(nlp_model *m, nlp_err *err);

/* r has a section of that type. */
static int has_type(const nlp_model_reader *r, uint32_t type)
{
	for (size_t i = 0; i < r->n_sec; i++)
		if (r->sec[i].type == type)
			return 1;
	return 0;
}

/* A MEMBER section: member k (stage field) of an ensemble, a model file of
 * its own, decoded as one, with the same labels as the file. */
static int decode_member(nlp_model *m, const nlp_model_section *s, nlp_err *err)
{
	nlp_model *k = calloc(1, sizeof *k), **grown;
	int rc;

	if (!k || asprintf(&k->path, "%s (ensemble member %u)", m->path, s->stage) < 0) {
		free(k);
		return nlp_err_set(err, NLP_ENOMEM, "%s: out of memory", m->path);
	}
	if (s->stage != m->n_members + 1 || m->n_members + 1 >= NLP_ENSEMBLE_MAX) {
		rc = nlp_err_set(err, NLP_EDATA,
		                 "%s: ensemble member %u out of order or too many: the file is "
		                 "damaged",
		                 m->path, s->stage);
		goto out;
	}
	if ((rc = nlp_model_reader_open_mem(&k->reader_, k->path, s->data, s->len, err)))
		goto out;
	k->version = nlp_model_reader_version(k->reader_);
	k->flags = nlp_model_reader_flags(k->reader_);
	k->size = nlp_model_reader_size(k->reader_);
	/* checked before decoding it: nesting would cost memory and time */
	if (has_type(k->reader_, NLP_SEC_MEMBER) || (k->flags & NLP_MODEL_CHECKPOINT)) {
		rc = nlp_err_set(err, NLP_EDATA, "%s: %s: the file is damaged", k->path,
		                 k->flags & NLP_MODEL_CHECKPOINT
		                         ? "a training checkpoint"
		                         : "an ensemble inside an ensemble");
		goto out;
	}
	if ((rc = model_decode(k, err)))
		goto out;
	grown = realloc(m->members, (m->n_members + 1) * sizeof *grown);
	if (!grown) {
		rc = nlp_err_set(err, NLP_ENOMEM, "%s: out of memory", m->path);
		goto out;
	}
	m->members = grown;
	m->members[m->n_members++] = k;
	k = NULL;
out:
	nlp_model_free(k);
	return rc;
}

/* a and b have the same labels in the same order. */
static int same_labels(const nlp_model *a, const nlp_model *b)
{
	int same = a->n_labels == b->n_labels;

	for (size_t i = 0; same && i < a->n_labels; i++)
		same = !strcmp(a->labels[i], b->labels[i]);
	return same;
}

/* Every member has the file's labels, in its order. */
static int members_labels(const nlp_model *m, nlp_err *err)
{
	for (size_t k = 0; k < m->n_members; k++)
		if (!same_labels(m, m->members[k]))
			return nlp_err_set(
			        err, NLP_EDATA,
			        "%s: the labels differ from the ensemble's first member's: "
			        "the file is damaged",
			        m->members[k]->path);
	return NLP_OK;
}

static int model_decode(nlp_model *m, nlp_err *err)
{
	nlp_model_reader *r = m->reader_;
	size_t n_stage_sec;
	int rc = count_sections(m, &n_stage_sec, err);

	if (rc)
		return rc;
	m->stages = calloc(n_stage_sec, sizeof *m->stages);
	if (!m->stages)
		return nlp_err_set(err, NLP_ENOMEM, "%s: out of memory", m->path);
	m->n_stages = n_stage_sec;
	for (size_t i = 0; i < nlp_model_reader_count(r) && !rc; i++) {
		const nlp_model_section *s = nlp_model_reader_section(r, i);
		nlp_cursor c = cursor_of(s);

		switch (s->type) {
		case NLP_SEC_INFO:
			rc = decode_text(m, s, &m->writer, "info section", err);
			break;
		case NLP_SEC_PIPELINE:
			rc = decode_text(m, s, &m->ini_text, "stored pipeline text", err);
			m->ini_len = s->len;
			break;
		case NLP_SEC_STAGE:
			rc = decode_stage(m, s, err);
			break;
		case NLP_SEC_LABELS:
			rc = decode_labels(m, &c, err);
			break;
		case NLP_SEC_META:
			rc = decode_meta(m, &c, err);
			break;
		case NLP_SEC_CHECKPOINT:
			if (nlp_buf_put(&m->checkpoint, s->data, s->len))
				rc = nlp_err_set(err, NLP_ENOMEM, "%s: out of memory", m->path);
			break;
		case NLP_SEC_GRAPH:
			rc = decode_graph(m, &c, err);
			break;
		case NLP_SEC_MEMBER:
			rc = decode_member(m, s, err);
			break;
		default:
			break; /* STATE and PARAMS below; unknown types are skipped */
		}
	}
	if (!rc)
		rc = chain_graph(m, err);
	if (!rc)
		rc = members_labels(m, err);
	return rc ? rc : check_saved(m, err);
}

int nlp_model_read(nlp_model **out, const char *path, nlp_err *err)
{
	nlp_model *m = calloc(1, sizeof *m);
	int rc;

	*out = NULL;
	if (!m || !(m->path = strdup(path))) {
		free(m);
		return nlp_err_set(err, NLP_ENOMEM, "%s: out of memory", path);
	}
	if ((rc = nlp_model_reader_open(&m->reader_, path, err)))
		goto out;
	m->version = nlp_model_reader_version(m->reader_);
	m->flags = nlp_model_reader_flags(m->reader_);
	m->size = nlp_model_reader_size(m->reader_);
	rc = model_decode(m, err);
out:
	if (rc)
		nlp_model_free(m);
	else
		*out = m;
	return rc;
}

/* ==== Building the pipeline ==== */

static int warn(nlp_model *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int warn(nlp_model *m, const char *fmt, ...)
{
	size_t old = m->warnings ? strlen(m->warnings) : 0;
	va_list ap;
	char *s = NULL, *w;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NLP_ENOMEM;
	w = realloc(m->warnings, old + (size_t)n + 2);
	if (!w) {
		free(s);
		return NLP_ENOMEM;
	}
	memcpy(w + old, s, (size_t)n);
	w[old + n] = '\n';
	w[old + n + 1] = '\0';
	m->warnings = w;
	free(s);
	return NLP_OK;
}

static const nlp_option *find_option(const nlp_stage_class *cls, const char *key)
{
	for (const nlp_option *o = cls ? cls->options : NULL; o && o->type != NLP_OPT_END; o++)
		if (strcmp(o->name, key) == 0)
			return o;
	return NULL;
}

/* The stored INI without what could make the host open a file the model
 * names: [pipeline] plugin_path, and values of stage options of type
 * NLP_OPT_PATH. */
static int clean_ini(nlp_model *m, const nlp_host *h, nlp_ini *stored, nlp_buf *b, nlp_err *err)
{
	size_t ns = nlp_ini_section_count(stored);
	int rc = 0;

	for (size_t i = 0; i < ns && !rc; i++) {
		const char *sec = nlp_ini_section(stored, i, NULL);
		const char *type = nlp_ini_get(stored, sec, "type");
		const nlp_stage_class *cls =
		        type && strcmp(sec, "pipeline") ? nlp_host_find_class(h, type, NULL) : NULL;
		size_t nk = nlp_ini_key_count(stored, sec);

		rc |= buf_printf(b, "[%s]\n", sec);
		for (size_t k = 0; k < nk && !rc; k++) {
			const char *v = NULL;
			const char *key = nlp_ini_key(stored, sec, k, &v, NULL);
			const nlp_option *o;

			if (!key)
				continue;
			if (!strcmp(sec, "pipeline") && !strcmp(key, "plugin_path")) {
				rc |= warn(m,
				           "%s: ignoring the stored plugin_path = %s: modules "
				           "come from the plugin search path",
				           m->path, v ? v : "");
				continue;
			}
			o = find_option(cls, key);
			if (o && o->type == NLP_OPT_PATH && v && *v) {
				if (!o->def)
					return nlp_err_set(
					        err, NLP_EDATA,
					        "%s: stage %s needs the file %s = %s, but a model "
					        "never makes nlpipe open a file it names",
					        m->path, sec, key, v);
				rc |= warn(m,
				           "%s: stage %s: ignoring the stored %s = %s (a model "
				           "never makes nlpipe open a file it names)",
				           m->path, sec, key, v);
				continue;
			}
			rc |= buf_printf(b, "%s = %s\n", key, v ? v : "");
		}
	}
	return rc ? nlp_err_set(err, NLP_ENOMEM, "%s: out of memory", m->path) : NLP_OK;
}

/* The n_classes stage i is set up with: the labels, or a language model's
 * vocabulary (nlpipe/lm.h). */
static int stage_classes(const nlp_model *m, const nlp_pipeline *p, size_t i)
{
	const size_t first = nlp_pipeline_text_end(p);

	if (i > first && (nlp_pipeline_is_lm(p) || nlp_pipeline_is_s2s(p)))
		return nlp_lm_vocab_size(p, first);
	return (int)m->n_labels;
}

static int stage_fill(nlp_model *m, nlp_pipeline *p, size_t i, nlp_err *err)
{
	const nlp_stage_class *cls = nlp_pipeline_stage_class(p, i);
	void *self = nlp_pipeline_stage_instance(p, i);
	const int in_dim = nlp_pipeline_stage_in_dim(p, i);
	nlp_model_stage *st = &m->stages[i];
	const nlp_model_section *state =
	        nlp_model_reader_find(m->reader_, NLP_SEC_STATE, (uint32_t)i);
	const nlp_model_section *params =
	        nlp_model_reader_find(m->reader_, NLP_SEC_PARAMS, (uint32_t)i);
	const nlp_train_ops *ops = cls->train;
	nlp_cursor c = cursor_of(state);
	nlp_params prm = {0};
	char msg[sizeof err->msg];
	int out_dim = 0, rc;

	/* A class with train ops but no setup/params only keeps state (a
	 * document stage saving what it read); it has no parameters. */
	if ((!ops->setup || !ops->params) && st->n_params)
		return nlp_err_set(
		        err, NLP_EDATA,
		        "%s: stage %s (%s): the file holds %llu parameters but the class "
		        "has none (model saved with %s %s)",
		        m->path, st->name, cls->name, (unsigned long long)st->n_params, st->module,
		        st->module_version);
	if (ops->load) {
		rc = ops->load(self, &c, err);
		if (rc) {
			snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
			return nlp_err_set(err, rc, "%s: stage %s (%s): cannot load its state: %s",
			                   m->path, st->name, cls->name, msg);
		}
	}
	if (c.p != c.end)
		return nlp_err_set(err, NLP_EDATA,
		                   "%s: stage %s (%s): %zu bytes of saved state were not read "
		                   "(model saved with %s %s)",
		                   m->path, st->name, cls->name, (size_t)(c.end - c.p), st->module,
		                   st->module_version);
	if (!ops->setup || !ops->params)
		return NLP_OK;
	rc = ops->setup(self, in_dim, stage_classes(m, p, i), &out_dim, err);
	if (!rc && i + 1 == nlp_pipeline_stage_count(p) && nlp_pipeline_is_lm(p)) {
		int tied; /* a tied head's buffer shrinks: tie before its parameters */
		rc = nlp_lm_tie(p, nlp_pipeline_text_end(p), &tied, err);
	}
	if (rc) {
		snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
		return nlp_err_set(err, rc, "%s: stage %s (%s): setup failed: %s", m->path,
		                   st->name, cls->name, msg);
	}
	ops->params(self, &prm);
	if (prm.count != st->n_params || (uint64_t)prm.n_blocks != st->n_blocks ||
	    (prm.count && !prm.w))
		return nlp_err_set(
		        err, NLP_EDATA,
		        "%s: stage %s (%s): the file holds %llu parameters in %u blocks, "
		        "the stage expects %zu in %d (model saved with %s %s)",
		        m->path, st->name, cls->name, (unsigned long long)st->n_params,
		        st->n_blocks, prm.count, prm.n_blocks, st->module, st->module_version);
	for (uint32_t k = 0; k < st->n_blocks; k++) {
		const nlp_param_block *pb = &prm.blocks[k];
		const nlp_model_block *fb = &st->blocks[k];
		if (strcmp(pb->name ? pb->name : "", fb->name) || pb->offset != fb->offset ||
		    pb->count != fb->count || (uint32_t)(pb->rows > 0 ? pb->rows : 0) != fb->rows ||
		    (uint32_t)(pb->cols > 0 ? pb->cols : 0) != fb->cols)
			return nlp_err_set(err, NLP_EDATA,
			                   "%s: stage %s (%s): parameter block %u is %s %llu x %u "
			                   "in the file but %s %d x %d in the stage",
			                   m->path, st->name, cls->name, k, fb->name,
			                   (unsigned long long)fb->rows, fb->cols,
			                   pb->name ? pb->name : "", pb->rows, pb->cols);
	}
	if (params) {
		nlp_model_get_f32(prm.w, params->data, prm.count);
	} else { /* int8 (nlpipe quantize): checked by nlp_model_read */
		const nlp_model_section *q8 =
		        nlp_model_reader_find(m->reader_, NLP_SEC_PARAMS_Q8, (uint32_t)i);
		const char *why = NULL;
		if ((rc = nlp_q8_decode(st, q8->data, q8->len, prm.w, &why)))
			return nlp_err_set(err, rc, "%s: stage %s: %s", m->path, st->name,
			                   rc == NLP_EDATA ? why : "out of memory");
	}
	for (size_t k = 0; k < prm.count; k++)
		if (!isfinite(prm.w[k]))
			return nlp_err_set(err, NLP_EDATA,
			                   "%s: stage %s: parameter %zu is not a finite number",
			                   m->path, st->name, k);
	st->in_dim = in_dim;
	st->out_dim = out_dim;
	nlp_pipeline_set_dim(p, i, out_dim);
	return NLP_OK;
}

/* Stage i reads the same stages in the stored pipeline as in the GRAPH
 * section (or the chain of a file without one). */
static int same_inputs(const nlp_model *m, const nlp_pipeline *p, size_t i, nlp_err *err)
{
	const nlp_model_stage *st = &m->stages[i];
	const size_t *in;
	size_t k, n_in = nlp_pipeline_stage_inputs(p, i, &in);

	for (k = 0; k < n_in && n_in == st->n_inputs && in[k] == st->inputs[k]; k++)
		;
	if (n_in != st->n_inputs || k < n_in)
		return nlp_err_set(err, NLP_EDATA,
		                   "%s: stage %s reads other stages in the stored pipeline than "
		                   "in the graph section: the file is damaged",
		                   m->path, st->name);
	return NLP_OK;
}

int nlp_model_build(nlp_model *m, nlp_host *h, nlp_err *err)
{
	nlp_ini *stored = NULL, *ini = NULL;
	nlp_pipeline *p = NULL;
	nlp_buf b = {0};
	char *iname = NULL;
	int rc;
	size_t n;

	if (m->pipeline || !m->reader_)
		return nlp_err_set(err, NLP_EINTERNAL, "%s: model already built", m->path);
	if (asprintf(&iname, "%s (stored pipeline)", m->path) < 0) {
		iname = NULL;
		rc = nlp_err_set(err, NLP_ENOMEM, "%s: out of memory", m->path);
		goto out;
	}
	if ((rc = nlp_ini_parse(&stored, iname, m->ini_text, m->ini_len, err)))
		goto out;
	if ((rc = clean_ini(m, h, stored, &b, err)))
		goto out;
	if ((rc = nlp_ini_parse(&ini, iname, b.data ? (const char *)b.data : "", b.len, err)))
		goto out;
	if ((rc = nlp_pipeline_new(&p, h, ini, err)))
		goto out;
	n = nlp_pipeline_stage_count(p);
	if (n != m->n_stages) {
		rc = nlp_err_set(
		        err, NLP_EDATA,
		        "%s: the stored pipeline has %zu stages but the file describes %zu",
		        m->path, n, m->n_stages);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const nlp_stage_class *cls = nlp_pipeline_stage_class(p, i);
		nlp_model_stage *st = &m->stages[i];

		if (strcmp(nlp_pipeline_stage_name(p, i), st->name) ||
		    strcmp(cls->name, st->class_name)) {
			rc = nlp_err_set(
			        err, NLP_EDATA,
			        "%s: stage %zu is %s (%s) in the stored pipeline but %s (%s) "
			        "in the stage records",
			        m->path, i, nlp_pipeline_stage_name(p, i), cls->name, st->name,
			        st->class_name);
			goto out;
		}
		if (!!cls->train != st->trainable) {
			rc = nlp_err_set(
			        err, NLP_EDATA,
			        "%s: stage %s: class %s is %s now but was %s when the model "
			        "was saved (with %s %s)",
			        m->path, st->name, cls->name,
			        cls->train ? "trainable" : "not trainable",
			        st->trainable ? "trainable" : "not", st->module,
			        st->module_version);
			goto out;
		}
		{
			const nlp_module_info *mi = nlp_pipeline_stage_module(p, i);
			const char *now = mi && mi->version ? mi->version : "";
			if (strcmp(now, st->module_version) &&
			    warn(m, "%s: stage %s (%s): saved with module %s %s, loading with %s",
			         m->path, st->name, cls->name, st->module, st->module_version,
			         *now ? now : "an unknown version")) {
				rc = nlp_err_set(err, NLP_ENOMEM, "%s: out of memory", m->path);
				goto out;
			}
		}
		if ((rc = same_inputs(m, p, i, err)) ||
		    (cls->train && (rc = stage_fill(m, p, i, err))))
			goto out;
	}
	if (nlp_pipeline_is_lm(p)) { /* the head ties its output to the table again */
		int tied;
		int32_t eos, unk;
		if ((rc = nlp_lm_setup(p, nlp_pipeline_text_end(p), &tied, &eos, &unk, err)))
			goto out;
	}
	for (size_t k = 0; k < m->n_members; k++)
		if ((rc = nlp_model_build(m->members[k], h, err)))
			goto out;
	m->pipeline = p;
	m->ini = ini;
	p = NULL;
	ini = NULL;
	nlp_model_reader_free(m->reader_);
	m->reader_ = NULL;
out:
	nlp_pipeline_free(p);
	nlp_ini_free(ini);
	nlp_ini_free(stored);
	free(b.data);
	free(iname);
	return rc;
}

int nlp_model_load(nlp_model **out, const char *path, nlp_host *h, nlp_err *err)
{
	nlp_model *m = NULL;
	int rc;

	*out = NULL;
	if ((rc = nlp_model_read(&m, path, err)))
		return rc;
	if ((rc = nlp_model_build(m, h, err))) {
		nlp_model_free(m);
		return rc;
	}
	*out = m;
	return NLP_OK;
}

/* The ensemble's writer: member 0's sections but its metadata (and no
 * checkpoint), that metadata with "ensemble" = note, then the members. */
static int ensemble_write(nlp_model_writer *w, const char *path, nlp_model *const *ms, size_t n,
                          const char *note, nlp_err *err)
{
	const nlp_model_reader *r = ms[0]->reader_;
	nlp_model_meta meta = {0};
	int rc = NLP_OK;

	for (size_t i = 0; i < ms[0]->meta.n && !rc; i++)
		rc = nlp_model_meta_set(&meta, ms[0]->meta.kv[i].key, ms[0]->meta.kv[i].value);
	if (rc || (rc = nlp_model_meta_set(&meta, "ensemble", note)))
		rc = nlp_err_set(err, NLP_ENOMEM, "%s: out of memory", path);
	for (size_t i = 0; i < nlp_model_reader_count(r) && !rc; i++) {
		const nlp_model_section *s = nlp_model_reader_section(r, i);
		if (s->type == NLP_SEC_META)
			rc = meta_section(w, path, &meta, err);
		else if (s->type != NLP_SEC_CHECKPOINT)
			rc = nlp_model_writer_add(w, s->type, s->stage, s->data, s->len, err);
	}
	if (!rc && !nlp_model_reader_find(r, NLP_SEC_META, NLP_MODEL_NO_STAGE))
		rc = meta_section(w, path, &meta, err);
	for (size_t k = 1; k < n && !rc; k++)
		rc = nlp_model_writer_add(w, NLP_SEC_MEMBER, (uint32_t)k, ms[k]->reader_->data,
		                          ms[k]->reader_->len, err);
	nlp_model_meta_free(&meta);
	return rc;
}

int nlp_model_save_ensemble(const char *path, const char *const *member_paths, size_t n,
                            const char *note, nlp_err *err)
{
	nlp_model **ms = calloc(n ? n : 1, sizeof *ms);
	nlp_model_writer *w = NULL;
	int rc = NLP_OK;

	if (!ms)
		return nlp_err_set(err, NLP_ENOMEM, "%s: out of memory", path);
	if (n < 2 || n > NLP_ENSEMBLE_MAX)
		rc = nlp_err_set(err, NLP_ECONFIG, "%s: an ensemble has 2 to %d members, not %zu",
		                 path, NLP_ENSEMBLE_MAX, n);
	for (size_t k = 0; k < n && !rc; k++) {
		if ((rc = nlp_model_read(&ms[k], member_paths[k], err)))
			break;
		if ((ms[k]->flags & NLP_MODEL_CHECKPOINT) || ms[k]->n_members ||
		    nlp_model_is_quantized(ms[k]))
			rc = nlp_err_set(err, NLP_ECONFIG,
			                 "%s: is %s: an ensemble's members are trained models",
			                 member_paths[k],
			                 ms[k]->n_members ? "an ensemble"
			                 : (ms[k]->flags & NLP_MODEL_CHECKPOINT)
			                         ? "a training checkpoint"
			                         : "quantized");
	}
	for (size_t k = 1; k < n && !rc; k++)
		if (!same_labels(ms[0], ms[k]))
			rc = nlp_err_set(
			        err, NLP_ECONFIG,
			        "%s: its labels are not those of %s (the same labels in the "
			        "same order): the models cannot be ensembled",
			        member_paths[k], member_paths[0]);
	if (!rc && !(rc = nlp_model_writer_open(&w, path, 0, err)) &&
	    !(rc = nlp_model_writer_set_version(w, 4, err)) &&
	    !(rc = ensemble_write(w, path, ms, n, note, err))) {
		rc = nlp_model_writer_commit(w, err);
		w = NULL;
	}
	nlp_model_writer_abort(w);
	for (size_t k = 0; k < n; k++)
		nlp_model_free(ms[k]);
	free(ms);
	return rc;
}

int nlp_model_is_quantized(const nlp_model *m)
{
	for (size_t i = 0; i < m->n_stages; i++)
		if (m->stages[i].n_q8_blocks)
			return 1;
	return 0;
}

int nlp_model_label_index(const nlp_model *m, const char *label)
{
	for (size_t i = 0; i < m->n_labels; i++)
		if (strcmp(m->labels[i], label) == 0)
			return (int)i;
	return -1;
}

int nlp_model_clone_stage(const nlp_model *m, size_t i, void **out, nlp_err *err)
{
	const nlp_pipeline *p = m->pipeline;
	const nlp_stage_class *cls;
	const nlp_train_ops *ops;
	void *self = NULL;
	nlp_params from = {0}, to = {0};
	int out_dim = 0, rc;

	*out = NULL;
	if (!p || i >= nlp_pipeline_stage_count(p))
		return nlp_err_set(err, NLP_EINTERNAL, "%s: no stage %zu to clone", m->path, i);
	cls = nlp_pipeline_stage_class(p, i);
	ops = cls->train;
	if ((rc = nlp_pipeline_stage_copy(p, i, &self, err)))
		return rc;
	if (!ops || !ops->setup || !ops->params)
		goto out; /* state only */
	if ((rc = ops->setup(self, m->stages[i].in_dim, stage_classes(m, p, i), &out_dim, err))) {
		nlp_pipeline_stage_error(p, i, rc, err); /* the stage's own message */
		goto out;
	}
	ops->params(nlp_pipeline_stage_instance(p, i), &from);
	ops->params(self, &to);
	if (from.count != to.count || out_dim != m->stages[i].out_dim) {
		rc = nlp_err_set(err, NLP_EINTERNAL,
		                 "%s: stage %s: a copy has %zu parameters, the original %zu",
		                 m->path, m->stages[i].name, to.count, from.count);
		goto out;
	}
	if (from.count)
		memcpy(to.w, from.w, from.count * sizeof *from.w);
out:
	if (rc)
		cls->destroy(self);
	else
		*out = self;
	return rc;
}
