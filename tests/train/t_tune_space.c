/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_tune_space.c - the [tune] space (nlpipe/tune.h): lists and ranges read
 * and checked against a real pipeline's option tables, values drawn within
 * them (every candidate and whole number reached, log ranges spread by
 * their logarithm, the same seed the same draws), and --budget texts. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlpipe/tune.h"
#include "tests/tap.h"

#define N 4000

static const char pipeline[] = "[pipeline]\n"
                               "stages = tok, embed, encode, head\n"
                               "[tok]\ntype = tokenizer\n"
                               "[embed]\ntype = embedding\ndim = 16\n"
                               "[encode]\ntype = lstm\nhidden = 16\n"
                               "[head]\ntype = softmax\n"
                               "[train]\nepochs = 9\n"
                               "[tune]\n";

/* The space of pipeline + tune_lines; NULL (err filled) when refused. */
static nlp_tune_space *space_of(nlp_host *h, const char *tune_lines, nlp_err *err)
{
	char text[4096];
	nlp_ini *ini = NULL;
	nlp_pipeline *p = NULL;
	nlp_tune_space *s = NULL;

	snprintf(text, sizeof text, "%s%s", pipeline, tune_lines);
	memset(err, 0, sizeof *err);
	if (!nlp_ini_parse(&ini, "p.ini", text, strlen(text), err) &&
	    !nlp_pipeline_new(&p, h, ini, err))
		nlp_tune_space_new(&s, ini, p, err);
	nlp_pipeline_free(p);
	nlp_ini_free(ini);
	return s;
}

static void check_draws(nlp_host *h)
{
	nlp_err err;
	nlp_tune_space *s = space_of(h,
	                             "encode.hidden = 8, 16, 32\n"
	                             "train.learning_rate = 0.0001 .. 0.01 log\n"
	                             "embed.dim = 8 .. 12\n"
	                             "head.dropout = 0 .. 0.5\n"
	                             "train.warmup = 1 .. 1000 log\n",
	                             &err);
	int seen[3] = {0}, whole[5] = {0}, inside = 1, same = 1, low_lr = 0, low_drop = 0,
	    low_warm = 0;
	char buf[64], first[5][64];
	nlp_rng r;

	ok(s != NULL, "a list and ranges of int and float options are accepted");
	if (!s) {
		diag("%s", err.msg);
		return;
	}
	is_int((long long)nlp_tune_space_count(s), 5, "five options");
	is_int(nlp_tune_space_param(s, 2)->integer, 1,
	       "a range of an int option is of whole numbers");
	is_int(nlp_tune_space_param(s, 1)->log, 1, "... 'log' makes it log-uniform");
	nlp_rng_seed(&r, 7);
	for (int i = 0; i < N; i++) {
		double v;
		for (size_t k = 0; k < 5; k++) {
			nlp_tune_sample(nlp_tune_space_param(s, k), &r, buf, sizeof buf);
			if (i == 0)
				snprintf(first[k], sizeof first[k], "%s", buf);
			v = strtod(buf, NULL);
			if (k == 0)
				seen[v == 8 ? 0 : v == 16 ? 1 : 2]++;
			if (k == 0 && v != 8 && v != 16 && v != 32)
				inside = 0;
			if (k == 1) {
				inside &= v >= 0.0001 && v <= 0.01;
				low_lr += v < 0.001;
			}
			if (k == 2) {
				inside &= v >= 8 && v <= 12 && v == floor(v) && !strchr(buf, '.');
				if (v >= 8 && v <= 12)
					whole[(int)v - 8]++;
			}
			if (k == 3) {
				inside &= v >= 0 && v <= 0.5;
				low_drop += v < 0.25;
			}
			if (k == 4) {
				inside &= v >= 1 && v <= 1000 && v == floor(v);
				low_warm += v < 32;
			}
		}
	}
	ok(inside, "every value drawn is a candidate or within its range");
	ok(seen[0] > N / 4 && seen[1] > N / 4 && seen[2] > N / 4, "each candidate is drawn");
	ok(whole[0] > N / 8 && whole[4] > N / 8, "both ends of an int range are drawn");
	is_double(low_lr / (double)N, 0.5, 0.05, "log range: half below the geometric mean");
	is_double(low_drop / (double)N, 0.5, 0.05, "linear range: half below the middle");
	is_double(low_warm / (double)N, 0.5, 0.05, "log int range: half below sqrt(hi+1)");
	nlp_rng_seed(&r, 7);
	for (size_t k = 0; k < 5; k++) {
		nlp_tune_sample(nlp_tune_space_param(s, k), &r, buf, sizeof buf);
		same &= strcmp(buf, first[k]) == 0;
	}
	ok(same, "the same seed draws the same values");
	nlp_tune_space_free(s);
}

/* [tune] lines refused, and the message each gives. */
static void check_refusals(nlp_host *h)
{
	static const struct {
		const char *line, *msg;
	} cases[] = {
	        {"hidden = 8\n", "p.ini:16: [tune] 'hidden': name an option as SECTION.KEY"},
	        {"encode. = 8\n", "p.ini:16: [tune] 'encode.': name an option as SECTION.KEY"},
	        {"encod.hidden = 8\n",
	         "p.ini:16: [tune] encod.hidden: no stage 'encod' in [pipeline] stages; did you "
	         "mean 'encode'?"},
	        {"encode.hiden = 8\n",
	         "[tune] encode.hiden: [encode] has no option 'hiden'; did you mean 'hidden'?"},
	        {"encode.type = lstm, gru\n", "[tune] encode.type: [encode] has no option 'type'"},
	        {"train.seed = 1, 2\n", "[tune] train.seed: cannot be tuned: every trial trains"},
	        {"train.metric = loss\n", "[tune] train.metric: cannot be tuned"},
	        {"embed.dim = 8, 5000\n",
	         "[tune] embed.dim = '5000': int must be between 1 and 4096"},
	        {"embed.dim = 8, x\n", "[tune] embed.dim = 'x': int expects a whole number"},
	        {"embed.dim = 8,,16\n", "[tune] embed.dim = '8,,16': an empty candidate"},
	        {"embed.dim = 8 .. 16.5\n",
	         "[tune] embed.dim = '16.5': int expects a whole number"},
	        {"embed.dim = 16 .. 8\n", "the low end must be below the high end"},
	        {"embed.dim = 8 .. 16 cubic\n",
	         "expected a list (A, B, C) or a range (LOW .. HIGH"},
	        {"embed.dim = 8 ..\n", "expected a list (A, B, C) or a range"},
	        {"embed.dim = .. 8\n", "expected a list (A, B, C) or a range"},
	        {"train.learning_rate = 0 .. 0.1 log\n", "a log range needs a low end above 0"},
	        {"head.dropout = 0.1 .. 0.4 int\n", "a range of whole numbers needs whole ends"},
	        {"train.optimizer = adam .. sgd\n",
	         "[tune] train.optimizer = 'adam .. sgd': a range needs a number option, and "
	         "[train] optimizer is enum"},
	        {"train.optimizer = adam, nesterov\n",
	         "[tune] train.optimizer = 'nesterov': enum must be one of: adam, adamw, sgd"},
	};
	nlp_err err;

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		nlp_tune_space *s = space_of(h, cases[i].line, &err);
		char name[200];
		snprintf(name, sizeof name, "refused: %.*s", (int)strlen(cases[i].line) - 1,
		         cases[i].line);
		ok(s == NULL && err.code == NLP_ECONFIG, name);
		like(err.msg, cases[i].msg, "... with its message");
		nlp_tune_space_free(s);
	}
}

static void check_budgets(void)
{
	static const struct {
		const char *text;
		double seconds;
		long epochs;
		int rc;
	} cases[] = {
	        {"20m", 1200, 0, NLP_OK},    {"90s", 90, 0, NLP_OK},
	        {"2h", 7200, 0, NLP_OK},     {"1.5m", 90, 0, NLP_OK},
	        {"300e", 0, 300, NLP_OK},    {"", 0, 0, NLP_ECONFIG},
	        {"20", 0, 0, NLP_ECONFIG},   {"m", 0, 0, NLP_ECONFIG},
	        {"-5m", 0, 0, NLP_ECONFIG},  {"0s", 0, 0, NLP_ECONFIG},
	        {"1.5e", 0, 0, NLP_ECONFIG}, {"20mm", 0, 0, NLP_ECONFIG},
	        {"20 m", 0, 0, NLP_ECONFIG}, {"300x", 0, 0, NLP_ECONFIG},
	        {"infs", 0, 0, NLP_ECONFIG},
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		nlp_err err = {0};
		double s = -1;
		long e = -1;
		char name[100];
		int rc = nlp_tune_budget_parse(cases[i].text, &s, &e, &err);
		snprintf(name, sizeof name, "--budget '%s'", cases[i].text);
		ok(rc == cases[i].rc && (rc || (s == cases[i].seconds && e == cases[i].epochs)),
		   name);
		if (rc)
			like(err.msg, "give a time (90s, 20m, 2h) or epochs",
			     "... refused, saying why");
	}
}

int main(void)
{
	nlp_host *h = NULL;
	nlp_err err = {0};

	if (nlp_host_new(&h, &err)) {
		ok(0, "a host");
		return done_testing();
	}
	check_draws(h);
	check_refusals(h);
	check_budgets();
	nlp_host_free(h);
	return done_testing();
}
