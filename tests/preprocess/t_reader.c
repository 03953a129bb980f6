/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_reader.c - the document readers, on files this test writes itself in
 * a temporary folder: label folders, recursion and order, hidden, binary,
 * oversized, empty, Latin-1 and invalid UTF-8 documents, symbolic-link
 * loops and dangling links, line files in every format, errors. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "nlpipe/reader.h"

static char root[256];
static char msgs[8192];

static void diag_cb(void *user, const char *msg)
{
	(void)user;
	size_t n = strlen(msgs);
	snprintf(msgs + n, sizeof msgs - n, "%s\n", msg);
}

static void put_file(const char *rel, const void *data, size_t n)
{
	char p[512];
	FILE *f;
	snprintf(p, sizeof p, "%s/%s", root, rel);
	f = fopen(p, "wb");
	if (!f) {
		perror(p);
		exit(1);
	}
	fwrite(data, 1, n, f);
	fclose(f);
}

static void put_str(const char *rel, const char *s)
{
	put_file(rel, s, strlen(s));
}

static void mk(const char *rel)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	mkdir(p, 0755);
}

static const char *P(const char *rel)
{
	static char p[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s", root, rel);
	return p[k];
}

/* Read everything: "name|label|text;" for each document (names relative). */
static int read_all(nlp_reader *r, char *out, size_t size, nlp_err *err)
{
	const nlp_document *d;
	size_t p = 0, rl = strlen(root) + 1;
	int rc;

	out[0] = '\0';
	while ((rc = nlp_reader_next(r, &d, err)) == NLP_OK && d) {
		const char *name = strncmp(d->name, root, rl - 1) == 0 ? d->name + rl : d->name;
		p += (size_t)snprintf(out + p, size - p, "%s|%d|%s;", name, d->label, d->text);
	}
	return rc;
}

static void rm_rf(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
}

int main(void)
{
	nlp_reader_opts o;
	nlp_reader *r = NULL;
	nlp_err err = {0};
	char got[8192], sum[1024];
	const nlp_reader_stats *st;
	const char *paths[4];
	int rc;

	snprintf(root, sizeof root, "/tmp/nlp-reader-XXXXXX");
	if (!mkdtemp(root))
		skip_all("cannot make a temporary folder");

	/* a document folder */
	mk("set");
	mk("set/pos");
	mk("set/pos/sub");
	mk("set/neg");
	mk("set/.git");
	put_str("set/README", "not a document");
	put_str("set/pos/b.txt", "good");
	put_str("set/pos/sub/a.txt", "great");
	put_str("set/pos/.hidden", "secret");
	put_str("set/neg/c.txt", "\xef\xbb\xbf"
	                         "bad");
	put_file("set/neg/bin.dat", "ab\0cd", 5);
	put_file("set/neg/ctl.bin", "\x01\x02\x03\x04\x05\x06\x07\x08x", 9);
	put_str("set/neg/empty.txt", "");
	put_str("set/neg/latin.txt", "caf\xe9 na\xefve");
	put_str("set/neg/huge.txt",
	        "0123456789012345678901234567890123456789012345678901234567890123456789");
	if (symlink("..", P("set/neg/loop")) != 0 || symlink("self", P("set/neg/self")) != 0 ||
	    symlink("nowhere", P("set/neg/dangling")) != 0)
		diag("symlinks could not be made");

	nlp_reader_opts_init(&o);
	o.max_doc_bytes = 64;
	o.diag = diag_cb;
	paths[0] = P("set");
	rc = nlp_reader_open(&r, &o, paths, 1, &err);
	ok(rc == NLP_OK, "open a document folder");
	if (rc)
		diag("%s", err.msg);
	is_int((long long)nlp_reader_label_count(r), 2, "two labels");
	is_str(nlp_reader_label(r, 0), "neg", "labels sorted: neg");
	is_str(nlp_reader_label(r, 1), "pos", "labels sorted: pos");
	ok(read_all(r, got, sizeof got, &err) == NLP_OK, "read it all");
	is_str(got,
	       "set/neg/c.txt|0|bad;set/neg/empty.txt|0|;set/neg/latin.txt|0|caf\xef\xbf\xbd "
	       "na\xef\xbf\xbdve;set/pos/b.txt|1|good;set/pos/sub/a.txt|1|great;",
	       "documents in sorted order, recursively, BOM dropped, invalid bytes -> U+FFFD");
	st = nlp_reader_get_stats(r);
	is_int((long long)st->docs, 5, "5 documents");
	is_int((long long)st->empty, 1, "1 empty");
	is_int((long long)st->replaced, 2, "2 bytes replaced");
	is_int((long long)st->binary, 2, "NUL bytes and a control-byte file are binary");
	is_int((long long)st->too_large, 1, "one too large");
	is_int((long long)st->loops, 2, "two symlink loops (.. and self)");
	is_int((long long)st->unreadable, 1, "one dangling link");
	is_int((long long)st->other, 3, "README beside the labels, .git and .hidden");
	like(msgs, "huge.txt: 70 bytes is over the maximum document size", "oversize is named");
	like(msgs, "neg/loop: symbolic link loop (leads back to", "a directory loop is named");
	like(msgs, "neg/self: symbolic link loop", "a self link is named");
	like(msgs, "dangling symbolic link", "a dangling link is named");
	ok(!strstr(msgs, "bin.dat"), "binary files are named only under verbose");
	nlp_reader_summary(st, sum, sizeof sum);
	like(sum, "read 5 documents (1 empty, ", "summary: documents");
	{
		nlp_reader_stats total = {0};
		nlp_reader_stats_add(&total, st);
		nlp_reader_stats_add(&total, st);
		ok(total.docs == 10 && total.binary == 4 && total.other == 6 &&
		           nlp_reader_skipped(&total) == 2 * nlp_reader_skipped(st),
		   "stats add up");
	}
	like(sum,
	     "skipped 9 (2 binary, 1 too large, 1 unreadable, 2 symlink loop, 3 not a document)",
	     "summary: skipped and why");
	like(sum, "2 invalid bytes replaced by U+FFFD", "summary: replaced bytes");
	ok(!strstr(sum, "control"), "summary: no control bytes in the documents read");
	nlp_reader_close(r);

	/* verbose names binary files; Latin-1; a fixed label list */
	msgs[0] = '\0';
	o.verbose = 1;
	o.encoding = NLP_ENC_LATIN1;
	rc = nlp_reader_open(&r, &o, paths, 1, &err);
	ok(rc == NLP_OK, "open again, verbose, Latin-1");
	{
		const char *labels[] = {"pos", "other"};
		nlp_reader_set_labels(r, labels, 2, &err);
	}
	read_all(r, got, sizeof got, &err);
	like(got, "set/neg/latin.txt|-1|caf\xc3\xa9 na\xc3\xafve;", "Latin-1 decoded; neg unknown");
	like(got, "set/pos/b.txt|0|good;", "pos is label 0 of the fixed list");
	like(msgs, "bin.dat: holds NUL bytes", "verbose names the binary file");
	like(msgs, ".hidden: hidden; skipped", "verbose names hidden files");
	is_int((long long)nlp_reader_get_stats(r)->unknown_label, 3,
	       "3 with a label not in the list");
	nlp_reader_close(r);

	/* encoding auto */
	o.encoding = NLP_ENC_AUTO;
	o.verbose = 0;
	paths[0] = P("set/neg/latin.txt");
	paths[1] = P("set/pos/b.txt");
	ok(nlp_reader_open(&r, &o, paths, 2, &err) == NLP_OK, "two single files");
	read_all(r, got, sizeof got, &err);
	is_str(got, "set/neg/latin.txt|-1|caf\xc3\xa9 na\xc3\xafve;set/pos/b.txt|-1|good;",
	       "single files are unlabelled documents; auto reads non-UTF-8 as Latin-1");
	is_int((long long)nlp_reader_get_stats(r)->latin1, 1, "one read as Latin-1");
	nlp_reader_summary(nlp_reader_get_stats(r), sum, sizeof sum);
	like(sum, "; 1 read as Latin-1", "summary: Latin-1 documents");
	nlp_reader_close(r);

	/* a few control bytes are kept (and counted), many make a file binary */
	put_str("ctl.txt", "a review\x16 with\x12 two control bytes in it");
	paths[0] = P("ctl.txt");
	ok(nlp_reader_open(&r, &o, paths, 1, &err) == NLP_OK, "a file with control bytes");
	read_all(r, got, sizeof got, &err);
	like(got, "ctl.txt|-1|a review\x16 with\x12 two", "kept in the text");
	nlp_reader_summary(nlp_reader_get_stats(r), sum, sizeof sum);
	like(sum, "; 2 control bytes kept", "and counted in the summary");
	nlp_reader_close(r);

	/* line files */
	o.encoding = NLP_ENC_UTF8;
	put_str("tab.txt", "pos\tfine film\r\nneg\tawful\n\n  \nno tab here\nneg\t\nzz\tlast");
	paths[0] = P("tab.txt");
	ok(nlp_reader_open(&r, &o, paths, 1, &err) == NLP_OK, "a TAB line file (auto)");
	is_int((long long)nlp_reader_label_count(r), 3, "labels found in a first pass");
	read_all(r, got, sizeof got, &err);
	is_str(got, "tab.txt:1|1|fine film;tab.txt:2|0|awful;tab.txt:6|0|;tab.txt:7|2|last;",
	       "label<TAB>text, CRLF, empty text kept, names FILE:LINE");
	st = nlp_reader_get_stats(r);
	ok(st->blank == 2 && st->no_label == 1 && st->empty == 1,
	   "2 blank, 1 without label, 1 empty");
	nlp_reader_close(r);

	put_str("ft.txt", "__label__b __label__x two labels\n__label__a  one\nnone here\n");
	paths[0] = P("ft.txt");
	ok(nlp_reader_open(&r, &o, paths, 1, &err) == NLP_OK, "a fastText line file (auto)");
	read_all(r, got, sizeof got, &err);
	is_str(got, "ft.txt:1|1|two labels;ft.txt:2|0|one;", "__label__X text; first label counts");
	nlp_reader_close(r);

	put_str("trec.txt", "DESC:manner How did it \xf0 go ?\nHUM:ind Who ?\n");
	paths[0] = P("trec.txt");
	o.lines = NLP_LINES_SPACE;
	ok(nlp_reader_open(&r, &o, paths, 1, &err) == NLP_OK, "line-format space");
	read_all(r, got, sizeof got, &err);
	is_str(got, "trec.txt:1|0|How did it \xef\xbf\xbd go ?;trec.txt:2|1|Who ?;",
	       "the first word is the label; the odd byte becomes U+FFFD");
	nlp_reader_close(r);

	o.lines = NLP_LINES_AUTO;
	o.format = NLP_INPUT_LINES;
	put_str("plain.txt", "one sentence\n\ntwo\n");
	paths[0] = P("plain.txt");
	ok(nlp_reader_open(&r, &o, paths, 1, &err) == NLP_OK, "--input-format lines, plain");
	read_all(r, got, sizeof got, &err);
	is_str(got, "plain.txt:1|-1|one sentence;plain.txt:3|-1|two;",
	       "plain lines are unlabelled");
	nlp_reader_close(r);

	/* auto: a file counts as a line file only when its first lines all look
	 * labelled */
	o.format = NLP_INPUT_AUTO;
	put_str("review.txt", "Title\tA film\nIt was good.\nReally.\n");
	paths[0] = P("review.txt");
	ok(nlp_reader_open(&r, &o, paths, 1, &err) == NLP_OK, "a review with a TAB in line 1");
	read_all(r, got, sizeof got, &err);
	is_str(got, "review.txt|-1|Title\tA film\nIt was good.\nReally.\n;",
	       "is one document, not a line file");
	nlp_reader_close(r);
	o.format = NLP_INPUT_LINES;

	/* a line over the limit is skipped, named, and reading goes on */
	msgs[0] = '\0';
	{
		char big[300];
		memset(big, 'x', 200);
		strcpy(big + 200, "\nshort\n");
		put_str("long.txt", big);
	}
	paths[0] = P("long.txt");
	ok(nlp_reader_open(&r, &o, paths, 1, &err) == NLP_OK, "a line file with a long line");
	read_all(r, got, sizeof got, &err);
	is_str(got, "long.txt:2|-1|short;", "the long line is skipped, not cut");
	like(msgs, "long.txt:1: the line is over the maximum document size", "and named");
	nlp_reader_close(r);

	/* a NUL byte in a label is an error naming the file and line (it was
	 * a heap over-read in the label search) */
	put_file("nul-label.txt", "a\tgood\na\0b\tbad\n", 15);
	paths[0] = P("nul-label.txt");
	o.format = NLP_INPUT_AUTO;
	rc = nlp_reader_open(&r, &o, paths, 1, &err);
	is_int(rc, NLP_EDATA, "a NUL byte in a label is a data error");
	like(err.msg, "nul-label.txt:2: a NUL byte in the label", "naming the file and line");
	nlp_reader_close(r);
	r = NULL;
	o.format = NLP_INPUT_LINES;

	/* strict: a skipped document is an error */
	o.format = NLP_INPUT_AUTO;
	o.strict = 1;
	paths[0] = P("set");
	ok(nlp_reader_open(&r, &o, paths, 1, &err) == NLP_OK, "strict open");
	rc = read_all(r, got, sizeof got, &err);
	ok(rc == NLP_EDATA && strstr(err.msg, "strict"), "strict: the first skip stops reading");
	nlp_reader_close(r);
	o.strict = 0;

	/* errors at open name the path */
	paths[0] = P("does-not-exist");
	ok(nlp_reader_open(&r, &o, paths, 1, &err) == NLP_EIO &&
	           strstr(err.msg, "does-not-exist: no such file or folder"),
	   "a missing path is named");
	paths[0] = P("set/neg/self");
	ok(nlp_reader_open(&r, &o, paths, 1, &err) == NLP_EIO &&
	           strstr(err.msg, "symbolic link loop"),
	   "a looping path is named");
	paths[0] = P("set/neg/dangling");
	ok(nlp_reader_open(&r, &o, paths, 1, &err) == NLP_EIO && strstr(err.msg, "dangling"),
	   "a dangling path is named");
	o.format = NLP_INPUT_FOLDER;
	paths[0] = P("plain.txt");
	ok(nlp_reader_open(&r, &o, paths, 1, &err) == NLP_ECONFIG &&
	           strstr(err.msg, "not a folder"),
	   "--input-format folder on a file");
	paths[0] = P("set/pos/sub");
	ok(nlp_reader_open(&r, &o, paths, 1, &err) == NLP_EDATA &&
	           strstr(err.msg, "no label folders"),
	   "--input-format folder on a folder without label folders");
	if (geteuid() != 0) {
		put_str("locked.txt", "x");
		chmod(P("locked.txt"), 0);
		o.format = NLP_INPUT_AUTO;
		paths[0] = P("locked.txt");
		ok(nlp_reader_open(&r, &o, paths, 1, &err) == NLP_EIO &&
		           strstr(err.msg, "locked.txt"),
		   "an unreadable file is named");
	} else {
		skip(1, "running as root: permissions cannot make a file unreadable");
	}
	{
		nlp_encoding e;
		nlp_input_format f;
		nlp_line_format lf;
		size_t sz;
		ok(nlp_encoding_parse("latin-1", &e, &err) == NLP_OK && e == NLP_ENC_LATIN1 &&
		           nlp_encoding_parse("ebcdic", &e, &err) == NLP_ECONFIG,
		   "encoding words");
		ok(nlp_input_format_parse("lines", &f, &err) == NLP_OK && f == NLP_INPUT_LINES &&
		           nlp_line_format_parse("fasttext", &lf, &err) == NLP_OK &&
		           lf == NLP_LINES_FASTTEXT && nlp_line_format_parse("csv", &lf, &err),
		   "format words");
		ok(nlp_size_parse("16M", &sz, &err) == NLP_OK && sz == 16u << 20 &&
		           nlp_size_parse("1000", &sz, &err) == NLP_OK && sz == 1000 &&
		           nlp_size_parse("lots", &sz, &err) == NLP_ECONFIG,
		   "sizes");
	}
	rm_rf(root);
	return done_testing();
}
