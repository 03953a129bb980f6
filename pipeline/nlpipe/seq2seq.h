/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* nlpipe/seq2seq.h - sequence-to-sequence models: pipelines whose last stage
 * is a decoder (embedding -> encoder with pooling = none -> decoder),
 * trained by `nlpipe train` on line files of `source<TAB>target` pairs.
 *
 * Source and target go through the same text stages and, by default, one
 * vocabulary (the embedding's).  In memory a pair is one document of ids:
 * the source's, NLP_S2S_BOS, the target's, NLP_LM_EOS ("</s>"); so the
 * trainer splits, shuffles and maps pairs as it does documents.  With a
 * decoder of `vocabulary = own` (nlp_train_ops.target_id), the embedding
 * sees and maps only the sources, and NLP_S2S_BOS, the target's tokens and
 * NLP_LM_EOS are ids of the decoder's target vocabulary; such a pair has two
 * streams (nlp_doc_ids.streams: the source, then the rest).  A batch hands the encoder the sources
 * and the decoder (nlp_batch.dec_ids, ABI 2.4) NLP_S2S_BOS and the target (teacher forcing), to
 * predict the target and NLP_LM_EOS (dec_next).
 *
 * Ownership: pipelines, models and hosts are borrowed; what a function fills
 * is the caller's (free it with the matching _free).
 */
#ifndef NLPIPE_SEQ2SEQ_H
#define NLPIPE_SEQ2SEQ_H

#include <stddef.h>
#include <stdint.h>

#include <nlpipe/lm.h>
#include <nlpipe/model.h>
#include <nlpipe/nlpipe.h>
#include <nlpipe/runner.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The start token of the decoder's input (and the border of source and
 * target in a pair's ids); it enters the vocabulary in training. */
#define NLP_S2S_BOS "<s>"

/* 1 when p's last stage is a decoder (class "decoder"). */
int nlp_pipeline_is_s2s(const nlp_pipeline *p);

/* After setup: the ids of NLP_S2S_BOS and NLP_LM_EOS (stage first maps
 * them, or the decoder's own target vocabulary). */
int nlp_s2s_special_ids(nlp_pipeline *p, size_t first, int32_t *bos, int32_t *eos, nlp_err *err);

/* 1 when p's decoder keeps a target vocabulary of its own (vocabulary =
 * own); its ids are then the decoder's, not stage first's. */
int nlp_s2s_own_vocab(const nlp_pipeline *p);
/* The target token of an output id (NULL out of range) and the number of
 * target ids: the decoder's own vocabulary's, or stage first's. */
const char *nlp_s2s_token(const nlp_pipeline *p, size_t first, int32_t id);
int nlp_s2s_vocab_size(const nlp_pipeline *p, size_t first);

/* Training, with an own target vocabulary: show the decoder's observe the
 * target tokens of the pair tokens of streams (nlp_train_ops.target_id);
 * nothing otherwise. */
int nlp_s2s_observe(nlp_pipeline *p, const nlp_tokens *tokens, const uint32_t *streams,
                    nlp_err *err);
/* The ids of the pair tokens into d, as nlp_pipeline_map_ids; with an own
 * target vocabulary (d->streams set) the source through the pipeline, the
 * rest through the decoder's vocabulary, d->streams updated. */
int nlp_s2s_map_pair(nlp_pipeline *p, const nlp_tokens *tokens, nlp_doc_ids *d, nlp_doc *work,
                     nlp_err *err);

/* ---- Batches ---- */
typedef struct nlp_s2s_batch {
	nlp_batch b; /* points into the buffers below */
	int32_t *ids, *dec_ids, *dec_next;
	int *len, *dec_len;
	size_t cap_ids, cap_dids, cap_dnext, cap_len, cap_dlen;
} nlp_s2s_batch;

/* Fill sb with the pairs docs[idx[0..B)] (ids: source, bos, target, eos;
 * the border is the first bos, or where the pair's streams say):
 * the sources time-major in b.ids/b.len, the decoder's steps in b.U,
 * b.dec_ids (bos, target), b.dec_len, b.dec_next (target, eos).  A pair
 * without bos is NLP_EINTERNAL.  The caller sets b.training and b.rng. */
int nlp_s2s_batch_fill(nlp_s2s_batch *sb, const nlp_doc_ids *docs, const size_t *idx, int B,
                       int32_t bos, nlp_err *err);
void nlp_s2s_batch_free(nlp_s2s_batch *sb);

/* ---- Evaluation with the targets known (teacher forcing) ---- */
typedef struct nlp_s2s_figures {
	uint64_t pairs;
	uint64_t tokens;  /* predicted target tokens, each pair's end token included */
	uint64_t correct; /* of which the most probable token was right */
	uint64_t exact;   /* pairs whose every token was right */
	double nats;      /* summed cross-entropy */
} nlp_s2s_figures;

/* Figures of stages [first, n) of p on pairs docs[0..n), B a batch. */
int nlp_s2s_evaluate(nlp_pipeline *p, size_t first, const nlp_doc_ids *docs, size_t n, int32_t bos,
                     int B, nlp_s2s_figures *f, nlp_err *err);

/* ---- Decoding ---- */
typedef struct nlp_s2s_gen_opts {
	int beam;              /* 1: greedy; N > 1: beam search keeping N hypotheses */
	double length_penalty; /* alpha: a finished hypothesis ranks by its summed log
	                        * probability / (its tokens + 1)^alpha (0: none) */
	int max_len;           /* at most this many target tokens */
} nlp_s2s_gen_opts;

/* The most probable target of the source src[0..n_src) under stages
 * [first, n) of p (set up), by beam search (greedy with beam 1): its ids
 * without bos and eos into *out (malloc'd, the caller frees; may be NULL
 * when *n_out is 0).  The decoder runs from bos until eos or max_len
 * tokens. */
int nlp_s2s_decode(nlp_pipeline *p, size_t first, const int32_t *src, int n_src, int32_t bos,
                   int32_t eos, const nlp_s2s_gen_opts *o, int32_t **out, int *n_out, nlp_err *err);

/* One source text through m's text stages and embedding to ids (malloc'd). */
int nlp_s2s_source_ids(nlp_model *m, const char *name, const char *text, int32_t **ids, size_t *n,
                       nlp_err *err);

/* m's output for text: the decoded tokens joined by sep, into *out
 * (malloc'd, the caller frees).  Sets up the text stages for the one text:
 * to decode many, use a translator. */
int nlp_s2s_translate(nlp_model *m, const char *name, const char *text, const nlp_s2s_gen_opts *o,
                      const char *sep, char **out, nlp_err *err);

/* A translator decodes texts one after another with m (borrowed; it must
 * outlive the translator), its text stages set up once.  One thread at a
 * time. */
typedef struct nlp_s2s_translator nlp_s2s_translator;
/* NLP_ECONFIG when m is not a sequence-to-sequence model. */
int nlp_s2s_translator_new(nlp_s2s_translator **out, nlp_model *m, nlp_err *err);
void nlp_s2s_translator_free(nlp_s2s_translator *t); /* NULL is fine */
/* text's output as ids without bos and eos (*out malloc'd, may be NULL when
 * *n_out is 0): name (FILE:LINE) is for messages. */
int nlp_s2s_translator_ids(nlp_s2s_translator *t, const char *name, const char *text,
                           const nlp_s2s_gen_opts *o, int32_t **out, int *n_out, nlp_err *err);
/* The same as nlp_s2s_translate. */
int nlp_s2s_translator_run(nlp_s2s_translator *t, const char *name, const char *text,
                           const nlp_s2s_gen_opts *o, const char *sep, char **out, nlp_err *err);

/* ---- Scores of outputs against references ---- */
typedef struct nlp_s2s_scores {
	uint64_t pairs, exact;        /* pairs, of which output == reference (every token) */
	uint64_t ref_tokens, correct; /* reference tokens; positions where the output's
	                               * token equals the reference's */
	uint64_t hyp_tokens;
	uint64_t ngram_match[4], ngram_total[4];       /* BLEU: clipped matches, output n-grams */
	uint64_t chr_match[6], chr_hyp[6], chr_ref[6]; /* chrF: character n-grams */
} nlp_s2s_scores;

/* Add one pair: the output's tokens hyp[0..nh) against the reference's
 * ref[0..nr). */
int nlp_s2s_score_add(nlp_s2s_scores *s, const char *const *hyp, size_t nh, const char *const *ref,
                      size_t nr);
/* Corpus BLEU-4 (Papineni et al. 2002: geometric mean of the clipped n-gram
 * precisions, brevity penalty) over tokens, 0..100. */
double nlp_s2s_bleu(const nlp_s2s_scores *s);
/* Corpus chrF (Popovic 2015: character 1..6-grams of the tokens joined
 * without spaces, precision and recall averaged over n, beta = 2), 0..100. */
double nlp_s2s_chrf(const nlp_s2s_scores *s);

/* `nlpipe eval` of a sequence-to-sequence model: decode the sources of the
 * pair files paths and score the outputs against their targets (both as
 * the model's text stages tokenize them). */
int nlp_s2s_eval_files(nlp_model *m, const char *const *paths, size_t n_paths,
                       const nlp_s2s_gen_opts *o, nlp_s2s_scores *s, nlp_err *err);

/* ---- Examples and the HTML report (`nlpipe eval --report`) ---- */
#define NLP_S2S_EXAMPLES 6 /* kept of each kind, right and wrong */

typedef struct nlp_s2s_example {
	char *name;               /* FILE:LINE of the pair */
	char **src, **out, **ref; /* tokens: the source's, the output's (then NLP_LM_EOS
	                           * when the decoder ended it), the reference's */
	size_t n_src, n_out, n_ref;
	float *att; /* [n_out x n_src]: the attention of each output step over the
	             * source, or NULL (no weights: attention = none, or a beam) */
	int exact;  /* the output is the reference */
} nlp_s2s_example;

typedef struct nlp_s2s_examples {
	nlp_s2s_example right[NLP_S2S_EXAMPLES], wrong[NLP_S2S_EXAMPLES]; /* the first ones */
	size_t n_right, n_wrong;
	int no_attention; /* the decoder gives no attention weights */
} nlp_s2s_examples;

/* nlp_s2s_eval_files that also keeps the first pairs decoded right and
 * wrong, with their attention weights when o decodes greedily, in *E (or
 * NULL; free with nlp_s2s_examples_free). */
int nlp_s2s_eval_examples(nlp_model *m, const char *const *paths, size_t n_paths,
                          const nlp_s2s_gen_opts *o, nlp_s2s_scores *s, nlp_s2s_examples *E,
                          nlp_err *err);
void nlp_s2s_examples_free(nlp_s2s_examples *E);

/* Write the HTML report of s and E (pipeline/report.c): the scores,
 * attention heatmaps of the examples (wrong ones first), and the model
 * when m is not NULL.  Written atomically (temporary file, then rename). */
int nlp_s2s_write_report(const char *path, const nlp_s2s_scores *s, const nlp_s2s_examples *E,
                         const char *title, const nlp_model *m, nlp_err *err);

#ifdef __cplusplus
}
#endif
#endif /* NLPIPE_SEQ2SEQ_H */
