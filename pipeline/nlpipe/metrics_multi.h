/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* nlpipe/metrics_multi.h - figures of a multi-label classifier: every label
 * decided on its own (a sigmoid head), a document's prediction is the set
 * of labels whose probability is at or over the label's threshold.
 *
 *     nlp_ml_summary s;
 *     nlp_ml_compute(&s, probs, truth, n, C, thresholds, &err);
 *     printf("micro F1 %.3f\n", s.micro_f1);
 *     nlp_ml_summary_free(&s);
 *
 * probs and truth are n x C row-major (truth 0 or 1).  Definitions (as
 * scikit-learn's precision_recall_fscore_support, zero_division=0):
 *   per label: precision = TP/(TP+FP), recall = TP/(TP+FN), F1 = 2TP/(2TP+FP+FN);
 *   micro: the same over the counts of every label pooled;
 *   macro F1: the mean of the per-label F1;
 *   subset accuracy: the share of documents whose predicted set is exactly
 *   their set; Hamming loss: the share of wrong (document, label) pairs.
 */
#ifndef NLPIPE_METRICS_MULTI_H
#define NLPIPE_METRICS_MULTI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <nlpipe/nlpipe.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nlp_ml_label {
	uint64_t support;   /* documents with the label */
	uint64_t predicted; /* documents given the label */
	uint64_t tp;        /* both */
	double precision, recall, f1;
} nlp_ml_label;

typedef struct nlp_ml_summary {
	size_t n_docs;
	int n_labels;
	nlp_ml_label *labels; /* [n_labels] (owned) */
	double micro_precision, micro_recall, micro_f1, macro_f1;
	double subset_accuracy, hamming_loss;
} nlp_ml_summary;

/* The figures of predictions probs against truth with thresholds th[C]
 * (NULL: 0.5 each).  s is zeroed first; free with nlp_ml_summary_free. */
int nlp_ml_compute(nlp_ml_summary *s, const float *probs, const float *truth, size_t n, int C,
                   const float *th, nlp_err *err);
void nlp_ml_summary_free(nlp_ml_summary *s);

/* Each label's threshold th[c] that maximises its F1 on (probs, truth):
 * half-way between the lowest probability it accepts and the next one
 * below; 0.5 for a label without positive documents. */
int nlp_ml_tune_thresholds(const float *probs, const float *truth, size_t n, int C, float *th,
                           nlp_err *err);

/* Print s as a table (labels names[C]) or as one JSON object. */
int nlp_ml_print_text(FILE *f, const nlp_ml_summary *s, const char *const *names, const float *th);
int nlp_ml_print_json(FILE *f, const nlp_ml_summary *s, const char *const *names, const float *th);

#ifdef __cplusplus
}
#endif
#endif /* NLPIPE_METRICS_MULTI_H */
