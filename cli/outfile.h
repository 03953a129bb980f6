/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* outfile.h - an output file written atomically (nlp_atomic_open: rows go
 * to a temporary file beside the target, which replaces it only when
 * everything was written); stdout when no path is given (internal). */
#ifndef NLP_OUTFILE_H
#define NLP_OUTFILE_H

#include <stdio.h>
#include "nlpipe/nlpipe.h"

typedef struct outfile {
	FILE *f;            /* write here: stdout or af.f */
	nlp_atomic_file af; /* zeroed for stdout */
} outfile;

int outfile_open(outfile *o, const char *path, nlp_err *err);
int outfile_commit(outfile *o, nlp_err *err);
/* Remove the temporary file (safe to call after commit or on a zeroed one). */
void outfile_abort(outfile *o);

#endif
