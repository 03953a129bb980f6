/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_tokenizer.c - the tokenizer's rules, one tricky input at a time. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "preprocess/text.h"

static char joined[1 << 16];

/* Tokenize s with o; the tokens joined by single spaces. */
static const char *tok(const struct text_tok_opts *o, const char *s, size_t len)
{
	struct text_tokenizer *t = NULL;
	nlp_tokens out = {0};
	nlp_err err = {0};
	size_t p = 0;

	joined[0] = '\0';
	if (text_tokenizer_new(&t, o, &err) || text_tokenize(t, s, len, &out, &err)) {
		snprintf(joined, sizeof joined, "ERROR: %s", err.msg);
		goto out;
	}
	for (size_t i = 0; i < out.n && p + out.tlen[i] + 2 < sizeof joined; i++) {
		if (i)
			joined[p++] = ' ';
		memcpy(joined + p, nlp_token(&out, i), out.tlen[i]);
		p += out.tlen[i];
	}
	joined[p] = '\0';
out:
	nlp_tokens_free(&out);
	text_tokenizer_free(t);
	return joined;
}

static const char *t1(const char *s)
{
	struct text_tok_opts o;
	text_tok_defaults(&o);
	return tok(&o, s, strlen(s));
}

/* Tokens of s with o, joined by spaces, into a malloc'ed string (NULL on error). */
static char *tok_all(const struct text_tok_opts *o, const char *s, size_t len)
{
	struct text_tokenizer *t = NULL;
	nlp_tokens out = {0};
	nlp_err err = {0};
	char *r = NULL;

	if (text_tokenizer_new(&t, o, &err) || text_tokenize(t, s, len, &out, &err))
		goto out;
	r = malloc(out.len + 1);
	if (!r)
		goto out;
	for (size_t i = 0; i < out.n; i++) {
		memcpy(r + out.off[i], nlp_token(&out, i), out.tlen[i]);
		r[out.off[i] + out.tlen[i]] = ' ';
	}
	r[out.len] = '\0';
out:
	nlp_tokens_free(&out);
	text_tokenizer_free(t);
	return r;
}

/* A document is tokenized in pieces cut at ASCII white space: the tokens of
 * a text full of constructs that span characters (markup with spaces inside,
 * entities, URLs, e-mail addresses, emoticons, emoji sequences, combining
 * marks after a space, numbers, clitics) are the same whatever the piece
 * size, and a long document needs workspaces of about a piece. */
static void pieces(void)
{
	static const char *const frag[] = {
	        "<a href=\"x y\">link</a> ",
	        "<!-- a comment with spaces --> ",
	        "&amp; &eacute;t&eacute; ",
	        "http://example.com/a_(b) ",
	        "mail me at john.doe@example.org. ",
	        ":-) :D ;) <3 ",
	        "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb ",
	        " \xcc\x81x ",
	        "cafe\xcc\x81 ",
	        "3.5 1,000 ",
	        "don't John's ",
	        "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e ",
	        "Stra\xc3\x9f\x65\t\n", /* Straße; \x65 is the e */
	        "!!!! ?? ",
	        "\xef\xac\x81nal ",
	        "a.b.c@d ",
	        "\xc2\xa0x\xe2\x80\x83y ",
	};
	const size_t nf = sizeof frag / sizeof frag[0];
	struct text_tok_opts o;
	char text[4096], *want, *got;
	size_t n = 0, bad = 0;

	for (size_t i = 0; n + 64 < sizeof text; i++) {
		const char *f = frag[(i * 7 + i / nf) % nf];
		memcpy(text + n, f, strlen(f));
		n += strlen(f);
	}
	for (int set = 0; set < 3; set++) {
		text_tok_defaults(&o);
		o.strip_markup = set != 1;
		o.split_clitics = set == 2;
		o.normalization = set == 1   ? TOK_NORM_NFC
		                  : set == 2 ? TOK_NORM_NONE
		                             : TOK_NORM_NFKC;
		o.punctuation = set == 2 ? TOK_PUNCT_ALL : TOK_PUNCT_SOME;
		o.piece = SIZE_MAX;
		want = tok_all(&o, text, n);
		for (size_t piece = 1; piece <= 40 && want; piece++) {
			o.piece = piece;
			got = tok_all(&o, text, n);
			if (!got || strcmp(got, want) != 0) {
				if (!bad)
					diag("option set %d, piece %zu: differs", set, piece);
				bad++;
			}
			free(got);
		}
		ok(want && !bad, "the tokens are the same in pieces of 1 to 40 code points");
		free(want);
	}
	{
		const size_t big = (size_t)8 << 20;
		struct text_tokenizer *t = NULL;
		nlp_tokens out = {0};
		nlp_err err = {0};
		char *doc = malloc(big);
		text_tok_defaults(&o);
		for (size_t i = 0; doc && i < big; i += n)
			memcpy(doc + i, text, big - i < n ? big - i : n);
		ok(doc && text_tokenizer_new(&t, &o, &err) == NLP_OK &&
		           text_tokenize(t, doc, big, &out, &err) == NLP_OK && out.n > big / 16 &&
		           text_tokenizer_workspace(t) < ((size_t)4 << 20),
		   "an 8 MB document needs under 4 MB of tokenizer workspace (was 64 MB)");
		nlp_tokens_free(&out);
		text_tokenizer_free(t);
		free(doc);
	}
}

int main(void)
{
	struct text_tok_opts o;

	/* words, apostrophes, hyphens, case folding */
	is_str(t1("Don't stop, it's a well-made film!"), "don't stop it's a well-made film !",
	       "apostrophes and hyphens inside words stay; ! kept, comma dropped");
	is_str(t1("don\xe2\x80\x99t"), "don't", "U+2019 inside a word becomes '");
	is_str(t1("'quoted' -dash- a--b"), "quoted dash a b", "edge apostrophes/hyphens split");
	is_str(t1("Really?! Yes!!!!!"), "really ? ! yes !!!", "runs of ! collapse to three");
	is_str(t1("3.5 stars, 1,000 votes, 10/10"), "3.5 stars 1,000 votes 10 10",
	       "numbers keep internal . and ,");
	text_tok_defaults(&o);
	o.split_clitics = 1;
	is_str(tok(&o, "I don't think John's car can't go; we'll see, o'clock",
	           sizeof "I don't think John's car can't go; we'll see, o'clock" - 1),
	       "i do n't think john 's car can n't go we 'll see o'clock", "split_clitics");
	text_tok_defaults(&o);
	o.casefold = 0;
	is_str(tok(&o, "The CAT", sizeof "The CAT" - 1), "The CAT", "casefold = false keeps case");

	/* Unicode: normalization, folding */
	is_str(t1("\xef\xac\x81nal"), "final", "NFKC expands the fi ligature");
	text_tok_defaults(&o);
	o.normalization = TOK_NORM_NFC;
	is_str(tok(&o, "\xef\xac\x81nal", sizeof "\xef\xac\x81nal" - 1), "final",
	       "NFC: case folding still expands the ligature");
	o.casefold = 0;
	is_str(tok(&o, "\xef\xac\x81nal", sizeof "\xef\xac\x81nal" - 1), "\xef\xac\x81nal",
	       "NFC without folding keeps it");
	is_str(t1("cafe\xcc\x81 CAF\xc3\x89"), "caf\xc3\xa9 caf\xc3\xa9",
	       "combining acute composes (NFKC), both cases fold to the same word");
	is_str(t1("e\xcc\x81\xcc\xa3"), "\xe1\xba\xb9\xcc\x81", "marks are put in canonical order");
	is_str(t1("Stra\xc3\x9f"
	          "e"),
	       "strasse", "full case folding: sharp s -> ss");
	is_str(t1("\xc4\xb0stanbul"), "i\xcc\x87stanbul",
	       "Turkish dotted capital I folds to i + U+0307 (language-neutral folding)");
	is_str(t1("\xce\x9f\xce\x94\xce\x8c\xce\xa3 \xd0\x9c\xd0\x98\xd0\xa0"),
	       "\xce\xbf\xce\xb4\xcf\x8c\xcf\x83 \xd0\xbc\xd0\xb8\xd1\x80",
	       "Greek and Cyrillic fold");
	is_str(t1("\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3\xef\xbc\x81"), "abc !",
	       "fullwidth letters and ! become ASCII under NFKC");
	is_str(t1("English \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xa7\xe3\x81\x99 "
	          "\xd0\xbc\xd0\xb8\xd1\x80"),
	       "english \xe6\x97\xa5 \xe6\x9c\xac \xe8\xaa\x9e \xe3\x81\xa7 \xe3\x81\x99 "
	       "\xd0\xbc\xd0\xb8\xd1\x80",
	       "mixed scripts: CJK one token per ideograph/kana");
	is_str(t1("\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 \xed\x85\x8d\xec\x8a\xa4\xed\x8a\xb8"),
	       "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 \xed\x85\x8d\xec\x8a\xa4\xed\x8a\xb8",
	       "Hangul words (written with spaces) stay whole");
	is_str(t1("\xe0\xa4\xb9\xe0\xa4\xbf\xe0\xa4\x82\xe0\xa4\xa6\xe0\xa5\x80"),
	       "\xe0\xa4\xb9\xe0\xa4\xbf\xe0\xa4\x82\xe0\xa4\xa6\xe0\xa5\x80",
	       "Devanagari vowel signs (marks) stay in the word");
	is_str(t1("\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae\xd9\x88\xd8\xa7\xd9\x87\xd9\x85"),
	       "\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae\xd9\x88\xd8\xa7\xd9\x87\xd9\x85",
	       "ZWNJ between letters stays (Persian)");
	is_str(t1("a\xe2\x80\x8d b\xe2\x80\x8b"
	          "c"),
	       "a b c", "ZWJ at a word edge dropped; ZWSP splits");
	is_str(t1("hyphen\xc2\xad"
	          "ation"),
	       "hyphenation", "soft hyphen ignored");

	/* invalid UTF-8, Latin-1 */
	is_str(t1("caf\xe9 au lait"), "caf\xef\xbf\xbd au lait",
	       "an invalid byte inside a word becomes U+FFFD and the word stays whole");
	is_str(t1("na\xefve \xab bon \xbb"), "na\xef\xbf\xbdve \xef\xbf\xbd bon \xef\xbf\xbd",
	       "Latin-1 bytes read as UTF-8: each is one U+FFFD");
	is_str(t1("\xf0\x9f\x98"),
	       "\xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd"[0] ? "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	                                                   : "",
	       "a truncated 4-byte sequence: one U+FFFD per byte");

	/* markup */
	text_tok_defaults(&o);
	o.strip_markup = 1;
	{
		const char *s =
		        "Great<br /><br />movie &amp; fun &#39;n&#x27; &lt;3 <!-- a <b> c -->end";
		is_str(tok(&o, s, strlen(s)), "great movie fun n <3 end",
		       "tags become spaces, entities decoded, comments dropped");
		s = "a < b and c<d e <3";
		is_str(tok(&o, s, strlen(s)), "a b and c d e <3", "< that is not a tag stays");
	}
	is_str(t1("Great<br />movie"), "great br movie",
	       "strip_markup = false leaves tags to the rules");

	/* URLs, e-mail, emoticons, emoji */
	is_str(t1("See http://Example.com/a_(b)_c?x=1, or www.imdb.com/title. Mail: "
	          "Joe.Doe+x@Mail.Example.org!"),
	       "see http://example.com/a_(b)_c?x=1 or www.imdb.com/title mail "
	       "joe.doe+x@mail.example.org !",
	       "URLs and e-mail addresses are single tokens, trailing punctuation left out");
	is_str(t1("(see http://en.wikipedia.org/wiki/Foo_(bar))."),
	       "see http://en.wikipedia.org/wiki/foo_(bar)",
	       "a URL keeps its balanced parentheses, not the closing one after it");
	is_str(t1("a\xe2\x96\x81"
	          "b"),
	       "a b", "U+2581 (the n-gram separator) separates tokens");
	text_tok_defaults(&o);
	o.urls = TOK_REPLACE;
	o.emails = TOK_DROP;
	is_str(tok(&o, "go https://x.org/y now a@b.cc", sizeof "go https://x.org/y now a@b.cc" - 1),
	       "go <url> now", "urls = replace, emails = drop");
	is_str(t1("Loved it :) :-( ;D <3 :D:P x:Dave"), "loved it :) :-( ;D <3 :D :P x dave",
	       "emoticons are tokens, not folded; :D not taken from :Dave");
	is_str(t1("file://x"), "file x", "no :/ emoticon inside ://");
	is_str(t1("ok\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd great\xf0\x9f\x98\x82\xf0\x9f\x98\x82 "
	          "\xe2\x9d\xa4\xef\xb8\x8f"),
	       "ok \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd great \xf0\x9f\x98\x82 \xf0\x9f\x98\x82 "
	       "\xe2\x9d\xa4",
	       "emoji: skin tone stays attached, VS16 dropped, one token each");
	is_str(t1("\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7 "
	          "\xf0\x9f\x87\xab\xf0\x9f\x87\xb7\xf0\x9f\x87\xa9\xf0\x9f\x87\xaa"),
	       "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7 "
	       "\xf0\x9f\x87\xab\xf0\x9f\x87\xb7 \xf0\x9f\x87\xa9\xf0\x9f\x87\xaa",
	       "ZWJ family is one token; regional indicators pair into flags");
	text_tok_defaults(&o);
	o.emoji = 0;
	o.emoticons = 0;
	is_str(tok(&o, "a :) \xf0\x9f\x98\x82 b", sizeof "a :) \xf0\x9f\x98\x82 b" - 1), "a b",
	       "emoji = false, emoticons = false");

	/* punctuation, numbers, lengths */
	text_tok_defaults(&o);
	o.punctuation = TOK_PUNCT_ALL;
	is_str(tok(&o, "a, b. (c)", sizeof "a, b. (c)" - 1), "a , b . ( c )", "punctuation = all");
	o.punctuation = TOK_PUNCT_NONE;
	is_str(tok(&o, "a! b?", sizeof "a! b?" - 1), "a b", "punctuation = none");
	o.punctuation = TOK_PUNCT_SOME;
	o.keep_punct = ".,!";
	is_str(tok(&o, "a, b. c?", sizeof "a, b. c?" - 1), "a , b . c",
	       "keep_punct chooses the characters");
	text_tok_defaults(&o);
	o.numbers = TOK_NUM_ZERO;
	is_str(tok(&o, "In 1984 I was 2nd, 3.14", sizeof "In 1984 I was 2nd, 3.14" - 1),
	       "in 0000 i was 2nd 0.00", "numbers = zero");
	o.numbers = TOK_NUM_REPLACE;
	is_str(tok(&o, "1984 \xd9\xa1\xd9\xa2", sizeof "1984 \xd9\xa1\xd9\xa2" - 1), "<num> <num>",
	       "numbers = replace (Arabic-Indic digits too)");
	o.numbers = TOK_NUM_DROP;
	is_str(tok(&o, "1984 x", sizeof "1984 x" - 1), "x", "numbers = drop");
	text_tok_defaults(&o);
	o.min_length = 3;
	o.max_length = 5;
	is_str(tok(&o, "a an the then thence !", sizeof "a an the then thence !" - 1), "the then !",
	       "min_length/max_length apply to words, not to ! tokens");

	/* a 1 MB single word: dropped under the default max_length, whole without one */
	{
		size_t n = 1 << 20;
		char *big = malloc(n + 16);
		struct text_tokenizer *t = NULL;
		nlp_tokens out = {0};
		nlp_err err = {0};
		memset(big, 'a', n);
		memcpy(big + n, " end", 5);
		text_tok_defaults(&o);
		is_str(tok(&o, big, n + 4), "end", "1 MB word dropped by max_length = 100");
		o.max_length = 0;
		ok(text_tokenizer_new(&t, &o, &err) == NLP_OK &&
		           text_tokenize(t, big, n + 4, &out, &err) == NLP_OK && out.n == 2 &&
		           out.tlen[0] == n,
		   "max_length = 0 keeps the 1 MB word whole");
		/* pathological markup and e-mail scans stay linear */
		for (size_t i = 0; i < n; i += 2)
			memcpy(big + i, "<a", 2);
		o.strip_markup = 1;
		nlp_tokens_clear(&out);
		ok(text_tokenize(t, big, n, &out, &err) == NLP_OK && out.n == n / 2,
		   "1 MB of '<a' (no tag ever closes) tokenizes, one word per a");
		text_tokenizer_free(t);
		for (size_t i = 0; i < n; i += 2)
			memcpy(big + i, "a.", 2);
		nlp_tokens_free(&out);
		memset(&out, 0, sizeof out);
		text_tokenizer_new(&t, &o, &err);
		ok(text_tokenize(t, big, n, &out, &err) == NLP_OK && out.n == n / 2,
		   "1 MB of 'a.' (e-mail-like) tokenizes, one word per a");
		nlp_tokens_free(&out);
		text_tokenizer_free(t);
		free(big);
	}
	is_str(t1(""), "", "empty text: no tokens");
	is_str(t1("  \t\n "), "", "white space only: no tokens");
	pieces();
	return done_testing();
}
