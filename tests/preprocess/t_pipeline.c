/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_pipeline.c - the text stages through the host: the `text` module is
 * loaded from NLPIPE_PLUGIN_PATH, pipelines come from INI text, options are
 * checked, and the sentiment test pipeline makes the expected tokens. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "nlpipe/nlpipe.h"

static nlp_host *host;

static void quiet(void *user, const char *msg)
{
	(void)user;
	(void)msg;
}

/* Build a pipeline from INI text; NULL on failure (message in err). */
static nlp_pipeline *build(const char *ini_text, nlp_ini **ini, nlp_err *err)
{
	nlp_pipeline *p = NULL;

	*ini = NULL;
	if (nlp_ini_parse(ini, "test.ini", ini_text, strlen(ini_text), err))
		return NULL;
	if (nlp_pipeline_new(&p, host, *ini, err)) {
		nlp_ini_free(*ini);
		*ini = NULL;
		return NULL;
	}
	return p;
}

static const char *run(nlp_pipeline *p, const char *text)
{
	static char buf[4096];
	nlp_worker *w = NULL;
	const nlp_tokens *t;
	const int32_t *ids;
	size_t n_ids, pos = 0;
	nlp_err err = {0};

	buf[0] = '\0';
	if (nlp_worker_new(&w, p, &err) || nlp_worker_run(w, nlp_pipeline_text_end(p), "doc", text,
	                                                  strlen(text), &t, &ids, &n_ids, &err)) {
		snprintf(buf, sizeof buf, "ERROR: %s", err.msg);
	} else {
		for (size_t i = 0; i < t->n; i++)
			pos += (size_t)snprintf(buf + pos, sizeof buf - pos, "%s%s", i ? " " : "",
			                        nlp_token(t, i));
	}
	nlp_worker_free(w);
	return buf;
}

static int fails_with(const char *ini_text, const char *needle, const char *name)
{
	nlp_ini *ini;
	nlp_err err = {0};
	nlp_pipeline *p = build(ini_text, &ini, &err);
	int pass = !p && strstr(err.msg, needle) != NULL;
	ok(pass, name);
	if (!pass)
		diag("message: %s", err.msg);
	nlp_pipeline_free(p);
	nlp_ini_free(ini);
	return pass;
}

/* Occurrences of needle in s. */
static int count_of(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* A stage's refusal carries exactly one prefix, the host's: the message
 * starts with want (FILE:LINE: [inst] (cls): the stage's own words), names
 * [inst] and (cls) once, and has no "cls: " of the stage's own. */
static void one_prefix(const char *ini_text, const char *want, const char *inst, const char *cls,
                       const char *name)
{
	nlp_ini *ini;
	nlp_err err = {0};
	nlp_pipeline *p = build(ini_text, &ini, &err);
	char paren[64], colon[64];
	int pass;

	snprintf(paren, sizeof paren, "(%s)", cls);
	snprintf(colon, sizeof colon, "%s: ", cls);
	pass = !p && strncmp(err.msg, want, strlen(want)) == 0 && count_of(err.msg, inst) == 1 &&
	       count_of(err.msg, paren) == 1 && count_of(err.msg, colon) == 0;
	ok(pass, name);
	if (!pass)
		diag("got:    %s\nwanted: %s... naming %s and %s once", err.msg, want, inst, paren);
	nlp_pipeline_free(p);
	nlp_ini_free(ini);
}

int main(void)
{
	const char *top = getenv("NLP_TOP_SRCDIR");
	nlp_err err = {0};
	nlp_ini *ini = NULL;
	nlp_pipeline *p;
	char path[4096], data[4096];

	if (!top || !getenv("NLPIPE_PLUGIN_PATH"))
		skip_all("NLP_TOP_SRCDIR / NLPIPE_PLUGIN_PATH not set (run through make check)");
	snprintf(data, sizeof data, "%s/data", top);
	setenv("NLPIPE_DATA_DIR", data, 1);
	if (nlp_host_new(&host, &err) || nlp_host_add_default_paths(host, &err)) {
		printf("Bail out! %s\n", err.msg);
		return 1;
	}
	nlp_host_set_diag(host, quiet, NULL);
	nlp_host_load_modules(host, &err);
	ok(nlp_host_find_class(host, "tokenizer", NULL) &&
	           nlp_host_find_class(host, "stopwords", NULL) &&
	           nlp_host_find_class(host, "stemmer", NULL) &&
	           nlp_host_find_class(host, "ngrams", NULL) &&
	           nlp_host_find_class(host, "negation", NULL),
	   "the text module registers its five classes");

	p = build("[pipeline]\nstages = tok\n[tok]\ntype = tokenizer\n", &ini, &err);
	ok(p != NULL, "a tokenizer with its defaults");
	if (p)
		is_str(run(p, "Don't STOP <br /> :) 10/10!"), "don't stop br :) 10 10 !",
		       "defaults: NFKC, folding, no markup stripping, ! kept");
	nlp_pipeline_free(p);
	nlp_ini_free(ini);

	p = build("[pipeline]\nstages = tok, ng\n[tok]\ntype = tokenizer\npunctuation = none\n"
	          "[ng]\ntype = ngrams\nn = 2\nseparator = +\n",
	          &ini, &err);
	ok(p != NULL, "tokenizer + ngrams");
	if (p)
		is_str(run(p, "a b c!"), "a b c a+b b+c", "bigrams through the host");
	nlp_pipeline_free(p);
	nlp_ini_free(ini);

	/* the test pipeline used by `nlpipe tokenize` tests and the benchmark */
	snprintf(path, sizeof path, "%s/tests/preprocess/sentiment.ini", top);
	ok(nlp_ini_read(&ini, path, &err) == NLP_OK, "read tests/preprocess/sentiment.ini");
	p = NULL;
	ok(ini && nlp_pipeline_new(&p, host, ini, &err) == NLP_OK, "build it");
	if (!p)
		diag("%s", err.msg);
	if (p) {
		is_str(run(p, "This movie was NOT good, the acting wasn't great... but I loved "
		              "the music!!! <br /><br />See http://imdb.com :)"),
		       "movi not good_NEG act wasn't great_NEG but love music !!! see <url> :)",
		       "sentiment: stop words out, negations kept and scoped, stems, <url>");
		is_str(run(p, ""), "", "an empty document has no tokens");
	}
	nlp_pipeline_free(p);
	nlp_ini_free(ini);

	/* option checking */
	fails_with("[pipeline]\nstages = tok\n[tok]\ntype = tokenizer\nnormalization = nfd\n",
	           "none, nfc, nfkc", "normalization takes none|nfc|nfkc");
	fails_with("[pipeline]\nstages = tok\n[tok]\ntype = tokenizer\nmin_length = 5\n"
	           "max_length = 3\n",
	           "max_length", "max_length below min_length is refused");
	fails_with("[pipeline]\nstages = tok, st\n[tok]\ntype = tokenizer\n[st]\ntype = stemmer\n"
	           "language = klingon\n",
	           "klingon", "an unknown stemmer language is refused");
	fails_with("[pipeline]\nstages = tok, sw\n[tok]\ntype = tokenizer\n[sw]\ntype = stopwords\n"
	           "language = klingon\n",
	           "no list for language 'klingon'", "an unknown stop-word language is refused");
	fails_with("[pipeline]\nstages = tok, ng\n[tok]\ntype = tokenizer\n[ng]\ntype = ngrams\n"
	           "n = 0\n",
	           "n", "n must be at least 1");
	fails_with("[pipeline]\nstages = sw\n[sw]\ntype = stopwords\n", "text",
	           "a token stage cannot take the text");

	/* The host alone names the stage. */
	one_prefix(
	        "[pipeline]\nstages = tok, stem\n[tok]\ntype = tokenizer\n[stem]\n"
	        "type = stemmer\nlanguage = klingon\n",
	        "test.ini:5: [stem] (stemmer): libstemmer has no language 'klingon'; it offers: ",
	        "[stem]", "stemmer", "the stemmer's refusal has one prefix, the host's");
	one_prefix("[pipeline]\nstages = tok, sw\n[tok]\ntype = tokenizer\n[sw]\n"
	           "type = stopwords\nlanguage = klingon\n",
	           "test.ini:5: [sw] (stopwords): no list for language 'klingon' (", "[sw]",
	           "stopwords", "the stop-word stage's refusal has one prefix, the host's");
	one_prefix("[pipeline]\nstages = tok\n[tok]\ntype = tokenizer\nmin_length = 5\n"
	           "max_length = 3\n",
	           "test.ini:3: [tok] (tokenizer): max_length (3) is smaller than min_length (5)",
	           "[tok]", "tokenizer", "the tokenizer's refusal has one prefix, the host's");
	nlp_host_free(host);
	return done_testing();
}
