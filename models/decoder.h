/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* models/decoder.h - the `decoder` stage of an encoder-decoder
 * (sequence-to-sequence) model: a recurrent network that generates the
 * target token by token, with attention over the encoder's output sequence.
 * Internal to the rnn module (plugins/rnn.c).
 *
 * Consumes NLP_KIND_SEQUENCE (the encoder's states E, T x B x D, an encoder
 * with pooling = none; b->len are the source lengths) and produces
 * NLP_KIND_SCORES: the probabilities U x B x V of the next target token at
 * each decoder step (zero rows past b->dec_len[b]); V = n_classes = the
 * vocabulary size (one vocabulary for source and target), or with
 * `vocabulary = own` the size of the decoder's own target vocabulary (built
 * by observe from the targets' tokens, kept in its saved state, reached by
 * the host through the token and target_id ops).  The decoder reads
 * its own input ids from the batch (nlp_batch.dec_ids, ABI 2.4: the start
 * token then the target, teacher forcing) and learns from nlp_batch.dec_next.
 *
 * One step u of document b (Luong et al. 2015, global attention without
 * input feeding):
 *   x_u   = emb[dec_ids[u][b]]                         [E]   (own table V x E)
 *   h_u   = cell(x_u, h_{u-1}), h_0 = 0                [H]   (rnn|lstm|gru, layers)
 *   s_t   = h_u . Wa e_t              multiplicative   (Wa [D x H])
 *         = v . tanh(W1 e_t + W2 h_u) additive         (W1 [A x D], W2 [A x H], v [A])
 *         = 0                         none             (the mean of the states)
 *   a     = softmax over t < len[b] of s;  c_u = sum_t a_t e_t          [D]
 *   o_u   = tanh(Wc [c_u; h_u] + bc)                   [E]   (dropout in training)
 *   p_u   = softmax(Wo o_u + bo)                       [V]   (Wo = emb when tied)
 * The loss is the mean cross-entropy over the steps with dec_next >= 0.
 *
 * Decoding (ABI 2.5): a forward that is not training with U = 1 keeps each
 * column's cell state and the encoder's states; a forward with carry then
 * runs one more step from the states of the columns dec_from names (in is
 * not read), giving bit for bit the probabilities of a forward over the
 * whole prefix (every product of the forward is nk_gemm_rows).  The
 * attention op gives the last such forward's weights.
 */
#ifndef NLP_MODELS_DECODER_H
#define NLP_MODELS_DECODER_H

#include <nlpipe/plugin.h>
#include <nlpipe/train.h>

/* The start and end tokens of a target vocabulary of the decoder's own
 * (nlpipe/seq2seq.h's NLP_S2S_BOS and NLP_LM_EOS). */
#define NLP_DEC_BOS "<s>"
#define NLP_DEC_EOS "</s>"

enum dec_att { DEC_ATT_NONE, DEC_ATT_ADDITIVE, DEC_ATT_MULTIPLICATIVE };

typedef struct decoder_opts {
	int cell;       /* enum rec_cell */
	int hidden;     /* H */
	int layers;     /* stacked layers of the cell */
	int dim;        /* E: the target embedding and output projection width */
	int att;        /* enum dec_att */
	int att_dim;    /* A (additive); 0: H */
	int tie;        /* tie_weights: Wo = the target embedding */
	float dropout;  /* on o_u, and between the cell's layers (training) */
	float sampling; /* scheduled sampling rate (training), in [0, 1] */
	int own_vocab;  /* vocabulary = own: a target vocabulary of its own */
	int min_count;  /* own: target tokens seen fewer times are <unk> */
} decoder_opts;

extern const nlp_stage_class rec_decoder_class;

/* An instance of the class (use the class's ops on it). */
int decoder_new(void **self, const char *name, const decoder_opts *o, nlp_err *err);
/* Reference loops instead of BLAS (tests). */
void decoder_set_naive(void *self, int naive);

#endif /* NLP_MODELS_DECODER_H */
