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

int nlp_metrics_add(nlp_metrics *m, size_t truth, const float *probs, nlp_err *err)
{
	size_t c = m->n_classes, pred = 0;
	double p;

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
	if (c == 2) {
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
	}
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

/* Mann-Whitney U from average ranks: rank 1 is the lowest score; a group of
 * tied scores shares the mean of the ranks it spans. */
static double roc_auc(nlp_metrics *m)
{
	size_t n = m->n_scores, n_pos = 0, n_neg, i = 0;
	double rank_sum = 0.0;

	for (size_t k = 0; k < n; k++)
		n_pos += m->scores[k].pos;
	n_neg = n - n_pos;
	if (!n_pos || !n_neg)
		return NAN;
	sort_scores(m); /* descending: element k has ascending rank n - k */
	while (i < n) {
		size_t j = i, pos_in_group = 0;

		while (j < n && m->scores[j].score == m->scores[i].score)
			pos_in_group += m->scores[j++].pos;
		/* ranks (ascending) of elements i..j-1 are n-j+1 .. n-i */
		rank_sum += pos_in_group * ((double)(n - j + 1) + (double)(n - i)) / 2.0;
		i = j;
	}
	return (rank_sum - (double)n_pos * ((double)n_pos + 1.0) / 2.0) /
	       ((double)n_pos * (double)n_neg);
}

int nlp_metrics_compute(nlp_metrics *m, const nlp_metrics_summary **out, nlp_err *err)
{
	nlp_metrics_summary *s = &m->summary;
	size_t c = m->n_classes;
	uint64_t correct = 0;
	double mp = 0, mr = 0, mf = 0, wf = 0;

	(void)err;
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
	}
	s->n_classes = c;
	s->labels = (const char *const *)m->labels;
	s->documents = m->documents;
	s->correct = correct;
	s->accuracy = ratio(correct, m->documents);
	s->macro_precision = mp / (double)c;
	s->macro_recall = mr / (double)c;
	s->macro_f1 = mf / (double)c;
	s->weighted_f1 = m->documents ? wf / (double)m->documents : 0.0;
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
	size_t n = m->n_scores, n_pos = 0, n_neg, i = 0, k = 0;
	uint64_t tp = 0, fp = 0;

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
	m->roc[0] = (nlp_curve_point){INFINITY, 0.0, 0.0};
	m->pr[0] = (nlp_curve_point){INFINITY, 0.0, 1.0};
	k = 1;
	while (i < n) {
		float t = m->scores[i].score;

		while (i < n && m->scores[i].score == t) {
			if (m->scores[i].pos)
				tp++;
			else
				fp++;
			i++;
		}
		m->roc[k] = (nlp_curve_point){t, (double)fp / (double)n_neg,
		                              (double)tp / (double)n_pos};
		m->pr[k] = (nlp_curve_point){t, (double)tp / (double)n_pos,
		                             (double)tp / (double)(tp + fp)};
		k++;
	}
	m->n_roc = m->n_pr = k;
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

/* Display width of a UTF-8 string, counting code points (close enough for
 * aligning label columns). */
static int text_width(const char *s)
{
	int w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void pad_label(FILE *f, const char *s, int width)
{
	fputs(s, f);
	for (int w = text_width(s); w < width; w++)
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
		int w = text_width(m->labels[k]);
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
		for (int w = text_width(m->labels[k]); w < cw; w++)
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
	                               {",\n  \"roc_auc\": ", s->roc_auc}},
	           8);
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

/* ==== HTML ==== */

static void html_str(FILE *f, const char *s)
{
	for (; *s; s++) {
		const char *e = *s == '&'    ? "&amp;"
		                : *s == '<'  ? "&lt;"
		                : *s == '>'  ? "&gt;"
		                : *s == '"'  ? "&quot;"
		                : *s == '\'' ? "&#39;"
		                             : NULL;
		if (e)
			fputs(e, f);
		else
			fputc(*s, f);
	}
}

static void html_num(FILE *f, double v)
{
	if (isnan(v))
		fputs("n/a", f);
	else
		fprintf(f, "%.4f", v);
}

static const char html_css[] =
        "body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;"
        "margin:2em auto;max-width:60em;padding:0 1em;color:#222;background:#fff}\n"
        "h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.6em;"
        "border-bottom:1px solid #ddd;padding-bottom:.2em}\n"
        ".sub{color:#666;margin-top:0}\n"
        "table{border-collapse:collapse;margin:.5em 0}\n"
        "th,td{padding:.25em .8em;text-align:right;border-bottom:1px solid #eee}\n"
        "th:first-child,td:first-child{text-align:left}\n"
        "thead th{border-bottom:2px solid #ccc}\n"
        "tr.avg td{font-style:italic;border-top:2px solid #ccc}\n"
        "td.warn{color:#a33}\n"
        ".cards{display:flex;flex-wrap:wrap;gap:.8em}\n"
        ".card{border:1px solid #ddd;border-radius:6px;padding:.5em 1em;min-width:7em}\n"
        ".card .v{font-size:1.4em;font-weight:600}.card .k{color:#666;font-size:.85em}\n"
        ".plots{display:flex;flex-wrap:wrap;gap:1.5em}\n"
        "svg text{font-family:inherit;font-size:12px;fill:#333}\n"
        ".note{color:#666;font-size:.9em}\n";

static void card(FILE *f, const char *k, double v)
{
	fputs("<div class=\"card\"><div class=\"v\">", f);
	html_num(f, v);
	fputs("</div><div class=\"k\">", f);
	fputs(k, f);
	fputs("</div></div>\n", f);
}

/* White to blue by the share of the row (recall); returns 1 when the cell
 * is dark enough for white text. */
static int heat_color(double frac, char *buf, size_t n)
{
	/* from #f7fbff to #08306b */
	int r = (int)lround(247 + (8 - 247) * frac), g = (int)lround(251 + (48 - 251) * frac),
	    b = (int)lround(255 + (107 - 255) * frac);

	snprintf(buf, n, "#%02x%02x%02x", r, g, b);
	return frac > 0.5;
}

static void html_heatmap(FILE *f, const nlp_metrics_summary *s)
{
	size_t c = s->n_classes;
	int cell = c <= 4 ? 72 : c <= 10 ? 48 : c <= 25 ? 28 : 16;
	int lab = 0, left, top, w, h;

	for (size_t k = 0; k < c; k++) {
		int tw = text_width(s->labels[k]);

		if (tw > lab)
			lab = tw;
	}
	if (lab > 30)
		lab = 30;
	left = 24 + 7 * lab + 8;
	top = 24 + 7 * lab + 8;
	w = left + (int)c * cell + 10;
	h = top + (int)c * cell + 10;
	fprintf(f,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	        "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"confusion matrix\">\n",
	        w, h, w, h);
	fprintf(f,
	        "<text x=\"%d\" y=\"14\" text-anchor=\"middle\" font-weight=\"600\">predicted "
	        "class</text>\n",
	        left + (int)c * cell / 2);
	fprintf(f,
	        "<text transform=\"translate(14,%d) rotate(-90)\" text-anchor=\"middle\" "
	        "font-weight=\"600\">true class</text>\n",
	        top + (int)c * cell / 2);
	for (size_t k = 0; k < c; k++) {
		int mid = (int)k * cell + cell / 2;

		fprintf(f,
		        "<text transform=\"translate(%d,%d) rotate(-90)\" "
		        "dominant-baseline=\"middle\">",
		        left + mid, top - 6);
		html_str(f, s->labels[k]);
		fputs("</text>\n", f);
		fprintf(f,
		        "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" dominant-baseline=\"middle\">",
		        left - 6, top + mid);
		html_str(f, s->labels[k]);
		fputs("</text>\n", f);
	}
	for (size_t t = 0; t < c; t++) {
		uint64_t row = s->classes[t].support;

		for (size_t p = 0; p < c; p++) {
			uint64_t v = s->confusion[t * c + p];
			double frac = row ? (double)v / (double)row : 0.0;
			char col[16];
			int dark = heat_color(frac, col, sizeof col);
			int x = left + (int)p * cell, y = top + (int)t * cell;

			fputs("<g><title>true ", f);
			html_str(f, s->labels[t]);
			fputs(", predicted ", f);
			html_str(f, s->labels[p]);
			fprintf(f, ": %llu (%.1f%% of the row)</title>", (unsigned long long)v,
			        100.0 * frac);
			fprintf(f,
			        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" "
			        "stroke=\"#fff\"/>",
			        x, y, cell, cell, col);
			if (cell >= 28)
				fprintf(f,
				        "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
				        "dominant-baseline=\"middle\" "
				        "style=\"fill:%s\">%llu</text>",
				        x + cell / 2, y + cell / 2, dark ? "#fff" : "#222",
				        (unsigned long long)v);
			fputs("</g>\n", f);
		}
	}
	fputs("</svg>\n", f);
}

/* A square plot of one curve on [0,1] x [0,1]; points are thinned to those
 * that move at least half a pixel. */
static void html_curve(FILE *f, const char *title, const char *xlab, const char *ylab,
                       const nlp_curve_point *pts, size_t n, int diagonal, double auc)
{
	const int size = 300, ml = 52, mt = 30, mr = 16, mb = 46;
	const int w = ml + size + mr, h = mt + size + mb;
	double lx = -1, ly = -1;

	fprintf(f,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	        "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">\n",
	        w, h, w, h, title);
	fprintf(f, "<text x=\"%d\" y=\"18\" text-anchor=\"middle\" font-weight=\"600\">%s",
	        ml + size / 2, title);
	if (!isnan(auc))
		fprintf(f, " (AUC %.4f)", auc);
	fputs("</text>\n", f);
	fprintf(f,
	        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" "
	        "stroke=\"#999\"/>\n",
	        ml, mt, size, size);
	for (int i = 0; i <= 5; i++) {
		double v = i / 5.0;
		int px = ml + (int)lround(v * size), py = mt + size - (int)lround(v * size);

		if (i > 0 && i < 5)
			fprintf(f,
			        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#e4e4e4\"/>"
			        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
			        "stroke=\"#e4e4e4\"/>\n",
			        px, mt, px, mt + size, ml, py, ml + size, py);
		fprintf(f,
		        "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%.1f</text>"
		        "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" "
		        "dominant-baseline=\"middle\">%.1f</text>\n",
		        px, mt + size + 16, v, ml - 6, py, v);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", ml + size / 2,
	        h - 8, xlab);
	fprintf(f,
	        "<text transform=\"translate(14,%d) rotate(-90)\" "
	        "text-anchor=\"middle\">%s</text>\n",
	        mt + size / 2, ylab);
	if (diagonal)
		fprintf(f,
		        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#bbb\" "
		        "stroke-dasharray=\"4 4\"/>\n",
		        ml, mt + size, ml + size, mt);
	fputs("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" "
	      "stroke-linejoin=\"round\" points=\"",
	      f);
	for (size_t i = 0; i < n; i++) {
		double x = ml + pts[i].x * size, y = mt + size - pts[i].y * size;

		if (i && i + 1 < n && fabs(x - lx) < 0.5 && fabs(y - ly) < 0.5)
			continue;
		fprintf(f, "%s%.1f,%.1f", i ? " " : "", x, y);
		lx = x;
		ly = y;
	}
	fputs("\"/>\n</svg>\n", f);
}

static int html_body(FILE *f, nlp_metrics *m, const char *title, nlp_err *err)
{
	static const char warn[] = "</td><td class=\"warn\" title=\"never predicted: precision "
	                           "taken as 0\">";
	const nlp_metrics_summary *s;
	size_t c = m->n_classes;
	int rc, curves = 0;

	if ((rc = nlp_metrics_compute(m, &s, err)))
		return rc;
	if (c == 2 && !isnan(s->roc_auc)) {
		if ((rc = make_curves(m, err)))
			return rc;
		curves = 1;
	}
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>nlpipe evaluation",
	      f);
	if (title && *title) {
		fputs(": ", f);
		html_str(f, title);
	}
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", html_css);
	fputs("<h1>nlpipe evaluation</h1>\n", f);
	if (title && *title) {
		fputs("<p class=\"sub\">", f);
		html_str(f, title);
		fputs("</p>\n", f);
	}
	fprintf(f, "<p class=\"sub\">%llu documents, %zu classes</p>\n",
	        (unsigned long long)s->documents, c);

	fputs("<h2>Summary</h2>\n<div class=\"cards\">\n", f);
	card(f, "accuracy", s->accuracy);
	card(f, "macro F1", s->macro_f1);
	card(f, "micro F1", s->micro_f1);
	card(f, "weighted F1", s->weighted_f1);
	card(f, "log loss", s->log_loss);
	if (c == 2)
		card(f, "ROC AUC", s->roc_auc);
	fputs("</div>\n", f);

	fputs("<h2>Per class</h2>\n<table>\n<thead><tr><th>class</th><th>precision</th>"
	      "<th>recall</th><th>F1</th><th>support</th><th>predicted</th></tr></thead>\n"
	      "<tbody>\n",
	      f);
	for (size_t k = 0; k < c; k++) {
		const nlp_class_metrics *cm = &s->classes[k];

		fputs("<tr><td>", f);
		html_str(f, m->labels[k]);
		put_fields(f, html_num,
		           (const num_field[]){{cm->predicted ? "</td><td>" : warn, cm->precision},
		                               {"</td><td>", cm->recall},
		                               {"</td><td>", cm->f1}},
		           3);
		fprintf(f, "</td><td>%llu</td><td>%llu</td></tr>\n",
		        (unsigned long long)cm->support, (unsigned long long)cm->predicted);
	}
	put_fields(f, html_num,
	           (const num_field[]){
	                   {"<tr class=\"avg\"><td>macro average</td><td>", s->macro_precision},
	                   {"</td><td>", s->macro_recall},
	                   {"</td><td>", s->macro_f1}},
	           3);
	fprintf(f, "</td><td>%llu</td><td>%llu</td></tr>\n</tbody>\n</table>\n",
	        (unsigned long long)s->documents, (unsigned long long)s->documents);
	fputs("<p class=\"note\">A class that is never predicted has precision 0. Micro F1 "
	      "equals accuracy for single-label data. Log loss clips probabilities to "
	      "[1e-15, 1&minus;1e-15].</p>\n",
	      f);

	fputs("<h2>Confusion matrix</h2>\n<p class=\"note\">Rows: true class; columns: "
	      "predicted class; colour: share of the row.</p>\n",
	      f);
	html_heatmap(f, s);

	if (curves) {
		fputs("<h2>Curves</h2>\n<p class=\"note\">Positive class: ", f);
		html_str(f, m->labels[s->positive]);
		fputs(".</p>\n<div class=\"plots\">\n", f);
		html_curve(f, "ROC curve", "false positive rate", "true positive rate", m->roc,
		           m->n_roc, 1, s->roc_auc);
		html_curve(f, "Precision-recall curve", "recall", "precision", m->pr, m->n_pr, 0,
		           NAN);
		fputs("</div>\n", f);
	} else if (c == 2) {
		fputs("<p class=\"note\">No ROC or precision-recall curve: the data hold "
		      "documents of one class only.</p>\n",
		      f);
	}
	fputs("</body>\n</html>\n", f);
	return NLP_OK;
}

int nlp_metrics_write_html(const char *path, nlp_metrics *m, const char *title, nlp_err *err)
{
	nlp_atomic_file af;
	int rc;

	if (!path || !*path)
		return nlp_err_set(err, NLP_ECONFIG, "report: no file name given");
	if ((rc = nlp_atomic_open(&af, path, err)))
		return rc;
	errno = 0;
	rc = html_body(af.f, m, title, err);
	if (rc)
		nlp_atomic_abort(&af);
	else
		rc = nlp_atomic_commit(&af, err);
	return rc;
}
