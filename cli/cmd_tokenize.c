/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* cmd_tokenize.c - `nlpipe tokenize PIPELINE.ini PATH...`: run the text
 * stages of a pipeline over documents and print their tokens, one document
 * a line, in input order, for looking at what a pipeline does to the data. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/data.h"
#include "nlpipe/reader.h"

static const char usage[] =
        "Usage: nlpipe tokenize [OPTIONS] PIPELINE.ini PATH...\n\n"
        "Run the text stages of a pipeline (up to the first stage that is not a\n"
        "text stage) over the documents in PATH... and print one document a line:\n"
        "  NAME<TAB>tok tok tok          (--format text, the default)\n"
        "  {\"name\":...,\"label\":...,\"tokens\":[...]}   (--format jsonl)\n"
        "A summary (documents, skipped and why, bytes, replaced bytes, tokens) goes\n"
        "to stderr; --verbose names every skipped file or line.\n\n"
        "Options:\n"
        "  --format text|jsonl                      output format (text)\n"
        "  -j, --threads N                          worker threads (1); output stays in\n"
        "                                           input order\n"
        "  --set SECTION.KEY=VALUE                  override a pipeline option\n"
        "                                           (repeatable)\n"
        "  -v, --verbose                            name every skipped file or line, and\n"
        "                                           every document with replaced bytes\n"
        "  -q, --quiet                              no summary\n" DATA_USAGE;

/* One document on its way: read by the main thread, tokenized by a worker,
 * printed by the main thread. */
struct slot {
	char *name;
	size_t name_cap;
	char *label; /* NULL: unlabelled */
	size_t label_cap;
	int has_label;
	char *text;
	size_t text_len, text_cap;
	char *out; /* the formatted output line */
	size_t out_len, out_cap;
	size_t n_tokens;
};

struct job {
	nlp_worker *w;
	size_t end;
	int jsonl;
	struct slot *slots;
	size_t n, first, step; /* slots first, first + step, ... */
	int rc;
	nlp_err err;
	const char *failed; /* the document that failed */
};

static int put(struct slot *s, const char *p, size_t n)
{
	if (s->out_len + n + 1 > s->out_cap) {
		size_t nc = s->out_cap ? s->out_cap : 1024;
		char *q;
		while (nc < s->out_len + n + 1)
			nc *= 2;
		q = realloc(s->out, nc);
		if (!q)
			return NLP_ENOMEM;
		s->out = q;
		s->out_cap = nc;
	}
	memcpy(s->out + s->out_len, p, n);
	s->out_len += n;
	return NLP_OK;
}

/* Text format: a token's TAB, newline and CR are written as \t \n \r (the
 * text stages never make them; other stages might). */
static int put_plain(struct slot *s, const char *p, size_t n)
{
	size_t i = 0, j;
	int rc = NLP_OK;

	for (j = 0; j < n && (unsigned char)p[j] >= 0x20; j++)
		;
	if (j == n)
		return put(s, p, n); /* the usual case: nothing to escape */
	while (i < n && !rc) {
		for (j = i; j < n && p[j] != '\t' && p[j] != '\n' && p[j] != '\r'; j++)
			;
		rc = put(s, p + i, j - i);
		if (!rc && j < n)
			rc = put(s, p[j] == '\t' ? "\\t" : p[j] == '\n' ? "\\n" : "\\r", 2);
		i = j + 1;
	}
	return rc;
}

/* nlp_json_string's writer: bytes into the slot's output. */
static int put_any(void *user, const char *p, size_t n)
{
	return put(user, p, n);
}

/* A JSON string (bytes that are not UTF-8, as file names can hold, become
 * U+FFFD). */
static int put_json(struct slot *s, const char *p, size_t n)
{
	return nlp_json_string(p, n, put_any, s);
}

static int format_doc(struct slot *s, const nlp_tokens *t, int jsonl)
{
	int rc;

	s->out_len = 0;
	s->n_tokens = t->n;
	if (jsonl) {
		rc = put(s, "{\"name\":", 8);
		if (!rc)
			rc = put_json(s, s->name, strlen(s->name));
		if (!rc && s->has_label) {
			rc = put(s, ",\"label\":", 9);
			if (!rc)
				rc = put_json(s, s->label, strlen(s->label));
		}
		if (!rc)
			rc = put(s, ",\"tokens\":[", 11);
		for (size_t i = 0; i < t->n && !rc; i++) {
			if (i)
				rc = put(s, ",", 1);
			if (!rc)
				rc = put_json(s, nlp_token(t, i), t->tlen[i]);
		}
		if (!rc)
			rc = put(s, "]}\n", 3);
		return rc;
	}
	rc = put_plain(s, s->name, strlen(s->name));
	if (!rc)
		rc = put(s, "\t", 1);
	for (size_t i = 0; i < t->n && !rc; i++) {
		if (i)
			rc = put(s, " ", 1);
		if (!rc)
			rc = put_plain(s, nlp_token(t, i), t->tlen[i]);
	}
	if (!rc)
		rc = put(s, "\n", 1);
	return rc;
}

static void *work(void *arg)
{
	struct job *j = arg;

	for (size_t i = j->first; i < j->n && !j->rc; i += j->step) {
		struct slot *s = &j->slots[i];
		const nlp_tokens *toks;
		const int32_t *ids;
		size_t n_ids;
		j->rc = nlp_worker_run(j->w, j->end, s->name, s->text, s->text_len, &toks, &ids,
		                       &n_ids, &j->err);
		if (j->rc) {
			j->failed = s->name;
			break;
		}
		j->rc = format_doc(s, toks, j->jsonl);
		if (j->rc)
			nlp_err_set(&j->err, j->rc, "out of memory");
	}
	return NULL;
}

static int copy_str(char **p, size_t *cap, const char *s, size_t n)
{
	if (n + 1 > *cap) {
		char *q = realloc(*p, n + 1);
		if (!q)
			return NLP_ENOMEM;
		*p = q;
		*cap = n + 1;
	}
	memcpy(*p, s, n);
	(*p)[n] = '\0';
	return NLP_OK;
}

/* Read up to batch documents into slots; *done at the end of the input. */
static int read_batch(nlp_reader *rd, struct slot *slots, size_t batch, size_t *n, int *done,
                      nlp_err *err)
{
	const nlp_document *d;
	int rc;

	*n = 0;
	while (*n < batch) {
		struct slot *s = &slots[*n];
		if ((rc = nlp_reader_next(rd, &d, err)))
			return rc;
		if (!d) {
			*done = 1;
			break;
		}
		if (copy_str(&s->name, &s->name_cap, d->name, strlen(d->name)) ||
		    copy_str(&s->text, &s->text_cap, d->text, d->len) ||
		    (d->label_name &&
		     copy_str(&s->label, &s->label_cap, d->label_name, strlen(d->label_name))))
			return nlp_err_set(err, NLP_ENOMEM, "out of memory");
		s->text_len = d->len;
		s->has_label = d->label_name != NULL;
		(*n)++;
	}
	return NLP_OK;
}

/* Where the text stages end: before the first batch stage, or the first
 * stage that does not produce tokens (an id lookup). */
static size_t tokens_end(const nlp_pipeline *p)
{
	size_t end = nlp_pipeline_text_end(p);

	for (size_t i = 0; i < end; i++)
		if (nlp_pipeline_stage_produces(p, i) != NLP_KIND_TOKENS)
			return i;
	return end;
}

/* The run: the reader, one worker and job a thread, two halves of slots. */
typedef struct tok_run {
	nlp_reader *rd;
	long threads;
	int jsonl;
	size_t batch, end;
	nlp_worker **workers;
	struct job *jobs;
	pthread_t *tids;
	int *live;
	struct slot *slots; /* [2 * batch] */
	uint64_t tokens;
} tok_run;

/* Options into ro, sets, threads and jsonl.  Returns 1 when the command is
 * over (help printed, or a usage error: *code says). */
static int parse_options(int argc, char **argv, nlp_reader_opts *ro, cli_sets *sets, tok_run *run,
                         int *code)
{
	static const struct option longopts[] = {
	        {"format", required_argument, NULL, 'f'},
	        {"threads", required_argument, NULL, 'j'},
	        {"set", required_argument, NULL, 's'},
	        DATA_LONGOPTS,
	};
	nlp_err err = {0};
	int c, nrc;
	char *e;

	*code = 0;
	while ((c = data_getopt(argc, argv, "j:f:s:hvq", longopts, NULL, ro, code)) >= 0) {
		nrc = NLP_OK;
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "jsonl"))
				run->jsonl = 1;
			else if (!strcmp(optarg, "text"))
				run->jsonl = 0;
			else
				nrc = nlp_err_set(&err, NLP_ECONFIG,
				                  "--format %s: use text or jsonl", optarg);
			break;
		case 'j':
			run->threads = strtol(optarg, &e, 10);
			if (*e || run->threads < 1 || run->threads > 256)
				nrc = nlp_err_set(&err, NLP_ECONFIG,
				                  "-j %s: give a number of threads from 1 to 256",
				                  optarg);
			break;
		case 's':
			if ((*code = cli_sets_add(sets, optarg)))
				return 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		case 'v':
			cli_verbose = 1;
			ro->verbose = 1;
			break;
		case 'q':
			cli_quiet = 1;
			break;
		default:
			cli_try_help();
			*code = EXIT_USAGE;
			return 1;
		}
		if (nrc) {
			*code = cli_fail(&err);
			return 1;
		}
	}
	return *code != 0;
}

/* Workers, jobs and slots for run->threads threads over pipeline p.
 * Returns an exit code (0: ready). */
static int run_setup(tok_run *run, nlp_pipeline *p)
{
	nlp_err err = {0};
	const size_t T = (size_t)run->threads;

	run->batch = T * 256;
	run->workers = calloc(T, sizeof *run->workers);
	run->jobs = calloc(T, sizeof *run->jobs);
	run->tids = calloc(T, sizeof *run->tids);
	run->live = calloc(T, sizeof *run->live);
	run->slots = calloc(2 * run->batch, sizeof *run->slots);
	if (!run->workers || !run->jobs || !run->tids || !run->live || !run->slots) {
		cli_error("out of memory");
		return EXIT_INTERNAL;
	}
	for (size_t t = 0; t < T; t++)
		if (nlp_worker_new(&run->workers[t], p, &err))
			return cli_fail(&err);
	return 0;
}

static void run_free(tok_run *run)
{
	if (run->workers)
		for (long t = 0; t < run->threads; t++)
			nlp_worker_free(run->workers[t]);
	free(run->workers);
	free(run->jobs);
	free(run->tids);
	free(run->live);
	if (run->slots) {
		for (size_t i = 0; i < 2 * run->batch; i++) {
			free(run->slots[i].name);
			free(run->slots[i].label);
			free(run->slots[i].text);
			free(run->slots[i].out);
		}
		free(run->slots);
	}
	nlp_reader_close(run->rd);
}

/* Tokenize the n slots of cur on the threads while this thread reads the
 * next half into next (*n_next, *done); with one thread, one after the
 * other.  Returns the first job's failure code, or 0; *rrc and rerr: the
 * read's. */
static int run_half(tok_run *run, struct slot *cur, size_t n, struct slot *next, size_t *n_next,
                    int *done, int *rrc, nlp_err *rerr)
{
	const long T = run->threads;

	for (long t = 0; t < T; t++)
		run->jobs[t] = (struct job){.w = run->workers[t],
		                            .end = run->end,
		                            .jsonl = run->jsonl,
		                            .slots = cur,
		                            .n = n,
		                            .first = (size_t)t,
		                            .step = (size_t)T};
	*n_next = 0;
	if (T == 1) {
		work(&run->jobs[0]);
		if (!*done && !run->jobs[0].rc)
			*rrc = read_batch(run->rd, next, run->batch, n_next, done, rerr);
	} else {
		for (long t = 0; t < T; t++)
			run->live[t] =
			        pthread_create(&run->tids[t], NULL, work, &run->jobs[t]) == 0;
		if (!*done)
			*rrc = read_batch(run->rd, next, run->batch, n_next, done, rerr);
		for (long t = 0; t < T; t++) {
			if (run->live[t])
				pthread_join(run->tids[t], NULL);
			else
				work(&run->jobs[t]); /* no thread: do its share here */
			run->live[t] = 0;
		}
	}
	for (long t = 0; t < T; t++) {
		if (run->jobs[t].rc) {
			cli_error("%s: %s", run->jobs[t].failed ? run->jobs[t].failed : "tokenize",
			          run->jobs[t].err.msg);
			return nlp_exit_code(run->jobs[t].rc);
		}
	}
	return 0;
}

/* Two halves of slots: with -j N > 1, N threads tokenize one while this
 * thread reads the next; output in input order.  Returns an exit code. */
static int run_all(tok_run *run)
{
	size_t n_cur = 0, n_next = 0;
	int cur_half = 0, done = 0, rc;
	nlp_err err = {0};

	if (read_batch(run->rd, run->slots, run->batch, &n_cur, &done, &err))
		return cli_fail(&err);
	while (n_cur > 0) {
		struct slot *cur = run->slots + cur_half * run->batch;
		struct slot *next = run->slots + (1 - cur_half) * run->batch;
		int rrc = NLP_OK;
		nlp_err rerr = {0};

		if ((rc = run_half(run, cur, n_cur, next, &n_next, &done, &rrc, &rerr)))
			return rc;
		for (size_t i = 0; i < n_cur; i++) {
			run->tokens += cur[i].n_tokens;
			if (fwrite(cur[i].out, 1, cur[i].out_len, stdout) != cur[i].out_len) {
				cli_error("cannot write the output (disk full or closed pipe?)");
				return EXIT_DATA;
			}
		}
		if (rrc)
			return cli_fail(&rerr);
		cur_half = 1 - cur_half;
		n_cur = n_next;
	}
	if (fflush(stdout) != 0) {
		cli_error("cannot write the output (disk full or closed pipe?)");
		return EXIT_DATA;
	}
	return 0;
}

/* The summary line on stderr. */
static void run_summary(const tok_run *run, const nlp_reader_opts *ro, double t0)
{
	const nlp_reader_stats *st = nlp_reader_get_stats(run->rd);
	const double dt = nlp_clock_seconds() - t0;
	char summary[1024];
	struct rusage ru;
	double cpu = 0;

	nlp_reader_summary(st, summary, sizeof summary);
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
		      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
	cli_info("%s; %llu tokens in %.2f s (%.1f MB/s, %.0f tokens/s, %ld thread%s, %.2f s CPU)",
	         summary, (unsigned long long)run->tokens, dt,
	         dt > 0 ? (double)st->bytes / 1e6 / dt : 0.0,
	         dt > 0 ? (double)run->tokens / dt : 0.0, run->threads,
	         run->threads == 1 ? "" : "s", cpu);
	if (ro->strict == 0 && nlp_reader_skipped(st) && !cli_verbose)
		cli_info("run with --verbose to name every skipped file or line");
}

int cmd_tokenize(int argc, char **argv)
{
	cli_sets sets = {0};
	nlp_host *h = NULL;
	nlp_ini *ini = NULL;
	nlp_pipeline *p = NULL;
	nlp_reader_opts ro;
	nlp_err err = {0};
	tok_run run = {.threads = 1};
	int rc = 0;
	double t0;

	data_begin(&ro);
	ro.verbose = cli_verbose;
	if (parse_options(argc, argv, &ro, &sets, &run, &rc))
		goto out;
	if (argc - optind < 2) {
		cli_error("tokenize needs a pipeline file and at least one PATH");
		cli_try_help();
		rc = EXIT_USAGE;
		goto out;
	}
	rc = cli_open_pipeline(argv[optind], &sets, &h, &ini, &p);
	if (rc)
		goto out;
	run.end = tokens_end(p);
	if (run.end == 0 || nlp_pipeline_stage_class(p, 0)->consumes != NLP_KIND_TEXT) {
		cli_error("%s: the pipeline does not start with a text stage (such as a "
		          "tokenizer), so there is nothing to tokenize",
		          argv[optind]);
		rc = EXIT_USAGE;
		goto out;
	}
	if (nlp_reader_open(&run.rd, &ro, (const char *const *)argv + optind + 1,
	                    (size_t)(argc - optind - 1), &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	if ((rc = run_setup(&run, p)))
		goto out;
	t0 = nlp_clock_seconds();
	if ((rc = run_all(&run)))
		goto out;
	run_summary(&run, &ro, t0);
out:
	run_free(&run);
	nlp_pipeline_free(p);
	nlp_ini_free(ini);
	nlp_host_free(h);
	cli_sets_free(&sets);
	return rc;
}
