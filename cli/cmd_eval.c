/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* cmd_eval.c - `nlpipe eval MODEL DATA...`: metrics of a model on labelled
 * data, as text, JSON or one HTML page. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlpipe/metrics.h"
#include "nlpipe/metrics_multi.h"
#include "nlpipe/classifier.h"
#include "nlpipe/lm.h"
#include "nlpipe/seq2seq.h"
#include "cli/cli.h"
#include "cli/data.h"

static const char usage[] =
        "Usage: nlpipe eval [OPTIONS] MODEL DATA...\n\n"
        "Measure MODEL on labelled DATA (document folders DIR/<label>/..., or\n"
        "`label<TAB>text` / `__label__X text` line files): accuracy, per-class\n"
        "precision, recall and F1, macro and micro F1, the confusion matrix, log loss\n"
        "and, for two classes, ROC AUC.  --report adds per-class (one-vs-rest) ROC AUC,\n"
        "average precision and curves, calibration, the most confident mistakes and\n"
        "the model's pipeline and training figures.\n\n"
        "A language model (trained from a pipeline that ends in next_token) is\n"
        "measured on any text instead (labels ignored): tokens, out-of-vocabulary\n"
        "rate, cross-entropy in nats and bits per token, and perplexity.\n\n"
        "A sequence-to-sequence model (a pipeline that ends in a decoder) is measured\n"
        "on source<TAB>target pair files: exact match, token accuracy, chrF and BLEU\n"
        "of its greedy outputs; --report adds attention heatmaps of a few pairs.\n\n"
        "Options:\n"
        "  --json               one JSON object instead of the text report\n"
        "  --curves             with --json: the ROC and precision-recall curves too\n"
        "  --report FILE.html   also write a self-contained HTML report\n"
        "  -j, --threads N      threads (0: one per core; default 0)\n"
        "  --batch N            documents per network batch (64)\n"
        "  -q, --quiet          no summary lines on stderr\n"
        "  -v, --verbose        name every document left out and every empty one\n"
        "  -h, --help           this text\n\n" DATA_USAGE;

/* Mistakes listed in the HTML report. */
#define REPORT_MISTAKES 20

typedef struct eval_ctx {
	nlp_metrics *m;
	/* multi-label figures: every document's probabilities and 0/1 truth */
	size_t C, n, cap;
	float *probs, *truth;
	int multi; /* some document has several labels, or the model was trained so */
} eval_ctx;

/* Keep r's probabilities and labels for the multi-label figures. */
static int keep_multi(eval_ctx *e, const nlp_result *r, nlp_err *err)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 1024;
		float *p = realloc(e->probs, cap * e->C * sizeof *p), *t;
		if (p)
			e->probs = p;
		t = p ? realloc(e->truth, cap * e->C * sizeof *t) : NULL;
		if (!t)
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		e->truth = t;
		e->cap = cap;
	}
	memcpy(e->probs + e->n * e->C, r->probs, e->C * sizeof *e->probs);
	memset(e->truth + e->n * e->C, 0, e->C * sizeof *e->truth);
	for (size_t j = 0; j < r->n_labels; j++)
		e->truth[e->n * e->C + (size_t)r->labels[j]] = 1.0f;
	e->multi |= r->n_labels > 1;
	e->n++;
	return NLP_OK;
}

/* The multi-label report of what keep_multi kept. */
static int print_multi(const eval_ctx *e, const nlp_classifier *cl, int json, nlp_err *err)
{
	const nlp_model *model = nlp_classifier_model(cl);
	const float *th = nlp_classifier_thresholds(cl);
	nlp_ml_summary s;
	int rc = nlp_ml_compute(&s, e->probs, e->truth, e->n, (int)e->C, th, err);

	if (!rc)
		rc = json ? nlp_ml_print_json(stdout, &s, (const char *const *)model->labels, th)
		          : nlp_ml_print_text(stdout, &s, (const char *const *)model->labels, th);
	if (rc == NLP_EIO)
		rc = nlp_err_set(err, NLP_EIO, "standard output: write error");
	nlp_ml_summary_free(&s);
	return rc;
}

static int add(void *user, const nlp_result *r, nlp_err *err)
{
	eval_ctx *e = user;

	if (r->left_out) {
		if (cli_verbose)
			cli_warn("%s: left out: %s", r->name,
			         r->label_name ? "its label is not one of the model's"
			                       : "it has no label");
		return NLP_OK;
	}
	if (!r->probs) {
		cli_warn("%s: not classified: %s", r->name, r->error);
		return NLP_OK;
	}
	if (r->empty)
		cli_empty_doc(r->name);
	if (e->C && keep_multi(e, r, err))
		return NLP_ENOMEM;
	return nlp_metrics_add_document(e->m, (size_t)r->label, r->probs, r->name, r->text,
	                                r->text_len, err);
}

/* A sequence-to-sequence model on pair files: nlp_s2s_eval_examples,
 * greedy; with report, the HTML report too. */
static int eval_s2s(nlp_model *m, const char *const *data, size_t n_data, int json,
                    const char *report)
{
	const nlp_s2s_gen_opts o = {.beam = 1, .length_penalty = 0.6, .max_len = 200};
	nlp_s2s_scores s;
	nlp_s2s_examples ex;
	nlp_err err = {0};
	int rc = nlp_s2s_eval_examples(m, data, n_data, &o, &s, report ? &ex : NULL, &err);

	if (!rc && s.pairs == 0)
		rc = nlp_err_set(&err, NLP_EDATA, "%s: no source<TAB>target pairs", data[0]);
	if (!rc && report) {
		char title[512];
		snprintf(title, sizeof title, "%s on %s", m->path, data[0]);
		rc = nlp_s2s_write_report(report, &s, &ex, title, m, &err);
	}
	if (report)
		nlp_s2s_examples_free(&ex);
	if (rc)
		return cli_fail(&err);
	const double em = (double)s.exact / (double)s.pairs,
	             ta = s.ref_tokens ? (double)s.correct / (double)s.ref_tokens : 0.0;
	if (json)
		printf("{\"pairs\": %llu, \"exact_match\": %.6f, \"token_accuracy\": %.6f, "
		       "\"chrf\": %.4f, \"bleu\": %.4f}\n",
		       (unsigned long long)s.pairs, em, ta, nlp_s2s_chrf(&s), nlp_s2s_bleu(&s));
	else
		printf("pairs:           %llu\n"
		       "exact match:     %.2f %% (%llu)\n"
		       "token accuracy:  %.2f %% (of %llu reference tokens, by position)\n"
		       "chrF:            %.2f\n"
		       "BLEU:            %.2f\n",
		       (unsigned long long)s.pairs, 100.0 * em, (unsigned long long)s.exact,
		       100.0 * ta, (unsigned long long)s.ref_tokens, nlp_s2s_chrf(&s),
		       nlp_s2s_bleu(&s));
	return 0;
}

/* A language model on DATA: the figures of nlp_lm_eval_files. */
static int eval_lm(const char *path, const char *const *data, size_t n_data,
                   const nlp_reader_opts *ro, long threads, long batch, int json,
                   const char *report)
{
	nlp_host *h = NULL;
	nlp_model *m = NULL;
	nlp_lm_figures f;
	nlp_err err = {0};
	int rc = cli_open_lm(path, &h, &m, &err), code = 0;

	if (!rc && nlp_pipeline_is_s2s(m->pipeline)) {
		code = eval_s2s(m, data, n_data, json, report);
		nlp_model_free(m);
		nlp_host_free(h);
		return code;
	}
	if (!rc)
		rc = nlp_lm_eval_files(m, h, data, n_data, ro, nlp_thread_count(threads),
		                       (int)batch, &f, &err);
	if (!rc && f.tokens == 0)
		rc = nlp_err_set(&err, NLP_EDATA, "%s: no text to measure the model on", data[0]);
	if (rc) {
		code = cli_fail(&err);
	} else if (json) {
		printf("{\"documents\": %llu, \"tokens\": %llu, \"oov\": %llu, "
		       "\"oov_rate\": %.6f, \"cross_entropy\": %.6f, \"bits_per_token\": %.6f, "
		       "\"perplexity\": %.4f}\n",
		       (unsigned long long)f.documents, (unsigned long long)f.tokens,
		       (unsigned long long)f.oov, (double)f.oov / (double)f.tokens, nlp_lm_nats(&f),
		       nlp_lm_bits(&f), nlp_lm_perplexity(&f));
	} else {
		printf("documents:          %llu\n", (unsigned long long)f.documents);
		printf("tokens:             %llu (with one " NLP_LM_EOS " a document)\n",
		       (unsigned long long)f.tokens);
		printf("out of vocabulary:  %llu (%.2f %%)\n", (unsigned long long)f.oov,
		       100.0 * (double)f.oov / (double)f.tokens);
		printf("cross-entropy:      %.4f nats, %.4f bits per token\n", nlp_lm_nats(&f),
		       nlp_lm_bits(&f));
		printf("perplexity:         %.2f\n", nlp_lm_perplexity(&f));
	}
	if (!code && (fflush(stdout) || ferror(stdout))) {
		cli_error("standard output: write error");
		code = EXIT_DATA;
	}
	nlp_model_free(m);
	nlp_host_free(h);
	return code;
}

int cmd_eval(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"json", no_argument, NULL, 'J'},
	        {"curves", no_argument, NULL, 'C'},
	        {"report", required_argument, NULL, 'R'},
	        DATA_MODEL_LONGOPTS,
	        DATA_LONGOPTS,
	};
	nlp_reader_opts ro;
	nlp_reader *r = NULL;
	nlp_classifier *cl = NULL;
	const nlp_model *model;
	uint64_t done = 0, failed = 0, left_out = 0;
	eval_ctx e = {0};
	nlp_err err = {0};
	const char *report = NULL;
	long threads = 0, batch = 64;
	int c, rc = NLP_OK, code = 0, json = 0, curves = 0;

	data_begin(&ro);
	while ((c = data_getopt(argc, argv, "j:qvh", longopts, usage, &ro, &code)) >= 0) {
		switch (c) {
		case 'J':
			json = 1;
			break;
		case 'C':
			curves = 1;
			break;
		case 'R':
			report = optarg;
			break;
		case 'j':
		case 'b':
			if ((code = cli_model_option(c, optarg, &threads, &batch)))
				return code;
			break;
		}
	}
	if (c == -2)
		return code;
	ro.verbose = cli_verbose;
	if (argc - optind < 2) {
		cli_error("eval needs a MODEL and labelled DATA");
		cli_try_help();
		return EXIT_USAGE;
	}
	if (cli_model_is_lm(argv[optind]))
		return eval_lm(argv[optind], (const char *const *)argv + optind + 1,
		               (size_t)(argc - optind - 1), &ro, threads, batch, json, report);
	rc = cli_open_classifier(&cl, argv[optind], threads, batch, &err);
	if (rc)
		goto fail;
	model = nlp_classifier_model(cl);
	rc = nlp_metrics_new(&e.m, model->n_labels, (const char *const *)model->labels, &err);
	if (!rc && report)
		rc = nlp_metrics_keep_documents(e.m, REPORT_MISTAKES, &err);
	if (nlp_classifier_thresholds(cl)) {
		/* a sigmoid head: the data or the model may be multi-label */
		e.C = model->n_labels;
		e.multi = nlp_model_meta_get(&model->meta, "validation_micro_f1") != NULL;
	}
	if (!rc)
		rc = nlp_reader_open(&r, &ro, (const char *const *)argv + optind + 1,
		                     (size_t)(argc - optind - 1), &err);
	if (!rc)
		rc = nlp_reader_set_labels(r, (const char *const *)model->labels, model->n_labels,
		                           &err);
	if (rc)
		goto fail;
	rc = nlp_classifier_run(cl, r, &(nlp_stream_opts){.labelled = 1}, add, &e, &err);
	if (rc)
		goto fail;
	nlp_classifier_counts(cl, &done, &failed, &left_out);
	if (done == 0) {
		rc = nlp_err_set(
		        &err, NLP_EDATA,
		        "%s: no document with one of the model's labels (%zu labels: %s%s)",
		        argv[optind + 1], model->n_labels, model->labels[0],
		        model->n_labels > 1 ? ", ..." : "");
		goto fail;
	}
	if (e.multi)
		rc = print_multi(&e, cl, json, &err);
	else
		rc = json ? nlp_metrics_print_json(stdout, e.m, curves, &err)
		          : nlp_metrics_print_text(stdout, e.m, &err);
	if (!rc && report) {
		char title[512];
		snprintf(title, sizeof title, "%s on %s", argv[optind], argv[optind + 1]);
		rc = nlp_metrics_write_report(report, e.m, title, model, &err);
	}
	if (rc)
		goto fail;
	if (!cli_quiet) {
		char line[1024];
		nlp_reader_summary(nlp_reader_get_stats(r), line, sizeof line);
		cli_info("%s", line);
		if (left_out)
			cli_info("%llu documents left out: no label of the model's (--verbose "
			         "names them)",
			         (unsigned long long)left_out);
		cli_empty_docs_summary(nlp_classifier_empty_count(cl));
		if (failed)
			cli_info("%llu documents could not be classified (named above)",
			         (unsigned long long)failed);
		if (report)
			cli_info("report written to %s", report);
	}
	if (failed || nlp_reader_skipped(nlp_reader_get_stats(r)))
		code = EXIT_DATA;
	goto out;
fail:
	code = cli_fail(&err);
out:
	nlp_reader_close(r);
	nlp_metrics_free(e.m);
	free(e.probs);
	free(e.truth);
	nlp_classifier_close(cl);
	return code;
}
