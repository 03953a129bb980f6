/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* spill.c - the training data's write-once store: memory, then a temporary
 * file, memory-mapped once sealed (spill.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pipeline/internal.h"
#include "pipeline/spill.h"

enum { WBUF = 1 << 20 };

struct nlp_spill {
	int refs;
	size_t limit; /* bytes kept in memory before the file is made */
	char *dir;    /* where the file goes (owned) */
	char *mem;    /* the bytes while in memory (owned) */
	size_t cap;
	uint64_t len; /* bytes written */
	int fd;       /* the file (unlinked), or -1 */
	char *wbuf;   /* [WBUF] bytes not yet written to the file (owned) */
	size_t wlen;
	char *map; /* the sealed file's mapping [len], or NULL */
	int sealed;
};

int nlp_spill_new(nlp_spill **out, const char *dir, size_t limit, nlp_err *err)
{
	nlp_spill *s = calloc(1, sizeof *s);

	*out = NULL;
	if (!s || !(s->dir = strdup(dir && *dir ? dir : "."))) {
		free(s);
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	s->refs = 1;
	s->limit = limit;
	s->fd = -1;
	*out = s;
	return NLP_OK;
}

nlp_spill *nlp_spill_ref(nlp_spill *s)
{
	if (s)
		s->refs++;
	return s;
}

void nlp_spill_free(nlp_spill *s)
{
	if (!s || --s->refs > 0)
		return;
	if (s->map)
		munmap(s->map, (size_t)s->len);
	if (s->fd >= 0)
		close(s->fd);
	free(s->wbuf);
	free(s->mem);
	free(s->dir);
	free(s);
}

/* The failure of a write to the file (errno says why). */
static int write_failed(const nlp_spill *s, nlp_err *err)
{
	return nlp_err_set(err, NLP_EIO,
	                   "%s: writing the training data's temporary file failed: %s (free some "
	                   "space there, or keep more of the data in memory: train "
	                   "--data-memory MB)",
	                   s->dir, strerror(errno));
}

/* Write n bytes of p to the file, whole. */
static int put(nlp_spill *s, const char *p, size_t n, nlp_err *err)
{
	while (n > 0) {
		ssize_t w = write(s->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = ENOSPC;
			return write_failed(s, err);
		}
		p += w;
		n -= (size_t)w;
	}
	return NLP_OK;
}

/* Move what is in memory to a new temporary file in s->dir. */
static int to_file(nlp_spill *s, nlp_err *err)
{
	size_t dl = strlen(s->dir);
	char *path = malloc(dl + 32);
	int rc = NLP_OK;

	s->wbuf = malloc(WBUF);
	if (!path || !s->wbuf) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(path, dl + 32, "%s/.nlpipe-data.XXXXXX", s->dir);
	s->fd = mkstemp(path);
	if (s->fd < 0) {
		rc = nlp_err_set(err, NLP_EIO,
		                 "%s: cannot make the training data's temporary file: %s (train "
		                 "writes it beside the model; or keep the data in memory: train "
		                 "--data-memory MB)",
		                 s->dir, strerror(errno));
		goto out;
	}
	unlink(path); /* gone with the last close, whatever happens */
	rc = put(s, s->mem, (size_t)s->len, err);
	free(s->mem);
	s->mem = NULL;
	s->cap = 0;
out:
	free(path);
	return rc;
}

/* Append n bytes to the file's write buffer. */
static int buffered(nlp_spill *s, const char *p, size_t n, nlp_err *err)
{
	if (s->wlen + n > WBUF) {
		int rc = put(s, s->wbuf, s->wlen, err);
		if (rc)
			return rc;
		s->wlen = 0;
	}
	if (n > WBUF)
		return put(s, p, n, err);
	memcpy(s->wbuf + s->wlen, p, n);
	s->wlen += n;
	return NLP_OK;
}

/* Append n bytes to the memory copy. */
static int in_memory(nlp_spill *s, const char *p, size_t n, nlp_err *err)
{
	if ((size_t)s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		char *m;
		while (cap < (size_t)s->len + n)
			cap *= 2;
		m = realloc(s->mem, cap);
		if (!m)
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		s->mem = m;
		s->cap = cap;
	}
	memcpy(s->mem + s->len, p, n);
	return NLP_OK;
}

int nlp_spill_write(nlp_spill *s, const void *p, size_t n, uint64_t *at, nlp_err *err)
{
	static const char zeros[4];
	const size_t pad = (4 - n % 4) % 4;
	int rc = NLP_OK;

	if (s->sealed)
		return nlp_err_set(err, NLP_EINTERNAL, "nlp_spill_write after nlp_spill_seal");
	if (at)
		*at = s->len;
	if (n == 0) /* an empty document: nothing to keep (p may be NULL) */
		return NLP_OK;
	if (s->fd < 0 && (size_t)s->len + n + pad > s->limit)
		rc = to_file(s, err);
	if (!rc && s->fd >= 0) {
		rc = buffered(s, p, n, err);
		if (!rc && pad)
			rc = buffered(s, zeros, pad, err);
	} else if (!rc) {
		rc = in_memory(s, p, n, err);
		if (!rc && pad) {
			s->len += n;
			rc = in_memory(s, zeros, pad, err);
			s->len -= n;
		}
	}
	if (!rc)
		s->len += n + pad;
	return rc;
}

int nlp_spill_seal(nlp_spill *s, nlp_err *err)
{
	int rc = NLP_OK;

	if (s->sealed)
		return NLP_OK;
	if (s->fd >= 0 && s->wlen)
		rc = put(s, s->wbuf, s->wlen, err);
	free(s->wbuf);
	s->wbuf = NULL;
	s->wlen = 0;
	if (!rc && s->fd >= 0 && s->len > 0) {
		void *m = mmap(NULL, (size_t)s->len, PROT_READ, MAP_SHARED, s->fd, 0);
		if (m == MAP_FAILED)
			rc = nlp_err_set(err, NLP_EIO,
			                 "%s: cannot map the training data's temporary file: %s",
			                 s->dir, strerror(errno));
		else
			s->map = m;
	}
	if (!rc)
		s->sealed = 1;
	return rc;
}

const char *nlp_spill_base(const nlp_spill *s)
{
	return s->fd >= 0 ? s->map : s->mem;
}

int nlp_spill_in_file(const nlp_spill *s)
{
	return s->fd >= 0;
}

int nlp_spill_read(const nlp_spill *s, uint64_t at, void *dst, size_t n, nlp_err *err)
{
	char *d = dst;

	if (n == 0)
		return NLP_OK;
	if (s->fd < 0) {
		memcpy(dst, s->mem + at, n);
		return NLP_OK;
	}
	while (n > 0) {
		ssize_t r = pread(s->fd, d, n, (off_t)at);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return nlp_err_set(
			        err, NLP_EIO,
			        "%s: reading the training data's temporary file failed: %s", s->dir,
			        r < 0 ? strerror(errno) : "it is shorter than written");
		d += r;
		at += (uint64_t)r;
		n -= (size_t)r;
	}
	return NLP_OK;
}

void nlp_spill_trim(nlp_spill *s)
{
	if (s && s->map)
		madvise(s->map, (size_t)s->len, MADV_DONTNEED);
}
