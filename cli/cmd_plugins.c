/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* cmd_plugins.c - `nlpipe plugins [STAGE]`: what the host can load. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
        "Usage: nlpipe plugins [STAGE]\n\n"
        "List the modules found in the plugin search path and their stage classes;\n"
        "with a class name, show that class's options (types, defaults, help).\n";

static const char *type_name(nlp_opt_type t)
{
	switch (t) {
	case NLP_OPT_BOOL:
		return "bool";
	case NLP_OPT_INT:
		return "int";
	case NLP_OPT_FLOAT:
		return "float";
	case NLP_OPT_STRING:
		return "string";
	case NLP_OPT_ENUM:
		return "enum";
	case NLP_OPT_LIST:
		return "list";
	case NLP_OPT_PATH:
		return "path";
	default:
		return "?";
	}
}

static void show_class(const nlp_stage_class *c, const nlp_module_info *m)
{
	printf("Stage class %s\n", c->name);
	printf("  summary:   %s\n", c->summary ? c->summary : "");
	printf("  module:    %s %s (ABI %u.%u), %s\n", m->name, m->version, m->abi_major,
	       m->abi_minor, m->file);
	printf("  consumes:  %s\n  produces:  %s%s\n", nlp_kind_name(c->consumes),
	       nlp_kind_name(c->produces),
	       NLP_HAS_FIELD(c, nlp_stage_class, produces_for) && c->produces_for
	               ? " (by default; its options may change it)"
	               : "");
	printf("  trainable: %s\n", c->train && c->train->setup ? "yes"
	                            : c->train ? "no (its state is saved in model files)"
	                                       : "no");
	printf("  options:%s\n", c->options && c->options->name ? "" : " none");
	for (const nlp_option *o = c->options; o && o->name; o++) {
		printf("    %-16s %-6s ", o->name, type_name(o->type));
		if (o->def)
			printf("default %s", o->def[0] ? o->def : "(empty)");
		else
			printf("required");
		if (o->type == NLP_OPT_ENUM)
			printf("; one of %s", o->choices);
		if ((o->type == NLP_OPT_INT || o->type == NLP_OPT_FLOAT) && o->min <= o->max)
			printf("; range %g..%g", o->min, o->max);
		printf("\n        %s\n", o->help ? o->help : "");
	}
}

int cmd_plugins(int argc, char **argv)
{
	nlp_host *h;
	int rc;

	if (cli_wants_help(argc, argv, usage))
		return 0;
	if (argc > 2) {
		cli_error("plugins takes at most one stage class name\n%s", usage);
		return EXIT_USAGE;
	}
	rc = cli_open_host(&h);
	if (rc)
		return rc;
	if (argc == 2) {
		const nlp_module_info *m;
		const nlp_stage_class *c = nlp_host_find_class(h, argv[1], &m);
		if (!c) {
			const char *best = NULL;
			size_t bd = 99;
			for (size_t i = 0; i < nlp_host_class_count(h); i++) {
				const char *n = nlp_host_class(h, i, NULL)->name;
				size_t d = nlp_edit_distance(argv[1], n);
				if (d < bd) {
					bd = d;
					best = n;
				}
			}
			if (best && bd <= 2)
				cli_error("no stage class '%s'; did you mean '%s'?", argv[1], best);
			else
				cli_error("no stage class '%s' (run `nlpipe plugins` for the list)",
				          argv[1]);
			nlp_host_free(h);
			return EXIT_USAGE;
		}
		show_class(c, m);
		nlp_host_free(h);
		return 0;
	}
	for (size_t i = 0; i < nlp_host_module_count(h); i++) {
		const nlp_module_info *m = nlp_host_module(h, i);
		printf("%s %s (ABI %u.%u) %s\n  %s\n", m->name, m->version, m->abi_major,
		       m->abi_minor, m->file, m->description);
		for (size_t k = 0; k < nlp_host_class_count(h); k++) {
			const nlp_module_info *from;
			const nlp_stage_class *c = nlp_host_class(h, k, &from);
			if (from != m)
				continue;
			printf("    %-12s %-8s -> %-8s  %s\n", c->name, nlp_kind_name(c->consumes),
			       nlp_kind_name(c->produces), c->summary ? c->summary : "");
		}
	}
	nlp_host_free(h);
	return 0;
}
