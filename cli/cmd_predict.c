/* cmd_predict.c - `nlpipe predict MODEL PATH...`: a label and probabilities
 * for every document, streamed in input order. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/classify.h"
#include "cli/cli.h"
#include "cli/data.h"
#include "cli/outfile.h"

static const char usage[] =
        "Usage: nlpipe predict [OPTIONS] MODEL [PATH...]\n\n"
        "Classify every file below each PATH (folders are walked recursively; every\n"
        "file is one document unless --input-format says otherwise) and print one\n"
        "row a document, in input order:  path<TAB>label<TAB>probability\n"
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
        "  -v, --verbose         name every skipped document\n"
        "  -h, --help            this text\n\n" DATA_USAGE
        "\nDocuments that cannot be classified (unreadable, binary, too large, nothing\n"
        "left after the text stages) are named on stderr and counted; the exit status\n"
        "is then 2.  Example, 4 shards with GNU parallel:\n"
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
	int *order;
	long rows;
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

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void tsv_field(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
}

static const float *sort_probs;
static int by_prob(const void *a, const void *b)
{
	float pa = sort_probs[*(const int *)a], pb = sort_probs[*(const int *)b];
	if (pa != pb)
		return pa > pb ? -1 : 1;
	return *(const int *)a - *(const int *)b;
}

static int emit(void *user, const char *name, int label, const float *probs, const char *error,
                nlp_err *err)
{
	pred_out *o = user;
	int n;

	(void)label;
	if (!probs) {
		cli_warn("%s: not classified: %s", name, error);
		return NLP_OK;
	}
	for (int c = 0; c < o->C; c++)
		o->order[c] = c;
	sort_probs = probs;
	qsort(o->order, (size_t)o->C, sizeof *o->order, by_prob);
	if (o->threshold >= 0 || o->thresholds) {
		/* Every label at or over its threshold, most probable first. */
		n = 0;
		for (int i = 0; i < o->C; i++) {
			int c = o->order[i];
			if (probs[c] >= (o->thresholds ? o->thresholds[c] : o->threshold))
				o->order[n++] = c;
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
			fprintf(o->f, "\t%s\t%.6f", o->labels[o->order[i]], probs[o->order[i]]);
		fputc('\n', o->f);
		break;
	case 1:
		csv_field(o->f, name);
		if (n == 0)
			fputs(",,", o->f);
		for (int i = 0; i < n; i++) {
			fputc(',', o->f);
			csv_field(o->f, o->labels[o->order[i]]);
			fprintf(o->f, ",%.6f", probs[o->order[i]]);
		}
		fputc('\n', o->f);
		break;
	default:
		fputs("{\"path\":", o->f);
		json_str(o->f, name);
		if (n > 0) {
			fputs(",\"label\":", o->f);
			json_str(o->f, o->labels[o->order[0]]);
			fprintf(o->f, ",\"probability\":%.6f", probs[o->order[0]]);
		} else {
			fputs(",\"label\":null,\"probability\":null", o->f);
		}
		if (o->probs || o->top_k > 1 || o->threshold >= 0 || o->thresholds) {
			fputs(",\"labels\":[", o->f);
			for (int i = 0; i < n; i++) {
				fputs(i ? ",[" : "[", o->f);
				json_str(o->f, o->labels[o->order[i]]);
				fprintf(o->f, ",%.6f]", probs[o->order[i]]);
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
static int run_paths(classify *cl, const nlp_reader_opts *ro, const char *const *paths, size_t n,
                     nlp_reader_stats *total, nlp_err *err)
{
	nlp_reader *r = NULL;
	int rc = nlp_reader_open(&r, ro, paths, n, err);

	if (!rc)
		rc = classify_run(cl, r, err);
	if (r)
		nlp_reader_stats_add(total, nlp_reader_get_stats(r));
	nlp_reader_close(r);
	return rc;
}

/* The labels and decision rule of the model; chosen: --probs or --top-k
 * was given. */
static int pred_out_setup(pred_out *o, const classify *cl, int chosen, nlp_err *err)
{
	o->C = cl->n_classes;
	o->labels = cl->model->labels;
	if (o->threshold < 0 && !chosen)
		o->thresholds = cl->thresholds; /* a sigmoid model decides by threshold */
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

/* The summary lines; the exit status (2 when a document was left out). */
static int summary(const classify *cl, const nlp_reader_stats *total, const char *shard)
{
	uint64_t skipped = nlp_reader_skipped(total);
	char line[1024];

	nlp_reader_summary(total, line, sizeof line);
	if (!cli_quiet) {
		cli_info("%s", line);
		cli_info("classified %llu documents%s%s; %llu could not be classified",
		         (unsigned long long)cl->done, shard ? " in shard " : "",
		         shard ? shard : "", (unsigned long long)(cl->failed + skipped));
	}
	return cl->failed + skipped > 0 ? EXIT_DATA : 0;
}

/* Classify the paths listed in a file (- for stdin), one a line. */
static int run_files_from(classify *cl, const nlp_reader_opts *ro, const char *files_from,
                          nlp_reader_stats *total, nlp_err *err)
{
	FILE *ff = strcmp(files_from, "-") ? fopen(files_from, "r") : stdin;
	char *line = NULL, *group[1024];
	size_t cap = 0, ng = 0;
	ssize_t len;
	int rc = NLP_OK;

	if (!ff)
		return nlp_err_set(err, NLP_EIO, "--files-from %s: cannot open: %s", files_from,
		                   strerror(errno));
	while (!rc && (len = getline(&line, &cap, ff)) >= 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		group[ng] = strdup(line);
		if (!group[ng]) {
			rc = nlp_err_set(err, NLP_ENOMEM, "out of memory");
			break;
		}
		if (++ng == 1024) {
			rc = run_paths(cl, ro, (const char *const *)group, ng, total, err);
			while (ng)
				free(group[--ng]);
		}
	}
	if (!rc && ng)
		rc = run_paths(cl, ro, (const char *const *)group, ng, total, err);
	while (ng)
		free(group[--ng]);
	free(line);
	if (ff != stdin)
		fclose(ff);
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
	        {"threads", required_argument, NULL, 'j'},
	        {"batch", required_argument, NULL, 'b'},
	        {"shard", required_argument, NULL, 'S'},
	        {"quiet", no_argument, NULL, 'q'},
	        {"verbose", no_argument, NULL, 'v'},
	        {"help", no_argument, NULL, 'h'},
	        DATA_LONGOPTS,
	        {NULL, 0, NULL, 0},
	};
	nlp_reader_opts ro;
	nlp_reader_stats total;
	classify cl;
	pred_out o;
	outfile of = {0};
	nlp_err err = {0};
	const char *files_from = NULL, *out_path = NULL, *shard = NULL;
	long threads = 0, batch = 64, si = 1, sn = 1;
	int c, rc = NLP_OK, code = 0, opened = 0, chosen = 0;
	char *end;

	memset(&cl, 0, sizeof cl);
	memset(&o, 0, sizeof o);
	memset(&total, 0, sizeof total);
	o.top_k = 1;
	o.threshold = -1;
	nlp_reader_opts_init(&ro);
	ro.format = NLP_INPUT_FILES;
	ro.diag = data_diag;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:k:j:qvh", longopts, NULL)) != -1) {
		int handled;
		if ((code = data_option(c, optarg, &ro, &handled)))
			return code;
		if (handled)
			continue;
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
			if ((code = cli_long_arg("threads", optarg, 0, 256, &threads)))
				return code;
			break;
		case 'b':
			if ((code = cli_long_arg("batch", optarg, 1, 65536, &batch)))
				return code;
			break;
		case 'S':
			shard = optarg;
			if (classify_shard_parse(optarg, &si, &sn)) {
				cli_error("--shard '%s': give I/N with 1 <= I <= N, e.g. 2/8",
				          optarg);
				return EXIT_USAGE;
			}
			break;
		default:
			if (cli_common_option(c, usage, &code))
				return code;
			break;
		}
	}
	ro.verbose = 1; /* every document left out is named */
	if (optind >= argc || (optind == argc - 1 && !files_from)) {
		cli_error("predict needs a MODEL and at least one PATH (or --files-from)");
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	nlp_numerics_init();
	rc = classify_open(&cl, argv[optind], run_threads(threads), (int)batch, &err);
	opened = 1;
	if (rc)
		goto fail;
	run_blas_threads(run_threads(threads)); /* text stages and network alternate */
	cl.shard_index = si;
	cl.shard_count = sn;
	cl.cb = emit;
	cl.user = &o;
	rc = pred_out_setup(&o, &cl, chosen, &err);
	if (!rc)
		rc = outfile_open(&of, out_path, &err);
	if (rc)
		goto fail;
	o.f = of.f;
	if (o.format == 1)
		csv_header(&o);
	if (optind + 1 < argc)
		rc = run_paths(&cl, &ro, (const char *const *)argv + optind + 1,
		               (size_t)(argc - optind - 1), &total, &err);
	if (!rc && files_from)
		rc = run_files_from(&cl, &ro, files_from, &total, &err);
	if (rc)
		goto fail;
	rc = outfile_commit(&of, &err);
	if (rc)
		goto fail;
	code = summary(&cl, &total, shard);
	goto out;
fail:
	code = cli_fail(&err);
	outfile_abort(&of);
out:
	free(o.order);
	if (opened)
		classify_close(&cl);
	return code;
}
