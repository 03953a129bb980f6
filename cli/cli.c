/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* cli.c - helpers shared by the nlpipe subcommands. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "nlpipe/seq2seq.h"
#include "cli/cli.h"
#include "nlpipe/classifier.h"
#include "nlpipe/lm.h"
#include "nlpipe/model.h"

int cli_verbose;
int cli_quiet;
const char *cli_command = "";
volatile sig_atomic_t cli_stop_signal;

static void on_stop_signal(int sig)
{
	cli_stop_signal = sig;
}

void cli_catch_signals(cli_signals *s)
{
	struct sigaction sa;

	if (s->on)
		return;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &s->old_int);
	sigaction(SIGTERM, &sa, &s->old_term);
	s->on = 1;
}

void cli_release_signals(cli_signals *s)
{
	if (!s->on)
		return;
	sigaction(SIGINT, &s->old_int, NULL);
	sigaction(SIGTERM, &s->old_term, NULL);
	s->on = 0;
}

static void vsay(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "nlpipe: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay("error: ", fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;
	if (cli_quiet) /* -q: errors only */
		return;
	va_start(ap, fmt);
	vsay("warning: ", fmt, ap);
	va_end(ap);
}

void cli_diag(void *user, const char *msg)
{
	(void)user;
	cli_warn("%s", msg);
}

void cli_info(const char *fmt, ...)
{
	va_list ap;
	if (cli_quiet)
		return;
	va_start(ap, fmt);
	vsay("", fmt, ap);
	va_end(ap);
}

void cli_empty_doc(const char *name)
{
	if (cli_verbose)
		cli_warn("%s: no tokens left after the text stages; classified from the empty "
		         "input",
		         name);
}

void cli_empty_docs_summary(unsigned long long n)
{
	if (n)
		cli_warn("%llu document%s had no tokens left after the text stages; %s classified "
		         "from the empty input (the model's prior-like answer; --verbose names "
		         "them)",
		         n, n == 1 ? "" : "s", n == 1 ? "it was" : "they were");
}

int cli_fail(const nlp_err *err)
{
	const char *p = err->msg;

	/* One "error:" line per problem. */
	while (*p) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);
		fprintf(stderr, "nlpipe: error: %.*s\n", n, p);
		p += n + (nl != NULL);
	}
	if (!err->msg[0])
		fprintf(stderr, "nlpipe: error: failed (code %d)\n", err->code);
	return nlp_exit_code(err->code ? err->code : NLP_EINTERNAL);
}

int cli_sets_add(cli_sets *s, const char *assignment)
{
	const char **v = realloc(s->v, (size_t)(s->n + 1) * sizeof *v);
	if (!v) {
		cli_error("out of memory");
		return EXIT_INTERNAL;
	}
	s->v = v;
	s->v[s->n++] = assignment;
	return 0;
}

void cli_sets_free(cli_sets *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

int cli_open_host(nlp_host **host)
{
	nlp_err err = {0};
	int rc;

	*host = NULL;
	rc = nlp_host_new(host, &err);
	if (!rc) {
		nlp_host_set_diag(*host, cli_diag, NULL);
		rc = nlp_host_add_default_paths(*host, &err);
	}
	if (!rc)
		rc = nlp_host_load_modules(*host, &err);
	if (rc) {
		nlp_host_free(*host);
		*host = NULL;
		return cli_fail(&err);
	}
	return 0;
}

int cli_open_pipeline(const char *ini_path, const cli_sets *sets, nlp_host **host, nlp_ini **ini,
                      nlp_pipeline **pipeline)
{
	nlp_err err = {0};
	int rc;

	*host = NULL;
	*ini = NULL;
	*pipeline = NULL;
	rc = nlp_ini_read(ini, ini_path, &err);
	for (int i = 0; !rc && sets && i < sets->n; i++)
		rc = nlp_ini_override(*ini, sets->v[i], &err);
	if (!rc && !(rc = nlp_host_new(host, &err)))
		nlp_host_set_diag(*host, cli_diag, NULL);
	if (!rc)
		rc = nlp_pipeline_new(pipeline, *host, *ini, &err);
	if (rc) {
		nlp_host_free(*host);
		nlp_ini_free(*ini);
		*host = NULL;
		*ini = NULL;
		return cli_fail(&err);
	}
	return 0;
}

int cli_wants_help(int argc, char **argv, const char *usage)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return 1;
		}
	}
	return 0;
}

int cli_long_arg(const char *name, const char *arg, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (!*arg || *end || errno || v < min || v > max) {
		cli_error("--%s '%s': give a whole number from %ld to %ld", name, arg, min, max);
		return EXIT_USAGE;
	}
	*out = v;
	return 0;
}

void cli_steady_heap(void)
{
#if defined(__GLIBC__)
	/* A fixed threshold turns off glibc's adaptive one, which after the
	 * first large buffer is freed serves ever larger workspaces from the
	 * heap, where they fragment it: predict's peak grew with the variety of
	 * document lengths (IMDB, LSTM model: 175 MB for 2,500 files, 186 MB
	 * for 25,000; 149 MB for both with this). */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
}

void cli_try_help(void)
{
	fprintf(stderr, "nlpipe: try 'nlpipe %s --help' for the options\n", cli_command);
}

int cli_common_option(int c, const char *usage, int *code)
{
	switch (c) {
	case 'q':
		cli_quiet = 1;
		return 0;
	case 'v':
		cli_verbose = 1;
		return 0;
	case 'h':
		fputs(usage, stdout);
		*code = 0;
		return 1;
	default: /* getopt said what is wrong */
		cli_try_help();
		*code = EXIT_USAGE;
		return 1;
	}
}

void cli_model_warnings(const struct nlp_model *model)
{
	size_t n;

	if (!model->warnings || !cli_verbose)
		return;
	n = strlen(model->warnings);
	while (n && model->warnings[n - 1] == '\n')
		n--;
	cli_warn("%.*s", (int)n, model->warnings);
}

int cli_model_option(int c, const char *arg, long *threads, long *batch)
{
	if (c == 'j')
		return cli_long_arg("threads", arg, 0, 256, threads);
	return cli_long_arg("batch", arg, 1, 65536, batch);
}

int cli_model_is_lm(const char *path)
{
	nlp_model *m = NULL;
	nlp_err err = {0};
	int lm = nlp_model_read(&m, path, &err) == NLP_OK && m->n_labels == 0;

	nlp_model_free(m);
	return lm;
}

int cli_open_lm(const char *path, nlp_host **host, nlp_model **model, nlp_err *err)
{
	int rc;

	*model = NULL;
	nlp_numerics_init();
	if (cli_open_host(host))
		return nlp_err_set(err, NLP_EPLUGIN, "%s: cannot load the modules", path);
	rc = nlp_model_load(model, path, *host, err);
	if (!rc && !nlp_pipeline_is_lm((*model)->pipeline) &&
	    !nlp_pipeline_is_s2s((*model)->pipeline))
		rc = nlp_err_set(err, NLP_ECONFIG,
		                 "%s is not a language model (its pipeline does not end in a "
		                 "next-token head) nor a sequence-to-sequence model (a decoder): "
		                 "train one from a pipeline like examples/lm.ini or "
		                 "examples/seq2seq/seq2seq.ini",
		                 path);
	if (!rc)
		cli_model_warnings(*model);
	return rc;
}

int cli_open_classifier(nlp_classifier **out, const char *path, long threads, long batch,
                        nlp_err *err)
{
	int rc;

	nlp_numerics_init();
	rc = nlp_classifier_open(out, path,
	                         &(nlp_classifier_opts){.threads = (int)threads,
	                                                .batch = (int)batch,
	                                                .diag = cli_diag},
	                         err);
	if (!rc)
		cli_model_warnings(nlp_classifier_model(*out));
	return rc;
}

/* A byte count for people: 123 B, 45.6 KiB, 7.8 MiB. */
void cli_human_bytes(char *buf, size_t n, uint64_t b)
{
	if (b < 10 * 1024)
		snprintf(buf, n, "%llu B", (unsigned long long)b);
	else if (b < 10ull * 1024 * 1024)
		snprintf(buf, n, "%.1f KiB", b / 1024.0);
	else
		snprintf(buf, n, "%.1f MiB", b / (1024.0 * 1024.0));
}
