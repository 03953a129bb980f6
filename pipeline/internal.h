/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* internal.h - shared between the host's own files (not installed). */
#ifndef NLP_INTERNAL_H
#define NLP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "nlpipe/nlpipe.h"

/* Little-endian integers, as every file and state of nlpipe stores them. */
static inline void nlp_le32_put(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static inline void nlp_le64_put(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint32_t nlp_le32_get(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t nlp_le64_get(const unsigned char *p)
{
	return (uint64_t)nlp_le32_get(p) | (uint64_t)nlp_le32_get(p + 4) << 32;
}

/* Floats x[0..n) as little-endian IEEE 754 into p[0..4n). */
static inline void nlp_le_f32_put(unsigned char *p, const float *x, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t u;
		__builtin_memcpy(&u, &x[i], 4);
		nlp_le32_put(p + 4 * i, u);
	}
}

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

/* Check an output path (-o) before any work: a file path (not a folder),
 * in a folder that exists and can be written.  what names the file in
 * messages ("model"), example is a file name to suggest ("model.nlp"). */
int nlp_check_output(const char *out, const char *what, const char *example, nlp_err *err);

/* An advisory lock on OUT.lock beside an output (flock: released when the
 * process dies, so a stale file never blocks).  A second process locking the
 * same output gets NLP_ECONFIG naming the output and the holder's pid; what
 * names the output in that message ("model").  Unlocking removes the file. */
typedef struct nlp_lock nlp_lock;
int nlp_lock_output(nlp_lock **out, const char *output, const char *what, nlp_err *err);
void nlp_unlock_output(nlp_lock *l); /* NULL is fine */

/* The PARAMS_Q8 section of a stage (quantize.c, docs/model-format.md).
 * check: the payload fits the stage record (sets st->n_q8_blocks); decode:
 * the stage's n_params values into w, the int8 ones times their row's
 * scale.  Both return NLP_EDATA with a short reason in why, or NLP_ENOMEM. */
struct nlp_model_stage;
int nlp_q8_check(struct nlp_model_stage *st, const unsigned char *d, size_t len, const char **why);
int nlp_q8_decode(const struct nlp_model_stage *st, const unsigned char *d, size_t len, float *w,
                  const char **why);

/* INI internals used by the pipeline. */
const nlp_option *nlp_ini_declared(const nlp_ini *ini, const char *section);

/* Config internals (config.c). */
/* Check text as a value of option o: NLP_OK, NLP_ECONFIG with the reason
 * in why ("must be between 1 and 4096"), or NLP_ENOMEM. */
int nlp_option_check(const nlp_option *o, const char *text, char *why, size_t wsize);
/* The name of an option type ("int", "float", "enum"...). */
const char *nlp_option_type_name(nlp_opt_type t);
nlp_config *nlp_config_new(const char *instance, const nlp_option *opts);
void nlp_config_free(nlp_config *c);
/* The host and class of a stage's config, so that a getter asked for an
 * option the class's table lacks can say so through the host's diagnostics
 * (borrowed: both outlive the config). */
void nlp_config_set_owner(nlp_config *c, const nlp_host *h, const char *cls);
/* Check and store every option of section from ini against the table;
 * problems go to msgs as FILE:LINE: messages.  stage: the section is a
 * stage's, whose keys `type` and `input` are the host's, not options. */
void nlp_config_fill(nlp_config *c, const nlp_ini *ini, const char *section, int stage,
                     nlp_msgs *msgs);
/* Append the comma-separated words of s, trimmed, empty ones left out, to
 * (*words)[0..*n) (grown with realloc; free with nlp_list_free). */
int nlp_list_split(const char *s, char ***words, size_t *n);
void nlp_list_free(char **words, size_t n);
/* A new instance of stage i of p (its class and configuration) with the
 * original's saved state (vocabulary, stop list...) copied over through the
 * class's save and load when it has both; parameters are not copied.
 * *out is NULL on failure.  (pipeline.c) */
int nlp_pipeline_stage_copy(const nlp_pipeline *p, size_t i, void **out, nlp_err *err);

/* Where key of section sec comes from, for messages: FILE:LINE, or the
 * --set that gave it (pipeline.c). */
void nlp_key_where(const nlp_ini *ini, const char *sec, const char *key, char *buf, size_t n);

/* Training: stage i's parameters are frozen (1) or not (0, as built).  A
 * stage that is frozen or has no parameters, and reads only such stages
 * (directly or not), is still: nlp_chain_backward skips it (no gradient
 * can reach a stage that is not frozen through it).  (pipeline.c) */
void nlp_pipeline_set_frozen(nlp_pipeline *p, size_t i, int frozen);
int nlp_pipeline_stage_still(const nlp_pipeline *p, size_t i);

/* nlp_pipeline_observe without the stages i where skip[i] is set (stages
 * whose state came from another model: fine-tuning).  (runner.c) */
int nlp_pipeline_observe_except(nlp_pipeline *p, const nlp_tokens *tokens, const uint32_t *streams,
                                int label, const unsigned char *skip, nlp_err *err);

/* A stage's output width, set when it is set up (runner.c, model.c). */
void nlp_pipeline_set_dim(nlp_pipeline *p, size_t i, int dim);
/* The runner's workspace kept with the pipeline (runner.c makes it;
 * nlp_pipeline_free frees it with nlp_run_ws_free). */
void **nlp_pipeline_run_ws(nlp_pipeline *p);
void nlp_run_ws_free(void *ws);

/* Edit distance, for "did you mean". */
size_t nlp_edit_distance(const char *a, const char *b);

/* Display width of a UTF-8 string, counting code points (close enough for
 * aligning label columns). */
int nlp_text_width(const char *s);

#endif
