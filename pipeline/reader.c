/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* reader.c - document readers: folders, files and line files as a stream
 * of UTF-8 documents (see nlpipe/reader.h for the rules). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utf8proc.h>

#include "nlpipe/reader.h"

#define MAX_LABELS 10000
#define BLOCK      (64u << 10)

enum in_kind { IN_FOLDER, IN_FILES, IN_FILE, IN_LINES };

struct input {
	char *path; /* "-": standard input */
	int kind;
	nlp_line_format lf;
	FILE *spool; /* standard input's lines, copied here when read twice */
};

static int is_stdin(const char *path)
{
	return path[0] == '-' && path[1] == '\0';
}

struct frame {
	char *dir;
	char **names;
	size_t n, i;
	dev_t dev;
	ino_t ino;
	int root;  /* the top of a labelled folder: its sub-folders are labels */
	int label; /* label of the documents below; -1 none */
	const char *label_name;
};

/* A line reader over a FILE with its own block buffer. */
struct lines {
	FILE *fp;
	const char *path;
	nlp_line_format fmt;
	unsigned long lineno;
	char *blk;
	size_t pos, end;
	int eof;
	char *line;
	size_t len, cap;
	int too_long; /* the current line went over the limit and was not kept */
	size_t full_len;
};

struct nlp_reader {
	nlp_reader_opts o;
	struct input *in;
	size_t n_in, next_in;
	struct frame *st;
	size_t depth, st_cap;
	char **labels;  /* in label-index order */
	size_t *sorted; /* label indices sorted by name */
	size_t n_labels;
	struct lines lf;
	char *raw; /* a file's bytes */
	size_t raw_cap;
	char *text; /* its UTF-8 text */
	size_t text_cap;
	char *name;
	size_t name_cap;
	char *path;
	size_t path_cap;
	char *lbl;
	size_t lbl_cap;
	int lset[MAX_LABELS]; /* the document's label indices (doc.labels) */
	nlp_document doc;
	nlp_reader_stats s;
};

/* ---- small helpers ---- */

static int reserve(char **p, size_t *cap, size_t need)
{
	size_t nc;
	char *q;

	if (need <= *cap)
		return NLP_OK;
	nc = *cap ? *cap : 256;
	while (nc < need)
		nc *= 2;
	q = realloc(*p, nc);
	if (!q)
		return NLP_ENOMEM;
	*p = q;
	*cap = nc;
	return NLP_OK;
}

static int set_str(char **p, size_t *cap, const char *s, size_t n)
{
	if (reserve(p, cap, n + 1))
		return NLP_ENOMEM;
	memcpy(*p, s, n);
	(*p)[n] = '\0';
	return NLP_OK;
}

static void say(nlp_reader *r, int always, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void say(nlp_reader *r, int always, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;

	if (!r->o.diag || !(always || r->o.verbose))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	r->o.diag(r->o.diag_user, msg);
}

/* Count a skipped document and name it; under strict it is an error. */
static int skip(nlp_reader *r, uint64_t *counter, int always, nlp_err *err, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
static int skip(nlp_reader *r, uint64_t *counter, int always, nlp_err *err, const char *fmt, ...)
{
	char msg[1100];
	va_list ap;

	(*counter)++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (r->o.strict)
		return nlp_err_set(err, NLP_EDATA, "%s (stopped: strict reading)", msg);
	say(r, always, "%s", msg);
	return NLP_OK;
}

void nlp_reader_opts_init(nlp_reader_opts *o)
{
	memset(o, 0, sizeof *o);
	o->max_doc_bytes = NLP_READER_DEFAULT_MAX_DOC;
}

int nlp_encoding_parse(const char *s, nlp_encoding *e, nlp_err *err)
{
	if (!strcasecmp(s, "utf-8") || !strcasecmp(s, "utf8"))
		*e = NLP_ENC_UTF8;
	else if (!strcasecmp(s, "latin-1") || !strcasecmp(s, "latin1") ||
	         !strcasecmp(s, "iso-8859-1"))
		*e = NLP_ENC_LATIN1;
	else if (!strcasecmp(s, "auto"))
		*e = NLP_ENC_AUTO;
	else
		return nlp_err_set(err, NLP_ECONFIG,
		                   "unknown encoding '%s': use utf-8, latin-1 or auto", s);
	return NLP_OK;
}

int nlp_input_format_parse(const char *s, nlp_input_format *f, nlp_err *err)
{
	static const char *const names[] = {"auto", "folder", "files", "lines"};
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return *f = (nlp_input_format)i, NLP_OK;
	return nlp_err_set(err, NLP_ECONFIG,
	                   "unknown input format '%s': use auto, folder (DIR/<label>/<files>), "
	                   "files (one document a file) or lines (one document a line)",
	                   s);
}

int nlp_line_format_parse(const char *s, nlp_line_format *f, nlp_err *err)
{
	static const char *const names[] = {"auto", "tab", "fasttext", "space", "plain"};
	for (int i = 0; i < 5; i++)
		if (!strcmp(s, names[i]))
			return *f = (nlp_line_format)i, NLP_OK;
	return nlp_err_set(err, NLP_ECONFIG,
	                   "unknown line format '%s': use auto, tab (label<TAB>text), fasttext "
	                   "(__label__X text), space (label text) or plain (text only)",
	                   s);
}

int nlp_size_parse(const char *s, size_t *out, nlp_err *err)
{
	char *end;
	double v;
	unsigned long long mult = 1;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || v < 0)
		goto bad;
	switch (*end) {
	case 'k':
	case 'K':
		mult = 1ull << 10;
		end++;
		break;
	case 'm':
	case 'M':
		mult = 1ull << 20;
		end++;
		break;
	case 'g':
	case 'G':
		mult = 1ull << 30;
		end++;
		break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v * (double)mult < 1 || v * (double)mult > 1e15)
		goto bad;
	*out = (size_t)(v * (double)mult);
	return NLP_OK;
bad:
	return nlp_err_set(err, NLP_ECONFIG,
	                   "'%s' is not a size: write bytes, or a number with k, M or G (e.g. 16M)",
	                   s);
}

/* ---- labels ---- */

/* Binary search of the sorted labels for name[0..n) (not NUL-terminated;
 * compared byte-wise over its n bytes, never past a shorter label). */
static int label_find(const nlp_reader *r, const char *name, size_t n, size_t *pos)
{
	size_t lo = 0, hi = r->n_labels;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const char *m = r->labels[r->sorted[mid]];
		size_t ml = strlen(m);
		int c = memcmp(m, name, ml < n ? ml : n);
		if (c == 0)
			c = ml < n ? -1 : ml > n;
		if (c == 0) {
			*pos = mid;
			return 1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*pos = lo;
	return 0;
}

/* Label index of name, or -1. */
static int label_index(const nlp_reader *r, const char *name, size_t n)
{
	size_t pos;
	return label_find(r, name, n, &pos) ? (int)r->sorted[pos] : -1;
}

/* Add a label found in the data, keeping the labels sorted (index order ==
 * name order while the labels come from the data). */
static int label_add(nlp_reader *r, const char *name, size_t n, nlp_err *err)
{
	size_t pos;
	char *copy, **nl;
	size_t *ns;

	if (label_find(r, name, n, &pos))
		return NLP_OK;
	if (r->n_labels >= MAX_LABELS)
		return nlp_err_set(err, NLP_EDATA,
		                   "more than %d different labels: is the line format right (see "
		                   "--lines)? the label is what comes before the first TAB, or "
		                   "after __label__, or the first word",
		                   MAX_LABELS);
	copy = malloc(n + 1);
	nl = realloc(r->labels, (r->n_labels + 1) * sizeof *nl);
	if (nl)
		r->labels = nl;
	ns = realloc(r->sorted, (r->n_labels + 1) * sizeof *ns);
	if (ns)
		r->sorted = ns;
	if (!copy || !nl || !ns) {
		free(copy);
		return nlp_err_set(err, NLP_ENOMEM, "out of memory reading labels");
	}
	memcpy(copy, name, n);
	copy[n] = '\0';
	memmove(r->labels + pos + 1, r->labels + pos, (r->n_labels - pos) * sizeof *r->labels);
	r->labels[pos] = copy;
	r->n_labels++;
	for (size_t i = 0; i < r->n_labels; i++)
		r->sorted[i] = i;
	return NLP_OK;
}

static void labels_free(nlp_reader *r)
{
	for (size_t i = 0; i < r->n_labels; i++)
		free(r->labels[i]);
	free(r->labels);
	free(r->sorted);
	r->labels = NULL;
	r->sorted = NULL;
	r->n_labels = 0;
}

int nlp_reader_set_labels(nlp_reader *r, const char *const *names, size_t n, nlp_err *err)
{
	labels_free(r);
	r->labels = calloc(n ? n : 1, sizeof *r->labels);
	r->sorted = calloc(n ? n : 1, sizeof *r->sorted);
	if (!r->labels || !r->sorted)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		r->labels[i] = strdup(names[i]);
		if (!r->labels[i])
			goto oom;
		r->sorted[i] = i;
		r->n_labels = i + 1;
	}
	/* insertion sort of the indices by name (qsort has no context pointer) */
	for (size_t i = 1; i < n; i++) {
		size_t x = r->sorted[i], j = i;
		while (j > 0 && strcmp(r->labels[r->sorted[j - 1]], r->labels[x]) > 0) {
			r->sorted[j] = r->sorted[j - 1];
			j--;
		}
		r->sorted[j] = x;
	}
	return NLP_OK;
oom:
	return nlp_err_set(err, NLP_ENOMEM, "out of memory setting labels");
}

size_t nlp_reader_label_count(const nlp_reader *r)
{
	return r->n_labels;
}

const char *nlp_reader_label(const nlp_reader *r, size_t i)
{
	return i < r->n_labels ? r->labels[i] : NULL;
}

/* ---- text decoding ---- */

/* Length of the valid UTF-8 sequence at s (utf8proc refuses overlong
 * forms, surrogates and code points past U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t k = utf8proc_iterate(s, (utf8proc_ssize_t)len, &cp);

	return k > 0 ? (size_t)k : 0;
}

/* Is s[0..n) valid UTF-8? */
static int utf8_valid(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t k;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8_seq(s + i, n - i);
		if (!k)
			return 0;
		i += k;
	}
	return 1;
}

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Are all eight bytes of x printable ASCII (0x20..0x7e)? */
static inline int printable8(uint64_t x)
{
	uint64_t below = (x - ONES * 0x20) & ~x & HIGHS; /* some byte < 0x20 */
	uint64_t d = x ^ (ONES * 0x7f);
	uint64_t del = (d - ONES) & ~d & HIGHS; /* some byte == 0x7f */
	return ((x & HIGHS) | below | del) == 0;
}

/* Count c if it is a control byte other than a tab or line break (ctl),
 * and if it is NUL (nuls). */
static inline void count_control(unsigned c, size_t *ctl, size_t *nuls)
{
	if (c < 0x20 || c == 0x7f) {
		*ctl += !(c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v');
		*nuls += c == 0;
	}
}

/* Copy s[0..n) into t as UTF-8 per latin1 (else invalid bytes become
 * U+FFFD); returns the length written, counts replacements and controls. */
static size_t decode_copy(unsigned char *t, const unsigned char *s, size_t n, int latin1,
                          size_t *rep, size_t *ctl, size_t *nuls)
{
	size_t o = 0, i = 0;

	while (i < n) {
		unsigned c;
		size_t k;
		/* plain ASCII text goes eight bytes at a time */
		while (i + 8 <= n) {
			uint64_t x;
			memcpy(&x, s + i, 8);
			if (!printable8(x))
				break;
			memcpy(t + o, &x, 8);
			o += 8;
			i += 8;
		}
		if (i >= n)
			break;
		c = s[i];
		if (c < 0x80) {
			t[o++] = (unsigned char)c;
			i++;
			count_control(c, ctl, nuls);
			continue;
		}
		if (latin1) {
			t[o++] = (unsigned char)(0xc0 | (c >> 6));
			t[o++] = (unsigned char)(0x80 | (c & 0x3f));
			i++;
			continue;
		}
		k = utf8_seq(s + i, n - i);
		if (k) {
			memcpy(t + o, s + i, k);
			o += k;
			i += k;
			continue;
		}
		t[o++] = 0xef;
		t[o++] = 0xbf;
		t[o++] = 0xbd;
		(*rep)++;
		i++;
	}
	t[o] = '\0';
	return o;
}

/* Decode src[0..n) into r->text per the encoding; fills d's text fields and
 * counts control bytes (d->control) and NUL bytes (*nul).  With in_place,
 * src is the reader's own buffer with room for a NUL at n: valid UTF-8 is
 * used where it is, not copied (a large document is then held once). */
static int decode(nlp_reader *r, const char *src, size_t n, int in_place, nlp_document *d,
                  size_t *nul)
{
	const unsigned char *s = (const unsigned char *)src;
	int latin1 = r->o.encoding == NLP_ENC_LATIN1, valid = 0;
	size_t o = 0, rep = 0, ctl = 0, nuls = 0;

	if (!latin1 && n >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) {
		s += 3;
		n -= 3;
	}
	if (!latin1 && (in_place || r->o.encoding == NLP_ENC_AUTO))
		valid = utf8_valid(s, n);
	if (r->o.encoding == NLP_ENC_AUTO && !valid)
		latin1 = 1;
	if (valid && in_place) {
		char *t = (char *)s; /* the reader's own raw buffer */
		for (size_t i = 0; i < n; i++)
			count_control(s[i], &ctl, &nuls);
		t[n] = '\0';
		d->text = t;
		o = n;
	} else {
		if (reserve(&r->text, &r->text_cap, 3 * n + 1))
			return NLP_ENOMEM;
		o = decode_copy((unsigned char *)r->text, s, n, latin1, &rep, &ctl, &nuls);
		d->text = r->text;
	}
	d->len = o;
	d->replaced = rep;
	d->control = ctl;
	d->latin1 = latin1 && r->o.encoding == NLP_ENC_AUTO;
	*nul = nuls;
	return NLP_OK;
}

static void count_doc(nlp_reader *r, const nlp_document *d)
{
	size_t ctl = d->control;

	r->s.control += ctl;
	if (d->replaced)
		say(r, 0, "%s: %zu invalid byte%s replaced by U+FFFD", d->name, d->replaced,
		    d->replaced == 1 ? "" : "s");
	if (ctl)
		say(r, 0, "%s: %zu control byte%s (kept)", d->name, ctl, ctl == 1 ? "" : "s");
	if (d->latin1)
		say(r, 0, "%s: not UTF-8, read as Latin-1", d->name);
	r->s.docs++;
	r->s.bytes += d->raw_len;
	r->s.replaced += d->replaced;
	if (d->latin1)
		r->s.latin1++;
	if (!d->len)
		r->s.empty++;
}

/* A size in binary units, as the limits are given (16M is 16 MiB). */
static void fmt_mb(char *buf, size_t size, double bytes)
{
	if (bytes >= 1024.0 * 1024 * 1024)
		snprintf(buf, size, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
	else if (bytes >= 1024.0 * 1024)
		snprintf(buf, size, "%.1f MiB", bytes / (1024.0 * 1024));
	else if (bytes >= 1024)
		snprintf(buf, size, "%.1f KiB", bytes / 1024);
	else
		snprintf(buf, size, "%.0f bytes", bytes);
}

/* ---- whole files ---- */

/* Read path as one document.  *got is set when a document is ready. */
static int read_doc_file(nlp_reader *r, const char *path, int label, const char *label_name,
                         int *got, nlp_err *err)
{
	int fd = -1, rc = NLP_OK;
	struct stat sb;
	size_t n = 0, nul = 0;
	char sz[32], mx[32];

	*got = 0;
	fd = is_stdin(path) ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			return skip(r, &r->s.loops, 1, err, "%s: symbolic link loop; skipped",
			            path);
		return skip(r, &r->s.unreadable, 1, err, "%s: cannot open: %s; skipped", path,
		            strerror(errno));
	}
	if (fstat(fd, &sb) != 0) {
		rc = skip(r, &r->s.unreadable, 1, err, "%s: cannot read: %s; skipped", path,
		          strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode) && !is_stdin(path)) {
		rc = skip(r, &r->s.other, 0, err, "%s: not a regular file; skipped", path);
		goto out;
	}
	if (S_ISREG(sb.st_mode) && (uint64_t)sb.st_size > r->o.max_doc_bytes) {
		fmt_mb(sz, sizeof sz, (double)sb.st_size);
		fmt_mb(mx, sizeof mx, (double)r->o.max_doc_bytes);
		rc = skip(r, &r->s.too_large, 1, err,
		          "%s: %s is over the maximum document size (%s); skipped, not cut "
		          "(raise the limit with --max-doc-size)",
		          path, sz, mx);
		goto out;
	}
	r->s.files++;
	for (;;) {
		ssize_t k;
		if (reserve(&r->raw, &r->raw_cap, n + BLOCK + 1)) {
			rc = nlp_err_set(err, NLP_ENOMEM, "%s: out of memory", path);
			goto out;
		}
		k = read(fd, r->raw + n, BLOCK);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			rc = skip(r, &r->s.unreadable, 1, err, "%s: read error: %s; skipped", path,
			          strerror(errno));
			goto out;
		}
		if (k == 0)
			break;
		n += (size_t)k;
		if (n > r->o.max_doc_bytes) {
			fmt_mb(mx, sizeof mx, (double)r->o.max_doc_bytes);
			rc = skip(r, &r->s.too_large, 1, err,
			          "%s: over the maximum document size (%s); skipped, not cut "
			          "(raise the limit with --max-doc-size)",
			          path, mx);
			goto out;
		}
	}
	if (set_str(&r->path, &r->path_cap, path, strlen(path)) ||
	    decode(r, r->raw, n, 1, &r->doc, &nul)) {
		rc = nlp_err_set(err, NLP_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	/* binary: NUL bytes, or more than 10 % control bytes */
	if (nul || r->doc.control * 10 > n) {
		rc = skip(r, &r->s.binary, 0, err, "%s: %s; skipped", path,
		          nul ? "holds NUL bytes (binary?)" : "looks binary (control bytes)");
		goto out;
	}
	r->doc.name = r->path;
	r->doc.path = r->path;
	r->doc.line = 0;
	r->doc.label = label;
	r->doc.label_name = label_name;
	r->lset[0] = label;
	r->doc.labels = r->lset;
	r->doc.n_labels = label >= 0;
	r->doc.raw_len = n;
	if (label < 0 && label_name)
		r->s.unknown_label++;
	count_doc(r, &r->doc);
	*got = 1;
out:
	close(fd);
	return rc;
}

/* ---- line files ---- */

/* A stream of path's bytes from its start: the file, standard input's copy
 * (spool), or standard input itself (read once). */
static FILE *open_stream(const char *path, FILE *spool)
{
	int fd;
	FILE *f;

	if (!is_stdin(path))
		return fopen(path, "rb");
	if (spool && fseeko(spool, 0, SEEK_SET) != 0)
		return NULL;
	fd = dup(spool ? fileno(spool) : STDIN_FILENO);
	if (fd < 0)
		return NULL;
	if (spool && lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return NULL;
	}
	if (!(f = fdopen(fd, "rb")))
		close(fd);
	return f;
}

static int lines_open(nlp_reader *r, struct lines *L, const char *path, FILE *spool,
                      nlp_line_format fmt, nlp_err *err)
{
	memset(L, 0, sizeof *L);
	L->fp = open_stream(path, spool);
	if (!L->fp)
		return nlp_err_set(err, NLP_EIO, "%s: cannot open: %s", path, strerror(errno));
	L->blk = malloc(BLOCK);
	if (!L->blk) {
		fclose(L->fp);
		L->fp = NULL;
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	L->path = path;
	L->fmt = fmt;
	(void)r;
	return NLP_OK;
}

static void lines_close(struct lines *L)
{
	if (L->fp)
		fclose(L->fp);
	free(L->blk);
	free(L->line);
	memset(L, 0, sizeof *L);
}

/* Next line into L->line (without the newline or a CR before it).
 * Returns 1 for a line, 0 at the end, -1 on a read error, -2 out of memory.
 * A line longer than max is not kept (L->too_long, L->full_len). */
static int lines_next(struct lines *L, size_t max)
{
	int any = 0;

	L->len = 0;
	L->too_long = 0;
	L->full_len = 0;
	for (;;) {
		if (L->pos == L->end) {
			size_t k;
			if (L->eof)
				break;
			k = fread(L->blk, 1, BLOCK, L->fp);
			if (k == 0) {
				if (ferror(L->fp))
					return -1;
				L->eof = 1;
				break;
			}
			L->pos = 0;
			L->end = k;
		}
		char *nl = memchr(L->blk + L->pos, '\n', L->end - L->pos);
		size_t seg = nl ? (size_t)(nl - (L->blk + L->pos)) : L->end - L->pos;
		any = 1;
		L->full_len += seg;
		if (!L->too_long) {
			if (L->len + seg > max) {
				L->too_long = 1;
			} else {
				if (reserve(&L->line, &L->cap, L->len + seg + 1))
					return -2;
				memcpy(L->line + L->len, L->blk + L->pos, seg);
				L->len += seg;
			}
		}
		L->pos += seg;
		if (nl) {
			L->pos++;
			break;
		}
	}
	if (!any)
		return 0;
	L->lineno++;
	if (L->len && L->line[L->len - 1] == '\r')
		L->len--;
	if (reserve(&L->line, &L->cap, L->len + 1))
		return -2;
	L->line[L->len] = '\0';
	return 1;
}

static int is_blank_line(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\v' && s[i] != '\f')
			return 0;
	return 1;
}

/* The next `__label__X` of [*p, end) in *lab, *lab_len (X, which may be
 * empty), *p moved past it and the blanks after it; 0 when *p is not at one. */
static int ft_next_label(const char **p, const char *end, const char **lab, size_t *lab_len)
{
	const char *q = *p;

	if ((size_t)(end - q) < 9 || memcmp(q, "__label__", 9) != 0)
		return 0;
	*lab = q + 9;
	for (q = *lab; q < end && *q != ' ' && *q != '\t'; q++)
		;
	*lab_len = (size_t)(q - *lab);
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	*p = q;
	return 1;
}

/* Split a line into label and text per fmt.  Returns 0 when the line has no
 * label (labelled formats).  For fastText lines, [*more, *text) holds the
 * labels after the first (read them with ft_next_label); else *more ==
 * *text. */
static int split_line(nlp_line_format fmt, const char *s, size_t n, const char **lab,
                      size_t *lab_len, const char **more, const char **text, size_t *text_len)
{
	const char *end = s + n, *p;

	*lab = NULL;
	*lab_len = 0;
	*more = NULL;
	switch (fmt) {
	case NLP_LINES_TAB:
		p = memchr(s, '\t', n);
		if (!p || p == s)
			return 0;
		*lab = s;
		*lab_len = (size_t)(p - s);
		while (*lab_len && (*lab)[*lab_len - 1] == ' ')
			(*lab_len)--;
		*text = p + 1;
		break;
	case NLP_LINES_FASTTEXT:
		p = s;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (!ft_next_label(&p, end, lab, lab_len) || !*lab_len)
			return 0;
		*more = p;
		while (ft_next_label(&p, end, &(const char *){NULL}, &(size_t){0}))
			;
		*text = p;
		break;
	case NLP_LINES_SPACE:
		p = s;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		*lab = p;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		*lab_len = (size_t)(p - *lab);
		if (!*lab_len)
			return 0;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		*text = p;
		break;
	default:
		*text = s;
		break;
	}
	if (!*more)
		*more = *text;
	*text_len = (size_t)(end - *text);
	return 1;
}

/* The format of a line file from its first non-blank line. */
/* The format of a line file from its first lines (up to 5 complete lines
 * in the first 8 KiB): __label__ if the first starts so, TAB if it has one.
 * *labelled_looking when the first line and two thirds of those looked at
 * fit: start with __label__, or have a TAB after a short label without
 * spaces. */
static nlp_line_format sniff_lines(const char *path, FILE *spool, int *labelled_looking)
{
	FILE *f = open_stream(path, spool);
	char buf[8192];
	size_t n, i = 0, lines = 0, fit = 0;
	nlp_line_format fmt = NLP_LINES_PLAIN;
	int first_fits = 0;

	*labelled_looking = 0;
	if (!f)
		return fmt;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (i < n && lines < 5) {
		const char *line = buf + i, *nl = memchr(line, '\n', n - i), *tab;
		size_t ll = nl ? (size_t)(nl - line) : n - i;
		int ok = 0;
		if (!nl && n == sizeof buf - 1 && lines)
			break; /* a cut line: judge by the whole ones */
		i += ll + 1;
		if (is_blank_line(line, ll) || (ll == 1 && line[0] == '\r'))
			continue;
		if (!lines)
			fmt = ll >= 9 && memcmp(line, "__label__", 9) == 0 ? NLP_LINES_FASTTEXT
			      : memchr(line, '\t', ll)                     ? NLP_LINES_TAB
			                                                   : NLP_LINES_PLAIN;
		lines++;
		if (fmt == NLP_LINES_FASTTEXT) {
			ok = ll >= 9 && memcmp(line, "__label__", 9) == 0;
		} else if (fmt == NLP_LINES_TAB) {
			tab = memchr(line, '\t', ll);
			ok = tab && tab > line && tab - line <= 64 &&
			     !memchr(line, ' ', (size_t)(tab - line));
		}
		fit += (size_t)ok;
		if (lines == 1)
			first_fits = ok;
	}
	*labelled_looking = first_fits && fit * 3 >= lines * 2;
	return fmt;
}

/* Add the labels of a split line: lab, then those in [more, text). */
static int add_line_labels(nlp_reader *r, const char *lab, size_t ll, const char *more,
                           const char *text, nlp_err *err)
{
	int rc;

	do {
		if (memchr(lab, '\0', ll))
			return nlp_err_set(err, NLP_EDATA,
			                   "a NUL byte in the label: is this a text file? fix or "
			                   "remove the line");
		if (ll && (rc = label_add(r, lab, ll, err)))
			return rc;
	} while (ft_next_label(&more, text, &lab, &ll));
	return NLP_OK;
}

/* The known labels of a split line (lab, then those in [more, text)) into
 * r->lset, each once, in the line's order; returns how many. */
static size_t line_label_set(nlp_reader *r, const char *lab, size_t ll, const char *more,
                             const char *text)
{
	size_t n = 0, j;

	do {
		int k = ll ? label_index(r, lab, ll) : -1;
		for (j = 0; j < n && r->lset[j] != k; j++)
			;
		if (k >= 0 && j == n && n < MAX_LABELS)
			r->lset[n++] = k;
	} while (ft_next_label(&more, text, &lab, &ll));
	return n;
}

/* Read every label of a labelled line file (labels come sorted). */
static int scan_labels(nlp_reader *r, const char *path, FILE *spool, nlp_line_format fmt,
                       nlp_err *err)
{
	struct lines L;
	int rc = lines_open(r, &L, path, spool, fmt, err), k;

	if (rc)
		return rc;
	while ((k = lines_next(&L, r->o.max_doc_bytes)) > 0) {
		const char *lab, *more, *text;
		size_t ll, tl;
		if (L.too_long || is_blank_line(L.line, L.len))
			continue;
		if (split_line(fmt, L.line, L.len, &lab, &ll, &more, &text, &tl) && lab) {
			rc = add_line_labels(r, lab, ll, more, text, err);
			if (rc) {
				char msg[sizeof err->msg];
				snprintf(msg, sizeof msg, "%s", err->msg);
				nlp_err_set(err, rc, "%s:%lu: %s", path, L.lineno, msg);
				break;
			}
		}
	}
	if (!rc && k < 0)
		rc = k == -2 ? nlp_err_set(err, NLP_ENOMEM, "out of memory")
		             : nlp_err_set(err, NLP_EIO, "%s: read error: %s", path,
		                           strerror(errno));
	lines_close(&L);
	return rc;
}

static int next_line(nlp_reader *r, int *got, nlp_err *err)
{
	struct lines *L = &r->lf;
	const char *lab, *more, *text;
	size_t ll, tl, nul, nset = 0;
	int k, lbl = -1;
	char mx[32];

	*got = 0;
	k = lines_next(L, r->o.max_doc_bytes);
	if (k == 0) {
		lines_close(L);
		return NLP_OK;
	}
	if (k == -2)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (k < 0) {
		int rc = skip(r, &r->s.unreadable, 1, err, "%s:%lu: read error: %s; rest skipped",
		              L->path, L->lineno + 1, strerror(errno));
		lines_close(L);
		return rc;
	}
	if (L->too_long) {
		fmt_mb(mx, sizeof mx, (double)r->o.max_doc_bytes);
		return skip(r, &r->s.too_large, 1, err,
		            "%s:%lu: the line is over the maximum document size (%s); skipped, "
		            "not cut (raise the limit with --max-doc-size)",
		            L->path, L->lineno, mx);
	}
	if (is_blank_line(L->line, L->len))
		return skip(r, &r->s.blank, 0, err, "%s:%lu: blank line; skipped", L->path,
		            L->lineno);
	if (memchr(L->line, '\0', L->len))
		return skip(r, &r->s.binary, 0, err, "%s:%lu: NUL bytes in the line; skipped",
		            L->path, L->lineno);
	if (!split_line(L->fmt, L->line, L->len, &lab, &ll, &more, &text, &tl))
		return skip(r, &r->s.no_label, 0, err, "%s:%lu: no label (line format %s); skipped",
		            L->path, L->lineno,
		            L->fmt == NLP_LINES_TAB        ? "label<TAB>text"
		            : L->fmt == NLP_LINES_FASTTEXT ? "__label__X text"
		                                           : "label text");
	if (lab) {
		nset = line_label_set(r, lab, ll, more, text);
		lbl = nset ? r->lset[0] : -1;
		if (set_str(&r->lbl, &r->lbl_cap, lab, ll))
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		if (lbl < 0)
			r->s.unknown_label++;
	}
	if (reserve(&r->name, &r->name_cap, strlen(L->path) + 24))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	snprintf(r->name, r->name_cap, "%s:%lu", L->path, L->lineno);
	if (decode(r, text, tl, 0, &r->doc, &nul))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	r->doc.name = r->name;
	r->doc.path = L->path;
	r->doc.line = L->lineno;
	r->doc.label = lbl;
	r->doc.label_name = lab ? r->lbl : NULL;
	r->doc.labels = r->lset;
	r->doc.n_labels = nset;
	r->doc.raw_len = tl;
	count_doc(r, &r->doc);
	*got = 1;
	return NLP_OK;
}

/* ---- bounded lines of any text file ---- */

int nlp_line_reader_next(nlp_line_reader *L, nlp_err *err)
{
	size_t n = 0;
	int c, rc = NLP_OK;

	flockfile(L->f);
	while ((c = getc_unlocked(L->f)) != EOF) {
		if (n >= L->max) {
			rc = nlp_err_set(err, NLP_EDATA,
			                 "%s:%lu: the line is longer than %zu bytes, the most for "
			                 "%s: is this the right file?",
			                 L->path, L->lineno + 1, L->max, L->what);
			break;
		}
		if (n + 2 > L->cap && reserve(&L->line, &L->cap, n + 2)) {
			rc = nlp_err_set(err, NLP_ENOMEM, "%s:%lu: out of memory reading the line",
			                 L->path, L->lineno + 1);
			break;
		}
		L->line[n++] = (char)c;
		if (c == '\n')
			break;
	}
	if (!rc && c == EOF && ferror(L->f))
		rc = nlp_err_set(err, NLP_EIO, "%s: read error after line %lu: %s", L->path,
		                 L->lineno, strerror(errno));
	funlockfile(L->f);
	L->len = rc ? 0 : n;
	if (L->line)
		L->line[L->len] = '\0';
	if (!rc && n)
		L->lineno++;
	return rc;
}

void nlp_line_reader_free(nlp_line_reader *L)
{
	free(L->line);
	L->line = NULL;
	L->len = L->cap = 0;
}

int nlp_open_regular(const char *path, FILE **f)
{
	struct stat sb;
	int fd, flags, e;

	*f = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) != 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return 1;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0 || !(*f = fdopen(fd, "rb"))) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return 0;
}

/* ---- folders ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void frame_free(struct frame *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->names[i]);
	free(f->names);
	free(f->dir);
	memset(f, 0, sizeof *f);
}

/* List dir sorted.  Returns NLP_OK, NLP_EIO (errno set) or NLP_ENOMEM. */
static int list_dir(const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t cap = 0;
	char **v = NULL;

	*names = NULL;
	*n = 0;
	if (!d)
		return NLP_EIO;
	errno = 0;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (*n == cap) {
			char **q;
			cap = cap ? cap * 2 : 64;
			q = realloc(v, cap * sizeof *v);
			if (!q)
				goto oom;
			v = q;
		}
		v[*n] = strdup(e->d_name);
		if (!v[*n])
			goto oom;
		(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof *v, cmp_str);
	*names = v;
	return NLP_OK;
oom:
	closedir(d);
	for (size_t i = 0; i < *n; i++)
		free(v[i]);
	free(v);
	*n = 0;
	return NLP_ENOMEM;
}

static int push_dir(nlp_reader *r, const char *dir, const struct stat *sb, int root, int label,
                    const char *label_name, nlp_err *err)
{
	struct frame f = {0};
	int rc;

	for (size_t i = 0; i < r->depth; i++)
		if (r->st[i].dev == sb->st_dev && r->st[i].ino == sb->st_ino)
			return skip(r, &r->s.loops, 1, err,
			            "%s: symbolic link loop (leads back to %s); skipped", dir,
			            r->st[i].dir);
	rc = list_dir(dir, &f.names, &f.n);
	if (rc == NLP_ENOMEM)
		return nlp_err_set(err, rc, "out of memory listing %s", dir);
	if (rc)
		return skip(r, &r->s.unreadable, 1, err, "%s: cannot list the folder: %s; skipped",
		            dir, strerror(errno));
	f.dir = strdup(dir);
	if (!f.dir) {
		frame_free(&f);
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	if (r->depth == r->st_cap) {
		size_t nc = r->st_cap ? r->st_cap * 2 : 16;
		struct frame *q = realloc(r->st, nc * sizeof *q);
		if (!q) {
			frame_free(&f);
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		}
		r->st = q;
		r->st_cap = nc;
	}
	f.dev = sb->st_dev;
	f.ino = sb->st_ino;
	f.root = root;
	f.label = label;
	f.label_name = label_name;
	r->st[r->depth++] = f;
	return NLP_OK;
}

static int next_entry(nlp_reader *r, int *got, nlp_err *err)
{
	struct frame *f = &r->st[r->depth - 1];
	struct stat sb;
	const char *name;
	size_t dl;

	*got = 0;
	if (f->i >= f->n) {
		frame_free(f);
		r->depth--;
		return NLP_OK;
	}
	name = f->names[f->i++];
	dl = strlen(f->dir);
	if (reserve(&r->name, &r->name_cap, dl + strlen(name) + 2))
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	snprintf(r->name, r->name_cap, "%s%s%s", f->dir, dl && f->dir[dl - 1] == '/' ? "" : "/",
	         name);
	if (name[0] == '.')
		return skip(r, &r->s.other, 0, err, "%s: hidden; skipped", r->name);
	if (stat(r->name, &sb) != 0) {
		if (errno == ELOOP)
			return skip(r, &r->s.loops, 1, err, "%s: symbolic link loop; skipped",
			            r->name);
		if (errno == ENOENT)
			return skip(r, &r->s.unreadable, 1, err,
			            "%s: dangling symbolic link; skipped", r->name);
		return skip(r, &r->s.unreadable, 1, err, "%s: %s; skipped", r->name,
		            strerror(errno));
	}
	if (S_ISDIR(sb.st_mode)) {
		char *dir = strdup(r->name);
		int rc;
		if (!dir)
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		if (f->root) {
			int lbl = label_index(r, name, strlen(name));
			/* the label name lives in the parent frame, which outlives the child */
			rc = push_dir(r, dir, &sb, 0, lbl, name, err);
		} else {
			rc = push_dir(r, dir, &sb, 0, f->label, f->label_name, err);
		}
		free(dir);
		return rc;
	}
	if (!S_ISREG(sb.st_mode))
		return skip(r, &r->s.other, 0, err, "%s: not a regular file; skipped", r->name);
	if (f->root)
		return skip(r, &r->s.other, 0, err,
		            "%s: a file beside the label folders (not in DIR/<label>/); skipped",
		            r->name);
	{
		char *path = strdup(r->name);
		int rc;
		if (!path)
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		rc = read_doc_file(r, path, f->label, f->label_name, got, err);
		free(path);
		return rc;
	}
}

/* ---- opening ---- */

static int check_path(const char *p, struct stat *sb, nlp_err *err)
{
	if (stat(p, sb) == 0)
		return NLP_OK;
	switch (errno) {
	case ENOENT:
		if (lstat(p, sb) == 0)
			return nlp_err_set(err, NLP_EIO, "%s: a dangling symbolic link", p);
		return nlp_err_set(err, NLP_EIO, "%s: no such file or folder", p);
	case ELOOP:
		return nlp_err_set(err, NLP_EIO, "%s: a symbolic link loop", p);
	case EACCES:
		return nlp_err_set(err, NLP_EIO,
		                   "%s: permission denied (check the folders' permissions)", p);
	default:
		return nlp_err_set(err, NLP_EIO, "%s: %s", p, strerror(errno));
	}
}

/* Copy standard input into an unnamed temporary file, so that a line file
 * read from it can be looked at first (its line format, its labels) and
 * then read. */
static int spool_stdin(FILE **out, nlp_err *err)
{
	char buf[BLOCK];
	FILE *f = tmpfile();
	size_t k;

	if (!f)
		return nlp_err_set(err, NLP_EIO,
		                   "-: cannot make a temporary file for standard input: %s (set "
		                   "TMPDIR to a writable folder)",
		                   strerror(errno));
	while ((k = fread(buf, 1, sizeof buf, stdin)) > 0)
		if (fwrite(buf, 1, k, f) != k) {
			fclose(f);
			return nlp_err_set(err, NLP_EIO, "-: cannot copy standard input: %s",
			                   strerror(errno));
		}
	if (ferror(stdin) || fflush(f) != 0) {
		fclose(f);
		return nlp_err_set(err, NLP_EIO, "-: cannot read standard input: %s",
		                   strerror(errno));
	}
	*out = f;
	return NLP_OK;
}

/* "-": one document from standard input, or its lines with --input-format
 * lines (streamed when they are plain text, else copied first: their
 * format and labels are read before the documents). */
static int open_stdin(nlp_reader *r, struct input *in, nlp_err *err)
{
	int labelled_looking = 0;

	for (size_t i = 0; i + 1 < r->n_in; i++)
		if (is_stdin(r->in[i].path))
			return nlp_err_set(
			        err, NLP_ECONFIG,
			        "-: standard input is named twice (it can be read once)");
	if (r->o.format == NLP_INPUT_FOLDER)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "-: standard input is not a folder DIR/<label>/<files>");
	in->kind = IN_FILE;
	if (r->o.format != NLP_INPUT_LINES)
		return NLP_OK;
	in->kind = IN_LINES;
	in->lf = r->o.lines;
	if (in->lf == NLP_LINES_PLAIN)
		return NLP_OK;
	int rc = spool_stdin(&in->spool, err);
	if (rc)
		return rc;
	if (in->lf == NLP_LINES_AUTO) {
		in->lf = sniff_lines(in->path, in->spool, &labelled_looking);
		if (!labelled_looking)
			in->lf = NLP_LINES_PLAIN;
	}
	return in->lf == NLP_LINES_PLAIN ? NLP_OK
	                                 : scan_labels(r, in->path, in->spool, in->lf, err);
}

static int open_input(nlp_reader *r, const char *p, nlp_err *err)
{
	struct input *in = &r->in[r->n_in];
	struct stat sb;
	int rc = is_stdin(p) ? NLP_OK : check_path(p, &sb, err), labelled_looking = 0;

	if (rc)
		return rc;
	in->path = strdup(p);
	if (!in->path)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	r->n_in++;
	if (is_stdin(p))
		return open_stdin(r, in, err);
	if (S_ISDIR(sb.st_mode)) {
		char **names;
		size_t n, subdirs = 0;
		if (r->o.format == NLP_INPUT_LINES)
			return nlp_err_set(err, NLP_ECONFIG,
			                   "%s is a folder, not a line file (drop --format lines)",
			                   p);
		rc = list_dir(p, &names, &n);
		if (rc == NLP_ENOMEM)
			return nlp_err_set(err, rc, "out of memory");
		if (rc)
			return nlp_err_set(err, NLP_EIO, "%s: cannot list the folder: %s", p,
			                   strerror(errno));
		for (size_t i = 0; i < n && !rc; i++) {
			struct stat s2;
			char *full = malloc(strlen(p) + strlen(names[i]) + 2);
			if (!full) {
				rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
				break;
			}
			sprintf(full, "%s/%s", p, names[i]);
			if (names[i][0] != '.' && stat(full, &s2) == 0 && S_ISDIR(s2.st_mode)) {
				subdirs++;
				if (r->o.format != NLP_INPUT_FILES &&
				    r->o.format != NLP_INPUT_AUTO_FILES)
					rc = label_add(r, names[i], strlen(names[i]), err);
			}
			free(full);
		}
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		if (rc)
			return rc;
		if (r->o.format == NLP_INPUT_FOLDER && !subdirs)
			return nlp_err_set(
			        err, NLP_EDATA,
			        "%s has no label folders (expected DIR/<label>/<files>); "
			        "for unlabelled documents use --format files",
			        p);
		in->kind = (r->o.format == NLP_INPUT_FILES || r->o.format == NLP_INPUT_AUTO_FILES ||
		            !subdirs)
		                   ? IN_FILES
		                   : IN_FOLDER;
		return NLP_OK;
	}
	if (!S_ISREG(sb.st_mode))
		return nlp_err_set(err, NLP_EDATA, "%s: not a regular file or a folder", p);
	if (access(p, R_OK) != 0)
		return nlp_err_set(err, NLP_EIO, "%s: cannot read: %s", p, strerror(errno));
	if (r->o.format == NLP_INPUT_FOLDER)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "%s is a file, not a folder DIR/<label>/<files> (drop --format "
		                   "folder)",
		                   p);
	in->kind = IN_FILE;
	if (r->o.format == NLP_INPUT_FILES)
		return NLP_OK;
	in->lf = sniff_lines(p, in->spool, &labelled_looking);
	if (r->o.format == NLP_INPUT_LINES) {
		in->kind = IN_LINES;
		if (r->o.lines != NLP_LINES_AUTO)
			in->lf = r->o.lines;
		else if (!labelled_looking)
			in->lf = NLP_LINES_PLAIN;
	} else if (r->o.lines != NLP_LINES_AUTO) {
		in->kind = IN_LINES; /* a line format was asked for: it is a line file */
		in->lf = r->o.lines;
	} else if (labelled_looking) {
		in->kind = IN_LINES;
	}
	if (in->kind == IN_LINES && in->lf != NLP_LINES_PLAIN)
		return scan_labels(r, p, in->spool, in->lf, err);
	return NLP_OK;
}

int nlp_reader_open(nlp_reader **out, const nlp_reader_opts *o, const char *const *paths,
                    size_t n_paths, nlp_err *err)
{
	nlp_reader *r = calloc(1, sizeof *r);
	int rc = NLP_OK;

	*out = NULL;
	if (!r)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (o)
		r->o = *o;
	else
		nlp_reader_opts_init(&r->o);
	if (!r->o.max_doc_bytes)
		r->o.max_doc_bytes = NLP_READER_DEFAULT_MAX_DOC;
	if (!n_paths) {
		rc = nlp_err_set(err, NLP_ECONFIG, "no input: give a folder or files to read");
		goto out;
	}
	r->in = calloc(n_paths, sizeof *r->in);
	if (!r->in) {
		rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n_paths && !rc; i++)
		rc = open_input(r, paths[i], err);
out:
	if (rc) {
		nlp_reader_close(r);
		return rc;
	}
	*out = r;
	return NLP_OK;
}

void nlp_reader_close(nlp_reader *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_in; i++) {
		free(r->in[i].path);
		if (r->in[i].spool)
			fclose(r->in[i].spool);
	}
	free(r->in);
	while (r->depth)
		frame_free(&r->st[--r->depth]);
	free(r->st);
	labels_free(r);
	lines_close(&r->lf);
	free(r->raw);
	free(r->text);
	free(r->name);
	free(r->path);
	free(r->lbl);
	free(r);
}

int nlp_reader_next(nlp_reader *r, const nlp_document **doc, nlp_err *err)
{
	int got = 0, rc = NLP_OK;

	*doc = NULL;
	for (;;) {
		if (r->lf.fp)
			rc = next_line(r, &got, err);
		else if (r->depth)
			rc = next_entry(r, &got, err);
		else if (r->next_in < r->n_in) {
			struct input *in = &r->in[r->next_in++];
			struct stat sb;
			if (in->kind == IN_FILE) {
				rc = read_doc_file(r, in->path, -1, NULL, &got, err);
			} else if (in->kind == IN_LINES) {
				rc = lines_open(r, &r->lf, in->path, in->spool, in->lf, err);
				if (!rc)
					r->s.files++;
			} else if (stat(in->path, &sb) != 0) {
				rc = skip(r, &r->s.unreadable, 1, err, "%s: %s; skipped", in->path,
				          strerror(errno));
			} else {
				rc = push_dir(r, in->path, &sb, in->kind == IN_FOLDER, -1, NULL,
				              err);
			}
		} else {
			return NLP_OK;
		}
		if (rc)
			return rc;
		if (got) {
			*doc = &r->doc;
			return NLP_OK;
		}
	}
}

const nlp_reader_stats *nlp_reader_get_stats(const nlp_reader *r)
{
	return &r->s;
}

/* A new counter must be added below (and to the summary). */
_Static_assert(sizeof(nlp_reader_stats) == 15 * sizeof(uint64_t),
               "nlp_reader_stats changed: update nlp_reader_stats_add");

void nlp_reader_stats_add(nlp_reader_stats *total, const nlp_reader_stats *s)
{
	total->docs += s->docs;
	total->empty += s->empty;
	total->files += s->files;
	total->bytes += s->bytes;
	total->replaced += s->replaced;
	total->latin1 += s->latin1;
	total->unknown_label += s->unknown_label;
	total->control += s->control;
	total->binary += s->binary;
	total->too_large += s->too_large;
	total->unreadable += s->unreadable;
	total->loops += s->loops;
	total->no_label += s->no_label;
	total->blank += s->blank;
	total->other += s->other;
}

uint64_t nlp_reader_skipped(const nlp_reader_stats *s)
{
	return s->binary + s->too_large + s->unreadable + s->loops + s->no_label + s->blank +
	       s->other;
}

/* snprintf at buf + n (n: what was written so far, maybe more than fits). */
static int append(char *buf, size_t size, int n, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int append(char *buf, size_t size, int n, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < size)
		k = vsnprintf(buf + n, size - (size_t)n, fmt, ap);
	else
		k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	return n + (k > 0 ? k : 0);
}

int nlp_reader_summary(const nlp_reader_stats *s, char *buf, size_t size)
{
	char mb[32], why[400];
	size_t w = 0;
	int n;
	uint64_t sk = nlp_reader_skipped(s);
	const struct {
		uint64_t n;
		const char *what;
	} reasons[] = {
	        {s->binary, "binary"},         {s->too_large, "too large"},
	        {s->unreadable, "unreadable"}, {s->loops, "symlink loop"},
	        {s->no_label, "no label"},     {s->blank, "blank line"},
	        {s->other, "not a document"},
	};

	why[0] = '\0';
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
		if (!reasons[i].n || w >= sizeof why)
			continue;
		w += (size_t)snprintf(why + w, sizeof why - w, "%s%llu %s", w ? ", " : "",
		                      (unsigned long long)reasons[i].n, reasons[i].what);
	}
	fmt_mb(mb, sizeof mb, (double)s->bytes);
	n = snprintf(buf, size,
	             "read %llu document%s (%llu empty, %s) from %llu file%s; skipped %llu%s%s%s; "
	             "%llu invalid byte%s replaced by U+FFFD",
	             (unsigned long long)s->docs, s->docs == 1 ? "" : "s",
	             (unsigned long long)s->empty, mb, (unsigned long long)s->files,
	             s->files == 1 ? "" : "s", (unsigned long long)sk, sk ? " (" : "", why,
	             sk ? ")" : "", (unsigned long long)s->replaced, s->replaced == 1 ? "" : "s");
	if (s->latin1)
		n = append(buf, size, n, "; %llu read as Latin-1", (unsigned long long)s->latin1);
	if (s->control)
		n = append(buf, size, n, "; %llu control byte%s kept",
		           (unsigned long long)s->control, s->control == 1 ? "" : "s");
	if (s->unknown_label)
		n = append(buf, size, n, "; %llu with a label not in the list",
		           (unsigned long long)s->unknown_label);
	return n;
}
