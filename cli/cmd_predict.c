/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* cmd_predict.c - `nlpipe predict MODEL PATH...`: a label and probabilities
 * for every document, streamed in input order. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nlpipe/classifier.h"
#include "cli/cli.h"
#include "cli/data.h"
#include "cli/outfile.h"

static const char usage[] =
        "Usage: nlpipe predict [OPTIONS] MODEL [PATH...]\n\n"
        "Classify every file below each PATH (folders are walked recursively; every\n"
        "file in them is one document; a file named as PATH is a line file when it\n"
        "looks like one, label<TAB>text or __label__X text, else one document;\n"
        "--input-format says otherwise; - is standard input) and print one row a\n"
        "document, in input order:  path<TAB>label<TAB>probability\n"
        "A sigmoid model gives every label whose probability is at or over its\n"
        "threshold (the head's threshold / thresholds options), most probable first,\n"
        "as --threshold does; --threshold, --probs or --top-k choose instead.\n\n"
        "Options:\n"
        "  --files-from FILE     also read paths from FILE, one a line (- for stdin)\n"
        "  -o, --output FILE     write the rows to FILE (atomically) instead of stdout\n"
        "  --format tsv|csv|jsonl  row format (tsv)\n"
        "  --probs               every class with its probability\n"
        "  -k, --top-k K         the K most probable classes (1)\n"
        "  --threshold P         every class with probability >= P (multi-label; for a\n"
        "                        sigmoid model, instead of its own thresholds)\n"
        "  -j, --threads N       threads for the text stages and the network (0: one per\n"
        "                        core; default 0)\n"
        "  --batch N             documents per network batch (64)\n"
        "  --shard I/N           only the documents of shard I of N (1 <= I <= N), chosen\n"
        "                        by a hash of the path: run N processes, one per shard\n"
        "  -q, --quiet           no summary line\n"
        "  -v, --verbose         name every skipped document and every empty one\n"
        "  -h, --help            this text\n\n" DATA_USAGE
        "\nDocuments that cannot be classified (unreadable, binary, too large) are named\n"
        "on stderr and counted; the exit status is then 2.  A document of which the\n"
        "text stages leave no token is classified from the empty input (the model's\n"
        "prior-like answer), counted in one warning, named under -v.\n"
        "Example, 4 shards with GNU parallel:\n"
        "  parallel nlpipe predict --shard {}/4 -o part{}.tsv model.nlp docs/ ::: 1 2 3 4\n";

typedef struct pred_out {
	FILE *f;
	int format; /* 0 tsv, 1 csv, 2 jsonl */
	int top_k;
	int probs;
	double threshold;        /* < 0: unused */
	const float *thresholds; /* [C] per label (a sigmoid model's), or NULL */
	char **labels;
	int C;
	struct ranked *order; /* [C] scratch: classes by probability */
	long rows;
	nlp_classifier *cl;
	nlp_stream_opts so; /* the shard */
} pred_out;

static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void tsv_field(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
}

/* A class and its probability, sorted most probable first (equal
 * probabilities by class). */
struct ranked {
	float p;
	int c;
};

static int by_prob(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->p != y->p)
		return x->p > y->p ? -1 : 1;
	return x->c - y->c;
}

static int emit(void *user, const nlp_result *r, nlp_err *err)
{
	pred_out *o = user;
	const char *name = r->name;
	const float *probs = r->probs;
	int n;

	if (!probs) {
		cli_warn("%s: not classified: %s", name, r->error);
		return NLP_OK;
	}
	if (r->empty)
		cli_empty_doc(name);
	for (int c = 0; c < o->C; c++) {
		o->order[c].p = probs[c];
		o->order[c].c = c;
	}
	qsort(o->order, (size_t)o->C, sizeof *o->order, by_prob);
	if (o->threshold >= 0 || o->thresholds) {
		/* Every label at or over its threshold, most probable first. */
		n = 0;
		for (int i = 0; i < o->C; i++) {
			const int c = o->order[i].c;
			if (probs[c] >= (o->thresholds ? o->thresholds[c] : o->threshold))
				o->order[n++] = o->order[i];
		}
	} else {
		n = o->probs ? o->C : (o->top_k < o->C ? o->top_k : o->C);
	}
	switch (o->format) {
	case 0:
		tsv_field(o->f, name);
		if (n == 0)
			fputs("\t\t", o->f);
		for (int i = 0; i < n; i++)
			fprintf(o->f, "\t%s\t%.6f", o->labels[o->order[i].c], probs[o->order[i].c]);
		fputc('\n', o->f);
		break;
	case 1:
		csv_field(o->f, name);
		if (n == 0)
			fputs(",,", o->f);
		for (int i = 0; i < n; i++) {
			fputc(',', o->f);
			csv_field(o->f, o->labels[o->order[i].c]);
			fprintf(o->f, ",%.6f", probs[o->order[i].c]);
		}
		fputc('\n', o->f);
		break;
	default:
		fputs("{\"path\":", o->f);
		nlp_json_fputs(o->f, name);
		if (n > 0) {
			fputs(",\"label\":", o->f);
			nlp_json_fputs(o->f, o->labels[o->order[0].c]);
			fprintf(o->f, ",\"probability\":%.6f", probs[o->order[0].c]);
		} else {
			fputs(",\"label\":null,\"probability\":null", o->f);
		}
		if (o->probs || o->top_k > 1 || o->threshold >= 0 || o->thresholds) {
			fputs(",\"labels\":[", o->f);
			for (int i = 0; i < n; i++) {
				fputs(i ? ",[" : "[", o->f);
				nlp_json_fputs(o->f, o->labels[o->order[i].c]);
				fprintf(o->f, ",%.6f]", probs[o->order[i].c]);
			}
			fputc(']', o->f);
		}
		fputs("}\n", o->f);
	}
	o->rows++;
	if (ferror(o->f))
		return nlp_err_set(err, NLP_EIO, "cannot write the output: %s", strerror(errno));
	return NLP_OK;
}

/* Classify paths in groups so that a --files-from list of any length keeps
 * memory flat. */
static int run_paths(pred_out *o, const nlp_reader_opts *ro, const char *const *paths, size_t n,
                     nlp_reader_stats *total, nlp_err *err)
{
	nlp_reader *r = NULL;
	int rc = nlp_reader_open(&r, ro, paths, n, err);

	if (!rc)
		rc = nlp_classifier_run(o->cl, r, &o->so, emit, o, err);
	if (r)
		nlp_reader_stats_add(total, nlp_reader_get_stats(r));
	nlp_reader_close(r);
	return rc;
}

/* The labels and decision rule of the model; chosen: --probs or --top-k
 * was given. */
static int pred_out_setup(pred_out *o, const nlp_classifier *cl, int chosen, nlp_err *err)
{
	o->C = (int)nlp_classifier_label_count(cl);
	o->labels = nlp_classifier_model(cl)->labels;
	if (o->threshold < 0 && !chosen) /* a sigmoid model decides by threshold */
		o->thresholds = nlp_classifier_thresholds(cl);
	o->order = malloc((size_t)o->C * sizeof *o->order);
	return o->order ? NLP_OK : nlp_err_set(err, NLP_ENOMEM, "out of memory");
}

/* The CSV header: as many label and probability columns as a row may have. */
static void csv_header(pred_out *o)
{
	int n = o->threshold >= 0 || o->thresholds || o->probs
	                ? o->C
	                : (o->top_k < o->C ? o->top_k : o->C);

	fputs("path", o->f);
	for (int i = 1; i <= n; i++)
		fprintf(o->f, n == 1 ? ",label,probability" : ",label_%d,probability_%d", i, i);
	fputc('\n', o->f);
}

/* The summary lines on stderr; the exit status: EXIT_DATA when a document
 * could not be classified. */
static int summary(const nlp_classifier *cl, const nlp_reader_stats *total, const char *shard)
{
	uint64_t skipped = nlp_reader_skipped(total), done, failed;
	char line[1024];

	nlp_classifier_counts(cl, &done, &failed, NULL);
	nlp_reader_summary(total, line, sizeof line);
	if (!cli_quiet) {
		cli_info("%s", line);
		cli_info("classified %llu documents%s%s; %llu could not be classified",
		         (unsigned long long)done, shard ? " in shard " : "", shard ? shard : "",
		         (unsigned long long)(failed + skipped));
		cli_empty_docs_summary(nlp_classifier_empty_count(cl));
	}
	return failed + skipped > 0 ? EXIT_DATA : 0;
}

/* Classify the paths listed in files_from ("-": stdin), one a line, in
 * groups; a line longer than a path can be is an error. */
static int run_files_from(pred_out *o, const nlp_reader_opts *ro, const char *files_from,
                          nlp_reader_stats *total, nlp_err *err)
{
	nlp_line_reader L = {.max = PATH_MAX + 2, .what = "a path"};
	char *group[1024];
	size_t ng = 0;
	int rc = NLP_OK;

	L.f = strcmp(files_from, "-") ? fopen(files_from, "r") : stdin;
	L.path = strcmp(files_from, "-") ? files_from : "stdin";
	if (!L.f)
		return nlp_err_set(err, NLP_EIO, "--files-from %s: cannot open: %s", files_from,
		                   strerror(errno));
	while (!(rc = nlp_line_reader_next(&L, err)) && L.len) {
		size_t len = L.len;
		while (len > 0 && (L.line[len - 1] == '\n' || L.line[len - 1] == '\r'))
			L.line[--len] = '\0';
		if (len == 0)
			continue;
		group[ng] = strdup(L.line);
		if (!group[ng]) {
			rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
			break;
		}
		if (++ng == 1024) {
			rc = run_paths(o, ro, (const char *const *)group, ng, total, err);
			while (ng)
				free(group[--ng]);
			if (rc)
				break;
		}
	}
	if (!rc && ng)
		rc = run_paths(o, ro, (const char *const *)group, ng, total, err);
	while (ng)
		free(group[--ng]);
	nlp_line_reader_free(&L);
	if (L.f != stdin)
		fclose(L.f);
	return rc;
}

int cmd_predict(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"files-from", required_argument, NULL, 'F'},
	        {"output", required_argument, NULL, 'o'},
	        {"format", required_argument, NULL, 'f'},
	        {"probs", no_argument, NULL, 'P'},
	        {"top-k", required_argument, NULL, 'k'},
	        {"threshold", required_argument, NULL, 't'},
	        {"shard", required_argument, NULL, 'S'},
	        DATA_MODEL_LONGOPTS,
	        DATA_LONGOPTS,
	};
	nlp_reader_opts ro;
	nlp_reader_stats total;
	pred_out o;
	outfile of = {0};
	nlp_err err = {0};
	const char *files_from = NULL, *out_path = NULL, *shard = NULL;
	long threads = 0, batch = 64, si = 1, sn = 1;
	int c, rc = NLP_OK, code = 0, chosen = 0;
	char *end;

	memset(&o, 0, sizeof o);
	memset(&total, 0, sizeof total);
	o.top_k = 1;
	o.threshold = -1;
	cli_steady_heap();
	data_begin(&ro);
	while ((c = data_getopt(argc, argv, "o:k:j:qvh", longopts, usage, &ro, &code)) >= 0) {
		switch (c) {
		case 'F':
			files_from = optarg;
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'f':
			o.format = !strcmp(optarg, "tsv")     ? 0
			           : !strcmp(optarg, "csv")   ? 1
			           : !strcmp(optarg, "jsonl") ? 2
			                                      : -1;
			if (o.format < 0) {
				cli_error("--format '%s': use tsv, csv or jsonl", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'P':
			o.probs = 1;
			chosen = 1;
			break;
		case 'k': {
			long k;
			if ((code = cli_long_arg("top-k", optarg, 1, 1000000, &k)))
				return code;
			o.top_k = (int)k;
			chosen = 1;
			break;
		}
		case 't':
			o.threshold = strtod(optarg, &end);
			if (*end || !(o.threshold >= 0 && o.threshold <= 1)) {
				cli_error("--threshold '%s': give a probability in [0, 1]", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j':
		case 'b':
			if ((code = cli_model_option(c, optarg, &threads, &batch)))
				return code;
			break;
		case 'S':
			shard = optarg;
			if (nlp_shard_parse(optarg, &si, &sn)) {
				cli_error("--shard '%s': give I/N with 1 <= I <= N, e.g. 2/8",
				          optarg);
				return EXIT_USAGE;
			}
			break;
		}
	}
	if (c == -2)
		return code;
	ro.verbose = 1; /* every document left out is named */
	if (ro.format == NLP_INPUT_AUTO)
		ro.format = NLP_INPUT_AUTO_FILES; /* folders are not label folders here */
	if (optind >= argc || (optind == argc - 1 && !files_from)) {
		cli_error("predict needs a MODEL and at least one PATH (or --files-from)");
		cli_try_help();
		return EXIT_USAGE;
	}
	/* the text stages and the network alternate: both get every thread */
	rc = cli_open_classifier(&o.cl, argv[optind], threads, batch, &err);
	if (rc)
		goto fail;
	o.so.shard_index = si;
	o.so.shard_count = sn;
	rc = pred_out_setup(&o, o.cl, chosen, &err);
	if (!rc)
		rc = outfile_open(&of, out_path, &err);
	if (rc)
		goto fail;
	o.f = of.f;
	if (o.format == 1)
		csv_header(&o);
	if (optind + 1 < argc)
		rc = run_paths(&o, &ro, (const char *const *)argv + optind + 1,
		               (size_t)(argc - optind - 1), &total, &err);
	if (!rc && files_from)
		rc = run_files_from(&o, &ro, files_from, &total, &err);
	if (rc)
		goto fail;
	rc = outfile_commit(&of, &err);
	if (rc)
		goto fail;
	code = summary(o.cl, &total, shard);
	goto out;
fail:
	code = cli_fail(&err);
	outfile_abort(&of);
out:
	free(o.order);
	nlp_classifier_close(o.cl);
	return code;
}
