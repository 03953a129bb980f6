/* data.h - the reader options every command that reads documents (train,
 * predict, eval, tokenize) takes on the command line (internal). */
#ifndef NLP_DATA_H
#define NLP_DATA_H

#include <getopt.h>

#include "nlpipe/reader.h"

/* Reader options from the command line: --input-format, --line-format,
 * --encoding, --max-doc-size, --strict (for a command's longopts). */
#define DATA_LONGOPTS                                                                              \
	{"input-format", required_argument, NULL, 1001},                                           \
	        {"line-format", required_argument, NULL, 1002},                                    \
	        {"encoding", required_argument, NULL, 1003},                                       \
	        {"max-doc-size", required_argument, NULL, 1004},                                   \
	{                                                                                          \
		"strict", no_argument, NULL, 1005                                                  \
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
/* getopt_long over argv that takes the reader options itself (into ro):
 * returns the next other option as getopt_long does, or -1 at the end and
 * when a reader option's value is bad (then *code = EXIT_USAGE, message
 * printed; else *code = 0). */
int data_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
                nlp_reader_opts *ro, int *code);

#endif /* NLP_DATA_H */
