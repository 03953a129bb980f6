/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_container.c - the model file container: round trip, damage of every
 * kind (truncation at every offset, seeded bit flips, wrong magic, newer
 * versions, trailing data, lying counts) and atomic writes. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "nlpipe/model.h"
#include "tests/tap.h"
#include "tests/format/files.h"

/* Files in dir other than the ones named (temporary leftovers). */
static int count_strays(const char *keep1, const char *keep2)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if ((keep1 && !strcmp(e->d_name, keep1)) || (keep2 && !strcmp(e->d_name, keep2)))
			continue;
		diag("stray file: %s", e->d_name);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

static const float weights[] = {0.0f, -1.5f, 3.25e-7f, 1e30f, -0.0f, 123.456f, 1.0f / 3.0f};
static const char text[] = "[pipeline]\nstages = a\n\n[a]\ntype = lowercase\n";

static int write_small(const char *path, uint32_t flags, nlp_err *err)
{
	nlp_model_writer *w;
	int rc;

	if ((rc = nlp_model_writer_open(&w, path, flags, err)))
		return rc;
	if ((rc = nlp_model_writer_add(w, NLP_SEC_PIPELINE, NLP_MODEL_NO_STAGE, text, strlen(text),
	                               err)) ||
	    (rc = nlp_model_writer_add_f32(w, NLP_SEC_PARAMS, 3, weights,
	                                   sizeof weights / sizeof *weights, err)) ||
	    (rc = nlp_model_writer_add(w, NLP_SEC_STATE, 3, NULL, 0, err)) ||
	    (rc = nlp_model_writer_add(w, 999, NLP_MODEL_NO_STAGE, "future", 6, err))) {
		nlp_model_writer_abort(w);
		return rc;
	}
	return nlp_model_writer_commit(w, err);
}

static void fix_header_crc(unsigned char *d)
{
	uint32_t c = (uint32_t)crc32(0, d, NLP_MODEL_HEADER_SIZE - 4);
	for (int i = 0; i < 4; i++)
		d[NLP_MODEL_HEADER_SIZE - 4 + i] = (unsigned char)(c >> (8 * i));
}

static void test_round_trip(void)
{
	nlp_model_reader *r = NULL;
	const nlp_model_section *s;
	nlp_err err = {0};
	float back[sizeof weights / sizeof *weights];
	int rc;

	rc = write_small(path_in("a.nlpm"), NLP_MODEL_CHECKPOINT, &err);
	is_int(rc, NLP_OK, "write a small container");
	if (rc)
		diag("%s", err.msg);
	rc = nlp_model_reader_open(&r, path_in("a.nlpm"), &err);
	is_int(rc, NLP_OK, "read it back");
	if (rc) {
		diag("%s", err.msg);
		skip(9, "no reader");
		return;
	}
	is_int(nlp_model_reader_count(r), 4, "four sections");
	is_int(nlp_model_reader_version(r), NLP_MODEL_FORMAT_VERSION, "format version");
	is_int(nlp_model_reader_flags(r), NLP_MODEL_CHECKPOINT, "flags kept");
	s = nlp_model_reader_find(r, NLP_SEC_PIPELINE, NLP_MODEL_NO_STAGE);
	ok(s && s->len == strlen(text) && !memcmp(s->data, text, s->len), "text section intact");
	s = nlp_model_reader_find(r, NLP_SEC_PARAMS, 3);
	ok(s && s->len == sizeof weights, "float section has 4 bytes a float");
	if (s && s->len == sizeof weights) {
		nlp_model_get_f32(back, s->data, sizeof weights / sizeof *weights);
		ok(!memcmp(back, weights, sizeof weights), "floats bit-identical after the trip");
		/* little-endian on disk whatever the host: -1.5f is bf c0 00 00 */
		ok(s->data[4] == 0x00 && s->data[6] == 0xc0 && s->data[7] == 0xbf,
		   "floats stored little-endian");
	} else {
		skip(2, "no float section");
	}
	s = nlp_model_reader_find(r, NLP_SEC_STATE, 3);
	ok(s && s->len == 0, "empty section kept");
	s = nlp_model_reader_find(r, 999, NLP_MODEL_NO_STAGE);
	ok(s && s->len == 6, "unknown section type handed out, not refused");
	nlp_model_reader_free(r);
}

static void test_empty_container(void)
{
	nlp_model_writer *w = NULL;
	nlp_model_reader *r = NULL;
	nlp_err err = {0};
	int rc = nlp_model_writer_open(&w, path_in("empty.nlpm"), 0, &err);

	if (!rc)
		rc = nlp_model_writer_commit(w, &err);
	is_int(rc, NLP_OK, "a container with no sections can be written");
	rc = nlp_model_reader_open(&r, path_in("empty.nlpm"), &err);
	is_int(rc, NLP_OK, "and read");
	ok(r && nlp_model_reader_count(r) == 0 && nlp_model_reader_size(r) == 64,
	   "it is the 64-byte header alone");
	nlp_model_reader_free(r);
	unlink(path_in("empty.nlpm"));
}

/* Every prefix of a valid file fails cleanly, in memory and (sampled) on disk. */
static void test_truncation(const unsigned char *d, size_t n)
{
	int bad = 0, named = 0, said = 0;

	for (size_t k = 0; k < n; k++) {
		nlp_model_reader *r = NULL;
		nlp_err err = {0};
		int rc = nlp_model_reader_open_mem(&r, "cut.nlpm", d, k, &err);
		if (rc != NLP_EDATA || r) {
			if (bad++ < 5)
				diag("prefix %zu: rc %d: %s", k, rc, err.msg);
		}
		if (strstr(err.msg, "cut.nlpm"))
			named++;
		if (strstr(err.msg, "truncated") || strstr(err.msg, "empty file"))
			said++;
		nlp_model_reader_free(r);
	}
	is_int(bad, 0, "every truncation fails with NLP_EDATA and no reader");
	is_int(named, (long long)n, "every truncation message names the file");
	is_int(said, (long long)n, "every truncation message says truncated (or empty)");

	/* The same through real files at a spread of lengths. */
	bad = 0;
	for (size_t k = 0; k < n; k += 1 + k / 3) {
		nlp_model_reader *r = NULL;
		nlp_err err = {0};
		int rc;
		if (!spew(path_in("cut.nlpm"), d, k)) {
			bad++;
			continue;
		}
		rc = nlp_model_reader_open(&r, path_in("cut.nlpm"), &err);
		if (rc != NLP_EDATA || !strstr(err.msg, path_in("cut.nlpm")))
			if (bad++ < 5)
				diag("file prefix %zu: rc %d: %s", k, rc, err.msg);
		nlp_model_reader_free(r);
	}
	is_int(bad, 0, "truncated files on disk fail with a message naming them");
	unlink(path_in("cut.nlpm"));
}

static void test_bit_flips(const unsigned char *d, size_t n)
{
	unsigned char *c = malloc(n);
	nlp_rng rng;
	int bad = 0, every = 0;

	nlp_rng_seed(&rng, 20261123);
	/* Every single bit of the file, then seeded random multi-bit damage. */
	for (size_t bit = 0; bit < n * 8; bit++) {
		nlp_model_reader *r = NULL;
		nlp_err err = {0};
		int rc;
		memcpy(c, d, n);
		c[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		rc = nlp_model_reader_open_mem(&r, "flip.nlpm", c, n, &err);
		if (rc != NLP_EDATA || !strstr(err.msg, "flip.nlpm"))
			if (every++ < 5)
				diag("bit %zu: rc %d: %s", bit, rc, err.msg);
		nlp_model_reader_free(r);
	}
	is_int(every, 0, "every single-bit flip is caught (NLP_EDATA, file named)");
	for (int t = 0; t < 3000; t++) {
		nlp_model_reader *r = NULL;
		nlp_err err = {0};
		int flips = 1 + (int)(nlp_rng_next(&rng) % 8), rc;
		memcpy(c, d, n);
		for (int f = 0; f < flips; f++) {
			size_t at = (size_t)(nlp_rng_next(&rng) % n);
			c[at] ^= (unsigned char)(1u << (nlp_rng_next(&rng) % 8));
		}
		if (!memcmp(c, d, n))
			continue; /* flips cancelled out */
		rc = nlp_model_reader_open_mem(&r, "flip.nlpm", c, n, &err);
		if (rc != NLP_EDATA)
			if (bad++ < 5)
				diag("try %d: rc %d: %s", t, rc, err.msg);
		nlp_model_reader_free(r);
	}
	is_int(bad, 0, "3000 seeded multi-bit damages are all caught");
	free(c);
}

static void test_headers(const unsigned char *d, size_t n)
{
	unsigned char *c = malloc(n + 16);
	nlp_model_reader *r = NULL;
	nlp_err err = {0};
	int rc;

	static const char gif[] = "GIF89a\x01\x00 and so on";
	rc = nlp_model_reader_open_mem(&r, "gif.nlpm", gif, sizeof gif - 1, &err);
	is_int(rc, NLP_EDATA, "wrong magic: NLP_EDATA");
	like(err.msg, "gif.nlpm: not an nlpipe model file", "wrong magic: says so");

	memcpy(c, d, n);
	c[12] = NLP_MODEL_FORMAT_VERSION + 1; /* a newer version, header CRC made right */
	fix_header_crc(c);
	rc = nlp_model_reader_open_mem(&r, "new.nlpm", c, n, &err);
	is_int(rc, NLP_EDATA, "newer version: NLP_EDATA");
	like(err.msg, "new.nlpm: model format version 5 is newer", "newer version: says so");
	like(err.msg, "upgrade nlpipe", "newer version: says what to do");

	memcpy(c, d, n);
	c[12] = 0;
	fix_header_crc(c);
	rc = nlp_model_reader_open_mem(&r, "v0.nlpm", c, n, &err);
	is_int(rc, NLP_EDATA, "version 0 refused");

	memcpy(c, d, n);
	memset(c + n, 0, 16);
	rc = nlp_model_reader_open_mem(&r, "long.nlpm", c, n + 16, &err);
	is_int(rc, NLP_EDATA, "trailing bytes refused");
	like(err.msg, "extra data at the end", "trailing bytes: says so");

	memcpy(c, d, n);
	c[20] = 0xff, c[21] = 0xff, c[22] = 0xff, c[23] = 0x7f; /* 2^31 sections */
	fix_header_crc(c);
	rc = nlp_model_reader_open_mem(&r, "count.nlpm", c, n, &err);
	is_int(rc, NLP_EDATA, "a huge section count with a valid CRC is refused, not allocated");

	memcpy(c, d, n);
	c[20] = 1; /* fewer sections than there are */
	fix_header_crc(c);
	rc = nlp_model_reader_open_mem(&r, "few.nlpm", c, n, &err);
	is_int(rc, NLP_EDATA, "a section count that is too small is refused");

	memcpy(c, d, n);
	c[8] = 8; /* header size smaller than the header */
	fix_header_crc(c);
	rc = nlp_model_reader_open_mem(&r, "hsize.nlpm", c, n, &err);
	is_int(rc, NLP_EDATA, "a bad header size is refused");
	ok(r == NULL, "no reader after failures");
	free(c);
}

static void test_atomic(void)
{
	nlp_model_writer *w = NULL;
	nlp_err err = {0};
	unsigned char *before, *after;
	size_t nb, na;
	struct rlimit old, lim;
	float *big;
	int rc;

	/* Replacing an existing file. */
	rc = write_small(path_in("b.nlpm"), 0, &err);
	before = slurp(path_in("b.nlpm"), &nb);
	rc |= write_small(path_in("b.nlpm"), NLP_MODEL_CHECKPOINT, &err);
	after = slurp(path_in("b.nlpm"), &na);
	ok(!rc && nb == na && before && after && memcmp(before, after, nb),
	   "an existing model is replaced");
	free(before);
	before = after; /* what must survive the failures below */

	/* Abort leaves the old file and no temporary. */
	rc = nlp_model_writer_open(&w, path_in("b.nlpm"), 0, &err);
	if (!rc)
		rc = nlp_model_writer_add(w, NLP_SEC_PIPELINE, NLP_MODEL_NO_STAGE, "x", 1, &err);
	nlp_model_writer_abort(w);
	after = slurp(path_in("b.nlpm"), &na);
	ok(!rc && after && na == nb, "abort leaves the old file in place");
	free(after);
	is_int(count_strays("a.nlpm", "b.nlpm"), 0, "abort leaves no temporary file");

	/* A write failure (file size limit) in the middle: old file intact, no
	 * temporary left, an I/O error. */
	big = calloc(1 << 16, sizeof *big);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 4096;
	setrlimit(RLIMIT_FSIZE, &lim);
	rc = nlp_model_writer_open(&w, path_in("b.nlpm"), 0, &err);
	if (!rc) {
		rc = nlp_model_writer_add_f32(w, NLP_SEC_PARAMS, 0, big, 1 << 16, &err);
		if (rc)
			nlp_model_writer_abort(w);
		else
			rc = nlp_model_writer_commit(w, &err);
	}
	setrlimit(RLIMIT_FSIZE, &old);
	is_int(rc, NLP_EIO, "a failed write is an I/O error");
	like(err.msg, "write failed", "and says so");
	after = slurp(path_in("b.nlpm"), &na);
	ok(after && na == nb && !memcmp(before, after, nb), "the old file is untouched");
	is_int(count_strays("a.nlpm", "b.nlpm"), 0, "no temporary file left behind");
	free(after);
	free(before);
	free(big);

	/* A folder that does not exist. */
	rc = nlp_model_writer_open(&w, path_in("no/such/dir/m.nlpm"), 0, &err);
	is_int(rc, NLP_EIO, "no folder: an I/O error");
	like(err.msg, "no/such/dir/m.nlpm", "naming the path");

	/* Reading what is not there, or not a file. */
	{
		nlp_model_reader *r = NULL;
		rc = nlp_model_reader_open(&r, path_in("missing.nlpm"), &err);
		is_int(rc, NLP_EIO, "missing file: an I/O error");
		like(err.msg, "missing.nlpm: cannot open", "naming it");
		rc = nlp_model_reader_open(&r, dir, &err);
		ok(rc != NLP_OK && r == NULL, "a folder is refused");
	}
	unlink(path_in("b.nlpm"));
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	unsigned char *d;
	size_t n;

	snprintf(dir, sizeof dir, "%s/nlp-container-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		printf("Bail out! cannot make a temporary folder: %s\n", strerror(errno));
		return 1;
	}
	test_round_trip();
	test_empty_container();
	d = slurp(path_in("a.nlpm"), &n);
	ok(d && n > 64, "the small container is on disk");
	if (d) {
		diag("small container: %zu bytes", n);
		test_truncation(d, n);
		test_bit_flips(d, n);
		test_headers(d, n);
	}
	test_atomic();
	free(d);
	unlink(path_in("a.nlpm"));
	if (rmdir(dir))
		diag("could not remove %s: %s", dir, strerror(errno));
	return done_testing();
}
