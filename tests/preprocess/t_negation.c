/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_negation.c - negation scope marking. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "toks.h"
#include "preprocess/text.h"

static const char *neg(struct text_negation *g, const char *text)
{
	static nlp_tokens in, out;
	nlp_tokens_clear(&out);
	toks_from(&in, text);
	if (text_negation_run(g, &in, &out) != NLP_OK)
		return "ERROR";
	return toks_str(&out);
}

int main(void)
{
	const char *words[] = {"not", "no", "never", "n't", "*n't"};
	struct text_negation *g = NULL;
	nlp_err err = {0};

	ok(text_negation_new(&g, words, 5, "_NEG", ".,;:!?", "", 0, &err) == NLP_OK, "defaults");
	is_str(neg(g, "not good at all . but fun"), "not good_NEG at_NEG all_NEG . but fun",
	       "the scope ends at clause punctuation");
	is_str(neg(g, "it isn't bad , really"), "it isn't bad_NEG , really",
	       "*n't: any word ending in n't negates");
	is_str(neg(g, "do n't go"), "do n't go_NEG", "n't as a split clitic");
	is_str(neg(g, "no no good"), "no no good_NEG",
	       "a negation word is not marked, it restarts");
	is_str(neg(g, "never ever !!! again"), "never ever_NEG !!! again",
	       "a run of ! ends the scope");
	is_str(neg(g, "not :) fun"), "not :)_NEG fun_NEG", "an emoticon is not clause punctuation");
	is_str(neg(g, "good movie"), "good movie", "no negation, nothing marked");
	text_negation_free(g);

	ok(text_negation_new(&g, words, 5, "_NEG", ".,;:!?", ".,;:", 2, &err) == NLP_OK,
	   "remove and max_scope");
	is_str(neg(g, "not a good film . great ! fine"), "not a_NEG good_NEG film great ! fine",
	       "max_scope = 2; . removed after ending the scope, ! kept");
	text_negation_free(g);

	ok(text_negation_new(&g, words, 5, "_NEG", "\xe3\x80\x82", "", 0, &err) == NLP_OK,
	   "a non-ASCII scope end");
	is_str(neg(g, "not good \xe3\x80\x82 fine"), "not good_NEG \xe3\x80\x82 fine",
	       "U+3002 ends the scope");
	text_negation_free(g);
	return done_testing();
}
