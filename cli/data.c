/* data.c - the reader options of the commands that read documents and
 * their parsing. */
#include "config.h"

#include "cli/cli.h"
#include "cli/data.h"

int data_option(int c, const char *arg, nlp_reader_opts *o, int *handled)
{
	nlp_err err = {0};
	int rc = NLP_OK;

	*handled = 1;
	switch (c) {
	case 1001:
		rc = nlp_input_format_parse(arg, &o->format, &err);
		break;
	case 1002:
		rc = nlp_line_format_parse(arg, &o->lines, &err);
		break;
	case 1003:
		rc = nlp_encoding_parse(arg, &o->encoding, &err);
		break;
	case 1004:
		rc = nlp_size_parse(arg, &o->max_doc_bytes, &err);
		break;
	case 1005:
		o->strict = 1;
		break;
	default:
		*handled = 0;
	}
	if (rc) {
		cli_fail(&err);
		return EXIT_USAGE;
	}
	return 0;
}
