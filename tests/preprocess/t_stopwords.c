/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_stopwords.c - stop-word lists: the bundled ones, user lists, keep. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "toks.h"
#include "preprocess/text.h"

static const char *filter(struct text_stopwords *s, const char *text)
{
	static nlp_tokens in, out;
	nlp_tokens_clear(&out);
	toks_from(&in, text);
	if (text_stopwords_filter(s, &in, &out) != NLP_OK)
		return "ERROR";
	return toks_str(&out);
}

int main(void)
{
	const char *top = getenv("NLP_TOP_SRCDIR");
	char data[4096], tmpl[] = "/tmp/nlp-stopwords-XXXXXX";
	struct text_stopwords *s = NULL;
	nlp_err err = {0};
	const char *keep[] = {"not", "no", "*n't"};
	static const char *const langs[] = {
	        "catalan",    "romanian", "danish",    "dutch",      "english", "finnish",
	        "french",     "german",   "hungarian", "indonesian", "italian", "norwegian",
	        "portuguese", "russian",  "spanish",   "swedish",    "turkish"};
	int fd;
	FILE *f;

	if (!top)
		skip_all("NLP_TOP_SRCDIR is not set (run through make check)");
	snprintf(data, sizeof data, "%s/data", top);

	ok(text_stopwords_new(&s, data, "english", "", NULL, 0, &err) == NLP_OK, "english list");
	ok(s && text_stopwords_count(s) > 150, "the english list has its words");
	is_str(filter(s, "the movie was not good and i didn't like it"), "movie good like",
	       "function words and negations go without keep");
	is_str(filter(s, "The MOVIE"), "MOVIE", "matching ignores ASCII case");
	text_stopwords_free(s);

	ok(text_stopwords_new(&s, data, "english", "", keep, 3, &err) == NLP_OK, "keep list");
	is_str(filter(s, "the movie was not good and i didn't like it"),
	       "movie not good didn't like", "keep exempts not and *n't words");
	text_stopwords_free(s);

	/* every bundled list loads and holds words; accented words match
	 * their NFKC, case-folded form */
	for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++) {
		char name[128];
		s = NULL;
		snprintf(name, sizeof name, "%s list loads and is not empty", langs[i]);
		ok(text_stopwords_new(&s, data, langs[i], "", NULL, 0, &err) == NLP_OK && s &&
		           text_stopwords_count(s) > 30,
		   name);
		if (s && !strcmp(langs[i], "german"))
			is_str(filter(s, "\xc3\xbc"
			                 "ber den fluss"),
			       "fluss",
			       "german: \xc3\xbc"
			       "ber (precomposed) is a stop word");
		if (s && !strcmp(langs[i], "french"))
			is_str(filter(s, "il e\xcc\x81tait tre\xcc\x80s"),
			       "e\xcc\x81tait tre\xcc\x80s",
			       "french: decomposed input is not normalized here (the tokenizer "
			       "does it)");
		text_stopwords_free(s);
	}

	/* a user list: comments, several words a line, non-ASCII case folded */
	fd = mkstemp(tmpl);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	ok(f != NULL, "a temporary list");
	if (f) {
		fputs("| a comment\nfoo bar  # another\n\n\xc3\x84PFEL\n", f);
		fclose(f);
	}
	ok(text_stopwords_new(&s, data, "none", tmpl, NULL, 0, &err) == NLP_OK,
	   "language = none, file = LIST");
	is_str(filter(s, "foo baz bar \xc3\xa4pfel comment"), "baz comment",
	       "user words (folded when loading) are removed; comments are not words");
	text_stopwords_free(s);
	unlink(tmpl);

	/* errors name what is wrong */
	s = NULL;
	ok(text_stopwords_new(&s, data, "klingon", "", NULL, 0, &err) == NLP_ECONFIG &&
	           strstr(err.msg, "klingon") && strstr(err.msg, "english"),
	   "unknown language: the message lists the available ones");
	ok(text_stopwords_new(&s, data, "../etc/passwd", "", NULL, 0, &err) == NLP_ECONFIG,
	   "a language is a name, not a path");
	ok(text_stopwords_new(&s, data, "none", "/nonexistent/list.txt", NULL, 0, &err) ==
	                   NLP_EIO &&
	           strstr(err.msg, "/nonexistent/list.txt"),
	   "a missing user list is named");
	return done_testing();
}
