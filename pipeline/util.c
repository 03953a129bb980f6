/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* util.c - small pieces of the contract every module uses: errors, token
 * lists, document ids, the RNG, byte buffers and cursors; files written
 * atomically; JSON strings; the clock. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utf8proc.h>

#include "nlpipe/model.h"
#include "internal.h"

int nlp_err_set(nlp_err *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
		err->code = code;
	}
	return code;
}

const char *nlp_version(void)
{
	return PACKAGE_VERSION;
}

int nlp_exit_code(int rc)
{
	switch (rc) {
	case NLP_OK:
		return 0;
	case NLP_ECONFIG:
	case NLP_EPLUGIN:
		return 1;
	case NLP_EDATA:
	case NLP_EIO:
		return 2;
	default:
		return 3;
	}
}

const char *nlp_kind_name(nlp_kind k)
{
	switch (k) {
	case NLP_KIND_TEXT:
		return "text";
	case NLP_KIND_TOKENS:
		return "tokens";
	case NLP_KIND_IDS:
		return "ids";
	case NLP_KIND_SEQUENCE:
		return "sequence";
	case NLP_KIND_VECTOR:
		return "vector";
	case NLP_KIND_SCORES:
		return "scores";
	default:
		return "nothing";
	}
}

/* ---- token lists ---- */

/* Realloc *pp to c elements of elem bytes. */
static int regrow(void *pp, size_t *cap, size_t c, size_t elem)
{
	void **p = pp;
	void *q;

	if (c > SIZE_MAX / (elem ? elem : 1) || !(q = realloc(*p, c * elem)))
		return NLP_ENOMEM;
	*p = q;
	*cap = c;
	return NLP_OK;
}

int nlp_grow(void *pp, size_t *cap, size_t n, size_t elem)
{
	size_t c = *cap ? *cap : 16;

	if (n <= *cap && *(void **)pp)
		return NLP_OK;
	while (c < n)
		c = c > SIZE_MAX / 2 ? n : c * 2;
	return regrow(pp, cap, c, elem);
}

int nlp_grow_exact(void *pp, size_t *cap, size_t n, size_t elem)
{
	if (n <= *cap && *(void **)pp)
		return NLP_OK;
	return regrow(pp, cap, n ? n : 1, elem);
}

float *nlp_zeros(size_t count)
{
	size_t n = count ? count : 1;
	float *p = calloc(n, sizeof *p);
	volatile float *page = p; /* volatile: the compiler must not drop the writes */

	for (size_t i = 0; p && i < n; i += 4096 / sizeof *p)
		page[i] = 0.0f;
	if (p)
		page[n - 1] = 0.0f; /* the last page, when p does not start one */
	return p;
}

int nlp_tokens_push(nlp_tokens *t, const char *s, size_t len)
{
	size_t ncap = t->ncap;

	if (len > UINT32_MAX - 1 || t->len + len + 1 > UINT32_MAX)
		return NLP_EDATA;
	if (nlp_grow(&t->buf, &t->cap, t->len + len + 1, 1))
		return NLP_ENOMEM;
	if (t->n + 1 > t->ncap) {
		if (nlp_grow(&t->off, &ncap, t->n + 1, sizeof *t->off))
			return NLP_ENOMEM;
		ncap = t->ncap;
		if (nlp_grow(&t->tlen, &ncap, t->n + 1, sizeof *t->tlen))
			return NLP_ENOMEM;
		t->ncap = ncap;
	}
	memcpy(t->buf + t->len, s, len);
	t->buf[t->len + len] = '\0';
	t->off[t->n] = (uint32_t)t->len;
	t->tlen[t->n] = (uint32_t)len;
	t->len += len + 1;
	t->n++;
	return NLP_OK;
}

void nlp_tokens_clear(nlp_tokens *t)
{
	t->len = 0;
	t->n = 0;
}

void nlp_tokens_free(nlp_tokens *t)
{
	free(t->buf);
	free(t->off);
	free(t->tlen);
	memset(t, 0, sizeof *t);
}

int nlp_doc_push_id(nlp_doc *doc, int32_t id)
{
	if (nlp_grow(&doc->ids, &doc->cap_ids, doc->n_ids + 1, sizeof *doc->ids))
		return NLP_ENOMEM;
	doc->ids[doc->n_ids++] = id;
	return NLP_OK;
}

/* ---- random numbers: xoshiro256** seeded through splitmix64 ---- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void nlp_rng_seed(nlp_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t nlp_rng_next(nlp_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

float nlp_rng_uniform(nlp_rng *r)
{
	return (float)(nlp_rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

float nlp_rng_normal(nlp_rng *r)
{
	/* Box-Muller; u1 in (0, 1] so the log is finite. */
	double u1 = ((double)(nlp_rng_next(r) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
	double u2 = (double)(nlp_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
	return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
}

/* ---- byte buffers and cursors ---- */

int nlp_buf_put(nlp_buf *b, const void *p, size_t n)
{
	if (nlp_grow(&b->data, &b->cap, b->len + n, 1))
		return NLP_ENOMEM;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return NLP_OK;
}

int nlp_buf_put_u32(nlp_buf *b, uint32_t v)
{
	unsigned char le[4];

	nlp_le32_put(le, v);
	return nlp_buf_put(b, le, 4);
}

int nlp_model_buf_put_u64(nlp_buf *b, uint64_t v)
{
	unsigned char le[8];

	nlp_le64_put(le, v);
	return nlp_buf_put(b, le, 8);
}

int nlp_model_buf_put_f32(nlp_buf *b, const float *x, size_t n)
{
	unsigned char chunk[4096];

	while (n) {
		size_t k = n < sizeof chunk / 4 ? n : sizeof chunk / 4;
		int rc;

		nlp_le_f32_put(chunk, x, k);
		if ((rc = nlp_buf_put(b, chunk, 4 * k)))
			return rc;
		x += k;
		n -= k;
	}
	return NLP_OK;
}

int nlp_buf_put_str(nlp_buf *b, const char *s)
{
	size_t n = strlen(s);
	int rc;

	if (n > UINT32_MAX)
		return NLP_EDATA;
	rc = nlp_buf_put_u32(b, (uint32_t)n);
	return rc ? rc : nlp_buf_put(b, s, n);
}

int nlp_cursor_get(nlp_cursor *c, void *p, size_t n)
{
	if ((size_t)(c->end - c->p) < n)
		return NLP_EDATA;
	if (n)
		memcpy(p, c->p, n);
	c->p += n;
	return NLP_OK;
}

int nlp_cursor_get_u32(nlp_cursor *c, uint32_t *v)
{
	unsigned char le[4];

	if (nlp_cursor_get(c, le, 4))
		return NLP_EDATA;
	*v = nlp_le32_get(le);
	return NLP_OK;
}

int nlp_model_cursor_get_u64(nlp_cursor *c, uint64_t *v)
{
	unsigned char le[8];

	if (nlp_cursor_get(c, le, 8))
		return NLP_EDATA;
	*v = nlp_le64_get(le);
	return NLP_OK;
}

void nlp_model_get_f32(float *out, const unsigned char *le, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t u = nlp_le32_get(le + 4 * i);
		memcpy(&out[i], &u, 4);
	}
}

int nlp_model_cursor_get_f32(nlp_cursor *c, float *x, size_t n)
{
	if (n > (size_t)(c->end - c->p) / 4)
		return NLP_EDATA;
	nlp_model_get_f32(x, c->p, n);
	c->p += 4 * n;
	return NLP_OK;
}

int nlp_cursor_get_str(nlp_cursor *c, const char **s, uint32_t *n, uint32_t max)
{
	uint32_t len;

	if (nlp_cursor_get_u32(c, &len) || len > max || (size_t)(c->end - c->p) < len)
		return NLP_EDATA;
	*s = (const char *)c->p;
	*n = len;
	c->p += len;
	return NLP_OK;
}

/* ---- files written atomically ---- */

/* 1 when name is "base.tmp.PID.HEX" of a process that no longer runs (this
 * machine's: the name holds no host, and a folder shared by several hosts
 * could hold a live writer's file of another one, so only a pid that
 * kill() knows nothing of counts). */
static int stale_tmp(const char *name, const char *base, size_t nb)
{
	const char *p;
	char *end;
	long pid;

	if (strncmp(name, base, nb) != 0 || strncmp(name + nb, ".tmp.", 5) != 0)
		return 0;
	p = name + nb + 5;
	errno = 0;
	pid = strtol(p, &end, 10);
	if (end == p || *end != '.' || pid <= 0 || errno || !end[1] ||
	    strspn(end + 1, "0123456789abcdef") != strlen(end + 1))
		return 0;
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* Remove what writes of path killed before they ended left beside it (best
 * effort: a folder that cannot be read is left as it is). */
static void remove_stale_tmp(const char *path)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	size_t nd = slash ? (size_t)(slash - path) : 0, nb = strlen(base);
	char *dir = malloc(nd + 2), *file = NULL;
	DIR *d;
	struct dirent *e;

	if (!dir)
		return;
	if (slash && nd == 0)
		nd = 1; /* "/x": the root */
	if (slash) {
		memcpy(dir, path, nd);
		dir[nd] = '\0';
	} else {
		strcpy(dir, ".");
	}
	if ((d = opendir(dir))) {
		while ((e = readdir(d))) {
			size_t n = strlen(dir) + strlen(e->d_name) + 2;
			if (!stale_tmp(e->d_name, base, nb) || !(file = malloc(n)))
				continue;
			snprintf(file, n, "%s/%s", dir, e->d_name);
			unlink(file);
			free(file);
		}
		closedir(d);
	}
	free(dir);
}

int nlp_atomic_open(nlp_atomic_file *a, const char *path, nlp_err *err)
{
	struct timespec ts;
	size_t n;
	int fd = -1, rc = NLP_OK;

	memset(a, 0, sizeof *a);
	if (!path || !*path)
		return nlp_err_set(err, NLP_ECONFIG, "no file name given");
	n = strlen(path) + 64;
	a->path = malloc(strlen(path) + 1);
	a->tmp = malloc(n);
	if (!a->path || !a->tmp) {
		rc = nlp_err_set(err, NLP_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	strcpy(a->path, path);
	remove_stale_tmp(path);
	/* A fresh name beside the target, so that rename() stays in one file
	 * system; O_EXCL so that we never write through someone else's file. */
	clock_gettime(CLOCK_REALTIME, &ts);
	for (unsigned i = 0; i < 100 && fd < 0; i++) {
		unsigned long salt = (unsigned long)ts.tv_nsec ^ (unsigned long)(uintptr_t)a ^
		                     (i * 2654435761ul);
		snprintf(a->tmp, n, "%s.tmp.%ld.%lx", path, (long)getpid(), salt & 0xfffffful);
		fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		rc = nlp_err_set(err, NLP_EIO, "%s: cannot create a temporary file beside it: %s",
		                 path, strerror(errno));
		free(a->tmp);
		a->tmp = NULL;
		goto out;
	}
	a->f = fdopen(fd, "wb");
	if (!a->f) {
		rc = nlp_err_set(err, NLP_EIO, "%s: %s", a->tmp, strerror(errno));
		close(fd);
	}
out:
	if (rc)
		nlp_atomic_abort(a);
	return rc;
}

/* fsync the folder that holds path, so that the rename is durable (best
 * effort: some file systems refuse it). */
static void fsync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = NULL;
	int fd;

	if (slash) {
		size_t n = slash == path ? 1 : (size_t)(slash - path);
		if (!(dir = malloc(n + 1)))
			return;
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	fd = open(dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int nlp_atomic_commit(nlp_atomic_file *a, nlp_err *err)
{
	FILE *f = a->f;
	int rc = NLP_OK;

	a->f = NULL;
	if (!f || !a->tmp) {
		rc = nlp_err_set(err, NLP_EINTERNAL, "%s: not open", a->path ? a->path : "file");
		goto out;
	}
	errno = 0;
	if (ferror(f) || fflush(f) || fsync(fileno(f))) {
		rc = nlp_err_set(err, NLP_EIO, "%s: write failed: %s", a->tmp,
		                 strerror(errno ? errno : EIO));
		fclose(f);
		goto out;
	}
	if (fclose(f)) {
		rc = nlp_err_set(err, NLP_EIO, "%s: write failed: %s", a->tmp, strerror(errno));
		goto out;
	}
	if (rename(a->tmp, a->path)) {
		rc = nlp_err_set(err, NLP_EIO, "%s: cannot rename %s to it: %s", a->path, a->tmp,
		                 strerror(errno));
		goto out;
	}
	free(a->tmp);
	a->tmp = NULL; /* renamed: nothing to remove */
	fsync_dir_of(a->path);
out:
	nlp_atomic_abort(a);
	return rc;
}

void nlp_atomic_abort(nlp_atomic_file *a)
{
	if (a->f)
		fclose(a->f);
	if (a->tmp)
		unlink(a->tmp);
	free(a->tmp);
	free(a->path);
	memset(a, 0, sizeof *a);
}

/* ---- output paths ---- */

int nlp_check_output(const char *out, const char *what, const char *example, nlp_err *err)
{
	const char *slash = strrchr(out, '/');
	struct stat sb;
	char *dir;
	int rc = NLP_OK;

	if (!*out)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "-o: the %s path is empty: give a file, e.g. -o %s", what,
		                   example);
	if (strcmp(out, "-") == 0)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "-o -: a %s is not written to standard output (it is written "
		                   "to a file, atomically): give a file, e.g. -o %s",
		                   what, example);
	if ((stat(out, &sb) == 0 && S_ISDIR(sb.st_mode)) || (slash && !slash[1]))
		return nlp_err_set(err, NLP_ECONFIG,
		                   "-o %s: is a folder: give the %s file's path, e.g. "
		                   "-o %s%s%s",
		                   out, what, out, slash && !slash[1] ? "" : "/", example);
	dir = slash ? strndup(out, slash == out ? 1 : (size_t)(slash - out)) : strdup(".");
	if (!dir)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (stat(dir, &sb) != 0)
		rc = nlp_err_set(err, NLP_EIO, "-o %s: the folder %s %s: create it first", out, dir,
		                 errno == ENOENT ? "does not exist" : strerror(errno));
	else if (!S_ISDIR(sb.st_mode))
		rc = nlp_err_set(err, NLP_EIO, "-o %s: %s is not a folder", out, dir);
	else if (access(dir, W_OK | X_OK) != 0)
		rc = nlp_err_set(err, NLP_EIO, "-o %s: cannot write in the folder %s: %s", out, dir,
		                 strerror(errno));
	free(dir);
	return rc;
}

/* ---- output locks ---- */

struct nlp_lock {
	int fd;     /* the lock file, open; -1: none */
	int locked; /* fd holds the lock (flock may be unsupported: then not) */
	char path[];
};

/* The pid the holder of l wrote in its lock file, 0 if unknown. */
static long lock_holder(const nlp_lock *l)
{
	char buf[32];
	ssize_t n = pread(l->fd, buf, sizeof buf - 1, 0);
	long pid = 0;

	if (n > 0) {
		buf[n] = '\0';
		pid = strtol(buf, NULL, 10);
	}
	return pid > 0 ? pid : 0;
}

/* Open and lock l->path, retrying while the file locked is not the one at
 * the path (its holder removed it between our open and our lock). */
static int lock_take(nlp_lock *l, const char *output, const char *what, nlp_err *err)
{
	struct stat a, b;
	int rc = NLP_OK;

	for (int tries = 0; !rc && !l->locked; tries++) {
		if (l->fd >= 0)
			close(l->fd);
		l->fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (l->fd < 0) {
			rc = nlp_err_set(err, NLP_EIO, "-o %s: cannot create the lock file %s: %s",
			                 output, l->path, strerror(errno));
		} else if (flock(l->fd, LOCK_EX | LOCK_NB) != 0) {
			long pid = errno == EWOULDBLOCK ? lock_holder(l) : -1;
			char who[40] = "";

			if (pid < 0) /* no locks on this file system: go on unlocked */
				break;
			if (pid > 0)
				snprintf(who, sizeof who, " (pid %ld)", pid);
			rc = nlp_err_set(err, NLP_ECONFIG,
			                 "-o %s: another process%s is writing this %s (it holds "
			                 "%s): wait for it to end or give another -o",
			                 output, who, what, l->path);
		} else if (fstat(l->fd, &a) == 0 && stat(l->path, &b) == 0 &&
		           a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			l->locked = 1;
		} else if (tries >= 100) {
			rc = nlp_err_set(err, NLP_EIO,
			                 "-o %s: cannot lock %s: it keeps being removed", output,
			                 l->path);
		}
	}
	return rc;
}

int nlp_lock_output(nlp_lock **out, const char *output, const char *what, nlp_err *err)
{
	const size_t len = strlen(output);
	nlp_lock *l = malloc(sizeof *l + len + sizeof ".lock");
	int rc;

	*out = NULL;
	if (!l)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	l->fd = -1;
	l->locked = 0;
	memcpy(l->path, output, len);
	memcpy(l->path + len, ".lock", sizeof ".lock");
	rc = lock_take(l, output, what, err);
	if (!rc && l->locked) {
		char pid[32];
		int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());

		/* who holds it, for another process's message: best effort (on a
		 * full disk the file stays empty and the message names no pid) */
		if (pwrite(l->fd, pid, (size_t)n, 0) != n || ftruncate(l->fd, n) != 0) {
		}
	}
	if (rc)
		nlp_unlock_output(l);
	else
		*out = l;
	return rc;
}

void nlp_unlock_output(nlp_lock *l)
{
	if (!l)
		return;
	if (l->locked) /* removed while held: a process waiting on it retries */
		unlink(l->path);
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}

/* ---- JSON strings ---- */

int nlp_json_string(const char *s, size_t n, nlp_write_fn put, void *user)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0; /* s[run..i) is still to be written as it is */
	int rc = put(user, "\"", 1);

	while (i < n && !rc) {
		unsigned c = u[i];
		char esc[8];
		const char *e = esc;
		size_t k;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (c >= 0x80) {
			utf8proc_int32_t cp;
			utf8proc_ssize_t m =
			        utf8proc_iterate(u + i, (utf8proc_ssize_t)(n - i), &cp);
			if (m > 0) {
				i += (size_t)m;
				continue;
			}
			e = "\xef\xbf\xbd"; /* U+FFFD */
			k = 3;
		} else if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			k = 2;
		} else if (c == '\n' || c == '\t') {
			e = c == '\n' ? "\\n" : "\\t";
			k = 2;
		} else {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			k = 6;
		}
		if (i > run)
			rc = put(user, s + run, i - run);
		if (!rc)
			rc = put(user, e, k);
		run = ++i;
	}
	if (!rc && i > run)
		rc = put(user, s + run, i - run);
	return rc ? rc : put(user, "\"", 1);
}

static int put_stream(void *user, const char *p, size_t n)
{
	return fwrite(p, 1, n, user) == n ? NLP_OK : NLP_EIO;
}

void nlp_json_fputs(FILE *f, const char *s)
{
	if (!s)
		s = "";
	/* a write error stays in the stream's error flag, for the caller's check */
	nlp_json_string(s, strlen(s), put_stream, f);
}

double nlp_clock_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int nlp_text_width(const char *s)
{
	int w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}
