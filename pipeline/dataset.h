/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* dataset.h - a whole labelled data set read through the text stages, as
 * token ids (or tokens, before a vocabulary exists): what the trainer
 * trains and validates on (internal to libnlpipe).  Read with a
 * nlp_dataset_spill, the ids (tokens) go to a write-once store (spill.h)
 * that keeps them in a temporary file beyond a memory limit: only the
 * documents' records (nlp_doc_ids, 24 bytes each) stay in memory. */
#ifndef NLP_DATASET_H
#define NLP_DATASET_H

#include "nlpipe/reader.h"
#include "nlpipe/runner.h"
#include "pipeline/spill.h"

typedef struct nlp_dataset {
	nlp_doc_ids *docs; /* [n] (ids owned; with store: ids borrowed from it) */
	size_t n, cap;
	nlp_tokens *tokens; /* [n] when read as tokens into memory, else NULL */
	/* The store (a counted reference) when read with a nlp_dataset_spill:
	 * docs[i].ids points into it, at document i's ids, or with tokens at
	 * its tokens (nlp_dataset_tokens reads them); docs[i].streams are
	 * still owned.  NULL: everything in memory. */
	nlp_spill *store;
	int store_tokens; /* the store holds tokens (not ids) */
	char **labels;    /* the label names (from the data or given) */
	size_t n_labels;
	uint64_t tokens_total;
	uint64_t refused;       /* documents a stage refused (named as warnings) */
	uint64_t unlabelled;    /* documents left out: no known label */
	nlp_reader_stats stats; /* the reader's counts */
	/* Multi-label data: sets[i] (owned) is document i's label indices,
	 * sets[i][0] of them from sets[i][1] on, or NULL for the one label
	 * docs[i].label.  sets is NULL when no document has several labels. */
	int **sets;
	size_t sets_cap;
	size_t multi;      /* documents with several labels */
	char *first_multi; /* the first of them (FILE:LINE), or NULL */
} nlp_dataset;

/* Reading into a store (spill.h). */
typedef struct nlp_dataset_spill {
	const char *dir; /* the folder of the temporary file (borrowed) */
	size_t limit;    /* bytes kept in memory before it is used */
	/* Append an end-of-document mark to every document: the token
	 * NLP_LM_EOS (tokens), or the id eos (ids). */
	int append_eos;
	int32_t eos;
} nlp_dataset_spill;

/* A batch's documents read from a store: reused between batches. */
typedef struct nlp_dataset_batch {
	nlp_doc_ids *docs; /* [cap_b] copies, ids into ids */
	size_t *idx;       /* [cap_b] 0, 1, ... */
	int32_t *ids;
	size_t cap_ids, cap_b;
} nlp_dataset_batch;

/* 1 when document i of ds has label k. */
int nlp_dataset_has_label(const nlp_dataset *ds, size_t i, int k);
/* Fill t[0..C) with document i's 0/1 targets. */
void nlp_dataset_targets(const nlp_dataset *ds, size_t i, float *t, int C);

/* Read every document of paths through stages [0, end) of p with threads
 * workers.  want_ids: keep ids (the pipeline's id stage is inside end), else
 * tokens.  labels/n_labels (may be NULL/0): use this label list.  Documents
 * without a known label are counted and left out (named under ro->verbose).
 * Warnings go to h's diagnostics.  On failure ds is empty. */
int nlp_dataset_read(nlp_dataset *ds, const nlp_host *h, nlp_pipeline *p, size_t end, int threads,
                     int want_ids, const nlp_reader_opts *ro, const char *const *paths,
                     size_t n_paths, const char *const *labels, size_t n_labels, nlp_err *err);
/* The same for text whose labels do not matter (a language model's): every
 * document is kept, with label 0 (ds->n_labels is what the reader found). */
int nlp_dataset_read_text(nlp_dataset *ds, const nlp_host *h, nlp_pipeline *p, size_t end,
                          int threads, int want_ids, const nlp_reader_opts *ro,
                          const char *const *paths, size_t n_paths, nlp_err *err);
/* nlp_dataset_read or (any) nlp_dataset_read_text into the store sp
 * describes (NULL: in memory). */
int nlp_dataset_read_to(nlp_dataset *ds, const nlp_host *h, nlp_pipeline *p, size_t end,
                        int threads, int want_ids, const nlp_reader_opts *ro,
                        const char *const *paths, size_t n_paths, const char *const *labels,
                        size_t n_labels, int any, const nlp_dataset_spill *sp, nlp_err *err);
void nlp_dataset_free(nlp_dataset *ds);
/* Document i's tokens (ds read as tokens): ds->tokens[i], or a read-only
 * view of them in the store (valid while the store lives). */
void nlp_dataset_tokens(const nlp_dataset *ds, size_t i, nlp_tokens *view);
/* Turn the docs' ids, offsets into store while it was written, into
 * pointers once it is sealed. */
void nlp_dataset_rebase(nlp_dataset *ds);
/* The documents idx[0..B) of ds for nlp_batch_fill: *docs = ds->docs and
 * *idx_out = idx, or, when the store is a file, copies read into buf (the
 * mapping is not touched: resident memory does not grow with the data). */
int nlp_dataset_batch_docs(const nlp_dataset *ds, const size_t *idx, int B, nlp_dataset_batch *buf,
                           const nlp_doc_ids **docs, const size_t **idx_out, nlp_err *err);
void nlp_dataset_batch_free(nlp_dataset_batch *buf);

/* Sequence-to-sequence pairs (nlpipe/seq2seq.h): every non-blank line of
 * the line files paths is `source<TAB>target` (a line without a TAB is
 * NLP_EDATA naming the file and line); source and target go through stages
 * [0, end) of p; each pair becomes one document, label 0: with want_ids its
 * ids (source, bos, target, eos), else its tokens (source, NLP_S2S_BOS,
 * target, NLP_LM_EOS).  pipeline/seq2seq.c. */
int nlp_s2s_read(nlp_dataset *ds, nlp_pipeline *p, size_t end, int threads, int want_ids,
                 int32_t bos, int32_t eos, const char *const *paths, size_t n_paths, nlp_err *err);

#endif /* NLP_DATASET_H */
