/* main.c - the nlpipe command: global options and the command table. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        {"train", cmd_train, "train a pipeline on labelled documents, write a model"},
        {"predict", cmd_predict, "label documents with a model"},
        {"eval", cmd_eval, "measure a model on labelled documents"},
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
			printf("nlpipe %s (plugin ABI %d.%d)\n", nlp_version(), NLP_ABI_MAJOR,
			       NLP_ABI_MINOR);
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
	for (const command *c = commands; c->name; c++)
		if (strcmp(c->name, argv[i]) == 0)
			return c->run(argc - i, argv + i);
	cli_error("unknown command '%s' (see nlpipe --help)", argv[i]);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	return finish(run(argc, argv));
}
