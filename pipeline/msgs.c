/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* msgs.c - message lists (report every problem at once) and whole-file reads. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nlpipe/reader.h"
#include "pipeline/internal.h"

void nlp_msgs_add(nlp_msgs *m, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 8;
		char **v = realloc(m->v, cap * sizeof *v);
		if (!v) {
			m->oom = 1;
			return;
		}
		m->v = v;
		m->cap = cap;
	}
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (!s) {
		m->oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	m->v[m->n++] = s;
}

int nlp_msgs_to_err(const nlp_msgs *m, nlp_err *err, int code)
{
	size_t used = 0, i;

	if (!err)
		return code;
	err->code = code;
	err->msg[0] = '\0';
	for (i = 0; i < m->n; i++) {
		size_t len = strlen(m->v[i]);
		if (used + len + 2 > sizeof err->msg - 40)
			break;
		memcpy(err->msg + used, m->v[i], len);
		used += len;
		if (i + 1 < m->n)
			err->msg[used++] = '\n';
		err->msg[used] = '\0';
	}
	if (i < m->n)
		snprintf(err->msg + used, sizeof err->msg - used, "(and %zu more problems)",
		         m->n - i);
	return code;
}

void nlp_msgs_free(nlp_msgs *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i]);
	free(m->v);
	memset(m, 0, sizeof *m);
}

/* All of standard input (at most max bytes) into a NUL-terminated buffer. */
static int read_stdin(size_t max, char **text, size_t *len, nlp_err *err)
{
	size_t n = 0, cap = 0;
	char *buf = NULL;
	int rc = NLP_OK;

	for (;;) {
		if (n + 1 >= cap) {
			size_t want = cap ? 2 * cap : 65536;
			char *p;
			if (want > max + 2)
				want = max + 2;
			if (!(p = realloc(buf, want))) {
				rc = nlp_err_set(err, NLP_ENOMEM, "-: out of memory");
				goto out;
			}
			buf = p;
			cap = want;
		}
		size_t k = fread(buf + n, 1, cap - n - 1, stdin);
		n += k;
		if (n > max) {
			rc = nlp_err_set(err, NLP_EDATA,
			                 "-: standard input is too large (at most %zu bytes)", max);
			goto out;
		}
		if (k == 0)
			break;
	}
	if (ferror(stdin)) {
		rc = nlp_err_set(err, NLP_EIO, "-: cannot read standard input: %s",
		                 strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	return rc;
}

int nlp_read_file(const char *path, size_t max, char **text, size_t *len, nlp_err *err)
{
	FILE *f = NULL;
	struct stat st;
	char *buf = NULL;
	size_t n;
	int rc = NLP_OK;

	*text = NULL;
	*len = 0;
	if (path[0] == '-' && path[1] == '\0')
		return read_stdin(max, text, len, err);
	rc = nlp_open_regular(path, &f);
	if (rc < 0) {
		rc = nlp_err_set(err, NLP_EIO, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	if (rc > 0 || fstat(fileno(f), &st) != 0) {
		rc = nlp_err_set(err, NLP_EIO, "%s: not a regular file (a folder, FIFO or device)",
		                 path);
		goto out;
	}
	if ((unsigned long long)st.st_size > max) {
		rc = nlp_err_set(err, NLP_EDATA, "%s: too large (%lld bytes; at most %zu)", path,
		                 (long long)st.st_size, max);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = nlp_err_set(err, NLP_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		rc = nlp_err_set(err, NLP_EIO, "%s: read error: %s", path, strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	if (f)
		fclose(f);
	return rc;
}
