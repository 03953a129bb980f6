/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* progress.h - training progress: a live bar on a terminal (as wide as the
 * terminal, 40 columns and up; the ETA is the whole run's), a plain log line
 * every 10 seconds otherwise, nothing with --quiet (internal). */
#ifndef NLP_PROGRESS_H
#define NLP_PROGRESS_H

#include <stdint.h>

typedef struct progress {
	int quiet;
	int tty;
	int shown;        /* a bar is on the screen */
	double last;      /* time of the last output */
	int cols;         /* the terminal's width, measured again after SIGWINCH */
	const char *what; /* what the count counts: "epoch" (progress_init), or "refit" */
} progress;

void progress_init(progress *pg, int quiet);
void progress_update(progress *pg, long epoch, long epochs, long step, long steps, double loss,
                     uint64_t tokens, double elapsed);
/* End the bar's line (before other output). */
void progress_end(progress *pg);

#endif
