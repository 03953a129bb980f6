/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* cli.h - what the nlpipe subcommands share (internal to the program).
 *
 * Each command lives in cli/cmd_NAME.c as `int cmd_NAME(int argc, char
 * **argv)` (argv[0] is the command name) returning the exit status:
 * 0 ok, 1 usage or configuration error, 2 data error, 3 internal error.
 * Register it in the table in cli/main.c and add the file to
 * nlpipe_SOURCES.  Commands print to stdout what the user asked for and
 * everything else (errors, warnings, progress, summaries) to stderr.
 */
#ifndef NLP_CLI_H
#define NLP_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include "nlpipe/nlpipe.h"

/* The commands (main.c lists those that exist). */
int cmd_plugins(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_tune(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_quantize(int argc, char **argv);

#define EXIT_USAGE    1
#define EXIT_DATA     2
#define EXIT_INTERNAL 3

/* Printing: "nlpipe: error: ...", "nlpipe: warning: ...", "nlpipe: ..." */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The host's diagnostics callback: each message as a warning. */
void cli_diag(void *user, const char *msg);
void cli_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Documents the text stages left no token of, classified from the empty
 * input: under -v one line per document (name), at the end one summary
 * warning of how many (cli_empty_docs_summary, nothing when n is 0). */
void cli_empty_doc(const char *name);
void cli_empty_docs_summary(unsigned long long n);
/* Print err's message (it may hold several lines) and return the exit code. */
int cli_fail(const nlp_err *err);
/* A byte count for people in buf: 123 B, 45.6 KiB, 7.8 MiB. */
void cli_human_bytes(char *buf, size_t n, uint64_t b);

/* Global flags parsed by main (before the command). */
extern int cli_verbose; /* -v / --verbose */
extern int cli_quiet;   /* -q / --quiet */
/* The command being run ("train"), for messages. */
extern const char *cli_command;
/* After a usage error: "nlpipe: try 'nlpipe COMMAND --help' for the options"
 * (the whole usage text goes to --help, not under an error). */
void cli_try_help(void);
/* Large buffers from mmap, always: a peak that does not grow with the
 * number of documents (glibc's adaptive threshold fragments the heap). */
void cli_steady_heap(void);

/* SIGINT and SIGTERM as a request to stop: while caught, a signal sets
 * cli_stop_signal (to its number) instead of ending the program; commands
 * that run long work poll it and stop cleanly. */
extern volatile sig_atomic_t cli_stop_signal;
typedef struct cli_signals {
	int on; /* the handlers are installed */
	struct sigaction old_int, old_term;
} cli_signals;
void cli_catch_signals(cli_signals *s);
/* Put the handlers back as they were (nothing when not caught). */
void cli_release_signals(cli_signals *s);

/* Overrides collected from --set SECTION.KEY=VALUE options. */
typedef struct cli_sets {
	const char **v;
	int n;
} cli_sets;
/* Remember one --set argument; returns 0 or EXIT_USAGE (message printed). */
int cli_sets_add(cli_sets *s, const char *assignment);
void cli_sets_free(cli_sets *s);

/* Read PIPELINE.ini, apply overrides, load modules (plugin_path from the
 * file, then NLPIPE_PLUGIN_PATH, then the installed folder) and build the
 * pipeline, printing every problem.  Returns 0 or an exit code. */
int cli_open_pipeline(const char *ini_path, const cli_sets *sets, nlp_host **host, nlp_ini **ini,
                      nlp_pipeline **pipeline);
/* Print what loading a model had to drop (model->warnings), with -v. */
struct nlp_model;
void cli_model_warnings(const struct nlp_model *model);

/* -j/--threads N and --batch N of the commands that run a model (c is 'j'
 * or 'b'): 0, or EXIT_USAGE on a bad value (message printed). */
int cli_model_option(int c, const char *arg, long *threads, long *batch);
/* Open a model to classify with threads and batch (warnings to stderr, what
 * loading dropped with -v); err says why it failed. */
struct nlp_classifier;
/* Whether the model file at path is a language model (it has no labels). */
int cli_model_is_lm(const char *path);
/* A host with the default modules and the language model or
 * sequence-to-sequence model at path (an NLP_ECONFIG error when it is
 * neither); free both. */
int cli_open_lm(const char *path, nlp_host **host, struct nlp_model **model, nlp_err *err);
int cli_open_classifier(struct nlp_classifier **out, const char *path, long threads, long batch,
                        nlp_err *err);

/* Make a host with the default search path and every module loaded. */
int cli_open_host(nlp_host **host);

/* A whole-number option argument within [min, max]; on a bad value prints
 * "--NAME 'ARG': give MIN to MAX" and returns EXIT_USAGE, else 0. */
int cli_long_arg(const char *name, const char *arg, long min, long max, long *out);

/* The options every command shares: -q/--quiet and -v/--verbose (noted,
 * returns 0), -h/--help (usage to stdout, *code = 0, returns 1) and anything
 * else getopt gives (usage to stderr, *code = EXIT_USAGE, returns 1).  Use
 * it as the `default:` of a command's option switch. */
int cli_common_option(int c, const char *usage, int *code);

/* Standard option handling: returns 1 when argv asks for --help (the usage
 * text was printed), else 0. */
int cli_wants_help(int argc, char **argv, const char *usage);

#endif /* NLP_CLI_H */
