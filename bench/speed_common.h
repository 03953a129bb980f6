/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* bench/speed_common.h - what bench/speed_nlpipe and bench/lm_speed_nlpipe
 * share: a pipeline built from an in-memory INI (text stages, then trainable
 * stages), its vocabulary filled with synthetic words, set up, initialised
 * and given Adam; one training step; the ids file both read and the options
 * both take.  Not a test. */
#ifndef NLP_BENCH_SPEED_COMMON_H
#define NLP_BENCH_SPEED_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <nlpipe/nlpipe.h>
#include <nlpipe/optim.h>
#include <nlpipe/runner.h>

#define BENCH_MAX_STAGES 8

typedef struct bench {
	nlp_host *h;
	nlp_ini *ini;
	nlp_pipeline *p;
	nlp_optim *o;
	nlp_params prm[BENCH_MAX_STAGES];
	size_t first, n;
	int dense; /* 1: the embedding's table updated densely (nlp_lm_dense_table) */
	nlp_param_block dense_blocks[16];
} bench;

double bench_now(void);
/* CPU seconds of the process (every thread), for rates on a busy machine. */
double bench_cpu_now(void);

/* The pipeline of INI text whose trainable part has `stages` stages (not
 * set up). */
int bench_open(bench *k, const char *text, int stages, nlp_err *err);
/* After setup: the parameters, initialised from seed, and the optimizer. */
int bench_init(bench *k, uint64_t seed, const nlp_optim_config *oc, nlp_err *err);
/* Builds the pipeline of INI text whose trainable part has `stages` stages
 * and starts with an embedding: V - 2 synthetic words "w0".."wV-3", setup
 * with n_classes, init with seed 1, Adam at lr 1e-3. */
int bench_build(bench *k, const char *text, int stages, int V, int n_classes, nlp_err *err);
void bench_unbuild(bench *k);

/* Forward, loss, backward through every stage, one Adam step, zeroed
 * gradients. */
int bench_train_step(bench *k, const nlp_batch *b, double *loss, nlp_err *err);

/* An ids file: little-endian int32 B, T, n, then n records of (T + 1) * B
 * values, each in [0, V) (what a record holds is the program's). */
typedef struct bench_ids {
	int B, T, n;
	int32_t *data; /* n x (T + 1) * B; the caller frees it, also on failure */
} bench_ids;

int bench_read_ids(bench_ids *f, const char *path, int V, nlp_err *err);
/* Record s modulo n: the records are used in turn, cyclically. */
const int32_t *bench_ids_record(const bench_ids *f, int s);

/* The options both programs take, for getopt: -i IDS, -E dim, -H hidden,
 * -V vocabulary, -j threads, -s train steps, -f forward-only steps, -w
 * warm-up steps (untimed, before each timed run). */
#define BENCH_OPTS "i:E:H:V:j:s:f:w:"

typedef struct bench_opts {
	const char *path;
	int E, H, V, threads, train_steps, eval_steps, warm;
} bench_opts;

/* 1 when getopt's opt is one of BENCH_OPTS (its value arg stored in o), 0
 * when not. */
int bench_option(bench_opts *o, int opt, const char *arg);
/* 1 when o's values are usable: a path, sizes >= 1 (V >= 3), 1 to 64
 * threads, step counts >= 0. */
int bench_opts_ok(const bench_opts *o);

#endif
