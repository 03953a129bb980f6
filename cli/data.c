/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* data.c - the reader options of the commands that read documents and
 * their parsing. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/data.h"

static int data_option(int c, const char *arg, nlp_reader_opts *o, int *handled)
{
	nlp_err err = {0};
	int rc = NLP_OK;

	*handled = 1;
	switch (c) {
	case 1001:
		rc = nlp_input_format_parse(arg, &o->format, &err);
		break;
	case 1002:
		rc = nlp_line_format_parse(arg, &o->lines, &err);
		break;
	case 1003:
		rc = nlp_encoding_parse(arg, &o->encoding, &err);
		break;
	case 1004:
		rc = nlp_size_parse(arg, &o->max_doc_bytes, &err);
		break;
	case 1005:
		o->strict = 1;
		break;
	default:
		*handled = 0;
	}
	if (rc) {
		cli_fail(&err);
		return EXIT_USAGE;
	}
	return 0;
}

void data_begin(nlp_reader_opts *ro)
{
	nlp_reader_opts_init(ro);
	ro->diag = cli_diag;
	optind = 1;
}

int data_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
                const char *usage, nlp_reader_opts *ro, int *code)
{
	int c = -1, handled = 1;

	*code = 0;
	while (handled && (c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if ((*code = data_option(c, optarg, ro, &handled)))
			return -2;
		if (!handled && usage && c && strchr("qvh?:", c)) {
			if (cli_common_option(c, usage, code))
				return -2;
			handled = 1;
		}
	}
	return handled ? -1 : c;
}

int data_paths(int argc, char **argv, const char *command, const char *output, const char *out_name,
               const char *usage, const char *const **data, size_t *n_data)
{
	if (argc - optind < 2 || !output) {
		cli_error("%s needs PIPELINE.ini, at least one DATA path and -o %s", command,
		          out_name);
		cli_try_help();
		return EXIT_USAGE;
	}
	*data = (const char *const *)argv + optind + 1;
	*n_data = (size_t)(argc - optind - 1);
	return 0;
}
