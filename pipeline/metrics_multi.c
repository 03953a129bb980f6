/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* metrics_multi.c - figures of multi-label predictions (nlpipe/metrics_multi.h):
 * per-label precision, recall and F1, micro and macro F1, subset accuracy,
 * and the per-label thresholds that maximise F1 on validation data. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "nlpipe/metrics_multi.h"

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

/* F1 of tp true positives among `predicted` predictions and `support` truths. */
static double f1_of(uint64_t tp, uint64_t predicted, uint64_t support)
{
	return ratio(2 * tp, predicted + support);
}

int nlp_ml_compute(nlp_ml_summary *s, const float *probs, const float *truth, size_t n, int C,
                   const float *th, nlp_err *err)
{
	uint64_t tp = 0, pred = 0, sup = 0, wrong = 0, exact = 0;

	memset(s, 0, sizeof *s);
	s->labels = calloc(C > 0 ? (size_t)C : 1, sizeof *s->labels);
	if (!s->labels)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	s->n_docs = n;
	s->n_labels = C;
	for (size_t i = 0; i < n; i++) {
		int same = 1;
		for (int c = 0; c < C; c++) {
			size_t at = i * (size_t)C + (size_t)c;
			int p = probs[at] >= (th ? th[c] : 0.5f), t = truth[at] > 0.5f;
			s->labels[c].predicted += (uint64_t)p;
			s->labels[c].support += (uint64_t)t;
			s->labels[c].tp += (uint64_t)(p && t);
			same &= p == t;
			wrong += (uint64_t)(p != t);
		}
		exact += (uint64_t)same;
	}
	for (int c = 0; c < C; c++) {
		nlp_ml_label *l = &s->labels[c];
		l->precision = ratio(l->tp, l->predicted);
		l->recall = ratio(l->tp, l->support);
		l->f1 = f1_of(l->tp, l->predicted, l->support);
		s->macro_f1 += l->f1 / C;
		tp += l->tp;
		pred += l->predicted;
		sup += l->support;
	}
	s->micro_precision = ratio(tp, pred);
	s->micro_recall = ratio(tp, sup);
	s->micro_f1 = f1_of(tp, pred, sup);
	s->subset_accuracy = ratio(exact, n);
	s->hamming_loss = ratio(wrong, (uint64_t)n * (uint64_t)(C > 0 ? C : 1));
	return NLP_OK;
}

void nlp_ml_summary_free(nlp_ml_summary *s)
{
	if (!s)
		return;
	free(s->labels);
	memset(s, 0, sizeof *s);
}

/* A (probability, truth) pair, for sorting one label's column. */
typedef struct ml_pt {
	float p;
	int t;
} ml_pt;

static int by_prob_desc(const void *a, const void *b)
{
	float x = ((const ml_pt *)a)->p, y = ((const ml_pt *)b)->p;

	return x > y ? -1 : x < y ? 1 : 0;
}

/* The best-F1 threshold of one label of v[0..n) (sorted by probability,
 * highest first) with `support` positives. */
static float best_threshold(const ml_pt *v, size_t n, uint64_t support)
{
	uint64_t tp = 0;
	double best = -1.0;
	float th = 0.5f;

	for (size_t i = 0; i < n; i++) {
		double f;
		tp += (uint64_t)v[i].t;
		if (i + 1 < n && v[i + 1].p == v[i].p)
			continue; /* equal probabilities are decided together */
		f = f1_of(tp, i + 1, support);
		if (f > best) {
			best = f;
			th = i + 1 < n ? 0.5f * (v[i].p + v[i + 1].p) : 0.5f * v[i].p;
		}
	}
	return th;
}

int nlp_ml_tune_thresholds(const float *probs, const float *truth, size_t n, int C, float *th,
                           nlp_err *err)
{
	ml_pt *v = malloc((n ? n : 1) * sizeof *v);

	if (!v)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	for (int c = 0; c < C; c++) {
		uint64_t support = 0;
		for (size_t i = 0; i < n; i++) {
			v[i].p = probs[i * (size_t)C + (size_t)c];
			v[i].t = truth[i * (size_t)C + (size_t)c] > 0.5f;
			support += (uint64_t)v[i].t;
		}
		qsort(v, n, sizeof *v, by_prob_desc);
		th[c] = support ? best_threshold(v, n, support) : 0.5f;
		if (!(th[c] >= 0.0f && th[c] <= 1.0f))
			th[c] = 0.5f;
	}
	free(v);
	return NLP_OK;
}

int nlp_ml_print_text(FILE *f, const nlp_ml_summary *s, const char *const *names, const float *th)
{
	fprintf(f, "documents: %zu, labels: %d (multi-label)\n", s->n_docs, s->n_labels);
	fprintf(f, "subset accuracy: %.4f\n", s->subset_accuracy);
	fprintf(f, "hamming loss: %.4f\n", s->hamming_loss);
	fprintf(f, "micro precision: %.4f  micro recall: %.4f  micro F1: %.4f\n",
	        s->micro_precision, s->micro_recall, s->micro_f1);
	fprintf(f, "macro F1: %.4f\n\n", s->macro_f1);
	fprintf(f, "%-20s %9s %9s %9s %9s %9s\n", "label", "threshold", "precision", "recall", "f1",
	        "support");
	for (int c = 0; c < s->n_labels; c++) {
		const nlp_ml_label *l = &s->labels[c];
		fprintf(f, "%-20s %9.3f %9.4f %9.4f %9.4f %9llu\n", names[c],
		        th ? (double)th[c] : 0.5, l->precision, l->recall, l->f1,
		        (unsigned long long)l->support);
	}
	return ferror(f) ? NLP_EIO : NLP_OK;
}

int nlp_ml_print_json(FILE *f, const nlp_ml_summary *s, const char *const *names, const float *th)
{
	fprintf(f,
	        "{\"multi_label\": true, \"documents\": %zu, \"subset_accuracy\": %.6f, "
	        "\"hamming_loss\": %.6f, \"micro_precision\": %.6f, \"micro_recall\": %.6f, "
	        "\"micro_f1\": %.6f, \"macro_f1\": %.6f, \"labels\": [",
	        s->n_docs, s->subset_accuracy, s->hamming_loss, s->micro_precision, s->micro_recall,
	        s->micro_f1, s->macro_f1);
	for (int c = 0; c < s->n_labels; c++) {
		const nlp_ml_label *l = &s->labels[c];
		fprintf(f, "%s{\"label\": ", c ? ", " : "");
		nlp_json_fputs(f, names[c]);
		fprintf(f,
		        ", \"threshold\": %.6f, \"precision\": %.6f, \"recall\": %.6f, \"f1\": "
		        "%.6f, \"support\": %llu, \"predicted\": %llu}",
		        th ? (double)th[c] : 0.5, l->precision, l->recall, l->f1,
		        (unsigned long long)l->support, (unsigned long long)l->predicted);
	}
	fprintf(f, "]}\n");
	return ferror(f) ? NLP_EIO : NLP_OK;
}
