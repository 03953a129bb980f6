/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_next_token.c - the language model's head `next_token` (models/next_token.c)
 * through its class's ops:
 *  - full softmax: finite-difference gradients of the mean cross-entropy with
 *    respect to the input, the bias and the output matrix, own or tied (the
 *    tied gradient is added into the table's gradient); steps past len and
 *    without a next token take no part;
 *  - evaluation: probabilities that sum to 1, zero rows past len, the loss
 *    against a double-precision computation;
 *  - PyTorch 1.13's F.cross_entropy on the same logits (tests/ref/next_token.py):
 *    loss, probabilities, input, weight and bias gradients;
 *  - the sampled softmax: with samples >= V it is the full softmax; with
 *    fewer, its loss is near the full one and its mean input gradient points
 *    the full gradient's way; SGD on it lowers the full loss;
 *  - tie width mismatch: NLP_ECONFIG naming both widths; the saved state;
 *  - the embedding's token op; the classes' kinds (an encoder's produces_for)
 *    and next_token's options read from INI text;
 *  - learning: an lstm (pooling none, carry) and next_token, trained with
 *    plain SGD on a sequence whose next token needs the one before, reach a
 *    cross-entropy under 0.1 nats.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nlpipe/nlpipe.h>
#include <nlpipe/train.h>

#include "models/embedding.h"
#include "models/next_token.h"
#include "models/recurrent.h"
#include "ref/layers_fixture.h"

#define EPS 1e-3

static const nlp_train_ops *ops(void)
{
	return nn_next_token_class.train;
}

static char name_[300];
#define NAME(...) (snprintf(name_, sizeof name_, __VA_ARGS__), name_)

static void check_rc(int rc, const nlp_err *err, const char *what)
{
	if (rc != NLP_OK) {
		printf("Bail out! %s: %s\n", what, err->msg);
		exit(1);
	}
}

static void *make_head(int tie, int sampled, int samples, float dropout, int V, int H, nlp_rng *rng)
{
	next_token_opts o = {.tie = tie,
	                     .dropout = dropout,
	                     .sampled = sampled,
	                     .samples = samples > 0 ? samples : 1};
	void *h = NULL;
	nlp_err err = {0};
	int out_dim = 0;
	check_rc(next_token_new(&h, "lm", &o, &err), &err, "next_token_new");
	check_rc(ops()->setup(h, H, V, &out_dim, &err), &err, "setup");
	if (rng)
		ops()->init(h, rng);
	return h;
}

/* A head with the sampled softmax and the parameters of src. */
static void *sampled_like(void *src, int samples, int V, int H)
{
	void *h = make_head(0, 1, samples, 0.0f, V, H, NULL);
	nlp_params ps, ph;
	ops()->params(src, &ps);
	ops()->params(h, &ph);
	memcpy(ph.w, ps.w, ps.count * sizeof(float));
	return h;
}

static void fill_normal(float *x, int n, nlp_rng *r)
{
	for (int i = 0; i < n; i++)
		x[i] = nlp_rng_normal(r);
}

/* A batch of T x B steps: stream 1 shorter, one step without a next token. */
enum { T = 3, B = 2 };
static const int lens[B] = {3, 2};

static void make_batch(nlp_batch *b, int32_t *next, int V, int training, nlp_rng *rng)
{
	memset(b, 0, sizeof *b);
	for (int i = 0; i < T * B; i++)
		next[i] = (int32_t)((i * 7 + 3) % V);
	next[1 * B + 0] = -1; /* no next token there */
	next[2 * B + 1] = 0;  /* past len: ignored */
	b->B = B;
	b->T = T;
	b->len = lens;
	b->next_ids = next;
	b->training = training;
	b->rng = rng;
}

static double loss_of(void *h, const float *x, int H, const nlp_batch *b)
{
	nlp_act in = {.x = (float *)x, .T = T, .B = B, .D = H}, out;
	nlp_err err = {0};
	double L = 0;
	check_rc(ops()->forward(h, &out, &in, b, &err), &err, "forward");
	check_rc(ops()->loss(h, &L, b, &err), &err, "loss");
	return L;
}

/* Worst |fd - an| / max(1, |an|) over the n values v[] whose analytic
 * gradient is g[]. */
static double fd_worst(void *h, float *v, const float *g, size_t n, const float *x, int H,
                       const nlp_batch *b)
{
	double worst = 0;
	for (size_t i = 0; i < n; i++) {
		const float v0 = v[i];
		v[i] = v0 + (float)EPS;
		const double lp = loss_of(h, x, H, b);
		v[i] = v0 - (float)EPS;
		const double lm = loss_of(h, x, H, b);
		v[i] = v0;
		const double fd = (lp - lm) / (2 * EPS);
		const double e = fabs(fd - g[i]) / fmax(1.0, fabs(g[i]));
		worst = e > worst ? e : worst;
	}
	return worst;
}

/* Full-softmax gradients (own matrix, or tied to a table with a gradient
 * already in it). */
static void test_full_grad(int tie)
{
	enum { V = 7, H = 4 };
	nlp_rng r;
	nlp_rng_seed(&r, 5 + tie);
	void *h = make_head(tie, 0, 0, 0.0f, V, H, &r);
	float table[V * H], tg[V * H], x[T * B * H];
	for (int i = 0; i < V * H; i++) {
		table[i] = nlp_rng_normal(&r);
		tg[i] = 0.5f;
	}
	fill_normal(x, T * B * H, &r);
	nlp_err err = {0};
	int tied = -1;
	check_rc(ops()->tie(h, table, tg, V, H, &tied, &err), &err, "tie");
	is_int(tied, tie, tie ? "tie_weights: tied" : "no tie_weights: not tied");
	nlp_params p;
	ops()->params(h, &p);
	is_int((int)p.count, tie ? V : V + V * H,
	       tie ? "tied: only the bias is the head's" : "own: bias and weight");
	int32_t next[T * B];
	nlp_batch b;
	make_batch(&b, next, V, 1, &r);
	memset(p.g, 0, p.count * sizeof *p.g);
	loss_of(h, x, H, &b);
	nlp_act din = {0};
	check_rc(ops()->backward(h, &din, NULL, &b, &err), &err, "backward");
	ok(din.T == T && din.B == B && din.D == H, "input gradient is T x B x H");
	float dx[T * B * H], g[V + V * H];
	memcpy(dx, din.x, sizeof dx);
	memcpy(g, p.g, p.count * sizeof *g);
	if (tie)
		for (int i = 0; i < V * H; i++)
			g[V + i] = tg[i] - 0.5f; /* added into the table's gradient */
	int pad_zero = 1;
	for (int t = 0; t < T; t++)
		for (int c = 0; c < B; c++)
			for (int k = 0; k < H; k++)
				if (t >= lens[c] || next[t * B + c] < 0)
					pad_zero &= dx[(t * B + c) * H + k] == 0.0f;
	ok(pad_zero, "no input gradient past len or without a next token");
	double wx = fd_worst(h, x, dx, T * B * H, x, H, &b);
	double wb = fd_worst(h, p.w, g, V, x, H, &b);
	double ww = fd_worst(h, tie ? table : p.w + V, g + V, V * H, x, H, &b);
	ok(wx < 2e-3,
	   NAME("full softmax%s: input gradient, worst rel err %.2g", tie ? " (tied)" : "", wx));
	ok(wb < 2e-3,
	   NAME("full softmax%s: bias gradient, worst rel err %.2g", tie ? " (tied)" : "", wb));
	ok(ww < 2e-3, NAME("full softmax%s: %s gradient, worst rel err %.2g", tie ? " (tied)" : "",
	                   tie ? "tied table (added into its g)" : "weight", ww));
	nn_next_token_class.destroy(h);
}

/* Evaluation: probabilities and the loss against double precision. */
static void test_eval(void)
{
	enum { V = 9, H = 5 };
	nlp_rng r;
	nlp_rng_seed(&r, 17);
	void *h = make_head(0, 1, 3, 0.5f, V, H, &r);
	float x[T * B * H];
	fill_normal(x, T * B * H, &r);
	int32_t next[T * B];
	nlp_batch b;
	make_batch(&b, next, V, 0, NULL);
	nlp_act in = {.x = x, .T = T, .B = B, .D = H}, out;
	nlp_err err = {0};
	double L = 0;
	check_rc(ops()->forward(h, &out, &in, &b, &err), &err, "forward");
	check_rc(ops()->loss(h, &L, &b, &err), &err, "loss");
	ok(out.x && out.T == T && out.B == B && out.D == V, "evaluation: probabilities T x B x V");
	nlp_params p;
	ops()->params(h, &p);
	double want = 0, worst_sum = 0;
	int n = 0, zero = 1;
	for (int t = 0; t < T; t++)
		for (int c = 0; c < B; c++) {
			const float *pr = out.x + (size_t)(t * B + c) * V;
			if (t >= lens[c]) {
				for (int k = 0; k < V; k++)
					zero &= pr[k] == 0.0f;
				continue;
			}
			double z[V], m = -1e300, s = 0, sum = 0;
			for (int k = 0; k < V; k++) {
				z[k] = p.w[k];
				for (int j = 0; j < H; j++)
					z[k] += (double)x[(t * B + c) * H + j] * p.w[V + k * H + j];
				m = z[k] > m ? z[k] : m;
				sum += pr[k];
			}
			for (int k = 0; k < V; k++)
				s += exp(z[k] - m);
			worst_sum = fmax(worst_sum, fabs(sum - 1.0));
			if (next[t * B + c] >= 0) {
				want += m + log(s) - z[next[t * B + c]];
				n++;
			}
		}
	want /= n;
	ok(worst_sum < 1e-5, NAME("each row sums to 1 (worst %.2g)", worst_sum));
	ok(zero, "rows past len are zero");
	ok(fabs(L - want) < 1e-5,
	   NAME("evaluation loss = mean cross-entropy in nats (%.6f, want %.6f; the sampled "
	        "option and dropout do not apply)",
	        L, want));
	nn_next_token_class.destroy(h);
}

/* Against PyTorch (tests/ref/next_token_fixtures.txt). */
static void test_pytorch(void)
{
	fx_load_file("next_token_fixtures.txt");
	const double *dims = fx_get("ntk.dims", NULL);
	const int V = (int)dims[0], H = (int)dims[1], Tn = (int)dims[2], Bn = (int)dims[3];
	const int N = Tn * Bn;
	void *h = make_head(0, 0, 0, 0.0f, V, H, NULL);
	nlp_params p;
	ops()->params(h, &p);
	fx_floats(p.w, "ntk.b", V);
	fx_floats(p.w + V, "ntk.w", V * H);
	float *x = calloc((size_t)N * H, sizeof *x), nf[64];
	int32_t next[64];
	int len[8];
	fx_floats(x, "ntk.x", N * H);
	fx_floats(nf, "ntk.next", N);
	for (int i = 0; i < N; i++)
		next[i] = (int32_t)nf[i];
	const double *lv = fx_get("ntk.len", NULL);
	for (int c = 0; c < Bn; c++)
		len[c] = (int)lv[c];
	nlp_batch b = {.B = Bn, .T = Tn, .len = len, .next_ids = next, .training = 1};
	nlp_act in = {.x = x, .T = Tn, .B = Bn, .D = H}, out, din;
	nlp_err err = {0};
	double L = 0;
	memset(p.g, 0, p.count * sizeof(float));
	check_rc(ops()->forward(h, &out, &in, &b, &err), &err, "forward");
	close_fx(out.x, "ntk.probs", N * V, 1e-6, 1e-5);
	check_rc(ops()->loss(h, &L, &b, &err), &err, "loss");
	const double want = fx_get("ntk.loss", NULL)[0];
	ok(fabs(L - want) < 1e-5, NAME("PyTorch: loss %.7f (F.cross_entropy %.7f)", L, want));
	check_rc(ops()->backward(h, &din, NULL, &b, &err), &err, "backward");
	close_fx(din.x, "ntk.dx", N * H, 1e-6, 1e-4);
	close_fx(p.g + V, "ntk.dw", V * H, 1e-6, 1e-4);
	close_fx(p.g, "ntk.db", V, 1e-6, 1e-4);
	free(x);
	nn_next_token_class.destroy(h);
}

/* The sampled softmax against the full one, same parameters. */
static void test_sampled(void)
{
	enum { V = 60, H = 6, N = T * B };
	nlp_rng r;
	nlp_rng_seed(&r, 23);
	void *full = make_head(0, 0, 0, 0.0f, V, H, &r);
	void *all = sampled_like(full, 1000, V, H), *some = sampled_like(full, 30, V, H);
	float x[N * H];
	fill_normal(x, N * H, &r);
	int32_t next[N];
	nlp_batch b;
	make_batch(&b, next, V, 1, &r);
	nlp_err err = {0};
	nlp_act d = {0};
	float gfull[N * H], gall[N * H], gsum[N * H] = {0};
	const double Lf = loss_of(full, x, H, &b);
	check_rc(ops()->backward(full, &d, NULL, &b, &err), &err, "backward");
	memcpy(gfull, d.x, sizeof gfull);
	const double La = loss_of(all, x, H, &b);
	check_rc(ops()->backward(all, &d, NULL, &b, &err), &err, "backward");
	memcpy(gall, d.x, sizeof gall);
	double dmax = 0;
	for (int i = 0; i < N * H; i++)
		dmax = fmax(dmax, fabs(gall[i] - gfull[i]));
	ok(fabs(La - Lf) < 1e-5 && dmax < 1e-5,
	   NAME("samples >= V: the full softmax (loss %.6f vs %.6f, input gradient within %.2g)",
	        La, Lf, dmax));
	double Ls = 0;
	const int draws = 200;
	for (int k = 0; k < draws; k++) {
		Ls += loss_of(some, x, H, &b);
		check_rc(ops()->backward(some, &d, NULL, &b, &err), &err, "backward");
		for (int i = 0; i < N * H; i++)
			gsum[i] += d.x[i];
	}
	Ls /= draws;
	double dot = 0, n1 = 0, n2 = 0;
	for (int i = 0; i < N * H; i++) {
		dot += (double)gsum[i] * gfull[i];
		n1 += (double)gsum[i] * gsum[i];
		n2 += (double)gfull[i] * gfull[i];
	}
	const double cosine = dot / sqrt(n1 * n2);
	ok(fabs(Ls - Lf) < 0.15 * Lf,
	   NAME("30 of 60 ids sampled: mean loss %.4f near the full %.4f", Ls, Lf));
	ok(cosine > 0.9, NAME("30 of 60 ids sampled: mean input gradient along the full one "
	                      "(cosine %.3f)",
	                      cosine));
	nn_next_token_class.destroy(full);
	nn_next_token_class.destroy(all);
	nn_next_token_class.destroy(some);
}

/* SGD on the sampled softmax lowers the full loss (fixed inputs). */
static void test_sampled_sgd(void)
{
	enum { V = 80, H = 8, N = T * B };
	nlp_rng r;
	nlp_rng_seed(&r, 29);
	void *full = make_head(0, 0, 0, 0.0f, V, H, &r);
	void *smp = sampled_like(full, 10, V, H);
	nlp_params pf, ps;
	ops()->params(full, &pf);
	ops()->params(smp, &ps);
	float x[N * H];
	fill_normal(x, N * H, &r);
	int32_t next[N];
	nlp_batch b, be;
	make_batch(&b, next, V, 1, &r);
	make_batch(&be, next, V, 0, NULL);
	nlp_err err = {0};
	const double before = loss_of(full, x, H, &be);
	for (int step = 0; step < 300; step++) {
		memset(ps.g, 0, ps.count * sizeof(float));
		loss_of(smp, x, H, &b);
		check_rc(ops()->backward(smp, NULL, NULL, &b, &err), &err, "backward");
		for (size_t i = 0; i < ps.count; i++)
			ps.w[i] -= 0.5f * ps.g[i];
	}
	memcpy(pf.w, ps.w, pf.count * sizeof(float));
	const double after = loss_of(full, x, H, &be);
	ok(after < 0.3 * before,
	   NAME("SGD on the sampled softmax (10 of 80 ids): full loss %.3f -> %.3f", before,
	        after));
	nn_next_token_class.destroy(full);
	nn_next_token_class.destroy(smp);
}

static void test_errors(void)
{
	enum { V = 5, H = 4 };
	void *h = make_head(1, 1, 8, 0.0f, V, H, NULL);
	float table[V * 8], g[V * 8];
	nlp_err err = {0};
	int tied = -1;
	is_int(ops()->tie(h, table, g, V, 8, &tied, &err), NLP_ECONFIG,
	       "tie: an embedding 8 wide for an input 4 wide is a configuration error");
	ok(strstr(err.msg, "8 wide") && strstr(err.msg, "4 wide") &&
	           strstr(err.msg, "tie_weights = false"),
	   NAME("the message names both widths and what to set (%.200s)", err.msg));
	float x[T * B * H] = {0};
	int32_t next[T * B];
	nlp_batch b;
	make_batch(&b, next, V, 0, NULL);
	nlp_act in = {.x = x, .T = T, .B = B, .D = H}, out;
	is_int(ops()->forward(h, &out, &in, &b, &err), NLP_ECONFIG,
	       "tie_weights without a tied table: a configuration error at forward");
	nn_next_token_class.destroy(h);

	/* state: V and H saved; a model for another vocabulary is refused */
	h = make_head(0, 1, 8, 0.0f, V, H, NULL);
	nlp_buf buf = {0};
	check_rc(ops()->save(h, &buf, &err), &err, "save");
	nn_next_token_class.destroy(h);
	next_token_opts o = {.samples = 8};
	check_rc(next_token_new(&h, "lm", &o, &err), &err, "new");
	nlp_cursor cur = {buf.data, buf.data + buf.len};
	check_rc(ops()->load(h, &cur, &err), &err, "load");
	int od = 0;
	is_int(ops()->setup(h, H, V + 1, &od, &err), NLP_EDATA,
	       "a loaded head refuses another vocabulary size");
	is_int(ops()->setup(h, H, V, &od, &err), NLP_OK, "and takes its own");
	nn_next_token_class.destroy(h);
	free(buf.data);
	is_int(next_token_new(&h, "lm", &(next_token_opts){.dropout = 1.0f, .samples = 1}, &err),
	       NLP_ECONFIG, "dropout 1 is refused");
}

/* The embedding's token op: the word of each id. */
static void test_token(void)
{
	embedding_opts o = {.dim = 3, .min_count = 1};
	void *e = NULL;
	nlp_err err = {0};
	check_rc(embedding_new(&e, "emb", &o, &err), &err, "embedding_new");
	const nlp_train_ops *eo = nn_embedding_class.train;
	ok(eo->token(e, 0) == NULL, "token before the vocabulary exists: NULL");
	nlp_tokens t = {0};
	const char *words[] = {"b", "a", "b", "c", "b", "a"};
	for (size_t i = 0; i < 6; i++)
		nlp_tokens_push(&t, words[i], 1);
	nlp_doc doc = {.name = "d", .in = &t, .label = -1};
	check_rc(eo->observe(e, &doc, &err), &err, "observe");
	int od = 0;
	check_rc(eo->setup(e, 0, 0, &od, &err), &err, "setup");
	ok(eo->token(e, 0) && strcmp(eo->token(e, 0), "<pad>") == 0, "token 0 is <pad>");
	ok(eo->token(e, 1) && strcmp(eo->token(e, 1), "<unk>") == 0, "token 1 is <unk>");
	ok(eo->token(e, 2) && strcmp(eo->token(e, 2), "b") == 0,
	   "token 2 is the most frequent word");
	ok(eo->token(e, 4) && strcmp(eo->token(e, 4), "c") == 0, "token 4 is the rarest");
	ok(eo->token(e, 5) == NULL && eo->token(e, -1) == NULL, "ids out of range: NULL");
	nlp_tokens_free(&t);
	nn_embedding_class.destroy(e);
}

/* The classes from INI options: what an encoder produces, next_token's
 * options. */
static void test_classes(void)
{
	static const char text[] = "[pooled]\nhidden = 4\n"
	                           "[seq]\nhidden = 4\npooling = none\n"
	                           "[lm]\ntie_weights = true\nsoftmax = full\nsamples = 3\n"
	                           "[bad]\nsoftmax = hierarchical\n";
	nlp_ini *ini = NULL;
	nlp_config *c1 = NULL, *c2 = NULL, *c3 = NULL, *c4 = NULL;
	nlp_err err = {0};
	check_rc(nlp_ini_parse(&ini, "t.ini", text, sizeof text - 1, &err), &err, "ini");
	check_rc(nlp_config_from_ini(&c1, ini, "pooled", rec_lstm_class.options, &err), &err,
	         "config");
	check_rc(nlp_config_from_ini(&c2, ini, "seq", rec_gru_class.options, &err), &err, "config");
	check_rc(nlp_config_from_ini(&c3, ini, "lm", nn_next_token_class.options, &err), &err,
	         "config");
	ok(rec_lstm_class.produces_for && rec_lstm_class.produces_for(c1) == NLP_KIND_VECTOR,
	   "an lstm with pooling produces vectors");
	ok(rec_gru_class.produces_for(c2) == NLP_KIND_SEQUENCE,
	   "a gru with pooling = none produces sequences");
	ok(nn_next_token_class.consumes == NLP_KIND_SEQUENCE &&
	           nn_next_token_class.produces == NLP_KIND_SCORES &&
	           !nn_next_token_class.produces_for,
	   "next_token: sequence -> scores");
	void *h = NULL;
	check_rc(nn_next_token_class.create(&h, c3, &err), &err, "create");
	int od = 0, tied = 0;
	check_rc(ops()->setup(h, 4, 6, &od, &err), &err, "setup");
	float table[6 * 4], g[6 * 4];
	check_rc(ops()->tie(h, table, g, 6, 4, &tied, &err), &err, "tie");
	ok(od == 6 && tied, "tie_weights = true from the INI file: tied; output width V");
	nn_next_token_class.destroy(h);
	is_int(nlp_config_from_ini(&c4, ini, "bad", nn_next_token_class.options, &err), NLP_ECONFIG,
	       "softmax = hierarchical is refused");
	nlp_config_destroy(c1);
	nlp_config_destroy(c2);
	nlp_config_destroy(c3);
	nlp_config_destroy(c4);
	nlp_ini_free(ini);
}

/* ---- learning: lstm + next_token on "a b a c a b a c ..." ---- */

enum { LV = 5, LH = 16, LT = 8, LB = 2 };

/* The token at position k of stream s: a b a c repeated (ids 2 3 2 4),
 * stream 1 two steps ahead. */
static int32_t seq_id(int s, long k)
{
	static const int32_t cyc[4] = {2, 3, 2, 4};
	return cyc[(k + 2 * s) % 4];
}

/* One window at step k0 of both streams: one-hot inputs, next tokens. */
static void window(float *x, int32_t *next, long k0)
{
	memset(x, 0, sizeof(float) * LT * LB * LV);
	for (int t = 0; t < LT; t++)
		for (int s = 0; s < LB; s++) {
			x[(t * LB + s) * LV + seq_id(s, k0 + t)] = 1.0f;
			next[t * LB + s] = seq_id(s, k0 + t + 1);
		}
}

static void test_learn(int sampled)
{
	rec_config c = {
	        .cell = REC_LSTM, .in = LV, .hidden = LH, .layers = 1, .pool = REC_POOL_NONE};
	rec_net *n = NULL;
	nlp_err err = {0};
	nlp_rng r;
	nlp_rng_seed(&r, 3);
	check_rc(rec_new(&n, &c, &err), &err, "rec_new");
	rec_init_params(n, &r);
	void *h = make_head(0, sampled, 3, 0.0f, LV, LH, &r);
	nlp_params pe, ph;
	rec_params(n, &pe);
	ops()->params(h, &ph);
	const int len[LB] = {LT, LT};
	float x[LT * LB * LV];
	int32_t next[LT * LB];
	nlp_batch b = {.B = LB, .T = LT, .len = len, .next_ids = next, .training = 1, .rng = &r};
	double L = 0;
	for (int step = 0; step < 600; step++) {
		window(x, next, (long)step * LT);
		b.carry = step > 0;
		b.training = 1;
		const float *y;
		const float *dy;
		nlp_act in = {.x = NULL, .T = LT, .B = LB, .D = LH}, out, din;
		memset(pe.g, 0, pe.count * sizeof(float));
		memset(ph.g, 0, ph.count * sizeof(float));
		check_rc(rec_forward_stream(n, &y, x, LT, LB, len, b.carry, NULL, 1, &r, &err),
		         &err, "lstm forward");
		in.x = (float *)y;
		check_rc(ops()->forward(h, &out, &in, &b, &err), &err, "forward");
		check_rc(ops()->loss(h, &L, &b, &err), &err, "loss");
		check_rc(ops()->backward(h, &din, NULL, &b, &err), &err, "backward");
		check_rc(rec_backward(n, &dy, din.x, &err), &err, "lstm backward");
		for (size_t i = 0; i < pe.count; i++)
			pe.w[i] -= 0.5f * pe.g[i];
		for (size_t i = 0; i < ph.count; i++)
			ph.w[i] -= 0.5f * ph.g[i];
	}
	/* Evaluate: full softmax, carry on, a fresh window further on. */
	double E = 0;
	b.training = 0;
	for (int w = 0; w < 4; w++) {
		window(x, next, (long)(600 + w) * LT);
		const float *y;
		nlp_act in = {.T = LT, .B = LB, .D = LH}, out;
		check_rc(rec_forward_stream(n, &y, x, LT, LB, len, 1, NULL, 0, NULL, &err), &err,
		         "lstm forward");
		in.x = (float *)y;
		double l = 0;
		check_rc(ops()->forward(h, &out, &in, &b, &err), &err, "forward");
		check_rc(ops()->loss(h, &l, &b, &err), &err, "loss");
		E += l / 4;
	}
	ok(E < 0.1, NAME("lstm + next_token (%s softmax in training, plain SGD, carry): "
	                 "evaluation cross-entropy %.4f nats < 0.1",
	                 sampled ? "sampled (3 of 5 ids)" : "full", E));
	nn_next_token_class.destroy(h);
	rec_free(n);
}

int main(void)
{
	test_full_grad(0);
	test_full_grad(1);
	test_eval();
	test_pytorch();
	test_sampled();
	test_sampled_sgd();
	test_errors();
	test_token();
	test_classes();
	test_learn(0);
	test_learn(1);
	return done_testing();
}
