/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* nlpipe/metrics.h - classification metrics, accumulated one document at a
 * time, and the three ways to show them (text, JSON, one HTML page).
 *
 *     nlp_metrics *m;
 *     nlp_metrics_new(&m, n_classes, labels, &err);
 *     for each document:
 *         nlp_metrics_add(m, true_class, probs, &err);   // probs[n_classes]
 *     nlp_metrics_print_text(stdout, m, &err);
 *     nlp_metrics_write_html("report.html", m, "my model on my data", &err);
 *     nlp_metrics_free(m);
 *
 * Streaming: memory is O(C*C) for C classes, plus, for two classes only,
 * one float and one byte per document (the positive-class scores that ROC
 * AUC and the curves need).  nlp_metrics_keep_documents() (what the HTML
 * report wants) also keeps every document's C probabilities, up to
 * NLP_METRICS_MAX_KEPT floats in all, for one-vs-rest AUC and curves of
 * every class, and the most confident mistakes.
 *
 * Definitions (the ones scikit-learn uses, with zero_division = 0):
 *  - The predicted class of a document is the argmax of its probabilities
 *    (the lowest index on a tie).
 *  - accuracy = correct / documents.
 *  - Per class c: precision = TP / (TP + FP), recall = TP / (TP + FN),
 *    F1 = 2 P R / (P + R); support = documents whose true class is c.
 *    A class that is never predicted has precision 0; a class with no
 *    documents has recall 0; P + R = 0 gives F1 0.
 *  - macro F1 = unweighted mean of the per-class F1 (likewise macro
 *    precision and recall); weighted F1 = the mean weighted by support;
 *    micro F1 = F1 of the pooled counts, which for single-label data equals
 *    accuracy.
 *  - log loss = mean of -ln(p[true]) with p clipped to [1e-15, 1 - 1e-15];
 *    probabilities are used as given (they are not renormalised).
 *  - ROC AUC (two classes only): the probability that a random positive
 *    document scores above a random negative one, ties counting one half
 *    (computed from average ranks).  The score is p[positive]; the positive
 *    class is class 1 unless nlp_metrics_set_positive() says otherwise.
 *    Undefined (NAN; "n/a" in text, null in JSON) when one class has no
 *    documents.
 *  - One-vs-rest (documents kept, any number of classes): class k's scores
 *    are p[k], its positives the documents of class k.  Per class: ROC AUC
 *    as above and average precision AP = sum over distinct thresholds, from
 *    the highest, of (R_n - R_n-1) P_n (scikit-learn's
 *    average_precision_score).  Both NAN for a class with no documents or
 *    with all of them.  Macro average = mean over the classes where defined;
 *    weighted = weighted by support over those classes.
 *  - Calibration: a document's confidence is p[predicted]; 10 bins of width
 *    0.1 (bin = floor(10 * confidence), 1.0 in the last); expected
 *    calibration error ECE = sum over bins of n_b / N * |accuracy_b -
 *    mean confidence_b|.
 *  - The ROC curve has one point per distinct score, from (0,0) to (1,1):
 *    threshold t predicts positive when score >= t.  The precision-recall
 *    curve has the same thresholds, from the highest score down.
 *
 * Confusion matrix: rows are true classes, columns predicted classes.
 */
#ifndef NLPIPE_METRICS_H
#define NLPIPE_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <nlpipe/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nlp_metrics nlp_metrics;

/* Metrics of one class. */
typedef struct nlp_class_metrics {
	double precision, recall, f1;
	uint64_t support;   /* documents whose true class this is */
	uint64_t predicted; /* documents predicted as this class */
	uint64_t correct;   /* true positives */
} nlp_class_metrics;

#define NLP_CALIBRATION_BINS 10
#define NLP_METRICS_MAX_KEPT (1u << 26) /* floats: 256 MB */

/* One bin of the reliability diagram. */
typedef struct nlp_calibration_bin {
	uint64_t n;            /* documents whose confidence falls in the bin */
	uint64_t correct;      /* of those, predicted right */
	double confidence_sum; /* sum of their confidences */
} nlp_calibration_bin;

/* A misclassified document (documents kept). */
typedef struct nlp_mistake {
	char *name;       /* owned by the nlp_metrics; "" when none was given */
	char *excerpt;    /* its first words (at most 20, 160 bytes), or "" */
	size_t truth;     /* true class */
	size_t predicted; /* predicted class */
	double prob;      /* p[predicted] */
} nlp_mistake;

/* Everything computed; owned by the nlp_metrics, valid until its next
 * nlp_metrics_add or nlp_metrics_free. */
typedef struct nlp_metrics_summary {
	size_t n_classes;
	const char *const *labels; /* [n_classes] */
	uint64_t documents;
	uint64_t correct;
	double accuracy;
	double macro_precision, macro_recall, macro_f1;
	double weighted_f1;
	double micro_f1;
	double log_loss;
	double roc_auc;                   /* NAN unless two classes with documents of both */
	size_t positive;                  /* the positive class for roc_auc and the curves */
	const nlp_class_metrics *classes; /* [n_classes] */
	const uint64_t *confusion;        /* [n_classes * n_classes], row = true class */
	/* Added in 0.2 (at the end: the layout above is unchanged). */
	double weighted_precision, weighted_recall;
	const nlp_calibration_bin *calibration; /* [NLP_CALIBRATION_BINS] */
	double ece;                             /* expected calibration error */
	/* One-vs-rest, when documents are kept (else NULL and NAN). */
	const double *class_roc_auc; /* [n_classes] */
	const double *class_ap;      /* [n_classes], average precision */
	double macro_roc_auc, weighted_roc_auc, macro_ap, weighted_ap;
	int kept_overflow; /* documents were kept, but more than NLP_METRICS_MAX_KEPT
	                    * probabilities came: one-vs-rest figures left out */
} nlp_metrics_summary;

/* A point of a curve: ROC (x = false positive rate, y = true positive
 * rate) or precision-recall (x = recall, y = precision). */
typedef struct nlp_curve_point {
	double threshold; /* predict positive when score >= threshold (+inf: none) */
	double x, y;
} nlp_curve_point;

/* labels: n_classes names (copied); NULL gives "0", "1", ... */
int nlp_metrics_new(nlp_metrics **out, size_t n_classes, const char *const *labels, nlp_err *err);
void nlp_metrics_free(nlp_metrics *m);

/* Choose the positive class for ROC AUC and the curves (two classes only;
 * default 1).  Call before the first nlp_metrics_add. */
int nlp_metrics_set_positive(nlp_metrics *m, size_t positive, nlp_err *err);

/* One document: its true class and its probabilities over all classes.
 * NLP_EDATA when truth is out of range or a probability is not a finite
 * number in [0, 1] (the document is then not counted). */
int nlp_metrics_add(nlp_metrics *m, size_t truth, const float *probs, nlp_err *err);

/* Compute everything.  *out is owned by m. */
int nlp_metrics_compute(nlp_metrics *m, const nlp_metrics_summary **out, nlp_err *err);

/* The ROC and precision-recall curves (two classes only; NLP_ECONFIG
 * otherwise, and when there are no documents of one class).  *points is
 * owned by m and valid until its next add or free. */
int nlp_metrics_roc_curve(nlp_metrics *m, const nlp_curve_point **points, size_t *n, nlp_err *err);
int nlp_metrics_pr_curve(nlp_metrics *m, const nlp_curve_point **points, size_t *n, nlp_err *err);

/* Keep every document's probabilities (for one-vs-rest AUC, average
 * precision and curves of any number of classes) and the max_mistakes
 * misclassified documents with the highest p[predicted] (the earlier
 * document on a tie).  Call before the first add. */
int nlp_metrics_keep_documents(nlp_metrics *m, size_t max_mistakes, nlp_err *err);

/* nlp_metrics_add, and the document's name and text for the list of
 * mistakes (either may be NULL; text need not end in NUL). */
int nlp_metrics_add_document(nlp_metrics *m, size_t truth, const float *probs, const char *name,
                             const char *text, size_t len, nlp_err *err);

/* One-vs-rest ROC and precision-recall curves of class k (documents kept,
 * k with documents and without all of them; else NLP_ECONFIG).  The points
 * are owned by m and valid until its next call of this, add or free. */
int nlp_metrics_class_curves(nlp_metrics *m, size_t k, const nlp_curve_point **roc, size_t *n_roc,
                             const nlp_curve_point **pr, size_t *n_pr, nlp_err *err);

/* The kept mistakes, most confident first (owned by m). */
void nlp_metrics_mistakes(const nlp_metrics *m, const nlp_mistake **out, size_t *n);

/* A readable, aligned report. */
int nlp_metrics_print_text(FILE *f, nlp_metrics *m, nlp_err *err);
/* One JSON object (and a newline).  with_curves adds "roc_curve" and
 * "pr_curve" arrays of [threshold, x, y] for binary models. */
int nlp_metrics_print_json(FILE *f, nlp_metrics *m, int with_curves, nlp_err *err);
/* One self-contained HTML page (inline CSS and SVG, no scripts, no external
 * assets): nlp_metrics_write_report without a model.  title may be NULL.  Written atomically:
 * a temporary file in the same folder, fsync, rename; on failure nothing is
 * left behind and an existing file at path is untouched. */
int nlp_metrics_write_html(const char *path, nlp_metrics *m, const char *title, nlp_err *err);

struct nlp_model;
/* The full report (pipeline/report.c): nlp_metrics_write_html's page plus,
 * for any number of classes, one-vs-rest ROC and precision-recall curves
 * with per-class AUC and average precision (when documents were kept), the
 * most confident mistakes, a reliability diagram with the ECE, and, when
 * model is not NULL, its stored pipeline, writer, date and training
 * figures.  Its size grows at most linearly with the classes: above
 * NLP_REPORT_MAX_MATRIX classes the confusion matrix becomes a list of the
 * largest confusions, curves are drawn for at most NLP_REPORT_MAX_CURVES
 * classes (the largest), the per-class table lists at most
 * NLP_REPORT_MAX_ROWS classes, and the page says what it left out. */
#define NLP_REPORT_MAX_MATRIX 50
#define NLP_REPORT_MAX_CURVES 20
#define NLP_REPORT_MAX_ROWS   1000
int nlp_metrics_write_report(const char *path, nlp_metrics *m, const char *title,
                             const struct nlp_model *model, nlp_err *err);

#ifdef __cplusplus
}
#endif
#endif /* NLPIPE_METRICS_H */
