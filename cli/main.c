/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* main.c - the nlpipe command: global options and the command table. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

typedef struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} command;

static const command commands[] = {
        {"plugins", cmd_plugins, "list modules and stage classes, or one class's options"},
        {"check", cmd_check, "validate a pipeline file and print it resolved"},
        {"inspect", cmd_inspect, "show what a model file holds: pipeline, labels, sizes, metadata"},
        {"tokenize", cmd_tokenize, "print the tokens the text stages of a pipeline make"},
        {"train", cmd_train,
         "train a pipeline on labelled documents (a language model on text), write a model"},
        {"predict", cmd_predict, "label documents with a model"},
        {"eval", cmd_eval, "measure a model on labelled documents (a language model on text)"},
        {"generate", cmd_generate, "sample text from a language model"},
        {"quantize", cmd_quantize, "write a smaller copy of a model, its matrices stored int8"},
        {"tune", cmd_tune, "search a pipeline's [tune] options, write the best pipeline file"},
        /* @COMMANDS@ */
        {NULL, NULL, NULL},
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: nlpipe [--verbose|--quiet] COMMAND [ARGS...]\n"
	             "       nlpipe COMMAND --help\n"
	             "       nlpipe --version\n\n"
	             "Text classification pipelines built from plugin stages.\n\nCommands:\n");
	for (const command *c = commands; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fprintf(out,
	        "\nExit status: 0 ok, 1 usage or configuration error, 2 data error,\n"
	        "3 internal error.  Modules are searched in the pipeline's plugin_path,\n"
	        "then NLPIPE_PLUGIN_PATH (colon-separated), then %s.\n"
	        "See nlpipe(1) and nlpipe.ini(5).\n",
	        NLP_PLUGINS_DIR);
}

/* The exit status once stdout is flushed and closed: a command that
 * succeeded but whose output could not be written (a full disk, a closed
 * pipe) fails with a message instead of exiting 0. */
static int finish(int code)
{
	int bad = fflush(stdout) != 0 || ferror(stdout);
	int e = errno;

	bad |= fclose(stdout) != 0;
	if (bad && code == 0) {
		cli_error("cannot write the output: %s", strerror(e ? e : errno));
		code = EXIT_DATA;
	}
	return code;
}

static int run(int argc, char **argv)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			printf("nlpipe %s (plugin ABI %d.%d)\n"
			       "Copyright (c) 2026 the nlpipe authors.\n"
			       "Licence: BSD-3-Clause (the file COPYING of the sources).\n",
			       nlp_version(), NLP_ABI_MAJOR, NLP_ABI_MINOR);
			return 0;
		} else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
			cli_verbose = 1;
		} else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
			cli_quiet = 1;
		} else {
			cli_error("unknown option '%s' (see nlpipe --help)", a);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const command *near = NULL;
	size_t best = 3; /* at most two edits away */
	for (const command *c = commands; c->name; c++) {
		size_t d = nlp_edit_distance(argv[i], c->name);
		if (d == 0) {
			/* getopt names the program by argv[0] in its messages:
			 * "nlpipe: train: unrecognized option '--x'". */
			char prog[64];
			snprintf(prog, sizeof prog, "nlpipe: %s", c->name);
			argv[i] = prog;
			cli_command = c->name;
			return c->run(argc - i, argv + i);
		}
		if (d < best) {
			best = d;
			near = c;
		}
	}
	if (near)
		cli_error("unknown command '%s'; did you mean '%s'? (see nlpipe --help)", argv[i],
		          near->name);
	else
		cli_error("unknown command '%s' (see nlpipe --help)", argv[i]);
	return EXIT_USAGE;
}

/* Set name from a "name=value" line of the file at path, unless the
 * environment already has it. */
static void default_env(const char *path, const char *key, const char *name)
{
	char line[4200];
	size_t kl = strlen(key);
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, key, kl) == 0 && line[kl] == '=' && line[kl + 1])
			setenv(name, line + kl + 1, 0);
	}
	fclose(f);
}

/* Run from its build tree (libtool keeps the real program in BUILD/.libs/),
 * nlpipe uses the modules and data of that build, as an installed one uses
 * the installed ones: make writes BUILD/nlpipe-uninstalled with
 * "plugins=DIR" and "data=DIR" lines.  The environment still wins. */
static void use_build_tree(void)
{
	char exe[4096], conf[4200];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	char *slash;

	if (n <= 0)
		return;
	exe[n] = '\0';
	if (!(slash = strrchr(exe, '/')))
		return;
	*slash = '\0';
	n = slash - exe;
	if (n >= 6 && strcmp(exe + n - 6, "/.libs") == 0)
		exe[n - 6] = '\0';
	snprintf(conf, sizeof conf, "%s/nlpipe-uninstalled", exe);
	default_env(conf, "plugins", "NLPIPE_PLUGIN_PATH");
	default_env(conf, "data", "NLPIPE_DATA_DIR");
}

/* A module that crashes while it loads (its constructors or init
 * function) is named before the process dies as it would have. */
static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
static struct sigaction crash_old[sizeof crash_signals / sizeof *crash_signals];

static void put_err(const char *s)
{
	ssize_t r = write(2, s, strlen(s));
	(void)r;
}

static void on_crash(int sig)
{
	const char *file = nlp_host_loading_module();

	if (file) {
		put_err("nlpipe: error: module ");
		put_err(file);
		put_err(" crashed while loading (");
		put_err(sig == SIGABRT ? "it aborted" : "a fatal signal");
		put_err("); remove it from the plugin path (NLPIPE_PLUGIN_PATH, plugin_path) or "
		        "fix it\n");
	}
	for (size_t i = 0; i < sizeof crash_signals / sizeof *crash_signals; i++)
		if (crash_signals[i] == sig)
			sigaction(sig, &crash_old[i], NULL);
	raise(sig); /* delivered once this returns, to the handler before ours */
}

static void name_crashing_modules(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_crash;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof crash_signals / sizeof *crash_signals; i++)
		sigaction(crash_signals[i], &sa, &crash_old[i]);
}

int main(int argc, char **argv)
{
	use_build_tree();
	name_crashing_modules();
	return finish(run(argc, argv));
}
