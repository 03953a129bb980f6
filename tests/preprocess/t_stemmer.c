/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_stemmer.c - the stemmer against Snowball's own test vectors
 * ($NLP_SNOWBALL_DATA/<language>/{voc,output}.txt, Debian's snowball-data):
 * every language that both the installed libstemmer and the vectors have
 * must match 100 %.  Then the stage's own rules: only words are stemmed,
 * the _NEG suffix is kept, unknown languages are refused. */
#include "config.h"

#include <dirent.h>
#include <libstemmer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "tap.h"
#include "preprocess/text.h"

static int has_language(const char *lang)
{
	for (const char **l = sb_stemmer_list(); *l; l++)
		if (strcmp(*l, lang) == 0)
			return 1;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void chomp(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/* Open DIR/LANG/NAME, or NAME.gz (gzopen reads plain files too). */
static gzFile open_vec(const char *dir, const char *lang, const char *name)
{
	char p[4096];
	gzFile f;

	snprintf(p, sizeof p, "%s/%s/%s", dir, lang, name);
	f = gzopen(p, "rb");
	if (f)
		return f;
	snprintf(p, sizeof p, "%s/%s/%s.gz", dir, lang, name);
	return gzopen(p, "rb");
}

/* Stem every word of voc.txt and compare with output.txt. */
static void check_language(const char *dir, const char *lang, int *languages)
{
	char name[256], w[4096], x[4096];
	gzFile voc = open_vec(dir, lang, "voc.txt"), outf = open_vec(dir, lang, "output.txt");
	struct text_stemmer *s = NULL;
	nlp_err err = {0};
	long n = 0, bad = 0;

	if (!voc || !outf) {
		diag("%s: no voc.txt and output.txt in %s/%s", lang, dir, lang);
		goto out;
	}
	(*languages)++;
	if (text_stemmer_new(&s, lang, "", 0, &err) != NLP_OK) {
		ok(0, lang);
		diag("%s", err.msg);
		goto out;
	}
	while (gzgets(voc, w, sizeof w)) {
		const char *r;
		size_t rl;
		if (!gzgets(outf, x, sizeof x)) {
			bad++;
			break;
		}
		chomp(w);
		chomp(x);
		n++;
		if (text_stem(s, w, strlen(w), &r, &rl) != NLP_OK || rl != strlen(x) ||
		    memcmp(r, x, rl) != 0) {
			if (bad < 3)
				diag("%s: %s -> %.*s, want %s", lang, w, (int)rl, r, x);
			bad++;
		}
	}
	snprintf(name, sizeof name, "%s: %ld of %ld Snowball vectors match", lang, n - bad, n);
	ok(n > 0 && bad == 0, name);
out:
	text_stemmer_free(s);
	if (voc)
		gzclose(voc);
	if (outf)
		gzclose(outf);
}

static const char *stem_all(struct text_stemmer *s, const char *const *words, size_t n)
{
	static char buf[1024];
	nlp_tokens in = {0}, out = {0};
	size_t p = 0;

	for (size_t i = 0; i < n; i++)
		nlp_tokens_push(&in, words[i], strlen(words[i]));
	buf[0] = '\0';
	if (text_stemmer_run(s, &in, &out) == NLP_OK)
		for (size_t i = 0; i < out.n; i++)
			p += (size_t)snprintf(buf + p, sizeof buf - p, "%s%s", i ? " " : "",
			                      nlp_token(&out, i));
	nlp_tokens_free(&in);
	nlp_tokens_free(&out);
	return buf;
}

int main(void)
{
	const char *dir = getenv("NLP_SNOWBALL_DATA");
	struct text_stemmer *s = NULL;
	nlp_err err = {0};
	int languages = 0;

	/* the stage's rules */
	ok(text_stemmer_new(&s, "english", "_NEG", 0, &err) == NLP_OK, "english stemmer");
	{
		const char *w[] = {
		        "running", "movies", "good_NEG",  "movies_NEG",          "1990s", ":)",
		        "<url>",   "don't",  "well-made", "http://x.org/movies", "!"};
		is_str(stem_all(s, w, sizeof w / sizeof w[0]),
		       "run movi good_NEG movi_NEG 1990s :) <url> don't well-mad "
		       "http://x.org/movies !",
		       "words are stemmed, _NEG kept, numbers/emoticons/URLs untouched");
		/* the cache gives the same answers the second time */
		is_str(stem_all(s, w, sizeof w / sizeof w[0]),
		       "run movi good_NEG movi_NEG 1990s :) <url> don't well-mad "
		       "http://x.org/movies !",
		       "same again (from the cache)");
	}
	text_stemmer_free(s);
	s = NULL;
	ok(text_stemmer_new(&s, "english", "", 5, &err) == NLP_OK, "min_length = 5");
	{
		const char *w[] = {"cats", "horses"};
		is_str(stem_all(s, w, 2), "cats hors", "words shorter than min_length stay");
	}
	text_stemmer_free(s);
	s = NULL;
	ok(text_stemmer_new(&s, "russian", "", 0, &err) == NLP_OK, "russian stemmer");
	{
		const char *w[] = {"\xd0\xba\xd0\xbd\xd0\xb8\xd0\xb3\xd0\xb0\xd0\xbc\xd0\xb8"};
		is_str(stem_all(s, w, 1), "\xd0\xba\xd0\xbd\xd0\xb8\xd0\xb3",
		       "UTF-8 stemming (книгами -> книг)");
	}
	text_stemmer_free(s);
	s = NULL;
	ok(text_stemmer_new(&s, "klingon", "", 0, &err) == NLP_ECONFIG &&
	           strstr(err.msg, "klingon") && strstr(err.msg, "english"),
	   "an unknown language is refused, naming the ones offered");

	/* the Snowball vectors */
	if (!dir || !*dir) {
		skip(1, "NLP_SNOWBALL_DATA is not set");
	} else {
		DIR *d = opendir(dir);
		char **names = NULL;
		size_t n = 0, cap = 0;
		struct dirent *e;
		if (!d) {
			skip(1, "no Snowball test vectors (install snowball-data)");
			return done_testing();
		}
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.' || !has_language(e->d_name))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				names = realloc(names, cap * sizeof *names);
			}
			names[n++] = strdup(e->d_name);
		}
		closedir(d);
		qsort(names, n, sizeof *names, cmp_str);
		for (size_t i = 0; i < n; i++) {
			check_language(dir, names[i], &languages);
			free(names[i]);
		}
		free(names);
		if (languages)
			diag("%d languages checked against %s", languages, dir);
		else
			skip(1, "no language with vectors that libstemmer offers");
	}
	return done_testing();
}
