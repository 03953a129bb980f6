/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* mod_good.c - a test module: small stage classes that exercise the host
 * (every option type, kinds that connect and kinds that don't). */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nlpipe/plugin.h>

typedef struct opts_stage {
	long count;
	char suffix[32];
} opts_stage;

/* t_split: whitespace tokenizer, text -> tokens. */
static int split_create(void **self, const nlp_config *cfg, nlp_err *err)
{
	*self = malloc(1);
	return *self ? NLP_OK : nlp_err_set(err, NLP_ENOMEM, "out of memory");
}

static void plain_destroy(void *self)
{
	free(self);
}

static int split_process(void *self, nlp_doc *doc, nlp_err *err)
{
	const char *p = doc->text, *end = doc->text + doc->text_len;

	while (p < end) {
		const char *a;
		while (p < end && isspace((unsigned char)*p))
			p++;
		a = p;
		while (p < end && !isspace((unsigned char)*p))
			p++;
		if (p > a && nlp_tokens_push(doc->out, a, (size_t)(p - a)))
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	return NLP_OK;
}

/* t_opts: repeats each token `count` times, appending `suffix`. */
static const nlp_option opts_options[] = {
        {"count", NLP_OPT_INT, "1", 0, 10, NULL, "copies of each token"},
        {"ratio", NLP_OPT_FLOAT, "0.5", 0, 1, NULL, "a number in [0, 1]"},
        {"flag", NLP_OPT_BOOL, "false", 1, 0, NULL, "a switch"},
        {"mode", NLP_OPT_ENUM, "a", 1, 0, "a|b|c", "a choice"},
        {"words", NLP_OPT_LIST, "", 1, 0, NULL, "some words"},
        {"file", NLP_OPT_PATH, "", 1, 0, NULL, "a file"},
        {"suffix", NLP_OPT_STRING, NULL, 1, 0, NULL, "text appended to every token"},
        {NULL, NLP_OPT_END, NULL, 0, 0, NULL, NULL},
};

static int opts_create(void **self, const nlp_config *cfg, nlp_err *err)
{
	opts_stage *s = calloc(1, sizeof *s);
	const char *suffix = nlp_config_str(cfg, "suffix");

	if (!s)
		return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	if (strlen(suffix) >= sizeof s->suffix) {
		free(s);
		return nlp_err_set(err, NLP_ECONFIG, "suffix: at most %zu bytes",
		                   sizeof s->suffix - 1);
	}
	s->count = nlp_config_int(cfg, "count");
	strcpy(s->suffix, suffix);
	*self = s;
	return NLP_OK;
}

static int opts_process(void *self, nlp_doc *doc, nlp_err *err)
{
	opts_stage *s = self;
	char buf[256];

	for (size_t i = 0; i < doc->in->n; i++) {
		int n = snprintf(buf, sizeof buf, "%s%s", nlp_token(doc->in, i), s->suffix);
		for (long k = 0; k < s->count; k++)
			if (nlp_tokens_push(doc->out, buf, (size_t)n))
				return nlp_err_set(err, NLP_ENOMEM, "out of memory");
	}
	return NLP_OK;
}

/* t_vec: claims to turn tokens into a vector batch (for kind checks). */
static int vec_process(void *self, nlp_doc *doc, nlp_err *err)
{
	return nlp_doc_push_id(doc, (int32_t)doc->in->n);
}

static const nlp_stage_class split_class = {
        sizeof(nlp_stage_class),
        "t_split",
        "split text at white space",
        NULL,
        NLP_KIND_TEXT,
        NLP_KIND_TOKENS,
        split_create,
        plain_destroy,
        split_process,
        NULL,
        NULL, /* produces_for */
};
static const nlp_stage_class opts_class = {
        sizeof(nlp_stage_class),
        "t_opts",
        "repeat and suffix tokens",
        opts_options,
        NLP_KIND_TOKENS,
        NLP_KIND_TOKENS,
        opts_create,
        plain_destroy,
        opts_process,
        NULL,
        NULL, /* produces_for */
};
static const nlp_stage_class vec_class = {
        sizeof(nlp_stage_class),
        "t_vec",
        "count tokens into a vector",
        NULL,
        NLP_KIND_TOKENS,
        NLP_KIND_VECTOR,
        split_create,
        plain_destroy,
        vec_process,
        NULL,
        NULL, /* produces_for */
};

/* t_kind (ABI 2.3): vectors in; vectors or, with out = sequence, a
 * sequence out (produces_for), like an encoder's pooling = none. */
static const nlp_option kind_options[] = {
        {"out", NLP_OPT_ENUM, "vector", 1, 0, "vector|sequence", "the kind given"},
        {NULL, NLP_OPT_END, NULL, 0, 0, NULL, NULL},
};

static nlp_kind kind_for(const nlp_config *cfg)
{
	return strcmp(nlp_config_str(cfg, "out"), "sequence") ? NLP_KIND_VECTOR : NLP_KIND_SEQUENCE;
}

/* What an old module would never return: the host must not call it. */
static nlp_kind kind_bogus(const nlp_config *cfg)
{
	return NLP_KIND_TEXT;
}

static const nlp_stage_class kind_class = {
        .struct_size = sizeof(nlp_stage_class),
        .name = "t_kind",
        .summary = "vectors in, vectors or a sequence out",
        .options = kind_options,
        .consumes = NLP_KIND_VECTOR,
        .produces = NLP_KIND_VECTOR,
        .create = split_create,
        .destroy = plain_destroy,
        .process = vec_process,
        .produces_for = kind_for,
};
/* t_seq: an ABI 2.2 class (struct_size 72, before produces_for): sequence
 * in, scores out; the host reads no field past its size. */
static const nlp_stage_class seq_class = {
        .struct_size = offsetof(nlp_stage_class, produces_for),
        .name = "t_seq",
        .summary = "a sequence in, scores out (an ABI 2.2 class)",
        .consumes = NLP_KIND_SEQUENCE,
        .produces = NLP_KIND_SCORES,
        .create = split_create,
        .destroy = plain_destroy,
        .process = vec_process,
        .produces_for = kind_bogus,
};

static int good_init(nlp_registrar *reg, nlp_err *err)
{
	int rc = nlp_register_stage(reg, &split_class, err);
	rc = rc ? rc : nlp_register_stage(reg, &opts_class, err);
	rc = rc ? rc : nlp_register_stage(reg, &kind_class, err);
	rc = rc ? rc : nlp_register_stage(reg, &seq_class, err);
	return rc ? rc : nlp_register_stage(reg, &vec_class, err);
}

NLP_MODULE(good) = {
        NLP_MODULE_HEADER,  .name = "good",
        .version = "1.2.3", .description = "test module with well-behaved stages",
        .init = good_init,
};
