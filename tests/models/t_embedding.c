/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_embedding.c - the vocabulary (hash, determinism, min_count, max_size),
 * the embedding stage (lookup, padding, sparse gradient, finite-difference
 * check, dropout, freeze), pretrained .vec files (good and malformed), and
 * the saved vocabulary (round trip, truncation). */
#include "config.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nlpipe/optim.h>
#include <nlpipe/runner.h>
#include <nlpipe/train.h>

#include "models/embedding.h"
#include "models/vocab.h"
#include "preprocess/toks.h"
#include "tap.h"

/* Gradient check: |analytic - numeric| <= GC_TOL (the loss is linear in the
 * table, so central differences are exact up to float rounding). */
#define GC_EPS 1e-2
#define GC_TOL 1e-3

static const nlp_train_ops *ops;

static void tokens_of(nlp_tokens *t, const char *text)
{
	nlp_tokens_clear(t);
	while (*text) {
		const char *e = strchr(text, ' ');
		size_t n = e ? (size_t)(e - text) : strlen(text);
		if (n)
			nlp_tokens_push(t, text, n);
		text += n;
		if (*text)
			text++;
	}
}

static int observe_text(void *e, const char *text, nlp_err *err)
{
	nlp_tokens t = {0};
	nlp_doc d = {.name = "doc", .in = &t};
	int rc;

	tokens_of(&t, text);
	rc = ops->observe(e, &d, err);
	nlp_tokens_free(&t);
	return rc;
}

/* ids of a text through the stage's process(); returns their number. */
static int ids_of(void *e, const char *text, int32_t *ids, int max, nlp_err *err)
{
	return toks_ids(&nn_embedding_class, e, text, ids, max, err);
}

static void *make(const embedding_opts *o)
{
	void *e = NULL;
	nlp_err err = {0};

	if (embedding_new(&e, "emb", o, &err)) {
		diag("embedding_new: %s", err.msg);
		exit(1);
	}
	return e;
}

/* ---- vocabulary ---- */
static void test_vocab(void)
{
	vocab c, v, c2, v2;
	char w[32];
	int found = 1;

	vocab_init(&c);
	/* many words: the table grows; every word is found again */
	for (int i = 0; i < 20000; i++) {
		int n = snprintf(w, sizeof w, "w%d", i);
		vocab_count(&c, w, (size_t)n, (uint64_t)(i % 7) + 1);
	}
	is_int((long long)c.n, 20000, "20000 distinct words counted");
	for (int i = 0; i < 20000; i++) {
		int n = snprintf(w, sizeof w, "w%d", i);
		found &= vocab_find(&c, w, (size_t)n) == i;
	}
	ok(found, "every word found at its index after growing");
	ok(vocab_find(&c, "w20000", 6) == -1 && vocab_find(&c, "", 0) == -1, "absent words: -1");
	{
		/* lookup speed, for the record (not asserted: machines differ) */
		struct timespec t0, t1;
		long hits = 0;
		double sec;
		static char words[30000][8];
		static size_t lens[30000];
		for (int i = 0; i < 30000; i++)
			lens[i] = (size_t)snprintf(words[i], 8, "w%d", i);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (int k = 0; k < 50; k++)
			for (int i = 0; i < 20000; i++) {
				int j = (i * 7919 + k) % 30000;
				hits += vocab_find(&c, words[j], lens[j]) >= 0;
			}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		sec = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
		diag("1e6 lookups (2/3 hits) in a 20000-word vocabulary: %.3f s (%.0f ns each)",
		     sec, sec * 1e3);
		ok(hits > 0, "lookups hit");
	}
	vocab_free(&c);

	/* determinism: two insertion orders give the same frozen vocabulary */
	{
		const char *words[] = {"b",     "a", "c", "ab", "a",     "b",
		                       "<unk>", "z", "c", "a",  "<pad>", "é"};
		int nw = (int)(sizeof words / sizeof words[0]), same = 1;
		vocab_init(&c);
		vocab_init(&c2);
		vocab_init(&v);
		vocab_init(&v2);
		for (int i = 0; i < nw; i++)
			vocab_count(&c, words[i], strlen(words[i]), 1);
		for (int i = nw - 1; i >= 0; i--)
			vocab_count(&c2, words[i], strlen(words[i]), 1);
		vocab_freeze(&v, &c, 1, 0);
		vocab_freeze(&v2, &c2, 1, 0);
		same = v.n == v2.n;
		for (size_t i = 0; same && i < v.n; i++)
			same = strcmp(vocab_word(&v, i), vocab_word(&v2, i)) == 0;
		ok(same, "vocabulary does not depend on the order of the data");
		/* a:3 b:2 c:2 ab:1 z:1 é:1 -> a, b, c, ab, z, é (bytes ascending) */
		{
			const char *want[] = {"<pad>", "<unk>", "a", "b", "c", "ab", "z", "é"};
			int good = v.n == 8;
			for (size_t i = 0; good && i < 8; i++)
				good = strcmp(vocab_word(&v, i), want[i]) == 0;
			ok(good, "order: <pad>, <unk>, count desc, then bytes asc");
			if (!good)
				for (size_t i = 0; i < v.n; i++)
					diag("%zu: %s", i, vocab_word(&v, i));
		}
		ok(vocab_find(&v, "<pad>", 5) == 0 && vocab_find(&v, "<unk>", 5) == 1,
		   "<pad> is 0 and <unk> is 1 (data's own <pad>/<unk> folded in)");
		vocab_free(&v);
		vocab_init(&v);
		vocab_freeze(&v, &c, 2, 0);
		is_int((long long)v.n, 5, "min_count 2 keeps a, b, c");
		vocab_free(&v);
		vocab_init(&v);
		vocab_freeze(&v, &c, 1, 4);
		ok(v.n == 4 && strcmp(vocab_word(&v, 3), "b") == 0,
		   "max_size 4 counts <pad> and <unk>, keeps the most frequent");
		vocab_free(&v);
		vocab_free(&v2);
		vocab_free(&c);
		vocab_free(&c2);
	}
}

/* ---- the stage: lookup, forward, sparse backward, gradient check ---- */
static void test_stage(void)
{
	embedding_opts o = {.dim = 3, .min_count = 1};
	void *e = make(&o);
	nlp_err err = {0};
	int32_t ids[16];
	int out_dim = 0, n;
	nlp_rng rng;
	nlp_params p;

	is_int(ids_of(e, "x", ids, 16, &err), -1, "lookup before the vocabulary exists fails");
	observe_text(e, "the cat sat on the mat", &err);
	observe_text(e, "the dog sat", &err);
	ok(ops->setup(e, 0, 2, &out_dim, &err) == NLP_OK && out_dim == 3, "setup: out_dim = dim");
	is_int(observe_text(e, "late", &err), NLP_EINTERNAL, "observe after setup refused");
	n = ids_of(e, "the cat unknown sat", ids, 16, &err);
	ok(n == 4 && ids[0] == 2 && ids[1] != 1 && ids[2] == 1 && ids[3] == 3,
	   "tokens -> ids: the=2, sat=3, unknown=<unk>");
	ops->params(e, &p);
	is_int((long long)p.count, 8 * 3, "table: 8 words x 3");
	ok(p.n_blocks == 1 && p.blocks[0].rows == 8 && p.blocks[0].cols == 3 &&
	           p.blocks[0].decay == 0 && p.blocks[0].touched,
	   "one sparse block, no weight decay");
	nlp_rng_seed(&rng, 5);
	ops->init(e, &rng);
	ok(p.w[0] == 0 && p.w[1] == 0 && p.w[2] == 0 && p.w[3] != 0,
	   "<pad> row is zero, others random");

	/* batch: T=3, B=2; doc0 = [2 5 4], doc1 = [3] + padding */
	{
		int32_t bids[6] = {2, 3, 5, 0, 4, 0};
		int len[2] = {3, 1};
		nlp_batch b = {.B = 2, .T = 3, .ids = bids, .len = len, .training = 1, .rng = &rng};
		nlp_act out, din;
		float R[18], dout[18];
		int good = 1, ntouched;
		double worst = 0;

		ok(ops->forward(e, &out, NULL, &b, &err) == NLP_OK && out.T == 3 && out.B == 2 &&
		           out.D == 3,
		   "forward: 3 x 2 x 3");
		ok(memcmp(out.x, p.w + 2 * 3, 12) == 0 && memcmp(out.x + 3, p.w + 3 * 3, 12) == 0 &&
		           memcmp(out.x + 6, p.w + 5 * 3, 12) == 0 &&
		           memcmp(out.x + 12, p.w + 4 * 3, 12) == 0,
		   "rows looked up, time-major");
		for (int i = 9; i < 12; i++)
			good &= out.x[i] == 0.0f;
		for (int i = 15; i < 18; i++)
			good &= out.x[i] == 0.0f;
		ok(good, "padding steps are zero");
		for (int i = 0; i < 18; i++)
			R[i] = dout[i] = (float)(i + 1) * 0.1f;
		memset(p.g, 0, p.count * sizeof(float));
		ops->backward(e, &din, &(nlp_act){dout, 3, 2, 3}, &b, &err);
		ntouched = p.blocks[0].n_touched;
		is_int(ntouched, 4, "4 distinct rows touched");
		{
			int seen[8] = {0};
			for (int i = 0; i < ntouched; i++)
				seen[p.blocks[0].touched[i]]++;
			ok(seen[2] == 1 && seen[3] == 1 && seen[5] == 1 && seen[4] == 1 &&
			           seen[0] == 0,
			   "touched = {2, 3, 4, 5}, no repeats, never <pad>");
		}
		good = 1;
		for (int r = 0; r < 8; r++)
			if (r < 2 || r > 5)
				for (int d = 0; d < 3; d++)
					good &= p.g[r * 3 + d] == 0.0f;
		ok(good, "untouched rows have no gradient");
		/* finite differences of L = sum(out * R) over the table */
		for (size_t i = 0; i < p.count; i++) {
			float keep = p.w[i], *x;
			double lp = 0, lm = 0, num;
			p.w[i] = keep + (float)GC_EPS;
			b.training = 0;
			ops->forward(e, &out, NULL, &b, &err);
			x = out.x;
			for (int k = 0; k < 18; k++)
				lp += (double)x[k] * R[k];
			p.w[i] = keep - (float)GC_EPS;
			ops->forward(e, &out, NULL, &b, &err);
			for (int k = 0; k < 18; k++)
				lm += (double)out.x[k] * R[k];
			p.w[i] = keep;
			num = (lp - lm) / (2 * GC_EPS);
			if (i < 3)
				num = 0; /* <pad> receives no gradient (padding_idx) */
			if (fabs(num - p.g[i]) > worst)
				worst = fabs(num - p.g[i]);
		}
		{
			char what[100];
			snprintf(what, sizeof what,
			         "gradient check of the table (worst abs err %.2g, tolerance %.0e)",
			         worst, GC_TOL);
			ok(worst <= GC_TOL, what);
		}
		/* a second training forward starts a new touched list */
		b.training = 1;
		bids[0] = 6;
		ops->forward(e, &out, NULL, &b, &err);
		is_int(p.blocks[0].n_touched, 0, "a training forward resets the touched list");
		nlp_optim_zero_grad(&p, 1);
		ops->backward(e, &din, &(nlp_act){dout, 3, 2, 3}, &b, &err);
		ok(p.blocks[0].n_touched == 4 && p.blocks[0].touched[0] == 6, "new rows listed");
		bids[0] = 99;
		is_int(ops->forward(e, &out, NULL, &b, &err), NLP_EDATA,
		       "id outside the vocabulary refused");
		like(err.msg, "token id 99", "the message names the id");
	}
	nn_embedding_class.destroy(e);
}

/* Dropout on the output: gradient check with the mask fixed by the seed. */
static void test_dropout(void)
{
	embedding_opts o = {.dim = 4, .min_count = 1, .dropout = 0.5f};
	void *e = make(&o);
	nlp_err err = {0};
	int out_dim, zeros = 0, len[2] = {2, 2};
	int32_t bids[4] = {2, 3, 3, 2};
	nlp_rng rng;
	nlp_params p;
	nlp_act out;
	float dout[16];
	double worst = 0;

	observe_text(e, "a b a", &err);
	ops->setup(e, 0, 2, &out_dim, &err);
	ops->params(e, &p);
	nlp_rng_seed(&rng, 1);
	ops->init(e, &rng);
	for (int i = 0; i < 16; i++)
		dout[i] = 1.0f + (float)i;
	nlp_batch b = {.B = 2, .T = 2, .ids = bids, .len = len, .training = 1, .rng = &rng};
	nlp_rng_seed(&rng, 42);
	ops->forward(e, &out, NULL, &b, &err);
	for (int i = 0; i < 16; i++)
		zeros += out.x[i] == 0.0f;
	ok(zeros > 0 && zeros < 16, "dropout zeroes some outputs");
	memset(p.g, 0, p.count * sizeof(float));
	ops->backward(e, NULL, &(nlp_act){dout, 2, 2, 4}, &b, &err);
	for (size_t i = 8; i < 16; i++) {
		float keep = p.w[i];
		double lp = 0, lm = 0;
		p.w[i] = keep + (float)GC_EPS;
		nlp_rng_seed(&rng, 42);
		ops->forward(e, &out, NULL, &b, &err);
		for (int k = 0; k < 16; k++)
			lp += (double)out.x[k] * dout[k];
		p.w[i] = keep - (float)GC_EPS;
		nlp_rng_seed(&rng, 42);
		ops->forward(e, &out, NULL, &b, &err);
		for (int k = 0; k < 16; k++)
			lm += (double)out.x[k] * dout[k];
		p.w[i] = keep;
		worst = fmax(worst, fabs((lp - lm) / (2 * GC_EPS) - p.g[i]));
	}
	ok(worst <= GC_TOL * 10, "gradient check through dropout (rows a, b)");
	b.training = 0;
	ops->forward(e, &out, NULL, &b, &err);
	ok(memcmp(out.x, p.w + 2 * 4, 16) == 0, "no dropout at inference");
	nn_embedding_class.destroy(e);
}

/* ---- pretrained vectors ---- */
static char tmpdir[256];

static const char *write_file(const char *name, const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

/* Set up an embedding of dim 2 over "cat dog cat" with a .vec file. */
static int with_vec(const char *text, int freeze, void **out, nlp_err *err)
{
	embedding_opts o = {.dim = 2, .min_count = 1, .freeze = freeze};
	int out_dim, rc;

	o.pretrained = write_file("v.vec", text);
	*out = make(&o);
	observe_text(*out, "cat dog cat bird", err);
	rc = ops->setup(*out, 0, 2, &out_dim, err);
	return rc;
}

static void test_vec(void)
{
	nlp_err err = {0};
	void *e;
	nlp_params p;
	nlp_rng rng;
	struct {
		const char *text, *what, *msg;
	} bad[] = {
	        {"3 5\ncat 1 2\n", "header dimension mismatch",
	         "v.vec:1: the header says the vectors have 5 dimensions, but the embedding's dim "
	         "is 2"},
	        {"cat 1 2 3\n", "dimension mismatch without header",
	         "v.vec:1: 3 numbers after the word \"cat\", expected 2"},
	        {"2 2\ncat 1 2\ndog 1 x2\n", "malformed number",
	         "v.vec:3: \"x2\" is not a finite number"},
	        {"cat 1 2\n\ndog 1\n", "short line",
	         "v.vec:3: 1 numbers after the word \"dog\", expected 2"},
	        {"cat 1 nan\n", "NaN", "v.vec:1: \"nan\" is not a finite number"},
	        {"cat 1 1e99\n", "overflow", "v.vec:1: \"1e99\" is not a finite number"},
	        {"", "empty file", "v.vec: no vectors in the file"},
	        {"2 2\n", "header only", "v.vec: no vectors in the file"},
	};

	/* header, CRLF, trailing spaces, a word not in the vocabulary, a dup */
	ok(with_vec("4 2\r\ncat 0.5 -1.5 \r\nfish 9 9\r\ndog 2e-1 3\ncat 7 7\n", 0, &e, &err) ==
	           NLP_OK,
	   "word2vec .vec with header, CRLF and trailing blanks loads");
	if (err.msg[0])
		diag("%s", err.msg);
	ops->params(e, &p);
	nlp_rng_seed(&rng, 3);
	ops->init(e, &rng);
	/* vocab: <pad> <unk> cat bird dog */
	ok(p.w[4] == 0.5f && p.w[5] == -1.5f && p.w[8] == 0.2f && p.w[9] == 3.0f,
	   "pretrained rows copied (first occurrence wins)");
	ok(p.w[6] != 0.0f && p.w[0] == 0.0f, "other rows random, <pad> zero");
	ok(p.n_blocks == 1, "not frozen: trainable");
	nn_embedding_class.destroy(e);

	ok(with_vec("dog 1 2\ncat 3 4\n", 1, &e, &err) == NLP_OK, "GloVe style (no header) loads");
	ops->params(e, &p);
	ok(p.w[4] == 3.0f && p.w[8] == 1.0f, "vectors placed by word");
	is_int(p.n_blocks, 0, "freeze: no block for the optimizer");
	{
		int32_t bids[1] = {2};
		int len[1] = {1};
		nlp_batch b = {.B = 1, .T = 1, .ids = bids, .len = len, .training = 1, .rng = &rng};
		nlp_act out;
		float d[2] = {1, 1};
		memset(p.g, 0, p.count * sizeof(float));
		ops->forward(e, &out, NULL, &b, &err);
		ok(ops->backward(e, NULL, &(nlp_act){d, 1, 1, 2}, &b, &err) == NLP_OK &&
		           p.g[4] == 0,
		   "freeze: backward adds no gradient");
	}
	nn_embedding_class.destroy(e);

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char what[120];
		int rc = with_vec(bad[i].text, 0, &e, &err);
		snprintf(what, sizeof what, ".vec %s: NLP_EDATA", bad[i].what);
		is_int(rc, NLP_EDATA, what);
		snprintf(what, sizeof what, ".vec %s: message names file and line", bad[i].what);
		like(err.msg, bad[i].msg, what);
		nn_embedding_class.destroy(e);
	}
	{
		/* random garbage: a clear result every time, never a crash */
		const char alpha[] = "cat dog 1 2 . - e+ \t\r\n\n 3 4 x";
		nlp_rng g;
		int clean = 1;
		nlp_rng_seed(&g, 77);
		for (int k = 0; k < 300; k++) {
			char text[80];
			int n = (int)(nlp_rng_next(&g) % 79), rc;
			for (int i = 0; i < n; i++)
				text[i] = alpha[nlp_rng_next(&g) % (sizeof alpha - 1)];
			text[n] = '\0';
			err.msg[0] = '\0';
			rc = with_vec(text, 0, &e, &err);
			if (rc != NLP_OK && (rc != NLP_EDATA || !strstr(err.msg, "v.vec"))) {
				diag("rc %d for \"%s\": %s", rc, text, err.msg);
				clean = 0;
			}
			nn_embedding_class.destroy(e);
		}
		ok(clean, "300 random .vec files: loaded or NLP_EDATA naming the file");
	}
	{
		embedding_opts o = {.dim = 2, .min_count = 1, .pretrained = "/nonexistent/x.vec"};
		int out_dim;
		e = make(&o);
		observe_text(e, "cat", &err);
		is_int(ops->setup(e, 0, 2, &out_dim, &err), NLP_EIO, "missing .vec: NLP_EIO");
		like(err.msg, "/nonexistent/x.vec", "message names the file");
		nn_embedding_class.destroy(e);
	}
}

/* ---- saved vocabulary ---- */
static void test_save_load(void)
{
	embedding_opts o = {.dim = 3, .min_count = 1, .pretrained = "/nonexistent.vec"};
	embedding_opts o4 = {.dim = 4, .min_count = 1};
	void *e = NULL, *e2 = NULL;
	nlp_err err = {0};
	nlp_buf buf = {0};
	nlp_cursor cur;
	int out_dim, trunc_ok = 1;
	int32_t a[8], b2[8];
	const char *text = "zeta alpha beta unseen alpha";

	o.pretrained = NULL;
	e = make(&o);
	observe_text(e, "alpha beta gamma alpha zeta zeta zeta", &err);
	ops->setup(e, 0, 2, &out_dim, &err);
	ok(ops->save(e, &buf, &err) == NLP_OK, "vocabulary saves");

	/* a worker instance: load only, no setup, then lookups */
	o.pretrained = "/nonexistent.vec"; /* a loaded stage never reads it */
	e2 = make(&o);
	cur = (nlp_cursor){buf.data, buf.data + buf.len};
	ok(ops->load(e2, &cur, &err) == NLP_OK && cur.p == cur.end, "vocabulary loads");
	ok(ids_of(e, text, a, 8, &err) == 5 && ids_of(e2, text, b2, 8, &err) == 5 &&
	           memcmp(a, b2, sizeof(int32_t) * 5) == 0,
	   "a loaded instance maps tokens like the original");
	ok(ops->setup(e2, 0, 2, &out_dim, &err) == NLP_OK, "setup after load ignores pretrained");
	nn_embedding_class.destroy(e2);

	for (size_t cut = 0; cut < buf.len; cut++) {
		e2 = make(&o);
		cur = (nlp_cursor){buf.data, buf.data + cut};
		if (ops->load(e2, &cur, &err) != NLP_EDATA)
			trunc_ok = 0;
		nn_embedding_class.destroy(e2);
	}
	ok(trunc_ok, "truncated vocabulary at every offset: NLP_EDATA");
	e2 = make(&o4);
	cur = (nlp_cursor){buf.data, buf.data + buf.len};
	is_int(ops->load(e2, &cur, &err), NLP_EDATA, "dim mismatch: NLP_EDATA");
	like(err.msg, "3 dimensions but dim = 4", "message says both");
	nn_embedding_class.destroy(e2);
	/* duplicate word */
	{
		nlp_buf d = {0};
		nlp_buf_put_u32(&d, 1);
		nlp_buf_put_u32(&d, 3);
		nlp_buf_put_u32(&d, 4);
		nlp_buf_put_str(&d, "<pad>");
		nlp_buf_put_str(&d, "<unk>");
		nlp_buf_put_str(&d, "x");
		nlp_buf_put_str(&d, "x");
		e2 = make(&o);
		cur = (nlp_cursor){d.data, d.data + d.len};
		is_int(ops->load(e2, &cur, &err), NLP_EDATA, "duplicate word: NLP_EDATA");
		nn_embedding_class.destroy(e2);
		free(d.data);
	}
	nn_embedding_class.destroy(e);
	free(buf.data);

	/* saved before setup (a worker made during observe): loads as "no
	 * vocabulary yet" */
	e = make(&o);
	e2 = make(&o);
	buf = (nlp_buf){0};
	ok(ops->save(e, &buf, &err) == NLP_OK, "state saves before setup");
	cur = (nlp_cursor){buf.data, buf.data + buf.len};
	ok(ops->load(e2, &cur, &err) == NLP_OK, "and loads");
	is_int(ids_of(e2, "a", a, 8, &err), -1, "such a copy has no vocabulary to look up");
	nn_embedding_class.destroy(e);
	nn_embedding_class.destroy(e2);
	free(buf.data);

	/* empty vocabulary after min_count */
	o.min_count = 5;
	o.pretrained = NULL;
	e = make(&o);
	observe_text(e, "a b c", &err);
	is_int(ops->setup(e, 0, 2, &out_dim, &err), NLP_EDATA,
	       "nothing reaches min_count: NLP_EDATA");
	like(err.msg, "min_count = 5", "the message names min_count");
	nn_embedding_class.destroy(e);
}

/* One training forward and backward of the stage at `threads` (OpenBLAS's
 * count, which the stage's loops follow): the output, the table's gradient
 * and the touched rows. */
static void run_threads(void *e, const nlp_params *p, const nlp_batch *b, const float *dout,
                        int threads, float *out, float *g, int32_t *touched, int *n_touched)
{
	nlp_err err = {0};
	nlp_act o, din;
	nlp_rng rng;
	nlp_batch bb = *b;
	const size_t n = (size_t)b->T * b->B * 96;

	nlp_blas_threads(threads);
	if (openblas_get_num_threads() != threads)
		diag("OpenBLAS runs %d threads, not %d: the split is not tested",
		     openblas_get_num_threads(), threads);
	nlp_rng_seed(&rng, 11);
	bb.rng = &rng;
	memset(p->g, 0, p->count * sizeof(float));
	if (ops->forward(e, &o, NULL, &bb, &err) ||
	    ops->backward(e, &din, &(nlp_act){(float *)dout, b->T, b->B, 96}, &bb, &err))
		diag("embedding at %d threads: %s", threads, err.msg);
	memcpy(out, o.x, n * sizeof(float));
	memcpy(g, p->g, p->count * sizeof(float));
	*n_touched = p->blocks[0].n_touched;
	memcpy(touched, p->blocks[0].touched, (size_t)*n_touched * sizeof *touched);
	nlp_blas_threads(1);
}

/* The lookup and the gradient split over threads (by steps, by table rows):
 * the same bits as one thread, rows hit many times in the batch included;
 * and the layer's row parts, run in any order, are embedding_backward. */
static void test_threads(void)
{
	enum { T = 64, B = 16, D = 96, N = T * B * D };
	embedding_opts o = {.dim = D, .min_count = 1, .dropout = 0.25f};
	void *e = make(&o);
	nlp_err err = {0};
	static int32_t ids[T * B], touched[2][64];
	static float dout[N], out[2][N], g[2][64 * D], ref[64 * D];
	static unsigned char mark[64];
	int len[B], out_dim, nt[2], n_ref = 0;
	int32_t t_ref[64];
	nlp_rng rng;
	nlp_params p;

	observe_text(e, "a b c d e f g h i j k l m n o p q r s t u v w x y z", &err);
	ops->setup(e, 0, 2, &out_dim, &err);
	ops->params(e, &p);
	nlp_rng_seed(&rng, 3);
	ops->init(e, &rng);
	for (int b = 0; b < B; b++)
		len[b] = T - 3 * b;
	for (int i = 0; i < T * B; i++)
		ids[i] = i / B < len[i % B]
		                 ? (int32_t)(nlp_rng_next(&rng) % (uint64_t)p.blocks[0].rows)
		                 : 0;
	for (int i = 0; i < N; i++)
		dout[i] = nlp_rng_normal(&rng);
	nlp_batch b = {.B = B, .T = T, .ids = ids, .len = len, .training = 1};
	run_threads(e, &p, &b, dout, 1, out[0], g[0], touched[0], &nt[0]);
	run_threads(e, &p, &b, dout, 3, out[1], g[1], touched[1], &nt[1]);
	ok(memcmp(out[0], out[1], sizeof out[0]) == 0,
	   "3 threads: output (dropout on) bit-identical to 1 thread's");
	ok(memcmp(g[0], g[1], p.count * sizeof(float)) == 0,
	   "3 threads: table gradient bit-identical to 1 thread's");
	ok(nt[0] == nt[1] && nt[0] > 20 && memcmp(touched[0], touched[1], sizeof touched[0]) == 0,
	   "3 threads: the same touched rows in the same order");

	/* the layer: parts 2, 0, 1 of 3 = embedding_backward */
	memset(ref, 0, sizeof ref);
	embedding_backward(ref, t_ref, &n_ref, mark, dout, NULL, ids, len, T, B, D);
	memset(g[0], 0, sizeof g[0]);
	for (int k = 2, i = 0; i < 3; i++, k = (k + 1) % 3)
		embedding_backward_rows(g[0], dout, NULL, ids, len, T, B, D, k, 3);
	ok(memcmp(ref, g[0], sizeof ref) == 0,
	   "embedding_backward_rows: 3 parts in any order = embedding_backward, bit for bit");
	nn_embedding_class.destroy(e);
}

int main(void)
{
	const char *t = getenv("TMPDIR");

	nlp_numerics_init();
	ops = nn_embedding_class.train;
	snprintf(tmpdir, sizeof tmpdir, "%s/t_embedding.XXXXXX", t ? t : "/tmp");
	if (!mkdtemp(tmpdir)) {
		printf("not ok 1 - mkdtemp %s\n", tmpdir);
		return 1;
	}
	test_vocab();
	test_stage();
	test_dropout();
	test_threads();
	test_vec();
	test_save_load();
	{
		char path[512];
		snprintf(path, sizeof path, "%s/v.vec", tmpdir);
		unlink(path);
		rmdir(tmpdir);
	}
	return done_testing();
}
