/* data.h - reading labelled or unlabelled documents for train, predict and
 * eval: the reader options every one of them takes on the command line, and
 * reading a whole data set through the text stages (internal). */
#ifndef NLP_DATA_H
#define NLP_DATA_H

#include "nlpipe/reader.h"
#include "nlpipe/runner.h"

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

/* Route reader messages to stderr as warnings. */
void data_diag(void *user, const char *msg);

/* A data set processed into token ids (or tokens, before a vocabulary
 * exists). */
typedef struct data_set {
	nlp_doc_ids *docs;
	size_t n, cap;
	nlp_tokens *tokens; /* [n] when read as tokens, else NULL */
	char **labels;      /* the label names (from the data or given) */
	size_t n_labels;
	uint64_t tokens_total;
	uint64_t failed; /* documents a stage refused (named as warnings) */
} data_set;

/* Read every document of paths through stages [0, end) of p with threads
 * workers.  want_ids: keep ids (the pipeline's id stage is inside end), else
 * tokens.  labels/n_labels (may be NULL/0): use this label list.  Documents
 * without a known label are counted and left out when labelled is set.
 * The reader's summary line is printed unless quiet. */
int data_read(data_set *ds, nlp_pipeline *p, size_t end, int threads, int want_ids,
              const nlp_reader_opts *ro, const char *const *paths, size_t n_paths,
              const char *const *labels, size_t n_labels, int labelled, int quiet, nlp_err *err);
void data_free(data_set *ds);

#endif /* NLP_DATA_H */
