/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* cmd_generate.c - `nlpipe generate LM`: sample text from a language model
 * (the work is nlp_lm_generate; this prints); `nlpipe generate MODEL --input
 * FILE`: decode each source line with a sequence-to-sequence model
 * (an nlp_s2s_translator: the text stages set up once). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlpipe/lm.h"
#include "nlpipe/reader.h"
#include "nlpipe/seq2seq.h"
#include "cli/cli.h"

static const char usage[] =
        "Usage: nlpipe generate [OPTIONS] LM\n\n"
        "Sample text from the language model LM (a model trained from a pipeline that\n"
        "ends in next_token, such as examples/lm.ini): the prompt is read through the\n"
        "model's own text stages, then tokens are drawn one at a time from the model's\n"
        "probabilities and printed separated by spaces, until " NLP_LM_EOS " (the end of a\n"
        "document) or -n tokens.  The same seed prints the same text.\n\n"
        "Options:\n"
        "  --prompt TEXT        text to start from (default: none, a new document)\n"
        "  -n, --tokens N       at most N tokens (default 50)\n"
        "  --temperature T      > 0; below 1 favours likely tokens, above 1 flattens\n"
        "                       the distribution (default 1)\n"
        "  --top-k K            draw among the K most likely tokens only (0: all;\n"
        "                       default 0)\n"
        "  --seed S             seed of the draws (default 1)\n\n"
        "A sequence-to-sequence MODEL (trained from a pipeline that ends in a decoder,\n"
        "such as examples/seq2seq/seq2seq.ini) decodes each line of --input instead\n"
        "and prints source<TAB>output (a line's text after a TAB is ignored, so pair\n"
        "files can be given as they are):\n"
        "  --input FILE|-       the source lines (- reads standard input)\n"
        "  --beam N             beam search keeping N hypotheses (default 1: greedy)\n"
        "  --length-penalty A   rank finished hypotheses by log probability /\n"
        "                       (tokens + 1)^A (default 0.6; 0: none)\n"
        "  --max-length N       at most N output tokens (default 200)\n"
        "  --separator S        between output tokens (default a space; '' for\n"
        "                       characters)\n"
        "  -q, --quiet          no summary line on stderr\n"
        "  -v, --verbose        more messages\n"
        "  -h, --help           this text\n";

typedef struct gen_out {
	long n;
	int failed;
} gen_out;

/* Decode every line of path ("-": standard input) with m and print
 * source<TAB>output; *lines gets their number. */
static int decode_lines(nlp_model *m, const char *path, const nlp_s2s_gen_opts *o, const char *sep,
                        long *lines, nlp_err *err)
{
	nlp_line_reader lr = {0};
	nlp_s2s_translator *tr = NULL;
	FILE *f = stdin;
	char name[4200], *out = NULL;
	int rc = nlp_s2s_translator_new(&tr, m, err);

	if (rc)
		return rc;
	if (strcmp(path, "-") && (rc = nlp_open_regular(path, &f)) != 0) {
		nlp_s2s_translator_free(tr);
		return nlp_err_set(err, NLP_EIO, "--input %s: %s", path,
		                   rc < 0 ? strerror(errno) : "not a regular file");
	}
	lr.f = f;
	lr.path = strcmp(path, "-") ? path : "standard input";
	lr.max = 1u << 20;
	lr.what = "a source text";
	while (!(rc = nlp_line_reader_next(&lr, err)) && lr.len) {
		char *s = lr.line, *tab = strchr(s, '\t');
		size_t n = strlen(s);
		while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
			s[--n] = '\0';
		if (tab)
			*tab = '\0';
		snprintf(name, sizeof name, "%s:%lu", lr.path, lr.lineno);
		if ((rc = nlp_s2s_translator_run(tr, name, s, o, sep, &out, err)))
			break;
		if (printf("%s\t%s\n", s, out) < 0) {
			rc = nlp_err_set(err, NLP_EIO, "standard output: write error");
			break;
		}
		free(out);
		out = NULL;
		++*lines;
	}
	free(out);
	nlp_line_reader_free(&lr);
	nlp_s2s_translator_free(tr);
	if (f != stdin)
		fclose(f);
	return rc;
}

static int put_token(void *user, const char *token)
{
	gen_out *g = user;

	if (printf("%s%s", g->n++ ? " " : "", token) < 0)
		g->failed = 1;
	return g->failed;
}

/* --temperature: a number; its range is the library's to check. */
static int parse_double(const char *name, const char *arg, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(arg, &end);
	if (!*arg || *end || errno || !isfinite(*out)) {
		cli_error("--%s '%s': give a number", name, arg);
		return EXIT_USAGE;
	}
	return 0;
}

int cmd_generate(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"prompt", required_argument, NULL, 'p'},
	        {"tokens", required_argument, NULL, 'n'},
	        {"temperature", required_argument, NULL, 't'},
	        {"top-k", required_argument, NULL, 'k'},
	        {"seed", required_argument, NULL, 's'},
	        {"input", required_argument, NULL, 'i'},
	        {"beam", required_argument, NULL, 'b'},
	        {"length-penalty", required_argument, NULL, 'l'},
	        {"max-length", required_argument, NULL, 'm'},
	        {"separator", required_argument, NULL, 'S'},
	        {"quiet", no_argument, NULL, 'q'},
	        {"verbose", no_argument, NULL, 'v'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	nlp_lm_gen_opts o = {.max_tokens = 50, .temperature = 1.0, .seed = 1};
	nlp_host *h = NULL;
	nlp_model *m = NULL;
	nlp_err err = {0};
	gen_out g = {0};
	nlp_s2s_gen_opts so = {.beam = 1, .length_penalty = 0.6, .max_len = 200};
	const char *input = NULL, *sep = " ";
	long v = 0, lines = 0;
	int c, code = 0, rc;

	while ((c = getopt_long(argc, argv, "n:qvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o.prompt = optarg;
			break;
		case 'n':
			code = cli_long_arg("tokens", optarg, -1000000000L, 1000000000L,
			                    &o.max_tokens);
			break;
		case 't':
			code = parse_double("temperature", optarg, &o.temperature);
			break;
		case 'k':
			code = cli_long_arg("top-k", optarg, 0, 1000000000L, &v);
			o.top_k = (int)v;
			break;
		case 's':
			code = cli_long_arg("seed", optarg, 0, 2147483647L, &v);
			o.seed = (uint64_t)v;
			break;
		case 'i':
			input = optarg;
			break;
		case 'b':
			code = cli_long_arg("beam", optarg, 1, 1000, &v);
			so.beam = (int)v;
			break;
		case 'l':
			code = parse_double("length-penalty", optarg, &so.length_penalty);
			break;
		case 'm':
			code = cli_long_arg("max-length", optarg, 1, 100000, &v);
			so.max_len = (int)v;
			break;
		case 'S':
			sep = optarg;
			break;
		default:
			if (cli_common_option(c, usage, &code))
				return code;
		}
		if (code)
			return code;
	}
	if (argc - optind != 1) {
		cli_error(argc - optind < 1
		                  ? "generate needs a language model (LM)"
		                  : "generate takes one LM; give the prompt with --prompt");
		cli_try_help();
		return EXIT_USAGE;
	}
	rc = cli_open_lm(argv[optind], &h, &m, &err);
	if (!rc && nlp_pipeline_is_s2s(m->pipeline)) {
		if (!input)
			rc = nlp_err_set(
			        &err, NLP_ECONFIG,
			        "%s is a sequence-to-sequence model: give the source lines "
			        "with --input FILE (or - for standard input)",
			        argv[optind]);
		if (!rc)
			rc = decode_lines(m, input, &so, sep, &lines, &err);
		if (!rc && (fflush(stdout) || ferror(stdout)))
			rc = nlp_err_set(&err, NLP_EIO, "standard output: write error");
		if (rc)
			code = cli_fail(&err);
		else
			cli_info("%ld lines decoded (%s)", lines,
			         so.beam > 1 ? "beam search" : "greedy");
		goto out;
	}
	if (!rc && input)
		rc = nlp_err_set(&err, NLP_ECONFIG,
		                 "--input: %s is a language model; --input is for "
		                 "sequence-to-sequence models (use --prompt)",
		                 argv[optind]);
	if (!rc)
		rc = nlp_lm_generate(m, &o, put_token, &g, NULL, &err);
	if (!rc && (g.failed || printf("\n") < 0 || fflush(stdout) || ferror(stdout)))
		rc = nlp_err_set(&err, NLP_EIO, "standard output: write error");
	if (rc)
		code = cli_fail(&err);
	else
		cli_info("%ld tokens generated (seed %llu)", g.n, (unsigned long long)o.seed);
out:
	nlp_model_free(m);
	nlp_host_free(h);
	return code;
}
