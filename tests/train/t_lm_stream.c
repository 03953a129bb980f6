/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_lm_stream.c - a language model's training batches (nlpipe/lm.h): the
 * documents concatenated behind one </s>, cut into B streams, walked in
 * windows of T steps: ids, the next ids, lengths, carry and where documents
 * start, against layouts worked out by hand; fewer streams for little text;
 * the figures' arithmetic. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nlpipe/lm.h"
#include "tests/tap.h"

#define EOS 9

/* Window w of ls as text: "ids|next|reset|len carry". */
static void window_text(nlp_lm_stream *ls, size_t w, char *buf, size_t n)
{
	nlp_batch b;
	size_t used = 0;

	memset(&b, 0, sizeof b);
	nlp_lm_stream_window(ls, w, &b);
	for (int part = 0; part < 3; part++) {
		for (int k = 0; k < b.T * b.B; k++) {
			int v = part == 0 ? b.ids[k] : part == 1 ? b.next_ids[k] : b.reset[k];
			used += (size_t)snprintf(buf + used, n - used, "%d", v);
		}
		used += (size_t)snprintf(buf + used, n - used, "|");
	}
	snprintf(buf + used, n - used, "%d %d", b.len[0], b.carry);
}

int main(void)
{
	int32_t d0[] = {1, 2, 3, EOS}, d1[] = {4, 5, EOS}, d2[] = {6, EOS};
	nlp_doc_ids docs[3] = {{d0, 4, -1, NULL}, {d1, 3, -1, NULL}, {d2, 2, -1, NULL}};
	size_t order[3] = {0, 1, 2}, rev[3] = {2, 1, 0};
	nlp_lm_stream ls;
	nlp_err err;
	char buf[256];
	nlp_lm_figures f = {3, 12, 1, 12 * log(4.0)};

	plan(15);
	memset(&ls, 0, sizeof ls);
	/* S = 9 1 2 3 9 4 5 9 6 9 (10 ids), B = 2: streams "9 1 2 3 9" and
	 * "4 5 9 6 9" (L = 5), 4 predictions each, windows of T = 3: 2. */
	ok(nlp_lm_stream_build(&ls, docs, order, 3, EOS, 2, 3, 1, &err) == NLP_OK, "built");
	is_int((long long)ls.n, 10, "one </s> before the documents");
	is_int(ls.B, 2, "two streams");
	is_int((long long)ls.L, 5, "of 5 ids each");
	is_int((long long)ls.windows, 2, "in 2 windows of at most 3 steps");
	window_text(&ls, 0, buf, sizeof buf);
	/* time-major: t0 (stream 0, stream 1), t1, t2 */
	is_str(buf, "941529|152936|100001|3 0",
	       "window 0: ids, next ids, document starts (the </s> that opens one)");
	window_text(&ls, 1, buf, sizeof buf);
	is_str(buf, "36|99|00|1 1", "window 1: the last step, the state carried");
	ok(nlp_lm_stream_build(&ls, docs, order, 3, EOS, 2, 3, 0, &err) == NLP_OK,
	   "built again without resets");
	{
		nlp_batch b;
		memset(&b, 0, sizeof b);
		nlp_lm_stream_window(&ls, 0, &b);
		ok(b.reset == NULL, "reset_state = never: no reset array");
	}
	ok(nlp_lm_stream_build(&ls, docs, rev, 3, EOS, 1, 4, 1, &err) == NLP_OK,
	   "another order, one stream");
	window_text(&ls, 0, buf, sizeof buf);
	is_str(buf, "9694|6945|1010|4 0", "the order is the one given");
	ok(nlp_lm_stream_build(&ls, docs, order, 3, EOS, 64, 35, 1, &err) == NLP_OK && ls.B == 5 &&
	           ls.L == 2,
	   "64 streams asked for 10 ids: 5 of 2 ids");
	ok(nlp_lm_stream_build(&ls, docs, order, 0, EOS, 2, 3, 1, &err) == NLP_EDATA,
	   "no text: a data error");
	nlp_lm_stream_free(&ls);
	is_double(nlp_lm_bits(&f), 2.0, 1e-12, "12 tokens at 1/4 each: 2 bits per token");
	is_double(nlp_lm_perplexity(&f), 4.0, 1e-12, "and a perplexity of 4");
	return done_testing();
}
