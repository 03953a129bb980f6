/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_optim.c - optimizers and training numerics (nlpipe/optim.h): SGD with
 * momentum (and Nesterov), Adam, AdamW, weight decay per block, clipping,
 * learning-rate schedules and lazy sparse Adam against PyTorch 1.13 fixtures;
 * zero_grad of sparse blocks; state save/load (resume is bit-identical);
 * errors. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nlpipe/optim.h>

#include "ref/layers_fixture.h"

/* Optimizer trajectories: |c - torch| <= OPT_ATOL + OPT_RTOL |torch|. */
#define OPT_ATOL 2e-6
#define OPT_RTOL 2e-5

#define NP    7
#define NSTEP 5

static float w_[NP], g_[NP];
static const nlp_param_block blocks_[2] = {
        {.name = "weight", .offset = 0, .count = 5, .decay = 1},
        {.name = "bias", .offset = 5, .count = 2, .decay = 0},
};

static nlp_params params7(void)
{
	return (nlp_params){.w = w_, .g = g_, .count = NP, .blocks = blocks_, .n_blocks = 2};
}

static void check_traj(const char *name, const nlp_optim_config *c)
{
	const double *grads = fx_get("opt.grads", NULL);
	nlp_params p = params7();
	nlp_optim *o = NULL;
	nlp_err err = {0};
	char key[64];
	float traj[NSTEP * NP];
	int rc = NLP_OK;

	fx_floats(w_, "opt.p0", NP);
	if (nlp_optim_new(&o, c, &p, 1, &err)) {
		ok(0, name);
		diag("%s", err.msg);
		return;
	}
	for (int k = 0; k < NSTEP && !rc; k++) {
		for (int i = 0; i < NP; i++)
			g_[i] = (float)grads[k * NP + i];
		rc = nlp_optim_step(o, &p, 1, NULL, &err);
		memcpy(traj + k * NP, w_, sizeof w_);
	}
	if (rc)
		diag("%s", err.msg);
	snprintf(key, sizeof key, "opt.%s", name);
	close_fx(traj, key, NSTEP * NP, OPT_ATOL, OPT_RTOL);
	is_int(nlp_optim_steps(o), NSTEP, "step count");
	nlp_optim_free(o);
}

static void test_fixtures(void)
{
	nlp_optim_config c;

	nlp_optim_config_default(&c);
	c.kind = NLP_OPTIM_SGD, c.lr = 0.1, c.momentum = 0.9, c.weight_decay = 0.01;
	check_traj("sgd", &c);
	c.nesterov = 1;
	check_traj("sgd_nesterov", &c);

	nlp_optim_config_default(&c);
	c.lr = 0.01, c.weight_decay = 0.01;
	check_traj("adam", &c);
	c.kind = NLP_OPTIM_ADAMW, c.weight_decay = 0.1;
	check_traj("adamw", &c);

	nlp_optim_config_default(&c);
	c.lr = 0.01, c.clip_norm = 0.5;
	check_traj("adam_clip", &c);

	nlp_optim_config_default(&c);
	c.kind = NLP_OPTIM_ADAMW, c.lr = 0.05, c.weight_decay = 0.1;
	c.schedule = NLP_LR_LINEAR, c.warmup_steps = 2, c.total_steps = 6;
	check_traj("adamw_sched", &c);

	nlp_optim_config_default(&c);
	c.kind = NLP_OPTIM_SGD, c.lr = 0.2, c.momentum = 0.5;
	c.schedule = NLP_LR_LINEAR, c.warmup_steps = 2, c.total_steps = 6;
	check_traj("sgd_sched", &c);
}

/* Lazy sparse Adam against torch.optim.SparseAdam on a 6 x 3 table. */
static void test_sparse(void)
{
	enum { V = 6, D = 3 };
	float w[V * D], g[V * D];
	int32_t touched[V];
	nlp_param_block blk = {
	        .name = "table", .count = V * D, .rows = V, .cols = D, .touched = touched};
	nlp_params p = {.w = w, .g = g, .count = V * D, .blocks = &blk, .n_blocks = 1};
	nlp_optim_config c;
	nlp_optim *o = NULL;
	nlp_err err = {0};
	int all_ok = 1;

	nlp_optim_config_default(&c);
	c.lr = 0.05;
	fx_floats(w, "sparse.table0", V * D);
	nlp_optim_new(&o, &c, &p, 1, &err);
	/* Sentinels in the gradient of untouched rows: a sparse step must not
	 * read them, and zero_grad must not clear them. */
	for (int i = 0; i < V * D; i++)
		g[i] = 1e9f;
	for (int k = 0; k < 4; k++) {
		char key[64];
		int n;
		const double *rows, *gr;
		float before[V * D];
		snprintf(key, sizeof key, "sparse.rows%d", k);
		rows = fx_get(key, &n);
		snprintf(key, sizeof key, "sparse.grad%d", k);
		gr = fx_get(key, NULL);
		for (int r = 0; r < n; r++) {
			touched[r] = (int32_t)rows[r];
			for (int d = 0; d < D; d++)
				g[touched[r] * D + d] = (float)gr[r * D + d];
		}
		blk.n_touched = n;
		memcpy(before, w, sizeof w);
		if (nlp_optim_step(o, &p, 1, NULL, &err)) {
			diag("%s", err.msg);
			all_ok = 0;
		}
		snprintf(key, sizeof key, "sparse.after%d", k);
		all_ok &= close_fx(w, key, V * D, 1e-6, 1e-5);
		for (int r = 0; r < V; r++) {
			int hit = 0;
			for (int i = 0; i < n; i++)
				hit |= touched[i] == r;
			if (!hit && memcmp(before + r * D, w + r * D, sizeof(float) * D))
				all_ok = 0;
		}
		nlp_optim_zero_grad(&p, 1);
		for (int i = 0; i < n; i++)
			for (int d = 0; d < D; d++)
				if (g[touched[i] * D + d] != 0.0f)
					all_ok = 0;
	}
	ok(all_ok, "lazy sparse Adam: only touched rows move");
	{
		int sentinels = 0;
		for (int i = 0; i < V * D; i++)
			sentinels += g[i] == 1e9f;
		is_int(sentinels, D,
		       "zero_grad clears only touched rows (row 0 kept its sentinel)");
	}
	nlp_optim_free(o);
}

/* A sparse block with every row touched updates exactly like a dense one,
 * for every rule (with weight decay, clipping and a schedule). */
static void test_sparse_equals_dense(void)
{
	const nlp_optim_kind kinds[] = {NLP_OPTIM_SGD, NLP_OPTIM_ADAM, NLP_OPTIM_ADAMW};
	enum { V = 5, D = 4 };

	for (int k = 0; k < 3; k++) {
		float wd[V * D], gd[V * D], ws[V * D], gs[V * D];
		int32_t touched[V] = {3, 0, 4, 1, 2};
		nlp_param_block bd = {.name = "t", .count = V * D, .decay = 1};
		nlp_param_block bs = {.name = "t",
		                      .count = V * D,
		                      .decay = 1,
		                      .rows = V,
		                      .cols = D,
		                      .touched = touched,
		                      .n_touched = V};
		nlp_params pd = {wd, gd, V * D, &bd, 1}, ps = {ws, gs, V * D, &bs, 1};
		nlp_optim *od = NULL, *os = NULL;
		nlp_optim_config c;
		nlp_err err = {0};
		nlp_rng r;
		char what[100];

		nlp_optim_config_default(&c);
		c.kind = kinds[k], c.lr = 0.1, c.weight_decay = 0.05, c.clip_norm = 1.0;
		c.schedule = NLP_LR_LINEAR, c.warmup_steps = 2, c.total_steps = 8;
		nlp_rng_seed(&r, 11);
		for (int i = 0; i < V * D; i++)
			wd[i] = ws[i] = nlp_rng_normal(&r);
		nlp_optim_new(&od, &c, &pd, 1, &err);
		nlp_optim_new(&os, &c, &ps, 1, &err);
		for (int s = 0; s < 6; s++) {
			for (int i = 0; i < V * D; i++)
				gd[i] = gs[i] = nlp_rng_normal(&r);
			nlp_optim_step(od, &pd, 1, NULL, &err);
			nlp_optim_step(os, &ps, 1, NULL, &err);
		}
		snprintf(what, sizeof what, "%s: all rows touched = dense, bit for bit",
		         nlp_optim_kind_name(kinds[k]));
		ok(memcmp(wd, ws, sizeof wd) == 0, what);
		nlp_optim_free(od);
		nlp_optim_free(os);
	}
}

static void test_schedule_and_clip(void)
{
	nlp_optim_config c;
	nlp_optim *o = NULL;
	nlp_params p = params7();
	nlp_err err = {0};
	double want[] = {0.5, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0};
	int good = 1;
	double norm;

	nlp_optim_config_default(&c);
	c.kind = NLP_OPTIM_SGD, c.lr = 1.0, c.momentum = 0;
	c.schedule = NLP_LR_LINEAR, c.warmup_steps = 2, c.total_steps = 6;
	nlp_optim_new(&o, &c, &p, 1, &err);
	memset(g_, 0, sizeof g_);
	for (int s = 0; s < 8; s++) {
		if (fabs(nlp_optim_lr(o) - want[s]) > 1e-12) {
			diag("step %d: lr %g, want %g", s, nlp_optim_lr(o), want[s]);
			good = 0;
		}
		nlp_optim_step(o, &p, 1, NULL, &err);
	}
	ok(good, "warm-up 2 then linear decay to 0 at step 6");
	nlp_optim_free(o);

	c.schedule = NLP_LR_CONSTANT, c.warmup_steps = 4;
	nlp_optim_new(&o, &c, &p, 1, &err);
	good = 1;
	for (int s = 0; s < 6; s++) {
		double w = s < 4 ? (s + 1) / 4.0 : 1.0;
		good &= fabs(nlp_optim_lr(o) - w) < 1e-12;
		nlp_optim_step(o, &p, 1, NULL, &err);
	}
	ok(good, "warm-up 4 then constant");
	nlp_optim_free(o);

	for (int i = 0; i < NP; i++)
		g_[i] = (float)(i + 1); /* norm sqrt(140) */
	norm = nlp_optim_clip(&p, 1, 1.0);
	is_double(norm, sqrt(140.0), 1e-9, "global norm before clipping");
	is_double(nlp_optim_grad_norm(&p, 1), 1.0, 1e-5, "global norm after clipping is max_norm");
	norm = nlp_optim_clip(&p, 1, 10.0);
	ok(fabs(g_[0] - 1.0 / sqrt(140.0)) < 1e-6, "no clipping below max_norm");

	/* across stages: two stages of one block each */
	{
		float w1[2] = {0}, g1[2] = {3, 0}, w2[1] = {0}, g2[1] = {4};
		nlp_param_block b1 = {.name = "a", .count = 2}, b2 = {.name = "b", .count = 1};
		nlp_params ps[2] = {{w1, g1, 2, &b1, 1}, {w2, g2, 1, &b2, 1}};
		norm = nlp_optim_clip(ps, 2, 1.0);
		is_double(norm, 5.0, 1e-12, "global norm across stages");
		ok(fabsf(g1[0] - 0.6f) < 1e-6f && fabsf(g2[0] - 0.8f) < 1e-6f,
		   "clipping scales every stage by the same factor");
	}
}

/* Save after 2 steps, load into a fresh optimizer, 3 more steps: the same
 * bits as 5 steps in one go. */
/* A format-1 state (no flag, no per-stage steps; the moment always there),
 * made from a format-3 one of SGD with momentum, resumes the same run. */
static void test_load_v1(const nlp_optim_config *c, nlp_params *p, const nlp_buf *v3,
                         const float *w_saved, const float *straight, const double *grads)
{
	/* magic, version, kind, steps (u64), n, then format 2's flag, then
	 * the one stage's count (u64) and format 3's steps of it (u64) */
	const size_t at = 4 + 4 + 4 + 8 + 4;
	unsigned char *v1 = malloc(v3->len);
	nlp_optim *o = NULL;
	nlp_cursor cur;
	nlp_err err = {0};

	memcpy(v1, v3->data, at);
	memcpy(v1 + at, v3->data + at + 4, 8);
	memcpy(v1 + at + 8, v3->data + at + 4 + 16, v3->len - at - 4 - 16);
	v1[4] = 1;
	memcpy(w_, w_saved, sizeof w_);
	nlp_optim_new(&o, c, p, 1, &err);
	cur = (nlp_cursor){v1, v1 + v3->len - 12};
	ok(nlp_optim_load(o, &cur, &err) == NLP_OK && cur.p == cur.end, "a format-1 state loads");
	for (int s = 2; s < NSTEP; s++) {
		for (int i = 0; i < NP; i++)
			g_[i] = (float)grads[s * NP + i];
		nlp_optim_step(o, p, 1, NULL, &err);
	}
	ok(memcmp(straight, w_, sizeof w_) == 0, "and resumes the run bit for bit");
	nlp_optim_free(o);
	free(v1);
}

static void test_save_load(void)
{
	const nlp_optim_kind kinds[] = {NLP_OPTIM_SGD, NLP_OPTIM_ADAM, NLP_OPTIM_ADAMW};
	const double *grads = fx_get("opt.grads", NULL);

	/* k = 3: plain SGD (momentum 0), which keeps no state but the step */
	for (int k = 0; k < 4; k++) {
		nlp_optim_config c;
		nlp_params p = params7();
		nlp_optim *o = NULL, *o2 = NULL;
		nlp_err err = {0};
		nlp_buf buf = {0};
		nlp_cursor cur;
		float straight[NP], w_saved[NP];
		char what[100];
		int trunc_ok = 1;

		nlp_optim_config_default(&c);
		c.kind = kinds[k % 3], c.lr = 0.05, c.weight_decay = 0.01;
		if (k == 3)
			c.momentum = 0;
		c.schedule = NLP_LR_LINEAR, c.warmup_steps = 1, c.total_steps = 10;
		fx_floats(w_, "opt.p0", NP);
		nlp_optim_new(&o, &c, &p, 1, &err);
		for (int s = 0; s < NSTEP; s++) {
			for (int i = 0; i < NP; i++)
				g_[i] = (float)grads[s * NP + i];
			nlp_optim_step(o, &p, 1, NULL, &err);
			if (s == 1) {
				nlp_optim_save(o, &buf, &err);
				memcpy(w_saved, w_, sizeof w_);
			}
		}
		memcpy(straight, w_, sizeof w_);
		nlp_optim_free(o);

		memcpy(w_, w_saved, sizeof w_);
		nlp_optim_new(&o2, &c, &p, 1, &err);
		cur = (nlp_cursor){buf.data, buf.data + buf.len};
		snprintf(what, sizeof what, "%s%s: state loads", nlp_optim_kind_name(kinds[k % 3]),
		         k == 3 ? " (momentum 0)" : "");
		ok(nlp_optim_load(o2, &cur, &err) == NLP_OK && cur.p == cur.end, what);
		for (int s = 2; s < NSTEP; s++) {
			for (int i = 0; i < NP; i++)
				g_[i] = (float)grads[s * NP + i];
			nlp_optim_step(o2, &p, 1, NULL, &err);
		}
		snprintf(what, sizeof what, "%s%s: resumed run is bit-identical",
		         nlp_optim_kind_name(kinds[k % 3]), k == 3 ? " (momentum 0)" : "");
		ok(memcmp(straight, w_, sizeof w_) == 0, what);
		if (k == 3)
			ok(buf.len < 64, "momentum 0: no moment in the saved state");
		if (k == 0)
			test_load_v1(&c, &p, &buf, w_saved, straight, grads);
		for (size_t cut = 0; cut < buf.len; cut++) {
			cur = (nlp_cursor){buf.data, buf.data + cut};
			if (nlp_optim_load(o2, &cur, &err) != NLP_EDATA)
				trunc_ok = 0;
		}
		snprintf(what, sizeof what, "%s: truncated state at each of %zu offsets: NLP_EDATA",
		         nlp_optim_kind_name(kinds[k % 3]), buf.len);
		ok(trunc_ok, what);
		nlp_optim_free(o2);
		if (k == 1) { /* Adam state into an SGD optimizer */
			c.kind = NLP_OPTIM_SGD;
			nlp_optim_new(&o2, &c, &p, 1, &err);
			cur = (nlp_cursor){buf.data, buf.data + buf.len};
			is_int(nlp_optim_load(o2, &cur, &err), NLP_EDATA, "kind mismatch refused");
			like(err.msg, "for adam, the configuration says sgd", "message names both");
			nlp_optim_free(o2);
		}
		free(buf.data);
	}
}

/* Per-stage learning-rate scales: a frozen stage (scale 0) keeps its
 * weights and state and is left out of the norm; unfrozen, it starts as
 * under a fresh Adam (its own step count), also after a save and load;
 * scale 0.5 halves an SGD step. */
static void test_scales(void)
{
	float wa[NP], wb[NP], ga[NP], gb[NP], wc[NP], gc[NP], wb0[NP];
	nlp_params p[2] = {{.w = wa, .g = ga, .count = NP, .blocks = blocks_, .n_blocks = 2},
	                   {.w = wb, .g = gb, .count = NP, .blocks = blocks_, .n_blocks = 2}};
	nlp_params pc = {.w = wc, .g = gc, .count = NP, .blocks = blocks_, .n_blocks = 2};
	nlp_optim_config c;
	nlp_optim *o = NULL, *o2 = NULL, *fresh = NULL;
	nlp_err err = {0};
	nlp_buf buf = {0};
	nlp_cursor cur;
	double norm = 0, want = 0;
	int same = 1;

	nlp_optim_config_default(&c);
	c.lr = 0.01;
	c.clip_norm = 1e-3; /* clips every step: the norm decides the step */
	for (int i = 0; i < NP; i++) {
		wa[i] = wb[i] = wc[i] = 0.1f * (float)(i + 1);
		ga[i] = 0.01f * (float)(i - 3);
	}
	memcpy(wb0, wb, sizeof wb);
	nlp_optim_new(&o, &c, p, 2, &err);
	ok(nlp_optim_set_scale(o, 1, 0, &err) == NLP_OK, "set_scale 0 (freeze) accepted");
	for (int s = 0; s < 3; s++) {
		for (int i = 0; i < NP; i++) {
			ga[i] = 0.01f * (float)(i - 3);
			gb[i] = 100.0f * (float)(i + 1);
		}
		nlp_optim_step(o, p, 2, &norm, &err);
		nlp_optim_zero_grad(p, 2);
	}
	ok(memcmp(wb, wb0, sizeof wb) == 0, "a frozen stage's weights do not change");
	for (int i = 0; i < NP; i++)
		want += (double)(0.01f * (float)(i - 3)) * (0.01f * (float)(i - 3));
	is_double(norm, sqrt(want), 1e-9, "its gradient is left out of the norm");
	/* Unfrozen: the same update as a fresh optimizer's first step. */
	nlp_optim_save(o, &buf, &err);
	nlp_optim_new(&o2, &c, p, 2, &err);
	cur = (nlp_cursor){buf.data, buf.data + buf.len};
	ok(nlp_optim_load(o2, &cur, &err) == NLP_OK, "the state with per-stage steps loads");
	nlp_optim_new(&fresh, &c, &pc, 1, &err);
	nlp_optim_set_scale(o, 1, 1, &err);
	for (int i = 0; i < NP; i++)
		ga[i] = 0, gb[i] = gc[i] = 1e-4f * (float)(i + 2);
	nlp_optim_step(o, p, 2, NULL, &err);
	nlp_optim_step(fresh, &pc, 1, NULL, &err);
	ok(memcmp(wb, wc, sizeof wb) == 0, "unfrozen, it steps as a fresh Adam would");
	/* The loaded copy does the same (weights back to before the step). */
	memcpy(wc, wb, sizeof wb);
	memcpy(wb, wb0, sizeof wb);
	nlp_optim_set_scale(o2, 1, 1, &err);
	for (int i = 0; i < NP; i++)
		ga[i] = 0, gb[i] = 1e-4f * (float)(i + 2);
	nlp_optim_step(o2, p, 2, NULL, &err);
	same = memcmp(wb, wc, sizeof wb) == 0;
	ok(same, "and so does the saved and loaded optimizer");
	nlp_optim_free(o);
	nlp_optim_free(o2);
	nlp_optim_free(fresh);
	free(buf.data);
	/* SGD, scale 0.5: half the step. */
	nlp_optim_config_default(&c);
	c.kind = NLP_OPTIM_SGD, c.momentum = 0, c.lr = 0.1;
	nlp_optim_new(&o, &c, p, 2, &err);
	nlp_optim_set_scale(o, 0, 0.5, &err);
	for (int i = 0; i < NP; i++)
		wa[i] = wb[i] = 1, ga[i] = gb[i] = 1;
	nlp_optim_step(o, p, 2, NULL, &err);
	ok(fabsf(wa[0] - 0.95f) < 1e-6f && fabsf(wb[0] - 0.9f) < 1e-6f,
	   "SGD: scale 0.5 makes half the step of scale 1");
	is_int(nlp_optim_set_scale(o, 0, -1, &err), NLP_ECONFIG, "a negative scale is refused");
	like(err.msg, "must be 0 (frozen) or more", "  ... saying what it must be");
	is_int(nlp_optim_set_scale(o, 2, 1, &err), NLP_EINTERNAL, "a stage out of range");
	nlp_optim_free(o);
}

static void test_errors(void)
{
	nlp_optim_config c;
	nlp_optim *o = NULL;
	nlp_params p = params7();
	nlp_err err = {0};
	nlp_optim_kind kind;
	float keep[NP];

	nlp_optim_config_default(&c);
	c.lr = 0;
	is_int(nlp_optim_new(&o, &c, &p, 1, &err), NLP_ECONFIG, "lr 0 refused");
	nlp_optim_config_default(&c);
	c.lr = 1e-3;
	c.beta2 = 1.0;
	is_int(nlp_optim_new(&o, &c, &p, 1, &err), NLP_ECONFIG, "beta2 1 refused");
	nlp_optim_config_default(&c);
	c.lr = 1e-3;
	c.schedule = NLP_LR_LINEAR, c.warmup_steps = 10, c.total_steps = 5;
	is_int(nlp_optim_new(&o, &c, &p, 1, &err), NLP_ECONFIG, "total <= warm-up refused");
	is_int(nlp_optim_kind_parse("adagrad", &kind, &err), NLP_ECONFIG, "unknown optimizer");
	like(err.msg, "sgd, adam or adamw", "the message lists the choices");
	ok(nlp_optim_kind_parse("adamw", &kind, &err) == NLP_OK && kind == NLP_OPTIM_ADAMW,
	   "adamw parses");
	{
		/* the option table's list and the parser agree, both ways */
		char names[] = NLP_OPTIM_KIND_NAMES;
		int agree = 1, listed = 0;
		for (char *w = strtok(names, "|"); w; w = strtok(NULL, "|")) {
			agree &= nlp_optim_kind_parse(w, &kind, &err) == NLP_OK &&
			         strcmp(nlp_optim_kind_name(kind), w) == 0;
			listed++;
		}
		ok(agree && listed == 3, "every name in NLP_OPTIM_KIND_NAMES parses, and back");
		for (int k = NLP_OPTIM_SGD; k <= NLP_OPTIM_ADAMW; k++) {
			char want[32];
			snprintf(want, sizeof want, "|%s|", nlp_optim_kind_name((nlp_optim_kind)k));
			agree &= strstr("|" NLP_OPTIM_KIND_NAMES "|", want) != NULL;
		}
		ok(agree, "every optimizer's name is in NLP_OPTIM_KIND_NAMES");
	}
	nlp_optim_config_default(&c);
	is_int(nlp_optim_new(&o, &c, &p, 1, &err), NLP_ECONFIG,
	       "the defaults hold no learning rate: the caller gives it");

	nlp_optim_config_default(&c);
	c.lr = 1e-3;
	nlp_optim_new(&o, &c, &p, 1, &err);
	fx_floats(w_, "opt.p0", NP);
	memcpy(keep, w_, sizeof keep);
	memset(g_, 0, sizeof g_);
	g_[3] = NAN;
	is_int(nlp_optim_step(o, &p, 1, NULL, &err), NLP_EDATA, "NaN gradient: NLP_EDATA");
	ok(memcmp(keep, w_, sizeof keep) == 0 && nlp_optim_steps(o) == 0,
	   "nothing updated on a NaN gradient");
	p.count = 8;
	is_int(nlp_optim_step(o, &p, 1, NULL, &err), NLP_EINTERNAL, "shape change refused");
	nlp_optim_free(o);
	{
		float w[6] = {0}, g[6] = {0};
		int32_t rows[1] = {3};
		nlp_param_block blk = {.name = "table",
		                       .count = 6,
		                       .rows = 3,
		                       .cols = 2,
		                       .touched = rows,
		                       .n_touched = 1};
		nlp_params ps = {w, g, 6, &blk, 1};
		nlp_optim_config_default(&c);
		c.lr = 1e-3;
		nlp_optim_new(&o, &c, &ps, 1, &err);
		is_int(nlp_optim_step(o, &ps, 1, NULL, &err), NLP_EINTERNAL,
		       "a touched row outside the table is refused");
		nlp_optim_free(o);
	}
}

/* For the record: a dense Adam step over a 20000 x 128 table against a lazy
 * one over the 2000 rows a batch touches (not asserted: machines differ). */
static void time_sparse(void)
{
	enum { V = 20000, D = 128, R = 2000, N = 20 };
	float *w = calloc((size_t)V * D, sizeof(float)), *g = calloc((size_t)V * D, sizeof(float));
	int32_t *touched = malloc(R * sizeof *touched);
	nlp_param_block dense = {.name = "table", .count = (size_t)V * D, .rows = V, .cols = D};
	nlp_param_block sparse = dense;
	nlp_params p = {.w = w, .g = g, .count = (size_t)V * D, .blocks = &dense, .n_blocks = 1};
	nlp_optim_config c;
	nlp_optim *o = NULL;
	nlp_err err = {0};
	struct timespec t0, t1, t2;
	double td, ts;

	for (int i = 0; i < R; i++)
		touched[i] = (int32_t)((i * 7919) % V);
	sparse.touched = touched;
	sparse.n_touched = R;
	nlp_optim_config_default(&c);
	c.lr = 1e-3;
	nlp_optim_new(&o, &c, &p, 1, &err);
	nlp_optim_step(o, &p, 1, NULL, &err); /* fault the state's pages in */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int k = 0; k < N; k++) {
		nlp_optim_step(o, &p, 1, NULL, &err);
		nlp_optim_zero_grad(&p, 1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	p.blocks = &sparse;
	for (int k = 0; k < N; k++) {
		nlp_optim_step(o, &p, 1, NULL, &err);
		nlp_optim_zero_grad(&p, 1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t2);
	td = ((double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec)) / N;
	ts = ((double)(t2.tv_sec - t1.tv_sec) + 1e-9 * (double)(t2.tv_nsec - t1.tv_nsec)) / N;
	diag("Adam step + zero_grad on a 20000 x 128 table: dense %.2f ms, lazy over %d rows "
	     "%.3f ms",
	     td * 1e3, R, ts * 1e3);
	nlp_optim_free(o);
	free(w);
	free(g);
	free(touched);
}

int main(void)
{
	fx_load();
	test_fixtures();
	test_sparse();
	test_sparse_equals_dense();
	test_schedule_and_clip();
	test_save_load();
	test_scales();
	test_errors();
	time_sparse();
	diag("worst fixture error / tolerance: %.3f", fx_worst_);
	return done_testing();
}
