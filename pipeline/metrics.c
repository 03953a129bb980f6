/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* metrics.c - classification metrics: accumulate, compute, print (text,
 * JSON, one self-contained HTML page).  Definitions in nlpipe/metrics.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nlpipe/metrics.h>
#include <nlpipe/nlpipe.h>
#include "internal.h"

#define LOG_LOSS_EPS 1e-15
/* Softmax in float may overshoot 1 by a few ulps; anything beyond this is a
 * caller's bug. */
#define PROB_SLACK 1e-4

typedef struct scored {
	float score;       /* p[positive] */
	unsigned char pos; /* true class is the positive one */
} scored;

struct nlp_metrics {
	size_t n_classes;
	char **labels;
	uint64_t *confusion; /* [C*C], row = true class */
	uint64_t documents;
	double loss_sum;
	size_t positive;

	scored *scores; /* binary only: one per document */
	size_t n_scores, cap_scores;
	int sorted; /* scores sorted by descending score */

	nlp_class_metrics *classes;
	nlp_metrics_summary summary;
	int computed;

	nlp_curve_point *roc, *pr;
	size_t n_roc, n_pr;
	int curves;

	nlp_calibration_bin cal[NLP_CALIBRATION_BINS];

	/* nlp_metrics_keep_documents: every document's probabilities */
	int keep, overflow;
	float *kprobs;    /* [n_kept * n_classes] */
	uint32_t *ktruth; /* [n_kept] */
	size_t n_kept, cap_kept;
	size_t max_mistakes, n_mistakes;
	nlp_mistake *mistakes; /* [max_mistakes], most confident first */
	double *class_auc, *class_ap;
	scored *work;                /* [n_kept]: one class's scores */
	nlp_curve_point *croc, *cpr; /* [n_kept + 1]: one class's curves */
};

int nlp_metrics_new(nlp_metrics **out, size_t n_classes, const char *const *labels, nlp_err *err)
{
	nlp_metrics *m = NULL;
	int rc = NLP_OK;

	*out = NULL;
	if (n_classes < 2 || n_classes > 100000)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "metrics: %zu classes; there must be between 2 and 100000",
		                   n_classes);
	m = calloc(1, sizeof *m);
	if (!m)
		goto nomem;
	m->n_classes = n_classes;
	m->positive = 1;
	m->labels = calloc(n_classes, sizeof *m->labels);
	m->confusion = calloc(n_classes * n_classes, sizeof *m->confusion);
	m->classes = calloc(n_classes, sizeof *m->classes);
	if (!m->labels || !m->confusion || !m->classes)
		goto nomem;
	for (size_t i = 0; i < n_classes; i++) {
		char num[32];

		if (!labels || !labels[i])
			snprintf(num, sizeof num, "%zu", i);
		m->labels[i] = strdup(labels && labels[i] ? labels[i] : num);
		if (!m->labels[i])
			goto nomem;
	}
	*out = m;
	return NLP_OK;
nomem:
	rc = nlp_err_set(err, NLP_ENOMEM, "metrics: out of memory");
	nlp_metrics_free(m);
	return rc;
}

void nlp_metrics_free(nlp_metrics *m)
{
	if (!m)
		return;
	if (m->labels)
		for (size_t i = 0; i < m->n_classes; i++)
			free(m->labels[i]);
	free(m->labels);
	free(m->confusion);
	free(m->classes);
	free(m->scores);
	free(m->roc);
	free(m->pr);
	free(m->kprobs);
	free(m->ktruth);
	for (size_t i = 0; m->mistakes && i < m->n_mistakes; i++) {
		free(m->mistakes[i].name);
		free(m->mistakes[i].excerpt);
	}
	free(m->mistakes);
	free(m->class_auc);
	free(m->class_ap);
	free(m->work);
	free(m->croc);
	free(m->cpr);
	free(m);
}

int nlp_metrics_set_positive(nlp_metrics *m, size_t positive, nlp_err *err)
{
	if (m->n_classes != 2 || positive > 1)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "metrics: the positive class must be 0 or 1 of 2 classes");
	if (m->documents)
		return nlp_err_set(err, NLP_EINTERNAL,
		                   "metrics: set the positive class before adding documents");
	m->positive = positive;
	return NLP_OK;
}

int nlp_metrics_keep_documents(nlp_metrics *m, size_t max_mistakes, nlp_err *err)
{
	if (m->documents)
		return nlp_err_set(err, NLP_EINTERNAL, "metrics: keep documents before adding any");
	free(m->mistakes);
	m->mistakes = max_mistakes ? calloc(max_mistakes, sizeof *m->mistakes) : NULL;
	if (max_mistakes && !m->mistakes)
		return nlp_err_set(err, NLP_ENOMEM, "metrics: out of memory");
	m->class_auc = calloc(m->n_classes, sizeof *m->class_auc);
	m->class_ap = calloc(m->n_classes, sizeof *m->class_ap);
	if (!m->class_auc || !m->class_ap)
		return nlp_err_set(err, NLP_ENOMEM, "metrics: out of memory");
	m->max_mistakes = max_mistakes;
	m->keep = 1;
	return NLP_OK;
}

/* Store one document's probabilities; past NLP_METRICS_MAX_KEPT floats,
 * drop them all and remember why. */
static int keep_probs(nlp_metrics *m, size_t truth, const float *probs, nlp_err *err)
{
	size_t c = m->n_classes;

	if (m->overflow)
		return NLP_OK;
	if ((m->n_kept + 1) * c > NLP_METRICS_MAX_KEPT) {
		free(m->kprobs);
		free(m->ktruth);
		m->kprobs = NULL;
		m->ktruth = NULL;
		m->n_kept = m->cap_kept = 0;
		m->overflow = 1;
		return NLP_OK;
	}
	if (m->n_kept == m->cap_kept) {
		size_t ncap = m->cap_kept ? 2 * m->cap_kept : 256;
		float *np = realloc(m->kprobs, ncap * c * sizeof *np);
		uint32_t *nt;

		if (np)
			m->kprobs = np;
		nt = np ? realloc(m->ktruth, ncap * sizeof *nt) : NULL;
		if (!nt)
			return nlp_err_set(err, NLP_ENOMEM, "metrics: out of memory");
		m->ktruth = nt;
		m->cap_kept = ncap;
	}
	memcpy(m->kprobs + m->n_kept * c, probs, c * sizeof *probs);
	m->ktruth[m->n_kept++] = (uint32_t)truth;
	return NLP_OK;
}

/* The first words of text (at most 20 and 160 bytes, whitespace and
 * control characters as single spaces, cut on a character boundary). */
static char *excerpt(const char *text, size_t len)
{
	enum { MAX_WORDS = 20, MAX_BYTES = 160 };
	char *out = malloc(MAX_BYTES + 4);
	size_t o = 0, words = 0;
	int space = 1;

	if (!out)
		return NULL;
	for (size_t i = 0; text && i < len && words < MAX_WORDS; i++) {
		unsigned char ch = (unsigned char)text[i];

		if (ch <= ' ' || ch == 0x7f) {
			if (!space)
				words++;
			space = 1;
			continue;
		}
		if (o + (space && o ? 1 : 0) + 1 > MAX_BYTES) {
			if ((ch & 0xc0) == 0x80) { /* inside a character: drop its start */
				while (o && ((unsigned char)out[o - 1] & 0xc0) == 0x80)
					o--;
				o -= o > 0;
			}
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (space && o)
			out[o++] = ' ';
		space = 0;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return out;
}

/* Keep a misclassified document if it is among the most confident. */
static int keep_mistake(nlp_metrics *m, size_t truth, size_t pred, double prob, const char *name,
                        const char *text, size_t len, nlp_err *err)
{
	nlp_mistake mk = {NULL, NULL, truth, pred, prob};
	size_t at = m->n_mistakes;

	while (at > 0 && m->mistakes[at - 1].prob < prob)
		at--;
	if (at >= m->max_mistakes)
		return NLP_OK;
	mk.name = strdup(name ? name : "");
	mk.excerpt = excerpt(text, len);
	if (!mk.name || !mk.excerpt) {
		free(mk.name);
		free(mk.excerpt);
		return nlp_err_set(err, NLP_ENOMEM, "metrics: out of memory");
	}
	if (m->n_mistakes == m->max_mistakes) {
		free(m->mistakes[m->n_mistakes - 1].name);
		free(m->mistakes[m->n_mistakes - 1].excerpt);
		m->n_mistakes--;
	}
	memmove(m->mistakes + at + 1, m->mistakes + at, (m->n_mistakes - at) * sizeof mk);
	m->mistakes[at] = mk;
	m->n_mistakes++;
	return NLP_OK;
}

void nlp_metrics_mistakes(const nlp_metrics *m, const nlp_mistake **out, size_t *n)
{
	*out = m->mistakes;
	*n = m->n_mistakes;
}

static int add_score(nlp_metrics *m, size_t truth, const float *probs, nlp_err *err)
{
	if (m->n_scores == m->cap_scores) {
		size_t ncap = m->cap_scores ? 2 * m->cap_scores : 1024;
		scored *ns = realloc(m->scores, ncap * sizeof *ns);

		if (!ns)
			return nlp_err_set(err, NLP_ENOMEM, "metrics: out of memory");
		m->scores = ns;
		m->cap_scores = ncap;
	}
	m->scores[m->n_scores].score = probs[m->positive];
	m->scores[m->n_scores].pos = truth == m->positive;
	m->n_scores++;
	m->sorted = 0;
	return NLP_OK;
}

int nlp_metrics_add_document(nlp_metrics *m, size_t truth, const float *probs, const char *name,
                             const char *text, size_t len, nlp_err *err)
{
	size_t c = m->n_classes, pred = 0;
	double p, conf;
	int bin, rc;

	if (truth >= c)
		return nlp_err_set(err, NLP_EDATA,
		                   "metrics: true class %zu is out of range (%zu classes)", truth,
		                   c);
	for (size_t i = 0; i < c; i++) {
		if (!isfinite(probs[i]) || probs[i] < 0.0f || probs[i] > 1.0 + PROB_SLACK)
			return nlp_err_set(err, NLP_EDATA,
			                   "metrics: probability of class %s is %g; probabilities "
			                   "must be finite numbers in [0, 1]",
			                   m->labels[i], (double)probs[i]);
		if (probs[i] > probs[pred])
			pred = i;
	}
	if (c == 2 && (rc = add_score(m, truth, probs, err)))
		return rc;
	if (m->keep && (rc = keep_probs(m, truth, probs, err)))
		return rc;
	conf = (double)probs[pred];
	if (pred != truth && m->max_mistakes &&
	    (rc = keep_mistake(m, truth, pred, conf, name, text, len, err)))
		return rc;
	bin = (int)(conf * NLP_CALIBRATION_BINS);
	bin = bin < 0 ? 0 : bin >= NLP_CALIBRATION_BINS ? NLP_CALIBRATION_BINS - 1 : bin;
	m->cal[bin].n++;
	m->cal[bin].correct += pred == truth;
	m->cal[bin].confidence_sum += conf;
	p = probs[truth];
	if (p < LOG_LOSS_EPS)
		p = LOG_LOSS_EPS;
	if (p > 1.0 - LOG_LOSS_EPS)
		p = 1.0 - LOG_LOSS_EPS;
	m->loss_sum += -log(p);
	m->confusion[truth * c + pred]++;
	m->documents++;
	m->computed = 0;
	m->curves = 0;
	return NLP_OK;
}

int nlp_metrics_add(nlp_metrics *m, size_t truth, const float *probs, nlp_err *err)
{
	return nlp_metrics_add_document(m, truth, probs, NULL, NULL, 0, err);
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

static int by_score_desc(const void *a, const void *b)
{
	const scored *x = a, *y = b;

	if (x->score > y->score)
		return -1;
	if (x->score < y->score)
		return 1;
	return (int)y->pos - (int)x->pos; /* any fixed order within a tie */
}

static void sort_scores(nlp_metrics *m)
{
	if (!m->sorted && m->n_scores > 1)
		qsort(m->scores, m->n_scores, sizeof *m->scores, by_score_desc);
	m->sorted = 1;
}

/* Mann-Whitney U from average ranks over sc[n] sorted by descending score:
 * rank 1 is the lowest score; a group of tied scores shares the mean of the
 * ranks it spans.  NAN without positives or negatives. */
static double sorted_auc(const scored *sc, size_t n)
{
	size_t n_pos = 0, n_neg, i = 0;
	double rank_sum = 0.0;

	for (size_t k = 0; k < n; k++)
		n_pos += sc[k].pos;
	n_neg = n - n_pos;
	if (!n_pos || !n_neg)
		return NAN;
	while (i < n) { /* element k has ascending rank n - k */
		size_t j = i, pos_in_group = 0;

		while (j < n && sc[j].score == sc[i].score)
			pos_in_group += sc[j++].pos;
		/* ranks (ascending) of elements i..j-1 are n-j+1 .. n-i */
		rank_sum += pos_in_group * ((double)(n - j + 1) + (double)(n - i)) / 2.0;
		i = j;
	}
	return (rank_sum - (double)n_pos * ((double)n_pos + 1.0) / 2.0) /
	       ((double)n_pos * (double)n_neg);
}

static double roc_auc(nlp_metrics *m)
{
	sort_scores(m);
	return sorted_auc(m->scores, m->n_scores);
}

/* Down sc[n] sorted by descending score (with n_pos positives and some
 * negatives), one point per distinct score: the ROC and PR curves (when
 * roc is not NULL; n + 1 points each at most, *k of them) and the average
 * precision. */
static double sweep(const scored *sc, size_t n, size_t n_pos, nlp_curve_point *roc,
                    nlp_curve_point *pr, size_t *k)
{
	size_t i = 0, n_neg = n - n_pos, at = 1;
	uint64_t tp = 0, fp = 0;
	double ap = 0.0, last_recall = 0.0;

	if (roc) {
		roc[0] = (nlp_curve_point){INFINITY, 0.0, 0.0};
		pr[0] = (nlp_curve_point){INFINITY, 0.0, 1.0};
	}
	while (i < n) {
		float t = sc[i].score;
		double recall, precision;

		while (i < n && sc[i].score == t) {
			if (sc[i].pos)
				tp++;
			else
				fp++;
			i++;
		}
		recall = (double)tp / (double)n_pos;
		precision = (double)tp / (double)(tp + fp);
		ap += (recall - last_recall) * precision;
		last_recall = recall;
		if (roc) {
			roc[at] = (nlp_curve_point){t, (double)fp / (double)n_neg, recall};
			pr[at] = (nlp_curve_point){t, recall, precision};
		}
		at++;
	}
	if (k)
		*k = at;
	return ap;
}

/* Class k against the rest, from the kept documents, into m->work (sorted);
 * returns the positives. */
static size_t ovr_scores(nlp_metrics *m, size_t k)
{
	size_t n_pos = 0, c = m->n_classes;

	for (size_t i = 0; i < m->n_kept; i++) {
		m->work[i].score = m->kprobs[i * c + k];
		m->work[i].pos = m->ktruth[i] == k;
		n_pos += m->work[i].pos;
	}
	if (m->n_kept > 1)
		qsort(m->work, m->n_kept, sizeof *m->work, by_score_desc);
	return n_pos;
}

/* Per-class AUC and average precision, and their averages. */
static int ovr_compute(nlp_metrics *m, nlp_metrics_summary *s, nlp_err *err)
{
	double sa = 0, sp = 0, wa = 0, wp = 0, w = 0;
	size_t defined = 0;

	free(m->work);
	m->work = malloc((m->n_kept ? m->n_kept : 1) * sizeof *m->work);
	if (!m->work)
		return nlp_err_set(err, NLP_ENOMEM, "metrics: out of memory");
	for (size_t k = 0; k < m->n_classes; k++) {
		size_t n_pos = ovr_scores(m, k);

		m->class_auc[k] = m->class_ap[k] = NAN;
		if (!n_pos || n_pos == m->n_kept)
			continue;
		m->class_auc[k] = sorted_auc(m->work, m->n_kept);
		m->class_ap[k] = sweep(m->work, m->n_kept, n_pos, NULL, NULL, NULL);
		sa += m->class_auc[k];
		sp += m->class_ap[k];
		wa += m->class_auc[k] * (double)n_pos;
		wp += m->class_ap[k] * (double)n_pos;
		w += (double)n_pos;
		defined++;
	}
	s->class_roc_auc = m->class_auc;
	s->class_ap = m->class_ap;
	s->macro_roc_auc = defined ? sa / (double)defined : NAN;
	s->macro_ap = defined ? sp / (double)defined : NAN;
	s->weighted_roc_auc = defined ? wa / w : NAN;
	s->weighted_ap = defined ? wp / w : NAN;
	return NLP_OK;
}

int nlp_metrics_class_curves(nlp_metrics *m, size_t k, const nlp_curve_point **roc, size_t *n_roc,
                             const nlp_curve_point **pr, size_t *n_pr, nlp_err *err)
{
	size_t n_pos, n = 0;

	*roc = *pr = NULL;
	*n_roc = *n_pr = 0;
	if (!m->keep || m->overflow || k >= m->n_classes)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "metrics: per-class curves need the documents kept");
	if (!m->work) {
		m->work = malloc((m->n_kept ? m->n_kept : 1) * sizeof *m->work);
		if (!m->work)
			return nlp_err_set(err, NLP_ENOMEM, "metrics: out of memory");
	}
	n_pos = ovr_scores(m, k);
	if (!n_pos || n_pos == m->n_kept)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "metrics: curves of class %s need documents of it and of "
		                   "other classes",
		                   m->labels[k]);
	free(m->croc);
	free(m->cpr);
	m->croc = malloc((m->n_kept + 1) * sizeof *m->croc);
	m->cpr = malloc((m->n_kept + 1) * sizeof *m->cpr);
	if (!m->croc || !m->cpr)
		return nlp_err_set(err, NLP_ENOMEM, "metrics: out of memory");
	sweep(m->work, m->n_kept, n_pos, m->croc, m->cpr, &n);
	*roc = m->croc;
	*pr = m->cpr;
	*n_roc = *n_pr = n;
	return NLP_OK;
}

int nlp_metrics_compute(nlp_metrics *m, const nlp_metrics_summary **out, nlp_err *err)
{
	nlp_metrics_summary *s = &m->summary;
	size_t c = m->n_classes;
	uint64_t correct = 0;
	double mp = 0, mr = 0, mf = 0, wf = 0, wp = 0, wr = 0, ece = 0;
	int rc;

	if (m->computed) {
		*out = s;
		return NLP_OK;
	}
	for (size_t k = 0; k < c; k++) {
		nlp_class_metrics *cm = &m->classes[k];

		memset(cm, 0, sizeof *cm);
		cm->correct = m->confusion[k * c + k];
		for (size_t j = 0; j < c; j++) {
			cm->support += m->confusion[k * c + j];
			cm->predicted += m->confusion[j * c + k];
		}
		cm->precision = ratio(cm->correct, cm->predicted);
		cm->recall = ratio(cm->correct, cm->support);
		cm->f1 = cm->precision + cm->recall > 0
		                 ? 2.0 * cm->precision * cm->recall / (cm->precision + cm->recall)
		                 : 0.0;
		correct += cm->correct;
		mp += cm->precision;
		mr += cm->recall;
		mf += cm->f1;
		wf += cm->f1 * (double)cm->support;
		wp += cm->precision * (double)cm->support;
		wr += cm->recall * (double)cm->support;
	}
	for (int b = 0; b < NLP_CALIBRATION_BINS; b++)
		if (m->cal[b].n)
			ece += fabs((double)m->cal[b].correct - m->cal[b].confidence_sum) /
			       (double)m->documents;
	s->n_classes = c;
	s->labels = (const char *const *)m->labels;
	s->documents = m->documents;
	s->correct = correct;
	s->accuracy = ratio(correct, m->documents);
	s->macro_precision = mp / (double)c;
	s->macro_recall = mr / (double)c;
	s->macro_f1 = mf / (double)c;
	s->weighted_f1 = m->documents ? wf / (double)m->documents : 0.0;
	s->weighted_precision = m->documents ? wp / (double)m->documents : 0.0;
	s->weighted_recall = m->documents ? wr / (double)m->documents : 0.0;
	s->calibration = m->cal;
	s->ece = m->documents ? ece : NAN;
	s->class_roc_auc = s->class_ap = NULL;
	s->macro_roc_auc = s->weighted_roc_auc = s->macro_ap = s->weighted_ap = NAN;
	s->kept_overflow = m->overflow;
	if (m->keep && !m->overflow && (rc = ovr_compute(m, s, err)))
		return rc;
	/* pooled: TP = correct, FP = FN = documents - correct */
	s->micro_f1 = ratio(2 * correct, 2 * m->documents);
	s->log_loss = m->documents ? m->loss_sum / (double)m->documents : NAN;
	s->roc_auc = c == 2 ? roc_auc(m) : NAN;
	s->positive = c == 2 ? m->positive : 0;
	s->classes = m->classes;
	s->confusion = m->confusion;
	m->computed = 1;
	*out = s;
	return NLP_OK;
}

/* Both curves in one sweep down the sorted scores. */
static int make_curves(nlp_metrics *m, nlp_err *err)
{
	size_t n = m->n_scores, n_pos = 0, n_neg;

	if (m->curves)
		return NLP_OK;
	if (m->n_classes != 2)
		return nlp_err_set(err, NLP_ECONFIG, "metrics: curves need exactly two classes");
	for (size_t j = 0; j < n; j++)
		n_pos += m->scores[j].pos;
	n_neg = n - n_pos;
	if (!n_pos || !n_neg)
		return nlp_err_set(err, NLP_ECONFIG,
		                   "metrics: curves need documents of both classes (%zu %s, %zu "
		                   "other)",
		                   n_pos, m->labels[m->positive], n_neg);
	sort_scores(m);
	free(m->roc);
	free(m->pr);
	m->roc = malloc((n + 1) * sizeof *m->roc);
	m->pr = malloc((n + 1) * sizeof *m->pr);
	if (!m->roc || !m->pr)
		return nlp_err_set(err, NLP_ENOMEM, "metrics: out of memory");
	sweep(m->scores, n, n_pos, m->roc, m->pr, &m->n_roc);
	m->n_pr = m->n_roc;
	m->curves = 1;
	return NLP_OK;
}

int nlp_metrics_roc_curve(nlp_metrics *m, const nlp_curve_point **points, size_t *n, nlp_err *err)
{
	int rc = make_curves(m, err);

	*points = rc ? NULL : m->roc;
	*n = rc ? 0 : m->n_roc;
	return rc;
}

int nlp_metrics_pr_curve(nlp_metrics *m, const nlp_curve_point **points, size_t *n, nlp_err *err)
{
	int rc = make_curves(m, err);

	*points = rc ? NULL : m->pr;
	*n = rc ? 0 : m->n_pr;
	return rc;
}

/* ==== Text ==== */

static int check_stream(FILE *f, const char *what, nlp_err *err)
{
	if (ferror(f) || fflush(f))
		return nlp_err_set(err, NLP_EIO, "metrics: cannot write the %s: %s", what,
		                   strerror(errno ? errno : EIO));
	return NLP_OK;
}

static void pad_label(FILE *f, const char *s, int width)
{
	fputs(s, f);
	for (int w = nlp_text_width(s); w < width; w++)
		fputc(' ', f);
}

static void print_num(FILE *f, double v)
{
	if (isnan(v))
		fputs("n/a", f);
	else
		fprintf(f, "%.4f", v);
}

int nlp_metrics_print_text(FILE *f, nlp_metrics *m, nlp_err *err)
{
	const nlp_metrics_summary *s;
	size_t c = m->n_classes;
	int lw = 12, cw = 6, sw = 7, rc;

	if ((rc = nlp_metrics_compute(m, &s, err)))
		return rc;
	errno = 0;
	for (size_t k = 0; k < c; k++) {
		int w = nlp_text_width(m->labels[k]);
		char num[32];

		if (w > lw)
			lw = w;
		snprintf(num, sizeof num, "%llu", (unsigned long long)s->classes[k].support);
		if ((int)strlen(num) > cw)
			cw = (int)strlen(num);
		if ((int)strlen(num) > sw)
			sw = (int)strlen(num);
		if (w > cw)
			cw = w;
	}
	fprintf(f, "documents     %llu\n", (unsigned long long)s->documents);
	fprintf(f, "accuracy      ");
	print_num(f, s->accuracy);
	fprintf(f, "  (%llu correct)\n", (unsigned long long)s->correct);
	fprintf(f, "macro F1      ");
	print_num(f, s->macro_f1);
	fprintf(f, "\nmicro F1      ");
	print_num(f, s->micro_f1);
	fprintf(f, "\nweighted F1   ");
	print_num(f, s->weighted_f1);
	fprintf(f, "\nlog loss      ");
	print_num(f, s->log_loss);
	fputc('\n', f);
	if (c == 2) {
		fprintf(f, "ROC AUC       ");
		print_num(f, s->roc_auc);
		fprintf(f, "  (positive class: %s)\n", m->labels[s->positive]);
	}
	fputc('\n', f);
	pad_label(f, "class", lw);
	fprintf(f, "  precision     recall         F1  %*s\n", sw, "support");
	for (size_t k = 0; k < c; k++) {
		const nlp_class_metrics *cm = &s->classes[k];

		pad_label(f, m->labels[k], lw);
		fprintf(f, "  %9.4f  %9.4f  %9.4f  %*llu%s\n", cm->precision, cm->recall, cm->f1,
		        sw, (unsigned long long)cm->support,
		        cm->predicted ? "" : "  (never predicted: precision 0)");
	}
	pad_label(f, "macro avg", lw);
	fprintf(f, "  %9.4f  %9.4f  %9.4f  %*llu\n", s->macro_precision, s->macro_recall,
	        s->macro_f1, sw, (unsigned long long)s->documents);
	fputc('\n', f);
	fprintf(f, "confusion matrix (rows: true class, columns: predicted class)\n");
	pad_label(f, "", lw);
	for (size_t k = 0; k < c; k++) {
		fputs("  ", f);
		for (int w = nlp_text_width(m->labels[k]); w < cw; w++)
			fputc(' ', f);
		fputs(m->labels[k], f);
	}
	fputc('\n', f);
	for (size_t t = 0; t < c; t++) {
		pad_label(f, m->labels[t], lw);
		for (size_t p = 0; p < c; p++)
			fprintf(f, "  %*llu", cw, (unsigned long long)s->confusion[t * c + p]);
		fputc('\n', f);
	}
	return check_stream(f, "report", err);
}

/* ==== JSON ==== */

/* A number in a line of output and the text before it. */
typedef struct num_field {
	const char *before;
	double v;
} num_field;

/* Each field's text, then its number written by num. */
static void put_fields(FILE *f, void (*num)(FILE *, double), const num_field *fl, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fputs(fl[i].before, f);
		num(f, fl[i].v);
	}
}

static void json_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.12g", v);
	else
		fputs("null", f);
}

static void json_curve(FILE *f, const char *name, const nlp_curve_point *p, size_t n)
{
	fprintf(f, ",\n  \"%s\": [", name);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ",\n    [" : "\n    [", f);
		json_num(f, p[i].threshold); /* +inf: null */
		fputs(", ", f);
		json_num(f, p[i].x);
		fputs(", ", f);
		json_num(f, p[i].y);
		fputc(']', f);
	}
	fputs("\n  ]", f);
}

int nlp_metrics_print_json(FILE *f, nlp_metrics *m, int with_curves, nlp_err *err)
{
	const nlp_metrics_summary *s;
	size_t c = m->n_classes;
	int rc;

	if ((rc = nlp_metrics_compute(m, &s, err)))
		return rc;
	if (with_curves && c == 2 && !isnan(s->roc_auc) && (rc = make_curves(m, err)))
		return rc;
	errno = 0;
	fprintf(f, "{\n  \"documents\": %llu,\n  \"correct\": %llu,\n  \"accuracy\": ",
	        (unsigned long long)s->documents, (unsigned long long)s->correct);
	put_fields(f, json_num,
	           (const num_field[]){{"", s->accuracy},
	                               {",\n  \"macro_precision\": ", s->macro_precision},
	                               {",\n  \"macro_recall\": ", s->macro_recall},
	                               {",\n  \"macro_f1\": ", s->macro_f1},
	                               {",\n  \"micro_f1\": ", s->micro_f1},
	                               {",\n  \"weighted_f1\": ", s->weighted_f1},
	                               {",\n  \"log_loss\": ", s->log_loss},
	                               {",\n  \"roc_auc\": ", s->roc_auc},
	                               {",\n  \"weighted_precision\": ", s->weighted_precision},
	                               {",\n  \"weighted_recall\": ", s->weighted_recall},
	                               {",\n  \"expected_calibration_error\": ", s->ece}},
	           11);
	fputs(",\n  \"positive_class\": ", f);
	if (c == 2)
		nlp_json_fputs(f, m->labels[s->positive]);
	else
		fputs("null", f);
	fputs(",\n  \"classes\": [", f);
	for (size_t k = 0; k < c; k++) {
		const nlp_class_metrics *cm = &s->classes[k];

		fputs(k ? ",\n    {\"label\": " : "\n    {\"label\": ", f);
		nlp_json_fputs(f, m->labels[k]);
		put_fields(f, json_num,
		           (const num_field[]){{", \"precision\": ", cm->precision},
		                               {", \"recall\": ", cm->recall},
		                               {", \"f1\": ", cm->f1}},
		           3);
		fprintf(f, ", \"support\": %llu, \"predicted\": %llu}",
		        (unsigned long long)cm->support, (unsigned long long)cm->predicted);
	}
	fputs("\n  ],\n  \"confusion_matrix\": [", f);
	for (size_t t = 0; t < c; t++) {
		fputs(t ? ",\n    [" : "\n    [", f);
		for (size_t p = 0; p < c; p++)
			fprintf(f, "%s%llu", p ? ", " : "",
			        (unsigned long long)s->confusion[t * c + p]);
		fputc(']', f);
	}
	fputs("\n  ]", f);
	if (with_curves && m->curves) {
		json_curve(f, "roc_curve", m->roc, m->n_roc);
		json_curve(f, "pr_curve", m->pr, m->n_pr);
	}
	fputs("\n}\n", f);
	return check_stream(f, "JSON", err);
}
