/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_bag.c - the bag stage: the n-gram hash (fixed values: models depend on
 * it), features (words, word and character n-grams, binary), NB weights,
 * finite-difference gradient checks with and without NB weights and with
 * dropout, the save/load round trip, and refused options. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nlpipe/optim.h>
#include <nlpipe/train.h>

#include "models/bag.h"
#include "preprocess/toks.h"
#include "tap.h"

#define GC_EPS 1e-2
#define GC_TOL 1e-3

static const nlp_train_ops *ops;

static int observe(void *g, const char *text, int label)
{
	nlp_tokens t = {0};
	nlp_doc d = {.name = "doc", .in = &t, .label = label};
	nlp_err err = {0};
	int rc;

	toks_from(&t, text);
	rc = ops->observe(g, &d, &err);
	nlp_tokens_free(&t);
	return rc;
}

/* ids of a text through process(); returns their number (-1: failed). */
static int ids_of(void *g, const char *text, int32_t *ids, int max)
{
	return toks_ids(&nn_bag_class, g, text, ids, max, &(nlp_err){0});
}

static void *make(const bag_opts *o)
{
	void *g = NULL;
	nlp_err err = {0};

	if (bag_new(&g, "bag", o, &err)) {
		diag("bag_new: %s", err.msg);
		exit(1);
	}
	return g;
}

static const char *const corpus[][2] = {
        {"good movie very good", "1"}, {"not good at all", "0"}, {"bad movie", "0"},
        {"very bad not good", "0"},    {"good fun", "1"},        {"fun movie", "1"},
};

static void *trained(bag_opts *o, int *out_dim)
{
	void *g = make(o);
	nlp_err err = {0};
	nlp_rng rng;

	for (size_t i = 0; i < sizeof corpus / sizeof *corpus; i++)
		observe(g, corpus[i][0], corpus[i][1][0] - '0');
	if (ops->setup(g, 0, 2, out_dim, &err)) {
		diag("setup: %s", err.msg);
		exit(1);
	}
	nlp_rng_seed(&rng, 3);
	ops->init(g, &rng);
	return g;
}

static void test_hash(void)
{
	bag_opts o = {.dim = 2, .ngrams = 3, .buckets = 1000, .min_count = 1};
	int32_t ids[32];
	void *g;
	int out_dim, n, V;

	ok(bag_fnv1a("", 0, BAG_FNV_OFFSET) == 0xcbf29ce484222325ULL &&
	           bag_fnv1a("a", 1, BAG_FNV_OFFSET) == 0xaf63dc4c8601ec8cULL &&
	           bag_fnv1a("foobar", 6, BAG_FNV_OFFSET) == 0x85944171f73967e8ULL,
	   "FNV-1a 64: the published test values");
	g = make(&o);
	observe(g, "good movie", -1);
	ops->setup(g, 0, 2, &out_dim, &(nlp_err){0});
	V = 4; /* <pad> <unk> good movie */
	n = ids_of(g, "good movie", ids, 32);
	ok(n == 3 && ids[0] >= 2 && ids[1] >= 2 && ids[2] == V + 111,
	   "good movie: two words, then the bigram in bucket 111 (fixed)");
	n = ids_of(g, "movie good", ids, 32);
	ok(n == 3 && ids[2] == V + 877, "movie good: bucket 877, the order matters");
	n = ids_of(g, "not good movie", ids, 32);
	ok(n == 5 && ids[0] >= 2 && ids[1] >= 2 && ids[3] == V + 111 && ids[4] == V + 609,
	   "not good movie: unknown word dropped, its n-grams kept; trigram in bucket 609");
	nn_bag_class.destroy(g);

	o = (bag_opts){
	        .dim = 2, .ngrams = 1, .minn = 2, .maxn = 2, .buckets = 1000, .min_count = 1};
	g = make(&o);
	observe(g, "x", -1);
	ops->setup(g, 0, 2, &out_dim, &(nlp_err){0});
	n = ids_of(g, "ab", ids, 32);
	ok(n == 3 && ids[0] == 3 + 782, "character bigrams of <ab>: 3 of them, <a in bucket 782");
	n = ids_of(g, "\xc3\xa9", ids, 32);
	ok(n == 2 && ids[0] == 3 + 987, "<é>: n-grams of code points, <é in bucket 987");
	nn_bag_class.destroy(g);
	o.minn = 1;
	o.maxn = 1;
	g = make(&o);
	observe(g, "x", -1);
	ops->setup(g, 0, 2, &out_dim, &(nlp_err){0});
	is_int(ids_of(g, "ab", ids, 32), 2, "character unigrams: not the lone marks < and >");
	nn_bag_class.destroy(g);
}

static void test_features(void)
{
	bag_opts o = {.dim = 2, .ngrams = 2, .buckets = 50, .min_count = 1, .binary = 1};
	int32_t ids[32];
	int out_dim, n, dup = 0;
	void *g = make(&o);

	is_int(ids_of(g, "x", ids, 32), -1, "lookup before the vocabulary exists fails");
	observe(g, "a b", -1);
	ok(ops->setup(g, 0, 2, &out_dim, &(nlp_err){0}) == NLP_OK && out_dim == 2,
	   "setup: out_dim = dim");
	is_int(observe(g, "late", -1), NLP_EINTERNAL, "observe after setup refused");
	n = ids_of(g, "a b a b a", ids, 32);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < i; j++)
			dup |= ids[i] == ids[j];
	ok(n == 4 && !dup, "binary: a, b, a_b, b_a once each");
	nn_bag_class.destroy(g);
	o.binary = 0;
	o.max_tokens = 2;
	g = make(&o);
	observe(g, "a b", -1);
	ops->setup(g, 0, 2, &out_dim, &(nlp_err){0});
	is_int(ids_of(g, "a b a b a", ids, 32), 3, "max_tokens = 2: a, b, a_b");
	nn_bag_class.destroy(g);
}

static void test_nb(void)
{
	bag_opts o = {.dim = 2, .ngrams = 1, .buckets = 10, .min_count = 1, .nb = 1, .nb_alpha = 1};
	int32_t ids[8];
	int out_dim;
	void *g = trained(&o, &out_dim);
	const float *w = bag_weights(g);
	float fun, movie, pad;

	ok(w != NULL, "nb = on: weights after setup");
	ids_of(g, "fun", ids, 8);
	fun = w[ids[0]];
	ids_of(g, "movie", ids, 8);
	movie = w[ids[0]];
	pad = w[0];
	ok(fun > movie && movie >= 0 && pad == 0,
	   "a word of one class weighs more than one of both; <pad> 0");
	diag("weights: fun %.4f movie %.4f", fun, movie);
	nn_bag_class.destroy(g);

	/* three classes, the third seen last: the counts grow a column */
	g = make(&o);
	observe(g, "red blue", 0);
	observe(g, "red green", 1);
	observe(g, "blue green", 0);
	observe(g, "gold blue", 2);
	observe(g, "gold red", 2);
	ok(ops->setup(g, 0, 3, &out_dim, &(nlp_err){0}) == NLP_OK, "three classes: setup");
	w = bag_weights(g);
	{
		float gold, red;
		ids_of(g, "gold", ids, 8);
		gold = w[ids[0]];
		ids_of(g, "red", ids, 8);
		red = w[ids[0]];
		ok(gold > red && red >= 0,
		   "one-vs-rest: a word of the third class only weighs more than one of all three");
		diag("weights: gold %.4f red %.4f", gold, red);
	}
	nn_bag_class.destroy(g);
	g = make(&o);
	observe(g, "fun", -1);
	{
		nlp_err err = {0};
		is_int(ops->setup(g, 0, 2, &out_dim, &err), NLP_EINTERNAL,
		       "nb = on without labelled documents: refused");
		like(err.msg, "labelled", "and said");
	}
	nn_bag_class.destroy(g);
}

/* idf: each row weighs 1 + ln((1 + N) / (1 + n)), N the labelled documents,
 * n those holding the feature (words and buckets alike); with nb too, the
 * product of the two weights.  A state saved with idf loads only with it. */
static void test_idf(void)
{
	bag_opts o = {.dim = 2, .ngrams = 2, .buckets = 97, .min_count = 1, .idf = 1};
	const char *docs[] = {"red blue", "red green", "red blue", "gold"};
	int32_t ids[8];
	int out_dim;
	void *g = make(&o), *h, *k;
	const float *w;
	double want_red = 1.0 + log(5.0 / 4.0), want_gold = 1.0 + log(5.0 / 2.0);
	double want_bi = 1.0 + log(5.0 / 3.0); /* "red blue": 2 documents */
	nlp_buf st = {0};
	nlp_cursor c;
	nlp_err err = {0};

	for (int i = 0; i < 4; i++)
		observe(g, docs[i], i % 2);
	observe(g, "red red red", -1); /* unlabelled: not counted */
	ok(ops->setup(g, 0, 2, &out_dim, &err) == NLP_OK, "idf: setup");
	w = bag_weights(g);
	ok(w != NULL, "idf = true: weights after setup");
	if (!w)
		return;
	ids_of(g, "red", ids, 8);
	ok(fabs(w[ids[0]] - want_red) < 1e-6, "a word in 3 of 4 documents: 1 + ln(5/4)");
	ids_of(g, "gold", ids, 8);
	ok(fabs(w[ids[0]] - want_gold) < 1e-6, "a word in 1 of 4: 1 + ln(5/2)");
	is_int(ids_of(g, "red blue", ids, 8), 3, "red blue: two words and their bigram");
	ok(fabs(w[ids[2]] - want_bi) < 1e-6, "the bigram in 2 of 4: 1 + ln(5/3)");
	diag("weights: red %.6f gold %.6f red_blue %.6f", w[ids[0]], want_gold, w[ids[2]]);
	ok(w[0] == 0.0f, "<pad> weighs 0");

	/* with nb: the product (the NB weight taken from a table without idf) */
	o.nb = 1;
	o.nb_alpha = 1;
	h = make(&o);
	o.idf = 0;
	k = make(&o);
	for (int i = 0; i < 4; i++) {
		observe(h, docs[i], i % 2);
		observe(k, docs[i], i % 2);
	}
	ok(!ops->setup(h, 0, 2, &out_dim, &err) && !ops->setup(k, 0, 2, &out_dim, &err),
	   "nb and idf, nb alone: setup");
	ids_of(h, "gold", ids, 8);
	ok(fabs(bag_weights(h)[ids[0]] - bag_weights(k)[ids[0]] * want_gold) < 1e-5,
	   "nb and idf: the NB weight times the IDF weight");

	/* a state with weights refuses to load without idf or nb */
	ok(ops->save(g, &st, &err) == NLP_OK, "idf: save");
	nn_bag_class.destroy(k);
	o.nb = 0;
	k = make(&o);
	c = (nlp_cursor){st.data, st.data + st.len};
	is_int(ops->load(k, &c, &err), NLP_EDATA,
	       "a state with idf weights, loaded with idf = false: refused");
	like(err.msg, "idf = false", "and the message names the option");
	nn_bag_class.destroy(k);
	o.idf = 1;
	k = make(&o);
	c = (nlp_cursor){st.data, st.data + st.len};
	ok(ops->load(k, &c, &err) == NLP_OK && c.p == c.end, "loaded with idf = true");
	ids_of(k, "gold", ids, 8);
	ok(bag_weights(k) && bag_weights(k)[ids[0]] == bag_weights(g)[ids[0]],
	   "the loaded weights are the saved ones");
	free(st.data);
	nn_bag_class.destroy(k);
	nn_bag_class.destroy(h);
	nn_bag_class.destroy(g);
}

/* L = sum(out * R) for the current table. */
static double loss_of(void *g, nlp_batch *b, const float *R, int n, nlp_rng *rng, uint64_t seed)
{
	nlp_act out;
	double l = 0;

	nlp_rng_seed(rng, seed);
	ops->forward(g, &out, NULL, b, &(nlp_err){0});
	for (int k = 0; k < n; k++)
		l += (double)out.x[k] * R[k];
	return l;
}

/* Finite differences over every parameter against backward. */
static void gradcheck(bag_opts *o, const char *what)
{
	int out_dim;
	void *g = trained(o, &out_dim);
	int32_t ids[256], d0[128], d1[128];
	int n0 = ids_of(g, "good movie very good", d0, 128), n1 = ids_of(g, "not fun", d1, 128);
	int T = n0 > n1 ? n0 : n1, len[2] = {n0, n1}, D = o->dim;
	nlp_rng rng;
	nlp_params p;
	nlp_act out;
	float R[16];
	double worst = 0;
	char name[160];

	for (int t = 0; t < T; t++) {
		ids[t * 2] = t < n0 ? d0[t] : 0;
		ids[t * 2 + 1] = t < n1 ? d1[t] : 0;
	}
	nlp_batch b = {.B = 2, .T = T, .ids = ids, .len = len, .training = 1, .rng = &rng};
	for (int k = 0; k < 2 * D; k++)
		R[k] = 0.3f * (float)(k + 1) - 1.0f;
	ops->params(g, &p);
	nlp_rng_seed(&rng, 9);
	ops->forward(g, &out, NULL, &b, &(nlp_err){0});
	ok(n0 <= 128 && n1 <= 128 && out.T == 1 && out.B == 2 && out.D == D, "forward: B x dim");
	nlp_optim_zero_grad(&p, 1);
	memset(p.g, 0, p.count * sizeof *p.g);
	ops->backward(g, NULL, &(nlp_act){R, 1, 2, D}, &b, &(nlp_err){0});
	{
		/* every row with gradient is listed once, in its block */
		int listed = 1, nt = 0;
		for (int k = 0; k < p.n_blocks; k++) {
			const nlp_param_block *bk = &p.blocks[k];
			for (int r = 0; r < bk->rows; r++) {
				int nz = 0, in = 0;
				const float *gr = p.g + bk->offset + (size_t)r * (size_t)D;
				for (int d = 0; d < D; d++)
					nz |= gr[d] != 0.0f;
				for (int i = 0; i < bk->n_touched; i++)
					in += bk->touched[i] == r;
				listed &= in <= 1 && (!nz || in == 1);
			}
			nt += bk->n_touched;
		}
		ok(listed && nt > 0 && p.n_blocks == 2 &&
		           (size_t)p.blocks[0].rows == p.blocks[1].offset / (size_t)D,
		   "rows with gradient listed once, in the words' or the buckets' block");
	}
	for (size_t i = 0; i < p.count; i++) {
		float keep = p.w[i];
		double lp, lm, num;
		p.w[i] = keep + (float)GC_EPS;
		lp = loss_of(g, &b, R, 2 * D, &rng, 9);
		p.w[i] = keep - (float)GC_EPS;
		lm = loss_of(g, &b, R, 2 * D, &rng, 9);
		p.w[i] = keep;
		num = (lp - lm) / (2 * GC_EPS);
		if (fabs(num - p.g[i]) > worst)
			worst = fabs(num - p.g[i]);
	}
	snprintf(name, sizeof name, "%s: gradient check of the table (worst %.2g, tolerance %.0e)",
	         what, worst, GC_TOL);
	ok(worst <= GC_TOL, name);
	nn_bag_class.destroy(g);
}

static void test_roundtrip(void)
{
	bag_opts o = {.dim = 3,
	              .ngrams = 2,
	              .minn = 2,
	              .maxn = 3,
	              .buckets = 64,
	              .min_count = 1,
	              .nb = 1,
	              .nb_alpha = 0.5};
	int out_dim, out_dim2, n, n2, same;
	void *g = trained(&o, &out_dim), *h = make(&o);
	nlp_buf st = {0};
	nlp_cursor c;
	nlp_params p, q;
	int32_t ids[64], ids2[64];
	nlp_err err = {0};
	nlp_rng rng;

	ok(ops->save(g, &st, &err) == NLP_OK, "save");
	c = (nlp_cursor){st.data, st.data + st.len};
	ok(ops->load(h, &c, &err) == NLP_OK && c.p == c.end, "load reads all of it");
	/* a worker's copy: loaded, never set up */
	n = ids_of(g, "good fun unknown", ids, 64);
	n2 = ids_of(h, "good fun unknown", ids2, 64);
	ok(n > 0 && n == n2 && !memcmp(ids, ids2, (size_t)n * sizeof *ids),
	   "a loaded copy gives the same ids before setup");
	ok(ops->setup(h, 0, 2, &out_dim2, &err) == NLP_OK && out_dim2 == out_dim,
	   "setup after load");
	ops->params(g, &p);
	ops->params(h, &q);
	ok(p.count == q.count, "same table size");
	memcpy(q.w, p.w, p.count * sizeof *p.w);
	n = ids_of(g, "good fun unknown", ids, 64);
	n2 = ids_of(h, "good fun unknown", ids2, 64);
	ok(n > 0 && n == n2 && !memcmp(ids, ids2, (size_t)n * sizeof *ids), "same ids");
	{
		int len[1] = {n};
		nlp_batch b = {.B = 1, .T = n, .ids = ids, .len = len, .rng = &rng};
		nlp_act a1, a2;
		ops->forward(g, &a1, NULL, &b, &err);
		ops->forward(h, &a2, NULL, &b, &err);
		same = !memcmp(a1.x, a2.x, 3 * sizeof(float));
		ok(same, "identical outputs after the round trip");
	}
	for (size_t cut = 0; cut < st.len; cut += 7) {
		void *k = make(&o);
		c = (nlp_cursor){st.data, st.data + cut};
		if (ops->load(k, &c, &err) == NLP_OK && cut > 40) {
			ok(0, "a truncated state loads");
			diag("cut at %zu of %zu", cut, st.len);
			nn_bag_class.destroy(k);
			break;
		}
		nn_bag_class.destroy(k);
	}
	ok(1, "truncated states are refused");
	{
		bag_opts o2 = o;
		void *k;
		o2.buckets = 65;
		k = make(&o2);
		c = (nlp_cursor){st.data, st.data + st.len};
		is_int(ops->load(k, &c, &err), NLP_EDATA, "a state of other options refused");
		nn_bag_class.destroy(k);
	}
	free(st.data);
	nn_bag_class.destroy(g);
	nn_bag_class.destroy(h);
}

static void test_options(void)
{
	static const struct {
		bag_opts o;
		const char *msg;
	} bad[] = {
	        {{.dim = 4, .ngrams = 2, .minn = 5, .maxn = 3, .buckets = 10},
	         "minn = 5, maxn = 3"},
	        {{.dim = 4, .ngrams = 2, .minn = 3, .maxn = 0, .buckets = 10}, "without maxn"},
	        {{.dim = 4, .ngrams = 2, .minn = 0, .maxn = 4, .buckets = 10}, "1 <= minn"},
	        {{.dim = 0, .ngrams = 2, .buckets = 10}, "dim = 0"},
	        {{.dim = 4, .ngrams = 9, .buckets = 10}, "ngrams = 9"},
	        {{.dim = 4, .ngrams = 2, .buckets = 0}, "buckets = 0"},
	        {{.dim = 4, .ngrams = 2, .buckets = 10, .nb = 1, .nb_alpha = 0}, "nb_alpha"},
	};

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		void *g = NULL;
		nlp_err err = {0};
		char name[120];
		snprintf(name, sizeof name, "refused: %s", bad[i].msg);
		is_int(bag_new(&g, "bag", &bad[i].o, &err), NLP_ECONFIG, name);
		like(err.msg, bad[i].msg, "the message names it");
	}
}

int main(void)
{
	ops = nn_bag_class.train;
	test_hash();
	test_features();
	test_nb();
	test_idf();
	{
		bag_opts o = {
		        .dim = 3, .ngrams = 2, .minn = 2, .maxn = 3, .buckets = 8, .min_count = 1};
		gradcheck(&o, "mean");
		o.nb = 1;
		o.nb_alpha = 1;
		gradcheck(&o, "NB-weighted mean");
		o.dropout = 0.5f;
		gradcheck(&o, "NB-weighted mean with dropout");
		o.dropout = 0.0f;
		o.idf = 1;
		gradcheck(&o, "NB- and IDF-weighted mean");
	}
	test_roundtrip();
	test_options();
	return done_testing();
}
