/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_ngrams.c - word n-grams as extra tokens. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "toks.h"
#include "preprocess/text.h"

static const char *ng(const char *text, long n, const char *sep, int uni)
{
	static nlp_tokens in, out;
	static char *scratch;
	static size_t cap;
	nlp_tokens_clear(&out);
	toks_from(&in, text);
	if (text_ngrams_run(&in, &out, n, sep, uni, &scratch, &cap) != NLP_OK)
		return "ERROR";
	return toks_str(&out);
}

int main(void)
{
	is_str(ng("a b c", 2, "_", 1), "a b c a_b b_c", "bigrams after the words");
	is_str(ng("a b c d", 3, "_", 1), "a b c d a_b b_c c_d a_b_c b_c_d", "n = 3 adds both");
	is_str(ng("a b c", 2, "_", 0), "a_b b_c", "keep_unigrams = false");
	is_str(ng("a", 2, "_", 1), "a", "one token: no bigram");
	is_str(ng("", 3, "_", 1), "", "no tokens: nothing");
	is_str(ng("a b", 5, "_", 1), "a b a_b", "n beyond the length");
	is_str(ng("a b", 2, "\xe2\x96\x81", 1),
	       "a b a\xe2\x96\x81"
	       "b",
	       "the default separator U+2581");
	is_str(ng("a b", 1, "_", 1), "a b", "n = 1: tokens unchanged");
	{
		/* long tokens grow the scratch buffer */
		char big[3000];
		memset(big, 'x', 1000);
		big[1000] = ' ';
		memset(big + 1001, 'y', 1000);
		big[2001] = '\0';
		const char *r = ng(big, 2, "_", 0);
		ok(strlen(r) == 2001 && r[1000] == '_', "a bigram of two 1000-byte tokens");
	}
	return done_testing();
}
