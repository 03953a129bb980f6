/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* tests/train/t_s2s_scores.c - the scores of sequence-to-sequence outputs
 * (nlpipe/seq2seq.h) against values worked out by hand: exact match, token
 * accuracy by position, corpus BLEU-4 (clipped n-gram precisions, brevity
 * penalty) and chrF (character 1..6-grams, beta 2). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nlpipe/seq2seq.h"
#include "tests/tap.h"

static void add(nlp_s2s_scores *s, const char *const *h, size_t nh, const char *const *r, size_t nr)
{
	if (nlp_s2s_score_add(s, h, nh, r, nr))
		diag("out of memory");
}

int main(void)
{
	nlp_s2s_scores s;
	static const char *const abcdef[] = {"a", "b", "c", "d", "e", "f"};
	static const char *const abcdeg[] = {"a", "b", "c", "d", "e", "g"};
	static const char *const cat1[] = {"the", "cat", "sat", "on", "the", "mat"};
	static const char *const cat2[] = {"the", "cat", "is", "on", "the", "mat"};
	static const char *const ab[] = {"a", "b"};
	static const char *const ete[] = {"été"}, *const eta[] = {"éta"};

	plan(12);
	memset(&s, 0, sizeof s);
	add(&s, abcdef, 6, abcdef, 6);
	ok(s.exact == 1 && s.correct == 6, "identical: an exact match, every token right");
	is_double(nlp_s2s_bleu(&s), 100.0, 1e-9, "identical: BLEU 100");
	is_double(nlp_s2s_chrf(&s), 100.0, 1e-9, "identical: chrF 100");

	memset(&s, 0, sizeof s);
	add(&s, abcdef, 6, abcdeg, 6);
	ok(s.exact == 0 && s.correct == 5 && s.ref_tokens == 6, "one token off: 5 of 6 right");
	/* precisions 5/6, 4/5, 3/4, 2/3: their geometric mean is (1/3)^(1/4) */
	is_double(nlp_s2s_bleu(&s), 100.0 * pow(1.0 / 3.0, 0.25), 1e-9,
	          "one token off: BLEU 75.98");
	/* character n-grams of abcdef / abcdeg: 5/6, 4/5, 3/4, 2/3, 1/2, 0/1 both
	 * ways, so P = R = their mean and chrF = P */
	is_double(nlp_s2s_chrf(&s),
	          100.0 * (5.0 / 6 + 4.0 / 5 + 3.0 / 4 + 2.0 / 3 + 1.0 / 2 + 0.0) / 6.0, 1e-9,
	          "one token off: chrF 59.17");

	memset(&s, 0, sizeof s);
	add(&s, cat1, 6, cat2, 6);
	ok(s.ngram_match[0] == 5 && s.ngram_match[1] == 3 && s.ngram_match[2] == 1 &&
	           s.ngram_match[3] == 0,
	   "clipped n-gram matches 5, 3, 1, 0 (the twice on both sides)");
	is_double(nlp_s2s_bleu(&s), 0.0, 1e-12, "no 4-gram in common: BLEU 0");

	memset(&s, 0, sizeof s);
	add(&s, ab, 2, abcdef, 6);
	add(&s, abcdef, 6, abcdef, 6);
	/* corpus: c = 8, r = 12; precisions 8/8, 6/6, 4/4, 3/3 */
	is_double(nlp_s2s_bleu(&s), 100.0 * exp(1.0 - 12.0 / 8.0), 1e-9,
	          "a short output: the brevity penalty exp(1 - r/c)");
	ok(s.pairs == 2 && s.exact == 1, "corpus counts: 2 pairs, 1 exact");

	memset(&s, 0, sizeof s);
	add(&s, ete, 1, eta, 1);
	ok(s.chr_hyp[0] == 3 && s.chr_match[0] == 2,
	   "characters are code points: été has 3, 2 of them in éta (clipped)");
	ok(s.chr_match[1] == 1 && s.chr_hyp[1] == 2, "été / éta: one character bigram in common");
	return done_testing();
}
