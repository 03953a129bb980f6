/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* report.c - the HTML evaluation report (nlp_metrics_write_report): one
 * self-contained page (inline CSS and SVG, no scripts, no external assets)
 * whose size grows at most linearly with the number of classes; and that of
 * a sequence-to-sequence model (nlp_s2s_write_report): its scores and
 * attention heatmaps of a few pairs. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nlpipe/metrics.h>
#include <nlpipe/model.h>
#include <nlpipe/nlpipe.h>
#include <nlpipe/seq2seq.h>
#include "internal.h"

#define TOP_CONFUSIONS 30
#define MAX_PIPELINE   65536 /* bytes of the stored pipeline shown */

/* What the page left out, for the note at its end. */
typedef struct omitted {
	char text[1024];
	size_t len;
} omitted;

static void omit(omitted *o, const char *fmt, size_t a, size_t b)
{
	int n;

	if (o->len >= sizeof o->text - 1)
		return;
	n = snprintf(o->text + o->len, sizeof o->text - o->len, fmt, a, b);
	if (n > 0)
		o->len += (size_t)n < sizeof o->text - o->len ? (size_t)n
		                                              : sizeof o->text - o->len - 1;
}

static void html_strn(FILE *f, const char *s, size_t n)
{
	for (const char *end = s + n; s < end; s++) {
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

static void html_str(FILE *f, const char *s)
{
	html_strn(f, s, strlen(s));
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
        ".note{color:#666;font-size:.9em}\n"
        "pre{background:#f6f6f6;border:1px solid #ddd;padding:.6em;overflow:auto;"
        "font-size:.85em}\n"
        "td.txt{text-align:left;font-size:.85em;color:#444;max-width:30em}\n"
        ".legend span{display:inline-block;margin-right:1em;font-size:.85em}\n"
        "table.att td,table.att th{padding:.15em .3em;text-align:center;border:1px solid #eee;"
        "font-size:.8em;min-width:1.4em}\n"
        "table.att th.src{writing-mode:vertical-rl;vertical-align:bottom}\n";

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
		int tw = nlp_text_width(s->labels[k]);

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

/* Colours of the curves: ten, then the same ten dashed. */
static const char *const palette[10] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

/* A plot: axes on [x0,x1] x [y0,y1] in a square of SIZE pixels. */
typedef struct plot {
	FILE *f;
	double x0, x1, y0, y1;
} plot;

enum { SIZE = 300, ML = 52, MT = 30, MR = 16, MB = 46 };

static double px(const plot *p, double x)
{
	return ML + (x - p->x0) / (p->x1 - p->x0) * SIZE;
}

static double py(const plot *p, double y)
{
	return MT + SIZE - (y - p->y0) / (p->y1 - p->y0) * SIZE;
}

static void plot_begin(plot *p, FILE *f, const char *title, const char *xlab, const char *ylab,
                       int diagonal)
{
	const int w = ML + SIZE + MR, h = MT + SIZE + MB;

	p->f = f;
	fprintf(f,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	        "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">\n",
	        w, h, w, h, title);
	fprintf(f, "<text x=\"%d\" y=\"18\" text-anchor=\"middle\" font-weight=\"600\">%s</text>\n",
	        ML + SIZE / 2, title);
	fprintf(f,
	        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" "
	        "stroke=\"#999\"/>\n",
	        ML, MT, SIZE, SIZE);
	for (int i = 0; i <= 5; i++) {
		double vx = p->x0 + (p->x1 - p->x0) * i / 5.0,
		       vy = p->y0 + (p->y1 - p->y0) * i / 5.0;
		double gx = px(p, vx), gy = py(p, vy);

		if (i > 0 && i < 5)
			fprintf(f,
			        "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
			        "stroke=\"#e4e4e4\"/>"
			        "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
			        "stroke=\"#e4e4e4\"/>\n",
			        gx, MT, gx, MT + SIZE, ML, gy, ML + SIZE, gy);
		fprintf(f,
		        "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.3g</text>"
		        "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" "
		        "dominant-baseline=\"middle\">%.3g</text>\n",
		        gx, MT + SIZE + 16, vx, ML - 6, gy, vy);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", ML + SIZE / 2,
	        h - 8, xlab);
	fprintf(f,
	        "<text transform=\"translate(14,%d) rotate(-90)\" "
	        "text-anchor=\"middle\">%s</text>\n",
	        MT + SIZE / 2, ylab);
	if (diagonal)
		fprintf(f,
		        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#bbb\" "
		        "stroke-dasharray=\"4 4\"/>\n",
		        ML, MT + SIZE, ML + SIZE, MT);
}

/* A polyline through pts, thinned to points that move at least half a
 * pixel; label (may be NULL) becomes its tooltip. */
static void plot_line(plot *p, const nlp_curve_point *pts, size_t n, int colour, const char *label)
{
	double lx = -1, ly = -1;

	fputs("<polyline fill=\"none\" stroke-width=\"2\" stroke-linejoin=\"round\"", p->f);
	fprintf(p->f, " stroke=\"%s\"%s points=\"", palette[colour % 10],
	        colour >= 10 ? " stroke-dasharray=\"6 3\"" : "");
	for (size_t i = 0; i < n; i++) {
		double x = px(p, pts[i].x), y = py(p, pts[i].y);

		if (i && i + 1 < n && fabs(x - lx) < 0.5 && fabs(y - ly) < 0.5)
			continue;
		fprintf(p->f, "%s%.1f,%.1f", i ? " " : "", x, y);
		lx = x;
		ly = y;
	}
	fputs("\">", p->f);
	if (label) {
		fputs("<title>", p->f);
		html_str(p->f, label);
		fputs("</title>", p->f);
	}
	fputs("</polyline>\n", p->f);
}

static void plot_end(plot *p)
{
	fputs("</svg>\n", p->f);
}

/* The classes to draw: the largest (by support, then index) with a
 * defined AUC, at most NLP_REPORT_MAX_CURVES; returns how many. */
static size_t pick_classes(const nlp_metrics_summary *s, size_t *pick)
{
	size_t n = 0;

	for (size_t k = 0; k < s->n_classes; k++) {
		size_t at;

		if (isnan(s->class_roc_auc[k]))
			continue;
		at = n < NLP_REPORT_MAX_CURVES ? n++ : NLP_REPORT_MAX_CURVES;
		while (at > 0 && s->classes[pick[at - 1]].support < s->classes[k].support) {
			if (at < NLP_REPORT_MAX_CURVES)
				pick[at] = pick[at - 1];
			at--;
		}
		if (at < NLP_REPORT_MAX_CURVES)
			pick[at] = k;
	}
	return n;
}

/* One plot (ROC when roc, else precision-recall) of the picked classes. */
static int curves_plot(FILE *f, nlp_metrics *m, const nlp_metrics_summary *s, const size_t *pick,
                       size_t n, int roc, nlp_err *err)
{
	plot p = {.x0 = 0, .x1 = 1, .y0 = 0, .y1 = 1};
	int rc = NLP_OK;

	plot_begin(&p, f, roc ? "ROC curves (one vs rest)" : "Precision-recall curves",
	           roc ? "false positive rate" : "recall", roc ? "true positive rate" : "precision",
	           roc);
	for (size_t i = 0; i < n && !rc; i++) {
		const nlp_curve_point *r, *q;
		size_t nr, nq;
		char label[300];

		rc = nlp_metrics_class_curves(m, pick[i], &r, &nr, &q, &nq, err);
		if (rc)
			break;
		snprintf(label, sizeof label, "%s: %s %.4f", s->labels[pick[i]],
		         roc ? "ROC AUC" : "AP",
		         roc ? s->class_roc_auc[pick[i]] : s->class_ap[pick[i]]);
		plot_line(&p, roc ? r : q, roc ? nr : nq, (int)i, label);
	}
	plot_end(&p);
	return rc;
}

/* Two classes, documents not kept: the positive class's curves. */
static int binary_curves(FILE *f, nlp_metrics *m, const nlp_metrics_summary *s, nlp_err *err)
{
	const nlp_curve_point *r, *q;
	size_t nr, nq;
	plot p = {.x0 = 0, .x1 = 1, .y0 = 0, .y1 = 1};
	char title[64];
	int rc;

	if (isnan(s->roc_auc)) {
		fputs("<p class=\"note\">No ROC or precision-recall curve: the data hold "
		      "documents of one class only.</p>\n",
		      f);
		return NLP_OK;
	}
	if ((rc = nlp_metrics_roc_curve(m, &r, &nr, err)) ||
	    (rc = nlp_metrics_pr_curve(m, &q, &nq, err)))
		return rc;
	fputs("<p class=\"note\">Positive class: ", f);
	html_str(f, s->labels[s->positive]);
	fputs(".</p>\n<div class=\"plots\">\n", f);
	snprintf(title, sizeof title, "ROC curve (AUC %.4f)", s->roc_auc);
	plot_begin(&p, f, title, "false positive rate", "true positive rate", 1);
	plot_line(&p, r, nr, 0, NULL);
	plot_end(&p);
	plot_begin(&p, f, "Precision-recall curve", "recall", "precision", 0);
	plot_line(&p, q, nq, 0, NULL);
	plot_end(&p);
	fputs("</div>\n", f);
	return NLP_OK;
}

static int html_curves(FILE *f, nlp_metrics *m, const nlp_metrics_summary *s, omitted *o,
                       nlp_err *err)
{
	size_t pick[NLP_REPORT_MAX_CURVES], n, defined = 0;
	int rc;

	fputs("<h2 id=\"curves\">ROC and precision-recall curves</h2>\n", f);
	if (!s->class_roc_auc && s->n_classes == 2)
		return binary_curves(f, m, s, err);
	if (!s->class_roc_auc) {
		fputs("<p class=\"note\">No per-class curves: ", f);
		fputs(s->kept_overflow ? "too many probabilities to keep in memory (more than "
		                         "2<sup>26</sup>).</p>\n"
		                       : "the documents' probabilities were not kept.</p>\n",
		      f);
		if (s->kept_overflow)
			omit(o,
			     "<li>ROC and precision-recall curves and per-class AUC: more than "
			     "%zu probabilities (%zu classes).</li>\n",
			     (size_t)NLP_METRICS_MAX_KEPT, s->n_classes);
		return NLP_OK;
	}
	n = pick_classes(s, pick);
	for (size_t k = 0; k < s->n_classes; k++)
		defined += !isnan(s->class_roc_auc[k]);
	if (!n) {
		fputs("<p class=\"note\">No curves: no class has both documents of its own and "
		      "of others.</p>\n",
		      f);
		return NLP_OK;
	}
	fputs("<p class=\"note\">Each class against all the others (score: its probability). "
	      "Dashed grey: chance.</p>\n<div class=\"plots\">\n",
	      f);
	if ((rc = curves_plot(f, m, s, pick, n, 1, err)) ||
	    (rc = curves_plot(f, m, s, pick, n, 0, err)))
		return rc;
	fputs("</div>\n<p class=\"legend\">", f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "<span><b style=\"color:%s\">%s</b> ", palette[i % 10],
		        i >= 10 ? "- -" : "&#9644;");
		html_str(f, s->labels[pick[i]]);
		fprintf(f, " (AUC %.4f, AP %.4f)</span>", s->class_roc_auc[pick[i]],
		        s->class_ap[pick[i]]);
	}
	fprintf(f, "</p>\n<p class=\"note\">Averages over %zu classes: macro ROC AUC ", defined);
	html_num(f, s->macro_roc_auc);
	fputs(", weighted ROC AUC ", f);
	html_num(f, s->weighted_roc_auc);
	fputs(", macro AP ", f);
	html_num(f, s->macro_ap);
	fputs(", weighted AP ", f);
	html_num(f, s->weighted_ap);
	fputs(".</p>\n", f);
	if (defined > n) {
		fprintf(f,
		        "<p class=\"note\">Curves drawn for the %zu largest classes of %zu; the "
		        "table above gives every class's AUC.</p>\n",
		        n, defined);
		omit(o, "<li>Curves: drawn for the %zu largest classes only (of %zu).</li>\n", n,
		     defined);
	}
	return NLP_OK;
}

static void td_num(FILE *f, double v)
{
	fputs("<td>", f);
	html_num(f, v);
	fputs("</td>", f);
}

/* A class and its support, to list the largest classes first. */
typedef struct by_size {
	uint64_t support;
	size_t k;
} by_size;

static int by_support(const void *a, const void *b)
{
	const by_size *x = a, *y = b;

	return x->support != y->support ? (x->support < y->support ? 1 : -1)
	                                : (x->k > y->k) - (x->k < y->k);
}

static void avg_row(FILE *f, const char *name, double p, double r, double f1, uint64_t docs,
                    double auc, double ap, int kept)
{
	fprintf(f, "<tr class=\"avg\"><td>%s</td>", name);
	td_num(f, p);
	td_num(f, r);
	td_num(f, f1);
	fprintf(f, "<td>%llu</td><td></td>", (unsigned long long)docs);
	if (kept) {
		td_num(f, auc);
		td_num(f, ap);
	}
	fputs("</tr>\n", f);
}

static int html_classes(FILE *f, const nlp_metrics_summary *s, omitted *o, nlp_err *err)
{
	size_t c = s->n_classes, rows = c < NLP_REPORT_MAX_ROWS ? c : NLP_REPORT_MAX_ROWS;
	by_size *order = malloc(c * sizeof *order);
	int kept = s->class_roc_auc != NULL;

	if (!order)
		return nlp_err_set(err, NLP_ENOMEM, "report: out of memory");
	for (size_t k = 0; k < c; k++)
		order[k] = (by_size){s->classes[k].support, k};
	if (rows < c) { /* the largest classes first */
		qsort(order, c, sizeof *order, by_support);
		omit(o,
		     "<li>Per-class table: the %zu largest classes of %zu (all of them are in "
		     "<code>nlpipe eval --json</code>).</li>\n",
		     rows, c);
	}
	fputs("<h2 id=\"classes\">Per class</h2>\n<table>\n<thead><tr><th>class</th>"
	      "<th>precision</th><th>recall</th><th>F1</th><th>support</th><th>predicted</th>",
	      f);
	fputs(kept ? "<th>ROC AUC</th><th>AP</th></tr></thead>\n<tbody>\n"
	           : "</tr></thead>\n<tbody>\n",
	      f);
	for (size_t i = 0; i < rows; i++) {
		const nlp_class_metrics *cm = &s->classes[order[i].k];

		fputs("<tr class=\"cls\"><td>", f);
		html_str(f, s->labels[order[i].k]);
		fputs(cm->predicted ? "</td><td>"
		                    : "</td><td class=\"warn\" title=\"never predicted: precision "
		                      "taken as 0\">",
		      f);
		html_num(f, cm->precision);
		fputs("</td>", f);
		td_num(f, cm->recall);
		td_num(f, cm->f1);
		fprintf(f, "<td>%llu</td><td>%llu</td>", (unsigned long long)cm->support,
		        (unsigned long long)cm->predicted);
		if (kept) {
			td_num(f, s->class_roc_auc[order[i].k]);
			td_num(f, s->class_ap[order[i].k]);
		}
		fputs("</tr>\n", f);
	}
	avg_row(f, "macro average", s->macro_precision, s->macro_recall, s->macro_f1, s->documents,
	        s->macro_roc_auc, s->macro_ap, kept);
	avg_row(f, "weighted average", s->weighted_precision, s->weighted_recall, s->weighted_f1,
	        s->documents, s->weighted_roc_auc, s->weighted_ap, kept);
	fputs("</tbody>\n</table>\n<p class=\"note\">A class that is never predicted has "
	      "precision 0. Weighted averages weight each class by its support. ROC AUC and "
	      "average precision (AP) are one-vs-rest; n/a for a class without documents (or "
	      "with all of them), and averages are over the other classes. Micro F1 equals "
	      "accuracy for single-label data. Log loss clips probabilities to "
	      "[1e-15, 1&minus;1e-15].</p>\n",
	      f);
	free(order);
	return NLP_OK;
}

/* Above NLP_REPORT_MAX_MATRIX classes: the largest off-diagonal cells. */
static void html_confusions(FILE *f, const nlp_metrics_summary *s, omitted *o)
{
	size_t c = s->n_classes, n = 0, top[TOP_CONFUSIONS];

	for (size_t cell = 0; cell < c * c; cell++) {
		size_t at;

		if (cell / c == cell % c || !s->confusion[cell])
			continue;
		at = n < TOP_CONFUSIONS ? n++ : TOP_CONFUSIONS;
		while (at > 0 && s->confusion[top[at - 1]] < s->confusion[cell]) {
			if (at < TOP_CONFUSIONS)
				top[at] = top[at - 1];
			at--;
		}
		if (at < TOP_CONFUSIONS)
			top[at] = cell;
	}
	fprintf(f,
	        "<p class=\"note\">%zu classes: too many for a matrix; the %zu most frequent "
	        "confusions instead.</p>\n<table>\n<thead><tr><th>true class</th><th>predicted "
	        "class</th><th>documents</th><th>share of the true class</th></tr></thead>\n"
	        "<tbody>\n",
	        c, n);
	for (size_t i = 0; i < n; i++) {
		size_t t = top[i] / c, p = top[i] % c;
		uint64_t v = s->confusion[top[i]], row = s->classes[t].support;

		fputs("<tr class=\"conf\"><td>", f);
		html_str(f, s->labels[t]);
		fputs("</td><td>", f);
		html_str(f, s->labels[p]);
		fprintf(f, "</td><td>%llu</td><td>%.1f%%</td></tr>\n", (unsigned long long)v,
		        row ? 100.0 * (double)v / (double)row : 0.0);
	}
	fputs("</tbody>\n</table>\n", f);
	omit(o,
	     "<li>Confusion matrix: %zu classes, more than %zu; the largest confusions are "
	     "listed instead (the matrix is in <code>nlpipe eval --json</code>).</li>\n",
	     c, (size_t)NLP_REPORT_MAX_MATRIX);
}

/* Reliability diagram: per bin, the accuracy against the mean confidence. */
static void html_calibration(FILE *f, const nlp_metrics_summary *s)
{
	plot p = {.x0 = 0, .x1 = 1, .y0 = 0, .y1 = 1};
	const double bw = (double)SIZE / NLP_CALIBRATION_BINS;

	fputs("<h2 id=\"calibration\">Calibration</h2>\n<p>Expected calibration error (ECE, "
	      "10 bins): <b>",
	      f);
	html_num(f, s->ece);
	fputs("</b></p>\n<p class=\"note\">Confidence: the probability of the predicted class. "
	      "Bars: the share of right predictions among the documents of each confidence bin; "
	      "a well calibrated model follows the diagonal. ECE is the mean gap, weighted by "
	      "the documents in each bin.</p>\n<div class=\"plots\">\n",
	      f);
	plot_begin(&p, f, "Reliability diagram", "confidence", "accuracy", 1);
	for (int b = 0; b < NLP_CALIBRATION_BINS; b++) {
		const nlp_calibration_bin *cb = &s->calibration[b];
		double acc, conf;

		if (!cb->n)
			continue;
		acc = (double)cb->correct / (double)cb->n;
		conf = cb->confidence_sum / (double)cb->n;
		fprintf(f,
		        "<g><title>confidence %.1f-%.1f: %llu documents, accuracy %.4f, mean "
		        "confidence %.4f</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		        "height=\"%.1f\" fill=\"#1f77b4\" fill-opacity=\"0.75\" stroke=\"#fff\"/>"
		        "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#d62728\"/></g>\n",
		        b / 10.0, (b + 1) / 10.0, (unsigned long long)cb->n, acc, conf, ML + b * bw,
		        py(&p, acc), bw, MT + SIZE - py(&p, acc), px(&p, conf), py(&p, conf));
	}
	plot_end(&p);
	fputs("</div>\n<p class=\"note\">Red dots: the mean confidence of each bin.</p>\n"
	      "<table>\n<thead><tr><th>confidence</th><th>documents</th><th>accuracy</th>"
	      "<th>mean confidence</th></tr></thead>\n<tbody>\n",
	      f);
	for (int b = 0; b < NLP_CALIBRATION_BINS; b++) {
		const nlp_calibration_bin *cb = &s->calibration[b];

		fprintf(f, "<tr class=\"bin\"><td>%.1f&ndash;%.1f</td><td>%llu</td>", b / 10.0,
		        (b + 1) / 10.0, (unsigned long long)cb->n);
		td_num(f, cb->n ? (double)cb->correct / (double)cb->n : NAN);
		td_num(f, cb->n ? cb->confidence_sum / (double)cb->n : NAN);
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

static void html_mistakes(FILE *f, const nlp_metrics *m, const nlp_metrics_summary *s)
{
	const nlp_mistake *mk;
	size_t n;

	nlp_metrics_mistakes(m, &mk, &n);
	fputs("<h2 id=\"mistakes\">Most confident mistakes</h2>\n", f);
	if (!n) {
		fputs(s->correct == s->documents
		              ? "<p class=\"note\">None: every document was classified right.</p>\n"
		              : "<p class=\"note\">Not kept for this report.</p>\n",
		      f);
		return;
	}
	fprintf(f,
	        "<p class=\"note\">The %zu misclassified documents with the highest probability "
	        "of the wrong class, and their first words.</p>\n<table>\n<thead><tr><th>"
	        "document</th><th>true class</th><th>predicted</th><th>probability</th><th>"
	        "text</th></tr></thead>\n<tbody>\n",
	        n);
	for (size_t i = 0; i < n; i++) {
		fputs("<tr class=\"mistake\"><td>", f);
		html_str(f, mk[i].name);
		fputs("</td><td>", f);
		html_str(f, s->labels[mk[i].truth]);
		fputs("</td><td>", f);
		html_str(f, s->labels[mk[i].predicted]);
		fputs("</td>", f);
		td_num(f, mk[i].prob);
		fputs("<td class=\"txt\">", f);
		html_str(f, mk[i].excerpt);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

/* Per-epoch figures of meta "epoch_history" (see docs/model-format.md):
 * records "epoch,train_loss,validation_loss,validation_accuracy,
 * validation_macro_f1" separated by ';', nan where unknown.  Fills
 * pts[4][n] (x = epoch) and returns n, 0 when absent or malformed. */
static size_t parse_history(const char *h, nlp_curve_point **pts)
{
	size_t n = 1, k = 0;
	const char *s = h;

	for (const char *q = h; *q; q++)
		n += *q == ';';
	for (int j = 0; j < 4; j++)
		if (!(pts[j] = calloc(n, sizeof **pts)))
			return 0;
	while (*s && k < n) {
		char *end;
		double v[5];

		for (int j = 0; j < 5; j++) {
			v[j] = strtod(s, &end);
			if (end == s || (j < 4 ? *end != ',' : *end != ';' && *end))
				return 0;
			s = *end ? end + 1 : end;
		}
		for (int j = 0; j < 4; j++)
			pts[j][k] = (nlp_curve_point){v[0], v[0], v[j + 1]};
		k++;
	}
	return k;
}

/* The series of pts[j] that have numbers, as one plot. */
static void history_plot(FILE *f, const char *title, const char *ylab, nlp_curve_point **pts,
                         size_t n, const int *which, const char *const *names, int count)
{
	plot p = {.x0 = 1, .x1 = n > 1 ? (double)n : 2.0, .y0 = 0, .y1 = 0};

	for (int s = 0; s < count; s++)
		for (size_t i = 0; i < n; i++)
			if (isfinite(pts[which[s]][i].y) && pts[which[s]][i].y > p.y1)
				p.y1 = pts[which[s]][i].y;
	p.y1 = p.y1 > 0 ? (p.y1 <= 1 ? 1.0 : p.y1 * 1.05) : 1.0;
	plot_begin(&p, f, title, "epoch", ylab, 0);
	for (int s = 0; s < count; s++)
		if (isfinite(pts[which[s]][0].y))
			plot_line(&p, pts[which[s]], n, s, names[s]);
	plot_end(&p);
}

static void html_history(FILE *f, const nlp_model *model)
{
	static const char *const loss_names[] = {"training loss", "validation loss"};
	static const char *const score_names[] = {"validation accuracy", "validation macro F1"};
	const char *h = nlp_model_meta_get(&model->meta, "epoch_history");
	nlp_curve_point *pts[4] = {0};
	size_t n = h ? parse_history(h, pts) : 0;

	fputs("<h3>Training curve</h3>\n", f);
	if (!n) {
		fputs("<p class=\"note\">This model stores only the figures of its best epoch (the "
		      "table above), not one per epoch: no training curve.</p>\n",
		      f);
	} else {
		fputs("<div class=\"plots\">\n", f);
		history_plot(f, "Loss", "loss", pts, n, (const int[]){0, 1}, loss_names, 2);
		history_plot(f, "Validation", "score", pts, n, (const int[]){2, 3}, score_names, 2);
		fprintf(f,
		        "</div>\n<p class=\"legend\"><span><b style=\"color:%s\">&#9644;</b> "
		        "training loss / validation accuracy</span><span><b style=\"color:%s\">"
		        "&#9644;</b> validation loss / validation macro F1</span></p>\n",
		        palette[0], palette[1]);
	}
	for (int j = 0; j < 4; j++)
		free(pts[j]);
}

static void kv_row(FILE *f, const char *k, const char *v)
{
	fputs("<tr class=\"meta\"><td>", f);
	html_str(f, k);
	fputs("</td><td class=\"txt\">", f);
	html_str(f, v ? v : "(not recorded)");
	fputs("</td></tr>\n", f);
}

static void html_model(FILE *f, const nlp_model *model)
{
	const char *date = nlp_model_meta_get(&model->meta, "date");
	char buf[64];

	fputs("<h2 id=\"model\">Model</h2>\n<table>\n<tbody>\n", f);
	kv_row(f, "file", model->path);
	kv_row(f, "written by", model->writer);
	snprintf(buf, sizeof buf, "nlpipe %s", nlp_version());
	kv_row(f, "evaluated with", buf);
	kv_row(f, "trained on", date);
	snprintf(buf, sizeof buf, "%u", model->version);
	kv_row(f, "format version", buf);
	fputs("</tbody>\n</table>\n<h3>Training metadata</h3>\n<table>\n<tbody>\n", f);
	for (size_t i = 0; i < model->meta.n; i++)
		if (strcmp(model->meta.kv[i].key, "epoch_history"))
			kv_row(f, model->meta.kv[i].key, model->meta.kv[i].value);
	fputs("</tbody>\n</table>\n", f);
	html_history(f, model);
	fputs("<h3>Pipeline</h3>\n<p class=\"note\">The pipeline as stored in the model.</p>\n"
	      "<pre class=\"pipeline\">",
	      f);
	if (model->ini_text) {
		size_t len = model->ini_len < MAX_PIPELINE ? model->ini_len : MAX_PIPELINE;

		html_strn(f, model->ini_text, len);
		if (len < model->ini_len)
			fprintf(f, "\n[... %zu more bytes]", model->ini_len - len);
	}
	fputs("</pre>\n", f);
}

/* The page up to its heading and the title under it. */
static void html_open(FILE *f, const char *title)
{
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
}

static void html_head(FILE *f, const nlp_metrics_summary *s, const char *title)
{
	html_open(f, title);
	fprintf(f, "<p class=\"sub\">%llu documents, %zu classes; nlpipe %s</p>\n",
	        (unsigned long long)s->documents, s->n_classes, nlp_version());
	fputs("<h2>Summary</h2>\n<div class=\"cards\">\n", f);
	card(f, "accuracy", s->accuracy);
	card(f, "macro F1", s->macro_f1);
	card(f, "weighted F1", s->weighted_f1);
	card(f, "micro F1", s->micro_f1);
	card(f, "log loss", s->log_loss);
	if (s->n_classes == 2)
		card(f, "ROC AUC", s->roc_auc);
	else if (s->class_roc_auc)
		card(f, "macro ROC AUC", s->macro_roc_auc);
	if (s->class_ap)
		card(f, "macro AP", s->macro_ap);
	card(f, "calibration error", s->ece);
	fputs("</div>\n", f);
	if (s->n_classes == 2) {
		fputs("<p class=\"note\">ROC AUC of the positive class, ", f);
		html_str(f, s->labels[s->positive]);
		fputs(".</p>\n", f);
	}
}

static int html_body(FILE *f, nlp_metrics *m, const char *title, const nlp_model *model,
                     nlp_err *err)
{
	const nlp_metrics_summary *s;
	omitted o = {{0}, 0};
	int rc;

	if ((rc = nlp_metrics_compute(m, &s, err)))
		return rc;
	html_head(f, s, title);
	if ((rc = html_classes(f, s, &o, err)))
		return rc;
	fputs("<h2 id=\"confusion\">Confusion matrix</h2>\n", f);
	if (s->n_classes <= NLP_REPORT_MAX_MATRIX) {
		fputs("<p class=\"note\">Rows: true class; columns: predicted class; colour: share "
		      "of the row.</p>\n",
		      f);
		html_heatmap(f, s);
	} else {
		html_confusions(f, s, &o);
	}
	if ((rc = html_curves(f, m, s, &o, err)))
		return rc;
	html_calibration(f, s);
	html_mistakes(f, m, s);
	if (model)
		html_model(f, model);
	if (o.len) {
		fputs("<h2 id=\"omitted\">Left out of this report</h2>\n<p class=\"note\">To keep "
		      "the page small for many classes:</p>\n<ul>\n",
		      f);
		fputs(o.text, f);
		fputs("</ul>\n", f);
	}
	fputs("</body>\n</html>\n", f);
	return NLP_OK;
}

/* Open the page's temporary file (nlp_atomic_open) for path. */
static int report_open(nlp_atomic_file *af, const char *path, nlp_err *err)
{
	if (!path || !*path)
		return nlp_err_set(err, NLP_ECONFIG, "report: no file name given");
	return nlp_atomic_open(af, path, err);
}

int nlp_metrics_write_report(const char *path, nlp_metrics *m, const char *title,
                             const nlp_model *model, nlp_err *err)
{
	nlp_atomic_file af;
	int rc;

	if ((rc = report_open(&af, path, err)))
		return rc;
	errno = 0;
	rc = html_body(af.f, m, title, model, err);
	if (rc)
		nlp_atomic_abort(&af);
	else
		rc = nlp_atomic_commit(&af, err);
	return rc;
}

int nlp_metrics_write_html(const char *path, nlp_metrics *m, const char *title, nlp_err *err)
{
	return nlp_metrics_write_report(path, m, title, NULL, err);
}

/* ---- Sequence-to-sequence models ---- */

/* The tokens t[0..n) joined by spaces. */
static void html_tokens(FILE *f, char *const *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(' ', f);
		html_str(f, t[i]);
	}
}

/* One pair: what it is, then its heatmap: a row per output token, a column
 * per source token, each cell shaded by the weight the step gave the
 * source token (white 0, dark blue 1). */
static void s2s_example(FILE *f, const nlp_s2s_example *x)
{
	char col[16];

	fputs("<h3 class=\"pair\">", f);
	html_str(f, x->name);
	fputs(x->exact ? " (right)" : " (wrong)", f);
	fputs("</h3>\n<table>\n<tbody>\n<tr><td>source</td><td class=\"txt\">", f);
	html_tokens(f, x->src, x->n_src);
	fputs("</td></tr>\n<tr><td>reference</td><td class=\"txt\">", f);
	html_tokens(f, x->ref, x->n_ref);
	fputs("</td></tr>\n<tr><td>output</td><td class=\"txt\">", f);
	html_tokens(f, x->out, x->n_out);
	fputs("</td></tr>\n</tbody>\n</table>\n", f);
	if (!x->att || !x->n_src) {
		fputs("<p class=\"note\">No attention weights for this pair.</p>\n", f);
		return;
	}
	fputs("<table class=\"att\">\n<thead>\n<tr><th></th>", f);
	for (size_t j = 0; j < x->n_src; j++) {
		fputs("<th class=\"src\">", f);
		html_str(f, x->src[j]);
		fputs("</th>", f);
	}
	fputs("</tr>\n</thead>\n<tbody>\n", f);
	for (size_t i = 0; i < x->n_out; i++) {
		fputs("<tr><th>", f);
		html_str(f, x->out[i]);
		fputs("</th>", f);
		for (size_t j = 0; j < x->n_src; j++) {
			double w = x->att[i * x->n_src + j];
			w = w < 0 ? 0 : w > 1 ? 1 : w;
			const int dark = heat_color(w, col, sizeof col);
			fprintf(f, "<td class=\"w\" style=\"background:%s%s\" title=\"%.3f\"></td>",
			        col, dark ? ";color:#fff" : "", w);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

static void s2s_body(FILE *f, const nlp_s2s_scores *s, const nlp_s2s_examples *E, const char *title,
                     const nlp_model *m)
{
	const double pairs = s->pairs ? (double)s->pairs : 1.0;
	const size_t nr = E ? E->n_right : 0, nw = E ? E->n_wrong : 0;
	/* wrong ones first, up to half the room unless there are few right */
	size_t show_w = nw < NLP_S2S_EXAMPLES / 2 ? nw : NLP_S2S_EXAMPLES / 2;
	if (nr < NLP_S2S_EXAMPLES - show_w)
		show_w = nw < NLP_S2S_EXAMPLES - nr ? nw : NLP_S2S_EXAMPLES - nr;
	const size_t show_r = nr < NLP_S2S_EXAMPLES - show_w ? nr : NLP_S2S_EXAMPLES - show_w;

	html_open(f, title);
	fprintf(f, "<p class=\"sub\">%llu pairs, a sequence-to-sequence model; nlpipe %s</p>\n",
	        (unsigned long long)s->pairs, nlp_version());
	fputs("<h2>Summary</h2>\n<div class=\"cards\">\n", f);
	card(f, "exact match", (double)s->exact / pairs);
	card(f, "token accuracy", s->ref_tokens ? (double)s->correct / (double)s->ref_tokens : 0);
	card(f, "chrF", nlp_s2s_chrf(s));
	card(f, "BLEU", nlp_s2s_bleu(s));
	fputs("</div>\n<h2 id=\"attention\">Attention</h2>\n", f);
	if (E && E->no_attention)
		fputs("<p class=\"note\">This decoder has no attention weights (attention = none: "
		      "every step reads the mean of the encoder's states).</p>\n",
		      f);
	else
		fputs("<p class=\"note\">Greedy decoding of the first pairs decoded wrong and "
		      "right. "
		      "Rows: output tokens; columns: source tokens; colour: the weight the "
		      "step gave the source token (hover for its value).</p>\n",
		      f);
	for (size_t i = 0; i < show_w; i++)
		s2s_example(f, &E->wrong[i]);
	for (size_t i = 0; i < show_r; i++)
		s2s_example(f, &E->right[i]);
	if (m)
		html_model(f, m);
	fputs("</body>\n</html>\n", f);
}

int nlp_s2s_write_report(const char *path, const nlp_s2s_scores *s, const nlp_s2s_examples *E,
                         const char *title, const nlp_model *m, nlp_err *err)
{
	nlp_atomic_file af;
	int rc;

	if ((rc = report_open(&af, path, err)))
		return rc;
	s2s_body(af.f, s, E, title, m);
	return nlp_atomic_commit(&af, err);
}
