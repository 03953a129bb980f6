/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* cmd_quantize.c - `nlpipe quantize MODEL OUT`: a smaller copy of a model,
 * its large parameter matrices stored int8 (nlp_model_quantize). */
#include "config.h"

#include <getopt.h>
#include <stdio.h>

#include "nlpipe/model.h"
#include "cli/cli.h"

static const char usage[] =
        "Usage: nlpipe quantize MODEL OUT\n\n"
        "Write a smaller copy of a trained classifier model to OUT (atomically:\n"
        "OUT is replaced only once it is complete).  In every stage but the last,\n"
        "each parameter matrix of at least 2 rows and 8 columns (an embedding\n"
        "table, a bag's word and bucket rows, an encoder's weights) is stored as\n"
        "int8 with one float32 scale per row, about a quarter of its float32\n"
        "size; biases, the head and saved state stay as they are.  Encoders get\n"
        "precision = int8.  OUT predicts, evaluates and inspects like any model;\n"
        "it cannot be trained further (resumed, or named by init_from): keep MODEL.\n"
        "Training checkpoints, language models and sequence-to-sequence models\n"
        "are refused.  See docs/model-format.md.\n\n"
        "  --help    this text\n\n"
        "Exit status: 0 ok, 1 usage error or a model it does not take, 2 damaged\n"
        "or unreadable model, or OUT cannot be written.\n";

int cmd_quantize(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	nlp_quantize_report rep = {0};
	nlp_err err = {0};
	char a[32], b[32];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return 0;
		}
		cli_try_help();
		return EXIT_USAGE;
	}
	if (optind != argc - 2) {
		cli_error("quantize needs a model file and an output file");
		cli_try_help();
		return EXIT_USAGE;
	}
	if (nlp_model_quantize(argv[optind], argv[optind + 1], &rep, &err))
		return cli_fail(&err);
	cli_human_bytes(a, sizeof a, rep.in_bytes);
	cli_human_bytes(b, sizeof b, rep.out_bytes);
	cli_info("%s: %s -> %s (%.2fx smaller): %llu parameters in %u blocks int8, %llu float32; "
	         "%u stage%s set to precision = int8",
	         argv[optind + 1], a, b,
	         rep.out_bytes ? (double)rep.in_bytes / (double)rep.out_bytes : 0.0,
	         (unsigned long long)rep.q8_values, rep.q8_blocks,
	         (unsigned long long)rep.f32_values, rep.int8_stages,
	         rep.int8_stages == 1 ? "" : "s");
	return 0;
}
