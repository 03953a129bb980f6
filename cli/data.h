/* data.h - the reader options every command that reads documents (train,
 * predict, eval, tokenize) takes on the command line (internal). */
#ifndef NLP_DATA_H
#define NLP_DATA_H

#include "nlpipe/reader.h"

/* Reader options from the command line: --input-format, --line-format,
 * --encoding, --max-doc-size, --strict.  Returns 1 when opt was one of them
 * (0 when not; EXIT_USAGE + 1000 on a bad value, message printed). */
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

int data_option(int c, const char *arg, nlp_reader_opts *o, int *handled);

#endif /* NLP_DATA_H */
