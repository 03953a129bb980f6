/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_metrics.c - classification metrics against values worked out by hand
 * (each case says how) and against an independent Python implementation
 * (fixtures.h, from gen_fixtures.py; ranking.h, from gen_ranking.py with
 * scikit-learn). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlpipe/metrics.h>
#include "tests/tap.h"
#include "fixtures.h"
#include "ranking.h"

#define TOL 1e-6

static nlp_metrics *make(size_t c, const char *const *labels, size_t n, const unsigned *truth,
                         const float *probs)
{
	nlp_metrics *m = NULL;
	nlp_err err = {0};

	if (nlp_metrics_new(&m, c, labels, &err)) {
		diag("nlp_metrics_new: %s", err.msg);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (nlp_metrics_add(m, truth[i], probs + i * c, &err)) {
			diag("nlp_metrics_add: %s", err.msg);
			nlp_metrics_free(m);
			return NULL;
		}
	return m;
}

static const nlp_metrics_summary *summary(nlp_metrics *m)
{
	const nlp_metrics_summary *s = NULL;
	nlp_err err = {0};

	if (!m || nlp_metrics_compute(m, &s, &err))
		return NULL;
	return s;
}

/* Everything a test prints, as one string. */
static char *capture(nlp_metrics *m, int json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	nlp_err err = {0};
	int rc;

	if (!f)
		return NULL;
	rc = json ? nlp_metrics_print_json(f, m, 1, &err) : nlp_metrics_print_text(f, m, &err);
	fclose(f);
	if (rc) {
		free(buf);
		return NULL;
	}
	return buf;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1))) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
		}
	}
	fclose(f);
	return buf;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static const char *const binlab[] = {"neg", "pos"};

/* Four documents, every one right.  Log loss by hand: the true-class
 * probabilities are .9 .8 .7 .9, so -(2 ln .9 + ln .8 + ln .7) / 4 =
 * (0.2107210313 + 0.2231435513 + 0.3566749439) / 4 = 0.1976348816. */
static void test_perfect(void)
{
	const unsigned truth[] = {0, 0, 1, 1};
	const float probs[] = {0.9f, 0.1f, 0.8f, 0.2f, 0.3f, 0.7f, 0.1f, 0.9f};
	nlp_metrics *m = make(2, binlab, 4, truth, probs);
	const nlp_metrics_summary *s = summary(m);

	ok(s != NULL, "perfect: computed");
	if (!s) {
		skip(8, "no summary");
		nlp_metrics_free(m);
		return;
	}
	is_double(s->accuracy, 1.0, TOL, "perfect: accuracy 1");
	is_double(s->macro_f1, 1.0, TOL, "perfect: macro F1 1");
	is_double(s->micro_f1, 1.0, TOL, "perfect: micro F1 1");
	is_double(s->classes[0].precision + s->classes[1].recall, 2.0, TOL,
	          "perfect: precision and recall 1");
	is_double(s->roc_auc, 1.0, TOL, "perfect: ROC AUC 1");
	is_double(s->log_loss, 0.1976348816, TOL, "perfect: log loss");
	is_int((long long)(s->confusion[0] * 1000 + s->confusion[1] * 100 + s->confusion[2] * 10 +
	                   s->confusion[3]),
	       2002, "perfect: confusion [[2,0],[0,2]]");
	is_int((long long)s->classes[1].support, 2, "perfect: support");
	nlp_metrics_free(m);
}

/* Every document wrong: every positive scores below every negative, so
 * AUC 0.  Log loss: -(ln .2 + ln .4 + ln .3 + ln .1) / 4 =
 * (1.6094379124 + 0.9162907319 + 1.2039728043 + 2.3025850930) / 4 =
 * 1.5080716354. */
static void test_all_wrong(void)
{
	const unsigned truth[] = {0, 0, 1, 1};
	const float probs[] = {0.2f, 0.8f, 0.4f, 0.6f, 0.7f, 0.3f, 0.9f, 0.1f};
	nlp_metrics *m = make(2, binlab, 4, truth, probs);
	const nlp_metrics_summary *s = summary(m);

	ok(s != NULL, "all wrong: computed");
	if (!s) {
		skip(6, "no summary");
		nlp_metrics_free(m);
		return;
	}
	is_double(s->accuracy, 0.0, TOL, "all wrong: accuracy 0");
	is_double(s->macro_f1, 0.0, TOL, "all wrong: macro F1 0");
	is_double(s->classes[0].precision + s->classes[0].recall + s->classes[1].f1, 0.0, TOL,
	          "all wrong: precision, recall, F1 0");
	is_double(s->roc_auc, 0.0, TOL, "all wrong: ROC AUC 0");
	is_double(s->log_loss, 1.5080716354, TOL, "all wrong: log loss");
	is_int((long long)s->confusion[1] + (long long)s->confusion[2], 4,
	       "all wrong: all off the diagonal");
	nlp_metrics_free(m);
}

/* Ties.  Positive scores .5 .5 .9, negative scores .5 .1 .5.  Pairs: .9
 * beats all three negatives (3); each .5 ties two .5s and beats .1 (2 each):
 * AUC = 7/9.  With [.5, .5] the argmax is class 0 (lowest index), so the
 * confusion matrix is [[3,0],[2,1]]: neg P 3/5 R 1 F1 .75; pos P 1 R 1/3
 * F1 .5; macro F1 .625.  Log loss -(4 ln .5 + 2 ln .9)/6 = 0.4972182922.
 * ROC points: (0,0) (0,1/3) (2/3,1) (1,1); PR: (0,1) (1/3,1) (1,.6) (1,.5). */
static void test_ties(void)
{
	const unsigned truth[] = {1, 1, 1, 0, 0, 0};
	const float probs[] = {0.5f, 0.5f, 0.5f, 0.5f, 0.1f, 0.9f,
	                       0.5f, 0.5f, 0.9f, 0.1f, 0.5f, 0.5f};
	const double roc[][2] = {{0, 0}, {0, 1.0 / 3}, {2.0 / 3, 1}, {1, 1}};
	const double pr[][2] = {{0, 1}, {1.0 / 3, 1}, {1, 0.6}, {1, 0.5}};
	const double thr[] = {INFINITY, 0.9, 0.5, 0.1};
	nlp_metrics *m = make(2, binlab, 6, truth, probs);
	const nlp_metrics_summary *s = summary(m);
	const nlp_curve_point *p = NULL;
	nlp_err err = {0};
	size_t n = 0;
	int good;

	ok(s != NULL, "ties: computed");
	if (!s) {
		skip(12, "no summary");
		nlp_metrics_free(m);
		return;
	}
	is_double(s->roc_auc, 7.0 / 9.0, TOL, "ties: AUC 7/9 (ties count one half)");
	is_double(s->accuracy, 4.0 / 6.0, TOL, "ties: accuracy 4/6 (argmax tie -> class 0)");
	is_double(s->classes[0].f1, 0.75, TOL, "ties: F1 of neg .75");
	is_double(s->classes[1].f1, 0.5, TOL, "ties: F1 of pos .5");
	is_double(s->macro_f1, 0.625, TOL, "ties: macro F1 .625");
	is_double(s->log_loss, 0.4972182922, TOL, "ties: log loss");
	is_int(nlp_metrics_roc_curve(m, &p, &n, &err), NLP_OK, "ties: ROC curve");
	is_int((long long)n, 4, "ties: ROC has one point per distinct score, plus (0,0)");
	good = n == 4;
	for (size_t i = 0; good && i < n; i++)
		good = fabs(p[i].x - roc[i][0]) < TOL && fabs(p[i].y - roc[i][1]) < TOL &&
		       (isinf(thr[i]) ? isinf(p[i].threshold)
		                      : fabs(p[i].threshold - thr[i]) < TOL);
	ok(good, "ties: ROC points and thresholds");
	is_int(nlp_metrics_pr_curve(m, &p, &n, &err), NLP_OK, "ties: PR curve");
	good = n == 4;
	for (size_t i = 0; good && i < n; i++)
		good = fabs(p[i].x - pr[i][0]) < TOL && fabs(p[i].y - pr[i][1]) < TOL;
	ok(good, "ties: PR points");
	nlp_metrics_free(m);

	/* The positive class matters when the probabilities are not
	 * complementary: scores [.9 .8] (true 0) and [.1 .5] (true 1).  Positive
	 * class 1: .5 < .8, AUC 0; positive class 0: .9 > .1, AUC 1. */
	{
		const unsigned t2[] = {0, 1};
		const float p2[] = {0.9f, 0.8f, 0.1f, 0.5f};
		nlp_metrics *m0 = NULL;
		int rc = nlp_metrics_new(&m0, 2, binlab, &err);

		rc = rc ? rc : nlp_metrics_set_positive(m0, 0, &err);
		for (size_t i = 0; !rc && i < 2; i++)
			rc = nlp_metrics_add(m0, t2[i], p2 + 2 * i, &err);
		s = rc ? NULL : summary(m0);
		is_double(s ? s->roc_auc : NAN, 1.0, TOL, "positive class 0: AUC from p[0]");
		nlp_metrics_free(m0);
		m0 = make(2, binlab, 2, t2, p2);
		s = summary(m0);
		is_double(s ? s->roc_auc : NAN, 0.0, TOL,
		          "positive class 1 (default): AUC from p[1]");
		nlp_metrics_free(m0);
	}
}

/* Three classes, class c never predicted.  Predictions a a b a b b for true
 * a a b b c c: confusion [[2,0,0],[1,1,0],[0,2,0]].  a: P 2/3 R 1 F1 .8;
 * b: P 1/3 R 1/2 F1 .4; c: no predictions, so precision is defined as 0,
 * R 0, F1 0.  Accuracy .5, macro F1 .4, macro P 1/3, macro R .5, weighted F1
 * .4.  Log loss: -(ln .7 + 2 ln .6 + ln .4 + 2 ln .3)/6 = 0.7837604220. */
static void test_never_predicted(void)
{
	const char *const lab[] = {"a", "b", "c"};
	const unsigned truth[] = {0, 0, 1, 1, 2, 2};
	const float probs[] = {.7f, .2f, .1f, .6f, .3f, .1f, .3f, .6f, .1f,
	                       .5f, .4f, .1f, .2f, .5f, .3f, .1f, .6f, .3f};
	const uint64_t conf[] = {2, 0, 0, 1, 1, 0, 0, 2, 0};
	nlp_metrics *m = make(3, lab, 6, truth, probs);
	const nlp_metrics_summary *s = summary(m);
	char *text, *json;

	ok(s != NULL, "never predicted: computed");
	if (!s) {
		skip(13, "no summary");
		nlp_metrics_free(m);
		return;
	}
	is_double(s->classes[2].precision, 0.0, TOL, "never predicted: precision 0 (defined)");
	is_double(s->classes[2].f1, 0.0, TOL, "never predicted: F1 0");
	is_double(s->classes[0].f1, 0.8, TOL, "never predicted: F1 of a .8");
	is_double(s->classes[1].f1, 0.4, TOL, "never predicted: F1 of b .4");
	is_double(s->accuracy, 0.5, TOL, "never predicted: accuracy .5");
	is_double(s->macro_f1, 0.4, TOL, "never predicted: macro F1 .4");
	is_double(s->macro_precision, 1.0 / 3.0, TOL, "never predicted: macro precision 1/3");
	is_double(s->micro_f1, 0.5, TOL, "never predicted: micro F1 = accuracy");
	is_double(s->log_loss, 0.7837604220, TOL, "never predicted: log loss");
	ok(isnan(s->roc_auc), "never predicted: no AUC for three classes");
	ok(memcmp(s->confusion, conf, sizeof conf) == 0, "never predicted: confusion matrix");
	text = capture(m, 0);
	like(text, "never predicted", "never predicted: the text report says so");
	json = capture(m, 1);
	like(json, "\"roc_auc\": null", "never predicted: JSON has roc_auc null");
	free(text);
	free(json);
	nlp_metrics_free(m);
}

/* Clipping: p[true] = 0 counts -ln(1e-15) = 34.5387763949; p[true] = 1
 * counts -ln(1 - 1e-15) ~ 1e-15.  Mean over two: 17.2693881975. */
static void test_clip(void)
{
	const unsigned truth[] = {0, 1};
	const float probs[] = {0.0f, 1.0f, 0.0f, 1.0f};
	nlp_metrics *m = make(2, binlab, 2, truth, probs);
	const nlp_metrics_summary *s = summary(m);

	is_double(s ? s->log_loss : NAN, 17.2693881975, 1e-8, "clip: log loss at 1e-15");
	nlp_metrics_free(m);
}

static void test_bad_input(void)
{
	nlp_metrics *m = NULL;
	const nlp_metrics_summary *s;
	const nlp_curve_point *p;
	float good[2] = {0.3f, 0.7f}, nan2[2] = {NAN, 0.5f}, neg[2] = {-0.5f, 1.0f};
	nlp_err err = {0};
	size_t n;

	is_int(nlp_metrics_new(&m, 1, NULL, &err), NLP_ECONFIG, "one class is refused");
	ok(m == NULL, "and nothing is made");
	if (nlp_metrics_new(&m, 2, NULL, &err)) {
		skip(9, "cannot make metrics");
		return;
	}
	is_int(nlp_metrics_add(m, 2, good, &err), NLP_EDATA, "true class out of range: EDATA");
	like(err.msg, "out of range", "and says so");
	is_int(nlp_metrics_add(m, 0, nan2, &err), NLP_EDATA, "NaN probability: EDATA");
	is_int(nlp_metrics_add(m, 0, neg, &err), NLP_EDATA, "negative probability: EDATA");
	is_int(nlp_metrics_add(m, 1, good, &err), NLP_OK, "a good document is counted");
	s = summary(m);
	is_int(s ? (long long)s->documents : -1, 1, "refused documents are not counted");
	ok(s && isnan(s->roc_auc), "one class only: AUC undefined");
	is_int(nlp_metrics_roc_curve(m, &p, &n, &err), NLP_ECONFIG, "one class only: no curve");
	ok(s && strcmp(s->labels[1], "1") == 0, "NULL labels give numbers");
	nlp_metrics_free(m);
}

static void test_fixtures(void)
{
	for (size_t k = 0; k < FIX_NCASES; k++) {
		const fix_case *fc = &fix_cases[k];
		nlp_metrics *m = make(fc->c, NULL, fc->n, fc->truth, fc->probs);
		const nlp_metrics_summary *s = summary(m);
		char name[128];
		int good;

		snprintf(name, sizeof name, "random case %zu (%zu classes, %zu documents)", k,
		         fc->c, fc->n);
		if (!s) {
			ok(0, name);
			nlp_metrics_free(m);
			continue;
		}
		good = fabs(s->accuracy - fc->accuracy) < TOL &&
		       fabs(s->macro_f1 - fc->macro_f1) < TOL &&
		       fabs(s->weighted_f1 - fc->weighted_f1) < TOL &&
		       fabs(s->macro_precision - fc->macro_precision) < TOL &&
		       fabs(s->macro_recall - fc->macro_recall) < TOL &&
		       fabs(s->log_loss - fc->log_loss) < TOL &&
		       (isnan(fc->auc) ? isnan(s->roc_auc) : fabs(s->roc_auc - fc->auc) < TOL);
		for (size_t c = 0; good && c < fc->c; c++)
			good = fabs(s->classes[c].precision - fc->prf[3 * c]) < TOL &&
			       fabs(s->classes[c].recall - fc->prf[3 * c + 1]) < TOL &&
			       fabs(s->classes[c].f1 - fc->prf[3 * c + 2]) < TOL &&
			       s->classes[c].support == fc->support[c];
		if (!ok(good, name))
			diag("got acc %.9g macroF1 %.9g loss %.9g auc %.9g; want %.9g %.9g %.9g "
			     "%.9g",
			     s->accuracy, s->macro_f1, s->log_loss, s->roc_auc, fc->accuracy,
			     fc->macro_f1, fc->log_loss, fc->auc);
		nlp_metrics_free(m);
	}
}

static void test_outputs(void)
{
	const char *const lab[] = {"<bad> & \"label\"", "pos"};
	const unsigned truth[] = {0, 0, 1, 1, 1};
	const float probs[] = {0.9f, 0.1f, 0.4f, 0.6f, 0.3f, 0.7f, 0.2f, 0.8f, 0.6f, 0.4f};
	nlp_metrics *m = make(2, lab, 5, truth, probs);
	char dir[] = "/tmp/t_metrics.XXXXXX", path[256], bad[256];
	char *text = NULL, *json = NULL, *html = NULL;
	nlp_err err = {0};

	if (!m || !mkdtemp(dir)) {
		skip(17, "setup failed");
		nlp_metrics_free(m);
		return;
	}
	text = capture(m, 0);
	like(text, "accuracy      0.6000", "text: accuracy");
	like(text, "ROC AUC       0.8333  (positive class: pos)", "text: AUC and positive class");
	like(text, "confusion matrix", "text: confusion matrix");
	json = capture(m, 1);
	like(json, "\"label\": \"<bad> & \\\"label\\\"\"", "json: labels escaped");
	like(json, "\"confusion_matrix\": [\n    [1, 1],\n    [1, 2]", "json: confusion matrix");
	like(json, "\"roc_curve\": [\n    [null, 0, 0]", "json: ROC curve from (0,0)");

	snprintf(path, sizeof path, "%s/report.html", dir);
	is_int(nlp_metrics_write_html(path, m, "model <m> on data", &err), NLP_OK, "html: written");
	html = slurp(path);
	like(html, "<!DOCTYPE html>", "html: a page");
	like(html, "&lt;bad&gt; &amp; &quot;label&quot;", "html: labels escaped");
	like(html, "<svg", "html: inline SVG");
	like(html, "Precision-recall curve", "html: PR curve");
	ok(html && !strstr(html, "<script") && !strstr(html, "src=") && !strstr(html, "href=") &&
	           !strstr(html, "url("),
	   "html: no scripts, no external assets");
	is_int(count_entries(dir), 1, "html: no temporary file left");

	/* A target that cannot be replaced (a folder): an error, no debris. */
	snprintf(bad, sizeof bad, "%s/taken", dir);
	mkdir(bad, 0777);
	is_int(nlp_metrics_write_html(bad, m, NULL, &err), NLP_EIO, "html: failure is an error");
	is_int(count_entries(dir), 2, "html: failure leaves no temporary file");
	snprintf(bad, sizeof bad, "%s/missing/report.html", dir);
	is_int(nlp_metrics_write_html(bad, m, NULL, &err), NLP_EIO, "html: missing folder");
	like(err.msg, "missing/report.html", "html: the message names the file");

	unlink(path);
	snprintf(bad, sizeof bad, "%s/taken", dir);
	rmdir(bad);
	rmdir(dir);
	free(text);
	free(json);
	free(html);
	nlp_metrics_free(m);
}

static nlp_metrics *make_kept(size_t c, size_t n, const unsigned *truth, const float *probs,
                              size_t mistakes)
{
	nlp_metrics *m = NULL;
	nlp_err err = {0};

	if (nlp_metrics_new(&m, c, NULL, &err) || nlp_metrics_keep_documents(m, mistakes, &err)) {
		diag("setup: %s", err.msg);
		nlp_metrics_free(m);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		char name[32], text[64];

		snprintf(name, sizeof name, "doc%zu", i);
		snprintf(text, sizeof text, "text of <doc> %zu", i);
		if (nlp_metrics_add_document(m, truth[i], probs + i * c, name, text, strlen(text),
		                             &err)) {
			diag("add: %s", err.msg);
			nlp_metrics_free(m);
			return NULL;
		}
	}
	return m;
}

static int near(double got, double want)
{
	return isnan(want) ? isnan(got) : fabs(got - want) < TOL;
}

/* One-vs-rest AUC and AP per class and the ECE against scikit-learn. */
static void test_ranking(void)
{
	for (size_t k = 0; k < FIX_NCASES; k++) {
		const fix_case *fc = &fix_cases[k];
		nlp_metrics *m = make_kept(fc->c, fc->n, fc->truth, fc->probs, 0);
		const nlp_metrics_summary *s = summary(m);
		double sa = 0, wa = 0, w = 0;
		int good = s && s->class_roc_auc && s->class_ap;
		char name[128];

		snprintf(name, sizeof name, "case %zu: per-class AUC, AP, averages, ECE", k);
		for (size_t c = 0; good && c < fc->c; c++) {
			good = near(s->class_roc_auc[c], rank_cases[k][2 * c]) &&
			       near(s->class_ap[c], rank_cases[k][2 * c + 1]);
			if (!good)
				diag("class %zu: AUC %.9g AP %.9g; want %.9g %.9g", c,
				     s->class_roc_auc[c], s->class_ap[c], rank_cases[k][2 * c],
				     rank_cases[k][2 * c + 1]);
			sa += rank_cases[k][2 * c];
			wa += rank_cases[k][2 * c] * fc->support[c];
			w += fc->support[c];
		}
		good = good && near(s->macro_roc_auc, sa / (double)fc->c) &&
		       near(s->weighted_roc_auc, wa / w) && near(s->ece, rank_ece[k]);
		if (!ok(good, name) && s)
			diag("ECE %.9g want %.9g; macro AUC %.9g want %.9g", s->ece, rank_ece[k],
			     s->macro_roc_auc, sa / (double)fc->c);
		if (fc->c == 2)
			ok(s && near(s->class_roc_auc[1], s->roc_auc),
			   "two classes: class 1's one-vs-rest AUC is the binary AUC");
		nlp_metrics_free(m);
	}
}

/* Worked by hand: 3 classes, 4 documents, probabilities that float holds
 * exactly (so that no bin edge depends on rounding).
 *   d0 truth 0 p (.75 .125 .125)    right, conf .75 (bin 7)
 *   d1 truth 1 p (.625 .25 .125)    wrong: predicted 0 at .625 (bin 6)
 *   d2 truth 2 p (.125 0 .875)      right, conf .875 (bin 8)
 *   d3 truth 1 p (.0625 .9375 0)    right, conf .9375 (bin 9)
 * ECE = (|1-.75| + |0-.625| + |1-.875| + |1-.9375|) / 4 = 1.0625 / 4.
 * Class 0 against the rest: .75+ above .625- .125- .0625-: AUC 1, AP 1.
 * Weighted precision: P = (.5, 1, 1), support (1, 2, 1) -> (.5 + 2 + 1) / 4. */
static void test_hand_ranking(void)
{
	const unsigned truth[] = {0, 1, 2, 1};
	const float probs[] = {.75f,  .125f, .125f, .625f,  .25f,   .125f,
	                       .125f, 0.0f,  .875f, .0625f, .9375f, 0.0f};
	nlp_metrics *m = make_kept(3, 4, truth, probs, 5);
	const nlp_metrics_summary *s = summary(m);
	const nlp_mistake *mk;
	size_t n = 0;

	if (!s) {
		skip(7, "setup failed");
		nlp_metrics_free(m);
		return;
	}
	is_double(s->ece, 1.0625 / 4, 1e-12, "hand: ECE 1.0625 / 4");
	is_int((int)s->calibration[6].n, 1, "hand: one document in bin .6-.7");
	is_double(s->class_roc_auc[0], 1.0, 1e-12, "hand: AUC of class 0 is 1");
	is_double(s->class_ap[0], 1.0, 1e-12, "hand: AP of class 0 is 1");
	is_double(s->weighted_precision, 3.5 / 4, 1e-12, "hand: weighted precision");
	nlp_metrics_mistakes(m, &mk, &n);
	ok(n == 1 && mk[0].truth == 1 && mk[0].predicted == 0 && mk[0].prob == 0.625 &&
	           !strcmp(mk[0].name, "doc1"),
	   "hand: the one mistake, named");
	is_str(n ? mk[0].excerpt : NULL, "text of <doc> 1", "hand: its text");
	nlp_metrics_free(m);
}

/* The most confident mistakes, in order, at most max; excerpts short. */
static void test_mistakes(void)
{
	nlp_metrics *m = NULL;
	nlp_err err = {0};
	const nlp_mistake *mk;
	size_t n = 0;
	char longtext[2000] = "";
	int good = 1;

	if (nlp_metrics_new(&m, 2, NULL, &err) || nlp_metrics_keep_documents(m, 3, &err)) {
		skip(3, "setup failed");
		nlp_metrics_free(m);
		return;
	}
	for (int i = 0; i < 60; i++)
		strcat(longtext, "w\xc3\xa9rd\t ");
	for (int i = 0; i < 10; i++) {
		float p[2] = {(float)(0.5 + i / 20.0), (float)(0.5 - i / 20.0)};
		char name[16];

		snprintf(name, sizeof name, "d%d", i);
		good &= !nlp_metrics_add_document(m, 1, p, name, longtext, strlen(longtext), &err);
	}
	nlp_metrics_mistakes(m, &mk, &n);
	ok(good && n == 3 && !strcmp(mk[0].name, "d9") && !strcmp(mk[1].name, "d8") &&
	           !strcmp(mk[2].name, "d7"),
	   "mistakes: the three most confident, most confident first");
	ok(n && strlen(mk[0].excerpt) <= 163, "mistakes: the excerpt is short");
	if (n)
		diag("excerpt: %zu bytes", strlen(mk[0].excerpt));
	ok(n && !strncmp(mk[0].excerpt, "w\xc3\xa9rd w\xc3\xa9rd ", 12) &&
	           !strstr(mk[0].excerpt, "\t"),
	   "mistakes: whitespace collapsed, characters whole");
	nlp_metrics_free(m);
}

/* 3,000 classes: the report stays small and says what it left out. */
static void test_many_classes(void)
{
	enum { C = 3000, N = 6000 };
	nlp_metrics *m = NULL;
	nlp_err err = {0};
	float *p = calloc(C, sizeof *p);
	char dir[] = "/tmp/t_metrics_many.XXXXXX", path[256];
	char *html = NULL;
	struct stat st;
	int good = p != NULL;

	if (!good || !mkdtemp(dir) || nlp_metrics_new(&m, C, NULL, &err) ||
	    nlp_metrics_keep_documents(m, 20, &err)) {
		skip(5, "setup failed");
		free(p);
		nlp_metrics_free(m);
		return;
	}
	for (size_t i = 0; i < N && good; i++) {
		size_t t = i % C, guess = (i * 7) % C;

		for (size_t k = 0; k < C; k++)
			p[k] = 0.1f / C;
		p[guess] += 0.9f;
		good = !nlp_metrics_add_document(m, t, p, "d", "some text", 9, &err);
	}
	snprintf(path, sizeof path, "%s/many.html", dir);
	is_int(good ? nlp_metrics_write_report(path, m, "many", NULL, &err) : -1, NLP_OK,
	       "3000 classes: report written");
	ok(stat(path, &st) == 0 && st.st_size < 3 * 1024 * 1024, "3000 classes: under 3 MB");
	diag("3000 classes: %lld bytes", (long long)st.st_size);
	html = slurp(path);
	like(html, "most frequent confusions", "3000 classes: confusions listed, no matrix");
	like(html, "<li>Per-class table: the 1000 largest classes of 3000",
	     "3000 classes: the note says the table is cut");
	like(html, "<li>Curves: drawn for the 20 largest classes only",
	     "3000 classes: the note says the curves are cut");
	unlink(path);
	rmdir(dir);
	free(html);
	free(p);
	nlp_metrics_free(m);
}

int main(void)
{
	plan(9 + 7 + 14 + 14 + 1 + 11 + FIX_NCASES + 17 + FIX_NCASES + 4 + 7 + 3 + 5);
	test_perfect();
	test_all_wrong();
	test_ties();
	test_never_predicted();
	test_clip();
	test_bad_input();
	test_fixtures();
	test_outputs();
	test_ranking();
	test_hand_ranking();
	test_mistakes();
	test_many_classes();
	return done_testing();
}
