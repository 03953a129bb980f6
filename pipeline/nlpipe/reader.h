/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* nlpipe/reader.h - document readers: turn folders and files into a stream
 * of documents (name, label, UTF-8 text), one at a time, so that reading a
 * million files keeps memory flat.
 *
 * Inputs (each path given to nlp_reader_open):
 *  - a document folder DIR/<label>/<files>: the labels are the names of
 *    DIR's sub-folders, sorted; files are found recursively below each label
 *    folder and read in sorted (byte-wise) order;
 *  - an unlabelled folder (all its files, recursively) or a single file:
 *    one document each, label -1;
 *  - a line file: one document a line, `label<TAB>text`, fastText's
 *    `__label__X text`, `label text` (first word), or plain text lines.
 * NLP_INPUT_AUTO takes a folder with sub-folders as a document folder, a
 * folder without as unlabelled files, and a file as a line file when its
 * first lines look like `__label__X text` or `label<TAB>text` (the first
 * line and two thirds of the first five), else as one document.
 *
 * Text is always handed out as valid UTF-8: in UTF-8 mode each invalid byte
 * becomes U+FFFD (counted); Latin-1 is converted; `auto` reads a document as
 * UTF-8 when it is valid and as Latin-1 otherwise (counted).  A UTF-8 byte
 * order mark at the start of a file is dropped.  Documents holding NUL bytes
 * or more than 10 % control bytes (binary), and documents over the size
 * limit, are skipped and counted, never cut.  Nothing is skipped without being counted, and under
 * `verbose` every skipped file or line is named through the diag callback;
 * files over the size limit, unreadable files and symlink loops are always
 * named (as warnings).
 */
#ifndef NLPIPE_READER_H
#define NLPIPE_READER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <nlpipe/nlpipe.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum nlp_encoding {
	NLP_ENC_UTF8 = 0, /* invalid bytes -> U+FFFD */
	NLP_ENC_LATIN1,   /* ISO-8859-1 */
	NLP_ENC_AUTO      /* UTF-8 when valid, else Latin-1, per document */
} nlp_encoding;

typedef enum nlp_input_format {
	NLP_INPUT_AUTO = 0,
	NLP_INPUT_FOLDER, /* DIR/<label>/<files> */
	NLP_INPUT_FILES,  /* every file one unlabelled document (folders walked) */
	NLP_INPUT_LINES,  /* one document a line */
	/* For unlabelled reading (nlp_classifier_run, `nlpipe predict`): every
	 * file below a folder is one document, as NLP_INPUT_FILES; a file named
	 * directly is a line file when it looks like one, as NLP_INPUT_AUTO. */
	NLP_INPUT_AUTO_FILES
} nlp_input_format;

typedef enum nlp_line_format {
	NLP_LINES_AUTO =
	        0,     /* __label__ if the first line has it, else TAB if it has one, else plain */
	NLP_LINES_TAB, /* label<TAB>text */
	NLP_LINES_FASTTEXT, /* __label__X [__label__Y ...] text (every label kept) */
	NLP_LINES_SPACE,    /* label text: the first word is the label */
	NLP_LINES_PLAIN     /* text only, unlabelled */
} nlp_line_format;

typedef struct nlp_reader_opts {
	nlp_input_format format;
	nlp_line_format lines;
	nlp_encoding encoding;
	size_t max_doc_bytes; /* documents (files or lines) over this are skipped; 0: default */
	int strict;           /* any skipped file or line is an error instead */
	int verbose;          /* name every skipped file or line through diag */
	nlp_diag_fn diag;     /* NULL: messages are dropped (still counted) */
	void *diag_user;
} nlp_reader_opts;

#define NLP_READER_DEFAULT_MAX_DOC (16u << 20) /* 16 MiB */

void nlp_reader_opts_init(nlp_reader_opts *o);
/* Parse option words ("utf-8", "latin-1", "auto"; "auto", "folder",
 * "files", "lines"; "auto", "tab", "fasttext", "space", "plain"). */
int nlp_encoding_parse(const char *s, nlp_encoding *e, nlp_err *err);
int nlp_input_format_parse(const char *s, nlp_input_format *f, nlp_err *err);
int nlp_line_format_parse(const char *s, nlp_line_format *f, nlp_err *err);
/* Parse a size such as 16M, 512k, 1G or 1000000 (bytes). */
int nlp_size_parse(const char *s, size_t *out, nlp_err *err);

typedef struct nlp_document {
	const char *name;       /* the file, or FILE:LINE for line files */
	const char *path;       /* the file */
	unsigned long line;     /* 1-based line in a line file, else 0 */
	int label;              /* index into the reader's labels; -1: none or unknown */
	const char *label_name; /* as written in the data; NULL when unlabelled */
	const char *text;       /* valid UTF-8, NUL-terminated */
	size_t len;             /* bytes in text */
	size_t raw_len;         /* bytes read */
	size_t replaced;        /* invalid bytes replaced by U+FFFD */
	size_t control;         /* control bytes (not TAB, LF, CR, FF, VT) kept in text */
	int latin1;             /* 1 when decoded as Latin-1 */
	/* Every known label of the document, each once, in the data's order
	 * (labels[0] == label when n_labels > 0): several only for fastText
	 * lines with several __label__s (multi-label data). */
	const int *labels;
	size_t n_labels;
} nlp_document;

/* Counters only (every field a uint64_t), so that totals over several
 * readers can be summed with nlp_reader_stats_add. */
typedef struct nlp_reader_stats {
	uint64_t docs;          /* documents handed out */
	uint64_t empty;         /* of which without text */
	uint64_t files;         /* files read */
	uint64_t bytes;         /* bytes of the documents handed out */
	uint64_t replaced;      /* invalid bytes replaced by U+FFFD */
	uint64_t latin1;        /* documents read as Latin-1 under encoding = auto */
	uint64_t unknown_label; /* documents whose label is not in a fixed label list */
	uint64_t control;       /* control bytes (not TAB, LF, CR, FF, VT) kept in the text */
	/* skipped, by reason */
	uint64_t binary;     /* NUL bytes, or binary-looking */
	uint64_t too_large;  /* over max_doc_bytes */
	uint64_t unreadable; /* could not be opened or read, dangling links */
	uint64_t loops;      /* symbolic-link loops */
	uint64_t no_label;   /* lines without a label in a labelled line file */
	uint64_t blank;      /* blank lines in line files */
	uint64_t other;      /* hidden files, special files, files beside label folders */
} nlp_reader_stats;

typedef struct nlp_reader nlp_reader;

/* Check every path (errors name a path that does not exist or cannot be
 * read, and say what to do), find the labels, and get ready to read. */
int nlp_reader_open(nlp_reader **out, const nlp_reader_opts *o, const char *const *paths,
                    size_t n_paths, nlp_err *err);
void nlp_reader_close(nlp_reader *r);

/* Use this label list (e.g. a trained model's) instead of the one found in
 * the data; documents with other labels get label -1 (counted). */
int nlp_reader_set_labels(nlp_reader *r, const char *const *names, size_t n, nlp_err *err);
size_t nlp_reader_label_count(const nlp_reader *r);
const char *nlp_reader_label(const nlp_reader *r, size_t i);

/* The next document in *doc (valid until the next call), or *doc = NULL at
 * the end.  Fails on out-of-memory, or on a skipped document under strict. */
int nlp_reader_next(nlp_reader *r, const nlp_document **doc, nlp_err *err);

const nlp_reader_stats *nlp_reader_get_stats(const nlp_reader *r);
uint64_t nlp_reader_skipped(const nlp_reader_stats *s);
/* total += s, field by field. */
void nlp_reader_stats_add(nlp_reader_stats *total, const nlp_reader_stats *s);
/* One line, e.g. "read 2000 documents (3 empty, 7.4 MiB) from 2000 files;
 * skipped 2 (1 binary, 1 too large); 5 invalid bytes replaced by U+FFFD".
 * Returns the length snprintf would have written. */
int nlp_reader_summary(const nlp_reader_stats *s, char *buf, size_t size);

/* Lines of a text file, each of bounded length, so that a file without
 * newlines (/dev/zero, a binary file) is an error instead of memory without
 * end.  Set f, path, max and what, zero the rest; free with
 * nlp_line_reader_free. */
typedef struct nlp_line_reader {
	FILE *f;              /* borrowed */
	const char *path;     /* borrowed, names the file in messages */
	size_t max;           /* longest line, in bytes, its newline included */
	const char *what;     /* borrowed, what a line holds, e.g. "a path" */
	char *line;           /* owned: the line read, NUL-terminated, newline kept */
	size_t len, cap;      /* its length (0 at the end of the file), its buffer */
	unsigned long lineno; /* lines read so far */
} nlp_line_reader;

/* The next line into L->line (L->len is 0 at the end of the file).  A line
 * longer than L->max is NLP_EDATA, a read error NLP_EIO, no memory
 * NLP_ENOMEM (never taken for the end of the file); messages name the file
 * and line. */
int nlp_line_reader_next(nlp_line_reader *L, nlp_err *err);
void nlp_line_reader_free(nlp_line_reader *L);

/* Open path for reading when it is a regular file, never waiting on a FIFO
 * or a device.  Returns 0 with *f open, -1 when it cannot be opened (errno
 * says why), 1 when it is not a regular file (a FIFO, a device, a folder). */
int nlp_open_regular(const char *path, FILE **f);

#ifdef __cplusplus
}
#endif
#endif /* NLPIPE_READER_H */
