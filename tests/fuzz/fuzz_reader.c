/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* fuzz_reader.c - fuzz target: the bytes as an input file, read by the
 * document reader (pipeline/reader.c) and each document run through the
 * text stages (tokenizer, stop words, negation, stemmer, n-grams).  The
 * first byte picks the reader's options: bits 0-2 the line format (auto,
 * tab, fastText, space, plain; 5-7: one document a file), bits 3-4 the
 * encoding, bit 5 strict, bit 6 a 64-byte size limit, bit 7 the bounded
 * line reader (nlp_line_reader) instead.  Checks what reader.h promises:
 * text valid UTF-8, NUL-terminated at len, no NUL inside. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <utf8proc.h>

#include "nlpipe/reader.h"
#include "nlpipe/runner.h"
#include "tests/fuzz/fuzz.h"

static const char pipeline_ini[] = "[pipeline]\n"
                                   "stages = tok, stop, neg, stem, grams\n"
                                   "[tok]\ntype = tokenizer\nnormalization = nfkc\n"
                                   "casefold = true\nstrip_markup = true\n"
                                   "keep_punct = .,;:!?\nurls = replace\nemails = replace\n"
                                   "[stop]\ntype = stopwords\nlanguage = english\n"
                                   "keep = not, no, *n't\n"
                                   "[neg]\ntype = negation\nremove = .,;:\n"
                                   "[stem]\ntype = stemmer\nlanguage = english\n"
                                   "[grams]\ntype = ngrams\nn = 2\n";

static nlp_pool *text_pool(void)
{
	static nlp_pool *pool;
	static nlp_pipeline *p;
	static nlp_ini *ini;
	nlp_err err = {0};

	if (pool)
		return pool;
	if (nlp_ini_parse(&ini, "fuzz-text.ini", pipeline_ini, strlen(pipeline_ini), &err) ||
	    nlp_pipeline_new(&p, fuzz_host(0), ini, &err) ||
	    nlp_pool_new(&pool, p, 1, nlp_pipeline_stage_count(p), &err))
		fuzz_fail("set-up: %s", err.msg);
	return pool;
}

static void check_text(const nlp_document *doc)
{
	utf8proc_int32_t cp;
	size_t i = 0;

	if (!doc->text || doc->text[doc->len] != '\0' || strlen(doc->text) != doc->len)
		fuzz_fail("%s: text not NUL-terminated at len %zu", doc->name, doc->len);
	while (i < doc->len) {
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)doc->text + i,
		                                      (utf8proc_ssize_t)(doc->len - i), &cp);
		if (k <= 0)
			fuzz_fail("%s: invalid UTF-8 at byte %zu", doc->name, i);
		i += (size_t)k;
	}
}

static void run_text(const nlp_document *doc)
{
	nlp_text_job job;

	memset(&job, 0, sizeof job);
	job.name = doc->name;
	job.text = doc->text;
	job.len = doc->len;
	nlp_pool_run(text_pool(), &job, 1, 0);
	if (job.rc && !job.msg[0])
		fuzz_fail("%s: a text stage failed (%d) without a message", doc->name, job.rc);
	for (size_t i = 0; !job.rc && i < job.tokens.n; i++)
		if (strlen(job.tokens.buf + job.tokens.off[i]) != job.tokens.tlen[i])
			fuzz_fail("%s: token %zu's length is wrong", doc->name, i);
	nlp_tokens_free(&job.tokens);
}

static void read_lines(const char *path)
{
	nlp_line_reader L;
	nlp_err err = {0};
	FILE *f = NULL;

	if (nlp_open_regular(path, &f) != 0)
		fuzz_fail("cannot open the scratch file");
	memset(&L, 0, sizeof L);
	L.f = f;
	L.path = path;
	L.max = 64;
	L.what = "a path";
	while (nlp_line_reader_next(&L, &err) == NLP_OK && L.len)
		if (strlen(L.line) > L.len || L.len > L.max)
			fuzz_fail("line %lu: length %zu is wrong", L.lineno, L.len);
	nlp_line_reader_free(&L);
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const nlp_line_format lines[] = {NLP_LINES_AUTO, NLP_LINES_TAB, NLP_LINES_FASTTEXT,
	                                        NLP_LINES_SPACE, NLP_LINES_PLAIN};
	const char *path;
	nlp_reader_opts o;
	nlp_reader *r = NULL;
	const nlp_document *doc;
	nlp_err err = {0};
	unsigned mode;

	if (size < 1)
		return 0;
	mode = data[0];
	path = fuzz_file(data + 1, size - 1);
	if (mode & 0x80) {
		read_lines(path);
		return 0;
	}
	nlp_reader_opts_init(&o);
	o.format = (mode & 7) < 5 ? NLP_INPUT_LINES : NLP_INPUT_FILES;
	o.lines = lines[(mode & 7) % 5];
	o.encoding = (nlp_encoding)((mode >> 3 & 3) % 3);
	o.strict = !!(mode & 0x20);
	o.max_doc_bytes = mode & 0x40 ? 64 : 0;
	o.verbose = 1;
	if (nlp_reader_open(&r, &o, &path, 1, &err)) {
		if (!err.msg[0])
			fuzz_fail("nlp_reader_open failed without a message");
		return 0; /* the labels are read at open: bad ones are refused */
	}
	while (nlp_reader_next(r, &doc, &err) == NLP_OK && doc) {
		check_text(doc);
		if (doc->label >= (int)nlp_reader_label_count(r))
			fuzz_fail("%s: label %d of %zu", doc->name, doc->label,
			          nlp_reader_label_count(r));
		run_text(doc);
	}
	nlp_reader_close(r);
	return 0;
}
