/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* cmd_generate.c - `nlpipe generate LM`: sample text from a language model
 * (the work is nlp_lm_generate; this prints). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlpipe/lm.h"
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
        "  --seed S             seed of the draws (default 1)\n"
        "  -q, --quiet          no summary line on stderr\n"
        "  -v, --verbose        more messages\n"
        "  -h, --help           this text\n";

typedef struct gen_out {
	long n;
	int failed;
} gen_out;

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
	long v = 0;
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
	if (!rc)
		rc = nlp_lm_generate(m, h, &o, put_token, &g, NULL, &err);
	if (!rc && (g.failed || printf("\n") < 0 || fflush(stdout) || ferror(stdout)))
		rc = nlp_err_set(&err, NLP_EIO, "standard output: write error");
	if (rc)
		code = cli_fail(&err);
	else
		cli_info("%ld tokens generated (seed %llu)", g.n, (unsigned long long)o.seed);
	nlp_model_free(m);
	nlp_host_free(h);
	return code;
}
