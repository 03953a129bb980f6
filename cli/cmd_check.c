/* cmd_check.c - `nlpipe check PIPELINE.ini`: validate, print resolved. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
        "Usage: nlpipe check [--set SECTION.KEY=VALUE]... PIPELINE.ini\n\n"
        "Check a pipeline file completely (every problem is reported as FILE:LINE:)\n"
        "and print the resolved pipeline: every stage with every option's value.\n";

int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"set", required_argument, NULL, 's'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	cli_sets sets = {0};
	nlp_host *h;
	nlp_ini *ini;
	nlp_pipeline *p;
	int c, rc = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:h", longopts, NULL)) != -1) {
		if (c == 's') {
			if ((rc = cli_sets_add(&sets, optarg)))
				goto out;
		} else if (c == 'h') {
			fputs(usage, stdout);
			goto out;
		} else {
			fputs(usage, stderr);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (optind != argc - 1) {
		cli_error("check needs exactly one pipeline file");
		fputs(usage, stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	rc = cli_open_pipeline(argv[optind], &sets, &h, &ini, &p);
	if (rc)
		goto out;
	nlp_pipeline_print(p, stdout);
	cli_info("%s: OK, %zu stages", argv[optind], nlp_pipeline_stage_count(p));
	nlp_pipeline_free(p);
	nlp_ini_free(ini);
	nlp_host_free(h);
out:
	cli_sets_free(&sets);
	return rc;
}
