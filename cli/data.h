/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* data.h - the reader options every command that reads documents (train,
 * predict, eval, tokenize) takes on the command line (internal). */
#ifndef NLP_DATA_H
#define NLP_DATA_H

#include <getopt.h>

#include "nlpipe/reader.h"

/* The end of a command's longopts: the reader options (--input-format,
 * --line-format, --encoding, --max-doc-size, --strict), --quiet, --verbose
 * and --help, and the terminating entry. */
#define DATA_LONGOPTS                                                                              \
	{"input-format", required_argument, NULL, 1001},                                           \
	        {"line-format", required_argument, NULL, 1002},                                    \
	        {"encoding", required_argument, NULL, 1003},                                       \
	        {"max-doc-size", required_argument, NULL, 1004},                                   \
	        {"strict", no_argument, NULL, 1005}, {"quiet", no_argument, NULL, 'q'},            \
	        {"verbose", no_argument, NULL, 'v'}, {"help", no_argument, NULL, 'h'},             \
	{                                                                                          \
		NULL, 0, NULL, 0                                                                   \
	}
/* --threads N and --batch N of the commands that run a model. */
#define DATA_MODEL_LONGOPTS                                                                        \
	{"threads", required_argument, NULL, 'j'},                                                 \
	{                                                                                          \
		"batch", required_argument, NULL, 'b'                                              \
	}
#define DATA_USAGE                                                                                 \
	"Data options:\n"                                                                          \
	"  --input-format auto|folder|files|lines   how to read each PATH (auto)\n"                \
	"  --line-format auto|tab|fasttext|space|plain  lines of a line file (auto)\n"             \
	"  --encoding utf-8|latin-1|auto            text encoding (utf-8; invalid bytes\n"         \
	"                                           become U+FFFD and are counted)\n"              \
	"  --max-doc-size SIZE                      skip (and count) larger documents\n"           \
	"                                           (16M)\n"                                       \
	"  --strict                                 a skipped document is an error\n"

/* Reader options with the command's defaults: diagnostics to stderr as
 * warnings; getopt starts again (optind = 1). */
void data_begin(nlp_reader_opts *ro);
/* getopt_long over argv that takes the reader options itself (into ro)
 * and, given the command's usage, the options every command has (-q, -v,
 * -h and unknown ones, as cli_common_option does): returns the command's
 * next own option as getopt_long does, -1 at the end, or -2 when the command
 * must return *code now (--help: 0; a bad option or value: EXIT_USAGE,
 * message printed). */
int data_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
                const char *usage, nlp_reader_opts *ro, int *code);

/* After the options: PIPELINE.ini DATA... (argv[optind] on) and -o given
 * (output not NULL).  Sets *data and *n_data to the DATA paths and returns
 * 0; else says "COMMAND needs PIPELINE.ini, at least one DATA path and -o
 * OUT_NAME", prints the usage and returns EXIT_USAGE. */
int data_paths(int argc, char **argv, const char *command, const char *output, const char *out_name,
               const char *usage, const char *const **data, size_t *n_data);

#endif /* NLP_DATA_H */
