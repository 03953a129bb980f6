/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* tests/models/t_decoder.c - the sequence-to-sequence decoder
 * (models/decoder.c):
 *  - finite-difference gradients of the mean cross-entropy with respect to
 *    every parameter (cell, embedding, attention, projections) and to the
 *    encoder's states, for each attention (none, additive, multiplicative),
 *    each cell, two layers, and tied output weights;
 *  - the probabilities: rows sum to one, zero past each target length, and a
 *    pair's rows do not depend on the padding of a longer pair beside it;
 *  - decoding step by step (carry, dec_from) gives bit for bit the
 *    probabilities of a forward over the whole prefixes, for a beam whose
 *    hypotheses fork and reorder, with each cell and attention;
 *  - vocabulary = own: the target vocabulary holds the reserved tokens and
 *    the observed target tokens seen min_count times, sizes the embedding
 *    and the softmax, maps other tokens to <unk>, survives save and load;
 *    a shared decoder has none (target_id -1, token NULL); a saved state of
 *    the other kind is refused;
 *  - against PyTorch (tests/ref/decoder.py): probabilities, loss and the
 *    gradients of every parameter and of the encoder's states, for an LSTM
 *    with multiplicative attention and a GRU with additive attention.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/cells.h"
#include "models/decoder.h"
#include "ref/layers_fixture.h"
#include "tap.h"

enum { T = 4, B = 3, U = 5, D = 5, V = 7 };
#define EPS 1e-3
#define TOL 5e-3

static const int src_len[B] = {4, 2, 3};
static const int tgt_len[B] = {5, 3, 1};
static int32_t dec_ids[U * B], dec_next[U * B];

static const nlp_train_ops *ops(void)
{
	return rec_decoder_class.train;
}

static void check_rc(int rc, const nlp_err *err, const char *what)
{
	if (rc) {
		diag("%s: %s", what, err->msg);
		exit(1);
	}
}

static void make_batch(nlp_batch *b, nlp_rng *rng)
{
	memset(b, 0, sizeof *b);
	for (int u = 0; u < U; u++)
		for (int j = 0; j < B; j++) {
			const int i = u * B + j, in = u < tgt_len[j];
			dec_ids[i] = in ? (u == 0 ? 2 : 3 + (int)(nlp_rng_next(rng) % (V - 3))) : 0;
			dec_next[i] = in ? 1 + (int)(nlp_rng_next(rng) % (V - 1)) : -1;
		}
	dec_next[1 * B + 0] = -1; /* a step without a target */
	b->B = B;
	b->T = T;
	b->len = src_len;
	b->U = U;
	b->dec_ids = dec_ids;
	b->dec_len = tgt_len;
	b->dec_next = dec_next;
	b->training = 1;
	b->rng = rng;
}

static double loss_of(void *h, const float *x, const nlp_batch *b)
{
	nlp_act in = {.x = (float *)x, .T = T, .B = B, .D = D}, out;
	nlp_err err = {0};
	double L = 0;
	check_rc(ops()->forward(h, &out, &in, b, &err), &err, "forward");
	check_rc(ops()->loss(h, &L, b, &err), &err, "loss");
	return L;
}

/* Worst |fd - an| / max(0.01, |an|) over the n values v[] whose analytic
 * gradient is g[]. */
static double fd_worst(void *h, float *v, const float *g, size_t n, const float *x,
                       const nlp_batch *b)
{
	double worst = 0;
	for (size_t i = 0; i < n; i++) {
		const float v0 = v[i];
		v[i] = v0 + (float)EPS;
		const double lp = loss_of(h, x, b);
		v[i] = v0 - (float)EPS;
		const double lm = loss_of(h, x, b);
		v[i] = v0;
		const double fd = (lp - lm) / (2 * EPS);
		const double e = fabs(fd - g[i]) / fmax(0.05, fabs(g[i]));
		worst = e > worst ? e : worst;
	}
	return worst;
}

/* Encoder states x [T x B x D]: normal, zero at the sources' padding as an
 * encoder gives them. */
static void random_states(float *x, nlp_rng *rng)
{
	for (int i = 0; i < T * B * D; i++)
		x[i] = nlp_rng_normal(rng);
	for (int t = 0; t < T; t++)
		for (int j = 0; j < B; j++)
			if (t >= src_len[j])
				memset(x + (t * B + j) * D, 0, D * sizeof *x);
}

static void *make(const decoder_opts *o, nlp_rng *rng)
{
	void *h = NULL;
	nlp_err err = {0};
	int od = 0;
	check_rc(decoder_new(&h, "dec", o, &err), &err, "new");
	decoder_set_naive(h, 1);
	check_rc(ops()->setup(h, D, V, &od, &err), &err, "setup");
	ok(od == V, "setup gives the vocabulary as the output width");
	ops()->init(h, rng);
	return h;
}

static void test_grad(const char *what, const decoder_opts *o)
{
	nlp_rng rng;
	nlp_batch b;
	nlp_params p;
	nlp_err err = {0};
	nlp_act din;
	float x[T * B * D], dx[T * B * D];
	double L;
	nlp_rng_seed(&rng, 7);
	void *h = make(o, &rng);
	make_batch(&b, &rng);
	random_states(x, &rng);
	ops()->params(h, &p);
	memset(p.g, 0, p.count * sizeof *p.g);
	L = loss_of(h, x, &b);
	check_rc(ops()->backward(h, &din, NULL, &b, &err), &err, "backward");
	char nm[200];
	snprintf(nm, sizeof nm, "%s: the input gradient is T x B x D", what);
	ok(din.T == T && din.B == B && din.D == D, nm);
	memcpy(dx, din.x, sizeof dx);
	float *g = malloc(p.count * sizeof *g);
	memcpy(g, p.g, p.count * sizeof *g);
	snprintf(nm, sizeof nm, "%s: loss %.4f", what, L);
	ok(isfinite(L) && L > 0, nm);
	double wp = fd_worst(h, p.w, g, p.count, x, &b);
	snprintf(nm, sizeof nm, "%s: %zu parameter gradients match finite differences (worst %.2g)",
	         what, p.count, wp);
	ok(wp < TOL, nm);
	/* only real source steps get a gradient; check those */
	double wx = 0;
	for (int t = 0; t < T; t++)
		for (int j = 0; j < B; j++)
			if (t < src_len[j]) {
				double w1 = fd_worst(h, x + (t * B + j) * D, dx + (t * B + j) * D,
				                     D, x, &b);
				wx = w1 > wx ? w1 : wx;
			}
	snprintf(nm, sizeof nm,
	         "%s: the encoder states' gradients match finite differences "
	         "(worst %.2g)",
	         what, wx);
	ok(wx < TOL, nm);
	free(g);
	rec_decoder_class.destroy(h);
}

/* Probabilities: rows sum to one up to each target length, zero after;
 * the first pair's rows do not change when a longer pair is beside it. */
static void test_probs(void)
{
	decoder_opts o = {
	        .cell = REC_LSTM, .hidden = 6, .layers = 1, .dim = 4, .att = DEC_ATT_ADDITIVE};
	nlp_rng rng;
	nlp_batch b;
	nlp_err err = {0};
	nlp_act in, out;
	float x[T * B * D];
	nlp_rng_seed(&rng, 11);
	void *h = make(&o, &rng);
	make_batch(&b, &rng);
	b.training = 0;
	random_states(x, &rng);
	in = (nlp_act){.x = x, .T = T, .B = B, .D = D};
	check_rc(ops()->forward(h, &out, &in, &b, &err), &err, "forward");
	ok(out.T == U && out.B == B && out.D == V, "probabilities are U x B x V");
	int sums = 1, zeros = 1;
	for (int u = 0; u < U; u++)
		for (int j = 0; j < B; j++) {
			double s = 0;
			for (int c = 0; c < V; c++)
				s += out.x[(u * B + j) * V + c];
			if (u < tgt_len[j])
				sums &= fabs(s - 1.0) < 1e-5;
			else
				zeros &= s == 0.0;
		}
	ok(sums, "each step's probabilities sum to one");
	ok(zeros, "steps past a target's length are zero");
	/* pair 2 (source 3 steps, target 1) alone: B = 1 */
	float p_in[V], x1[T * D];
	memcpy(p_in, out.x + (0 * B + 2) * V, sizeof p_in);
	for (int t = 0; t < T; t++)
		memcpy(x1 + t * D, x + (t * B + 2) * D, D * sizeof *x1);
	int l1 = src_len[2], d1 = tgt_len[2];
	int32_t id1[U], nx1[U];
	for (int u = 0; u < U; u++) {
		id1[u] = dec_ids[u * B + 2];
		nx1[u] = dec_next[u * B + 2];
	}
	nlp_batch b1 = b;
	b1.B = 1;
	b1.len = &l1;
	b1.U = 1;
	b1.dec_ids = id1;
	b1.dec_len = &d1;
	b1.dec_next = nx1;
	in = (nlp_act){.x = x1, .T = T, .B = 1, .D = D};
	check_rc(ops()->forward(h, &out, &in, &b1, &err), &err, "forward alone");
	double worst = 0;
	for (int c = 0; c < V; c++)
		worst = fmax(worst, fabs(out.x[c] - p_in[c]));
	diag("largest difference %.2g", worst);
	ok(worst < 1e-5, "a pair's probabilities do not depend on the batch");
	rec_decoder_class.destroy(h);
}

/* Decoding step by step (nlp_batch.carry and dec_from, ABI 2.5): a beam
 * over two sources whose hypotheses fork, die and reorder gets at every
 * step exactly (bit for bit) the probabilities a forward over the whole
 * prefixes gives; and the errors of a step without a start. */
static void test_steps(const char *what, const decoder_opts *o)
{
	enum { S = 5, K = 3 };
	static const int n_col[S] = {2, 3, 3, 2, 3};
	static const int from[S][K] = {{0, 1}, {0, 0, 1}, {2, 0, 1}, {1, 2}, {1, 1, 0}};
	const int sl[2] = {4, 2};
	int src[K], nsrc[K], pre[K][S], npre[K][S], ones[K] = {1, 1, 1}, lens[K], ulen[K];
	nlp_rng rng, r2;
	nlp_err err = {0};
	nlp_act out, fout;
	float x[T * 2 * D], xf[T * K * D];
	int32_t ids[K], fids[S * K];
	int same = 1, shapes = 1;
	char nm[200];
	nlp_rng_seed(&rng, 5);
	nlp_rng_seed(&r2, 5);
	void *hs = make(o, &rng), *hf = make(o, &r2);
	decoder_set_naive(hs, 0);
	decoder_set_naive(hf, 0);
	for (int i = 0; i < T * 2 * D; i++)
		x[i] = nlp_rng_normal(&rng);
	for (int s = 0; s < S; s++) {
		const int Bs = n_col[s];
		nlp_batch b = {.B = Bs, .U = 1, .dec_ids = ids, .dec_len = ones};
		for (int j = 0; j < Bs; j++) {
			const int f = from[s][j];
			src[j] = s ? nsrc[f] : j;
			for (int u = 0; u < s; u++)
				pre[j][u] = npre[f][u];
			pre[j][s] = s ? 3 + (int)(nlp_rng_next(&rng) % (V - 3)) : 2;
			ids[j] = pre[j][s];
		}
		if (s) {
			b.carry = 1;
			b.dec_from = from[s];
			check_rc(ops()->forward(hs, &out, NULL, &b, &err), &err, "step");
		} else {
			b.T = T;
			b.len = sl;
			nlp_act in = {.x = x, .T = T, .B = 2, .D = D};
			check_rc(ops()->forward(hs, &out, &in, &b, &err), &err, "first step");
		}
		/* the whole prefixes, each column with a copy of its source */
		for (int t = 0; t < T; t++)
			for (int j = 0; j < Bs; j++)
				memcpy(xf + (t * Bs + j) * D, x + (t * 2 + src[j]) * D,
				       D * sizeof *xf);
		for (int j = 0; j < Bs; j++) {
			lens[j] = sl[src[j]];
			ulen[j] = s + 1;
			for (int u = 0; u <= s; u++)
				fids[u * Bs + j] = pre[j][u];
		}
		nlp_batch fb = {
		        .B = Bs, .T = T, .len = lens, .U = s + 1, .dec_ids = fids, .dec_len = ulen};
		nlp_act fin = {.x = xf, .T = T, .B = Bs, .D = D};
		check_rc(ops()->forward(hf, &fout, &fin, &fb, &err), &err, "whole forward");
		shapes &= out.T == 1 && out.B == Bs && out.D == V && fout.T == s + 1;
		same &= !memcmp(out.x, fout.x + (size_t)s * Bs * V, (size_t)Bs * V * sizeof *out.x);
		for (int j = 0; j < Bs; j++) {
			nsrc[j] = src[j];
			for (int u = 0; u <= s; u++)
				npre[j][u] = pre[j][u];
		}
	}
	snprintf(nm, sizeof nm, "%s: a step gives 1 x B x V", what);
	ok(shapes, nm);
	snprintf(nm, sizeof nm, "%s: step by step = the whole prefixes, bit for bit", what);
	ok(same, nm);
	/* a step that names a column the last forward did not have */
	const int bad_from[1] = {3};
	nlp_batch b = {.B = 1, .U = 1, .dec_ids = ids, .dec_len = ones, .carry = 1};
	b.dec_from = bad_from;
	err.msg[0] = '\0';
	snprintf(nm, sizeof nm, "%s: a step from a column that was not there is refused", what);
	ok(ops()->forward(hs, &out, NULL, &b, &err) == NLP_EINTERNAL &&
	           strstr(err.msg, "continues column 3 of 3"),
	   nm);
	/* a training forward leaves nothing to carry on from */
	make_batch(&b, &rng);
	nlp_act in = {.x = xf, .T = T, .B = B, .D = D};
	float xs[T * B * D];
	random_states(xs, &rng);
	in.x = xs;
	check_rc(ops()->forward(hf, &out, &in, &b, &err), &err, "training forward");
	nlp_batch c = {.B = 1, .U = 1, .dec_ids = ids, .dec_len = ones, .carry = 1};
	snprintf(nm, sizeof nm, "%s: a step after training is refused", what);
	ok(ops()->forward(hf, &out, NULL, &c, &err) == NLP_EINTERNAL &&
	           strstr(err.msg, "carries on from nothing"),
	   nm);
	rec_decoder_class.destroy(hs);
	rec_decoder_class.destroy(hf);
}

/* Against PyTorch: decoder tag (tests/ref/decoder_fixtures.txt). */
static void test_pytorch(const char *tag, int cell, int att)
{
	char nm[64];
	const double *d = fx_get("dec.dims", NULL);
	const int Vn = (int)d[0], Dn = (int)d[1], En = (int)d[2], Hn = (int)d[3], An = (int)d[4];
	const int Tn = (int)d[5], Un = (int)d[6], Bn = (int)d[7];
	decoder_opts o = {
	        .cell = cell, .hidden = Hn, .layers = 1, .dim = En, .att = att, .att_dim = An};
	void *h = NULL;
	nlp_err err = {0};
	nlp_params p;
	int od, sl[8], dl[8];
	int32_t ids[64], nx[64];
	float enc[512], f[64];
	check_rc(decoder_new(&h, "dec", &o, &err), &err, "new");
	check_rc(ops()->setup(h, Dn, Vn, &od, &err), &err, "setup");
	ops()->params(h, &p);
	snprintf(nm, sizeof nm, "%s.w", tag);
	fx_floats(p.w, nm, (int)p.count);
	memset(p.g, 0, p.count * sizeof *p.g);
	fx_floats(enc, "dec.enc", Tn * Bn * Dn);
	fx_floats(f, "dec.ids", Un * Bn);
	for (int i = 0; i < Un * Bn; i++)
		ids[i] = (int32_t)f[i];
	fx_floats(f, "dec.next", Un * Bn);
	for (int i = 0; i < Un * Bn; i++)
		nx[i] = (int32_t)f[i];
	fx_floats(f, "dec.src_len", Bn);
	for (int i = 0; i < Bn; i++)
		sl[i] = (int)f[i];
	fx_floats(f, "dec.dec_len", Bn);
	for (int i = 0; i < Bn; i++)
		dl[i] = (int)f[i];
	nlp_batch b = {.B = Bn, .T = Tn, .len = sl, .training = 1, .U = Un};
	b.dec_ids = ids;
	b.dec_len = dl;
	b.dec_next = nx;
	nlp_act in = {.x = enc, .T = Tn, .B = Bn, .D = Dn}, out, din;
	double L = 0;
	check_rc(ops()->forward(h, &out, &in, &b, &err), &err, "forward");
	snprintf(nm, sizeof nm, "%s.probs", tag);
	close_fx(out.x, nm, Un * Bn * Vn, 1e-6, 1e-5);
	check_rc(ops()->loss(h, &L, &b, &err), &err, "loss");
	snprintf(nm, sizeof nm, "%s.loss", tag);
	const double want = fx_get(nm, NULL)[0];
	diag("%s: loss %.7f, PyTorch %.7f", tag, L, want);
	ok(fabs(L - want) < 1e-5, "PyTorch: the loss");
	check_rc(ops()->backward(h, &din, NULL, &b, &err), &err, "backward");
	snprintf(nm, sizeof nm, "%s.g", tag);
	close_fx(p.g, nm, (int)p.count, 1e-6, 1e-4);
	snprintf(nm, sizeof nm, "%s.denc", tag);
	close_fx(din.x, nm, Tn * Bn * Dn, 1e-6, 1e-4);
	rec_decoder_class.destroy(h);
}

/* Show h's observe a target of the space-separated tokens of s. */
static void observe(void *h, const char *s)
{
	nlp_tokens t = {0};
	nlp_doc d = {.name = "pair", .in = &t, .label = -1};
	nlp_err err = {0};
	for (const char *p = s; *p;) {
		size_t n = strcspn(p, " ");
		if (nlp_tokens_push(&t, p, n))
			exit(1);
		p += n + (p[n] == ' ');
	}
	check_rc(ops()->observe(h, &d, &err), &err, "observe");
	nlp_tokens_free(&t);
}

/* The words of h's target vocabulary joined by commas. */
static void words_of(void *h, char *buf, size_t n)
{
	const char *w;
	buf[0] = '\0';
	for (int32_t id = 0; (w = ops()->token(h, id)) && strlen(buf) + strlen(w) + 2 < n; id++) {
		if (id)
			strcat(buf, ",");
		strcat(buf, w);
	}
}

static void test_own_vocab(void)
{
	decoder_opts o = {.cell = REC_LSTM, .hidden = 6, .layers = 1, .dim = 4};
	void *sh = NULL, *h = NULL, *h2 = NULL;
	nlp_err err = {0};
	nlp_buf buf = {0};
	nlp_params prm;
	nlp_cursor c;
	char words[256];
	int od = 0;
	check_rc(decoder_new(&sh, "dec", &o, &err), &err, "new");
	ok(ops()->target_id(sh, "x", 1) == -1 && !ops()->token(sh, 2),
	   "a shared vocabulary: no target ids, no target tokens");
	o.own_vocab = 1;
	o.min_count = 2;
	check_rc(decoder_new(&h, "dec", &o, &err), &err, "new");
	ok(ops()->target_id(h, "x", 1) == 1, "own, before observe: every token is <unk> (1)");
	observe(h, "x y x");
	observe(h, "y w </s>");
	check_rc(ops()->setup(h, D, 999, &od, &err), &err, "setup");
	words_of(h, words, sizeof words);
	is_str(words, "<pad>,<unk>,</s>,<s>,x,y",
	       "own: the reserved tokens, then the targets' tokens seen min_count times");
	is_int(od, 6, "own: the output width is the target vocabulary's size");
	ops()->params(h, &prm);
	int rows = 0;
	for (int k = 0; k < prm.n_blocks; k++)
		if (!strcmp(prm.blocks[k].name, "embedding") ||
		    !strcmp(prm.blocks[k].name, "out_w"))
			rows += prm.blocks[k].rows;
	is_int(rows, 12, "own: the target embedding and the output layer have 6 rows each");
	ok(ops()->target_id(h, "x", 1) == 4 && ops()->target_id(h, "w", 1) == 1 &&
	           ops()->target_id(h, "<s>", 3) == 3 && !ops()->token(h, 6),
	   "own: target ids, <unk> for a rare or unseen token");
	check_rc(ops()->save(h, &buf, &err), &err, "save");
	check_rc(decoder_new(&h2, "dec", &o, &err), &err, "new");
	c = (nlp_cursor){buf.data, buf.data + buf.len};
	check_rc(ops()->load(h2, &c, &err), &err, "load");
	check_rc(ops()->setup(h2, D, 999, &od, &err), &err, "setup after load");
	words_of(h2, words, sizeof words);
	ok(od == 6 && !strcmp(words, "<pad>,<unk>,</s>,<s>,x,y"),
	   "own: save and load keep the target vocabulary");
	c = (nlp_cursor){buf.data, buf.data + buf.len};
	is_int(ops()->load(sh, &c, &err), NLP_EDATA,
	       "a shared decoder refuses a state with a target vocabulary");
	like(err.msg, "inconsistent", "... saying the model file is inconsistent");
	free(buf.data);
	rec_decoder_class.destroy(sh);
	rec_decoder_class.destroy(h);
	rec_decoder_class.destroy(h2);
}

int main(void)
{
	const decoder_opts base = {.cell = REC_LSTM, .hidden = 6, .layers = 1, .dim = 4};
	decoder_opts o;
	plan(7 * 5 + 5 + 2 * 4 + 3 * 6 + 9);
	nlp_numerics_init();
	o = base;
	o.att = DEC_ATT_NONE;
	test_grad("lstm, attention none", &o);
	o.att = DEC_ATT_ADDITIVE;
	o.att_dim = 3;
	test_grad("lstm, additive attention", &o);
	o = base;
	o.att = DEC_ATT_MULTIPLICATIVE;
	test_grad("lstm, multiplicative attention", &o);
	o.cell = REC_GRU;
	test_grad("gru, multiplicative attention", &o);
	o.cell = REC_RNN_TANH;
	o.att = DEC_ATT_ADDITIVE;
	test_grad("rnn, additive attention", &o);
	o = base;
	o.att = DEC_ATT_MULTIPLICATIVE;
	o.tie = 1;
	test_grad("lstm, tied output weights", &o);
	o.tie = 0;
	o.layers = 2;
	test_grad("lstm, 2 layers", &o);
	test_probs();
	test_own_vocab();
	o = base;
	o.att = DEC_ATT_MULTIPLICATIVE;
	o.layers = 2;
	test_steps("lstm, 2 layers, multiplicative", &o);
	o = base;
	o.cell = REC_GRU;
	o.att = DEC_ATT_ADDITIVE;
	o.att_dim = 3;
	test_steps("gru, additive", &o);
	o = base;
	o.cell = REC_RNN_TANH;
	o.att = DEC_ATT_NONE;
	o.tie = 1;
	test_steps("rnn, attention none, tied", &o);
	fx_load_file("decoder_fixtures.txt");
	test_pytorch("mul", REC_LSTM, DEC_ATT_MULTIPLICATIVE);
	test_pytorch("add", REC_GRU, DEC_ATT_ADDITIVE);
	return done_testing();
}
