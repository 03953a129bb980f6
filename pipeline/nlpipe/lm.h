/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* nlpipe/lm.h - language models: pipelines whose last stage predicts the
 * next token (embedding -> lstm with pooling = none -> next_token).
 *
 * Such a pipeline is trained by `nlpipe train` (nlpipe/trainer.h) on plain
 * text: every document's ids get the id of the end-of-document token
 * NLP_LM_EOS appended, the documents of an epoch (in a seeded order) are
 * concatenated and cut into B parallel streams, walked in windows of
 * [train] bptt steps with the hidden state carried from window to window.
 * A document is evaluated on its own, from a zero state, reading NLP_LM_EOS
 * first and predicting each of its tokens and its closing NLP_LM_EOS.
 *
 * Ownership: pipelines, models and hosts are borrowed; what a function
 * fills is the caller's (free it with the matching _free).  Threads: a
 * pipeline is used by one thread at a time.
 */
#ifndef NLPIPE_LM_H
#define NLPIPE_LM_H

#include <stddef.h>
#include <stdint.h>

#include <nlpipe/model.h>
#include <nlpipe/nlpipe.h>
#include <nlpipe/reader.h>
#include <nlpipe/runner.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The end-of-document token: it enters the vocabulary in training. */
#define NLP_LM_EOS "</s>"

/* 1 when p is a language model: its last stage consumes a sequence, gives
 * scores and has the tie op of a head over the vocabulary (a next-token
 * head; one that never ties has it too and answers *tied = 0).  A head
 * without tie that reads a sequence is a classifier's. */
int nlp_pipeline_is_lm(const nlp_pipeline *p);
/* A language model's further checks (one id stream, an embedding with a
 * "table" block is the first trainable stage): NLP_ECONFIG naming what is
 * wrong. */
int nlp_lm_check(const nlp_pipeline *p, nlp_err *err);

/* After setup: the vocabulary size (rows of the "table" parameter block of
 * stage first), 0 when it has none. */
int nlp_lm_vocab_size(const nlp_pipeline *p, size_t first);
/* After setup: offer the head the table of stage first (nlp_train_ops.tie);
 * *tied = 1 when the head took it (the table is then updated densely). */
int nlp_lm_tie(nlp_pipeline *p, size_t first, int *tied, nlp_err *err);
/* After setup, in training and on loading: tie (nlp_lm_tie), and the ids
 * of NLP_LM_EOS and of an unknown token; NLP_ECONFIG when stage first has
 * no "table" block. */
int nlp_lm_setup(nlp_pipeline *p, size_t first, int *tied, int32_t *eos, int32_t *unk,
                 nlp_err *err);
/* With a tied table: prm's blocks (those of stage first) copied into
 * copy[0..cap) with the "table" block dense (touched NULL), and prm->blocks
 * pointed at the copy, so the optimizer updates every row the head's
 * gradient reaches. */
void nlp_lm_dense_table(nlp_params *prm, nlp_param_block *copy, int cap);
/* The id stage first maps token to. */
int nlp_lm_token_id(nlp_pipeline *p, size_t first, const char *token, int32_t *id, nlp_err *err);
/* The token id stands for (nlp_train_ops.token of stage first), or NULL
 * (id out of range, or the stage cannot tell). */
const char *nlp_lm_token(const nlp_pipeline *p, size_t first, int32_t id);

/* ---- Training batches: B parallel streams in windows of T steps ---- */
typedef struct nlp_lm_stream {
	int32_t *s;     /* [n] the documents' ids, NLP_LM_EOS before the first */
	uint8_t *start; /* [n] 1: a document's context starts here (its NLP_LM_EOS) */
	size_t n, cap;  /* ids in s, allocated */
	size_t L;       /* ids in each of the B streams */
	size_t windows; /* windows of the epoch */
	int B, T;       /* streams, steps a window */
	int reset;      /* reset the state where a document starts */
	int32_t *ids;   /* [T][B] window buffers */
	int32_t *next;  /* [T][B] */
	uint8_t *rst;   /* [T][B] */
	int *len;       /* [B] */
	size_t cap_win; /* entries allocated in ids, next and rst */
} nlp_lm_stream;

/* Concatenate docs[order[0..n)] (each ending with the id eos) behind one
 * eos, cut into B streams (fewer when there are not enough ids: at least
 * 2 each) and get ready to walk them in windows of T steps.  reset: the
 * windows mark where documents start (nlp_batch.reset).  Reuses ls's
 * memory; zero it before the first call. */
int nlp_lm_stream_build(nlp_lm_stream *ls, const nlp_doc_ids *docs, const size_t *order, size_t n,
                        int32_t eos, int B, int T, int reset, nlp_err *err);
/* Window w (0 <= w < ls->windows) into b: B, T, ids, len, next_ids, carry
 * (1 after the first window), reset; b's other fields are left alone. */
void nlp_lm_stream_window(nlp_lm_stream *ls, size_t w, nlp_batch *b);
void nlp_lm_stream_free(nlp_lm_stream *ls);

/* ---- Checkpoints: the state the streams carry ---- */
/* Append the state each stage of [first, n) keeps for the streams
 * (nlp_train_ops.carried: a recurrent encoder's h and c of every layer and
 * stream, after the last forward), so that a run resumed mid-epoch starts
 * its next window where the interrupted one would have: u32 stages, then a
 * stage's u32 length and bytes (0: it carries nothing). */
int nlp_lm_carried_save(nlp_pipeline *p, size_t first, nlp_buf *out, nlp_err *err);
/* Read what nlp_lm_carried_save wrote into the stages (set up, same
 * pipeline): NLP_EDATA when it does not fit them. */
int nlp_lm_carried_load(nlp_pipeline *p, size_t first, nlp_cursor *in, nlp_err *err);

/* ---- Evaluation ---- */
typedef struct nlp_lm_figures {
	uint64_t documents;
	uint64_t tokens; /* predicted tokens: every token and each document's NLP_LM_EOS */
	uint64_t oov;    /* of which out of the vocabulary (<unk>) */
	double nats;     /* summed cross-entropy, natural log */
} nlp_lm_figures;

/* Cross-entropy per token in nats (0 without tokens), in bits, and the
 * perplexity exp(nats per token). */
double nlp_lm_nats(const nlp_lm_figures *f);
double nlp_lm_bits(const nlp_lm_figures *f);
double nlp_lm_perplexity(const nlp_lm_figures *f);

/* Figures of stages [first, n) of p on docs[0..n) (ids ending with eos), B
 * documents a batch, in windows of T steps, full softmax (training off).
 * unk: the out-of-vocabulary id, counted in f->oov (-1: none). */
int nlp_lm_evaluate(nlp_pipeline *p, size_t first, const nlp_doc_ids *docs, size_t n, int32_t eos,
                    int32_t unk, int B, int T, nlp_lm_figures *f, nlp_err *err);

/* `nlpipe eval` of a language model: read paths (any files, folders or line
 * files; labels ignored) through m's text stages with threads workers and
 * evaluate, batch documents at a time (the figures do not depend on it).
 * Warnings go to h's diagnostics. */
int nlp_lm_eval_files(nlp_model *m, nlp_host *h, const char *const *paths, size_t n_paths,
                      const nlp_reader_opts *ro, int threads, int batch, nlp_lm_figures *f,
                      nlp_err *err);

/* ---- Generation ---- */
typedef struct nlp_lm_gen_opts {
	const char *prompt; /* fed first (through m's text stages); NULL or "": none */
	long max_tokens;    /* >= 1 */
	double temperature; /* > 0 */
	int top_k;          /* 0: the whole vocabulary */
	uint64_t seed;
} nlp_lm_gen_opts;

/* Called for each generated token; non-zero stops. */
typedef int (*nlp_lm_token_fn)(void *user, const char *token);

/* Sample up to o->max_tokens tokens from m after the prompt, one at a time,
 * stopping at NLP_LM_EOS (not handed out); the same seed gives the same
 * tokens.  *n_out (may be NULL) gets their number. */
int nlp_lm_generate(nlp_model *m, const nlp_lm_gen_opts *o, nlp_lm_token_fn fn, void *user,
                    long *n_out, nlp_err *err);

#ifdef __cplusplus
}
#endif
#endif /* NLPIPE_LM_H */
