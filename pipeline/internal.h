/* internal.h - shared between the host's own files (not installed). */
#ifndef NLP_INTERNAL_H
#define NLP_INTERNAL_H

#include <stddef.h>
#include "nlpipe/nlpipe.h"

/* A list of messages, for reporting every problem at once. */
typedef struct nlp_msgs {
	char **v;
	size_t n, cap;
	int oom;
} nlp_msgs;

void nlp_msgs_add(nlp_msgs *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Join the messages into err (as many as fit), return code. */
int nlp_msgs_to_err(const nlp_msgs *m, nlp_err *err, int code);
void nlp_msgs_free(nlp_msgs *m);

/* A warning through the host's diagnostics callback (printf format). */
void nlp_host_diag(const nlp_host *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Read a whole file (at most max bytes) into a NUL-terminated buffer. */
int nlp_read_file(const char *path, size_t max, char **text, size_t *len, nlp_err *err);

/* INI internals used by the pipeline. */
const nlp_option *nlp_ini_declared(const nlp_ini *ini, const char *section);

/* Config internals (config.c). */
nlp_config *nlp_config_new(const char *instance, const nlp_option *opts);
void nlp_config_free(nlp_config *c);
/* The host and class of a stage's config, so that a getter asked for an
 * option the class's table lacks can say so through the host's diagnostics
 * (borrowed: both outlive the config). */
void nlp_config_set_owner(nlp_config *c, const nlp_host *h, const char *cls);
/* Check and store every option of section from ini against the table;
 * problems go to msgs as FILE:LINE: messages. */
void nlp_config_fill(nlp_config *c, const nlp_ini *ini, const char *section, const char *skip_key,
                     nlp_msgs *msgs);
/* Edit distance, for "did you mean". */
size_t nlp_edit_distance(const char *a, const char *b);

#endif
