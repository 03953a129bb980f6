/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* outfile.c - see outfile.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/outfile.h"

int outfile_open(outfile *o, const char *path, nlp_err *err)
{
	int rc;

	memset(o, 0, sizeof *o);
	if (!path || !strcmp(path, "-")) {
		o->f = stdout;
		return NLP_OK;
	}
	if ((rc = nlp_atomic_open(&o->af, path, err)))
		return rc;
	o->f = o->af.f;
	return NLP_OK;
}

int outfile_commit(outfile *o, nlp_err *err)
{
	int rc = NLP_OK;

	if (o->f == stdout) {
		if (fflush(stdout) != 0 || ferror(stdout))
			rc = nlp_err_set(err, NLP_EIO, "cannot write to standard output: %s",
			                 strerror(errno));
	} else if (o->f) {
		rc = nlp_atomic_commit(&o->af, err);
	}
	o->f = NULL;
	return rc;
}

void outfile_abort(outfile *o)
{
	nlp_atomic_abort(&o->af);
	o->f = NULL;
}
