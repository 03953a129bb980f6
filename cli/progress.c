/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* progress.c - see progress.h. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "nlpipe/nlpipe.h"
#include "cli/progress.h"

/* Set by SIGWINCH: the terminal's width is measured again. */
static volatile sig_atomic_t resized = 1;

static void on_winch(int sig)
{
	(void)sig;
	resized = 1;
}

/* Columns of the terminal on stderr (80 when it cannot say). */
static int term_columns(void)
{
	struct winsize ws;
	if (ioctl(fileno(stderr), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

void progress_init(progress *pg, int quiet)
{
	pg->quiet = quiet;
	pg->tty = isatty(fileno(stderr));
	pg->shown = 0;
	pg->last = nlp_clock_seconds();
	pg->cols = 80;
	pg->what = "epoch";
	if (pg->tty && !quiet) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_winch;
		sa.sa_flags = SA_RESTART;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGWINCH, &sa, NULL);
		resized = 1;
	}
}

static void eta_text(char *buf, size_t size, double secs)
{
	long s = secs > 0 ? (long)(secs + 0.5) : 0;
	if (s >= 3600)
		snprintf(buf, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, size, "%ld:%02ld", s / 60, s % 60);
}

/* The bar's line, at most cols - 1 characters wide (a full line would wrap
 * on some terminals): the bar shrinks first, then the rate goes, then the
 * bar; at 40 columns and up the epoch, step, loss and ETA always fit. */
static void bar_line(char *out, size_t size, int cols, const char *what, long epoch, long epochs,
                     long step, long steps, double loss, double rate, const char *eta)
{
	char head[48], tail[96], bar[32];
	int room;

	snprintf(head, sizeof head, "%s %ld/%ld ", what, epoch, epochs);
	snprintf(tail, sizeof tail, " %ld/%ld loss %.4f %.1fk tok/s ETA %s", step, steps, loss,
	         rate / 1000, eta);
	room = cols - 1 - (int)strlen(head) - (int)strlen(tail) - 2;
	if (room < 8) {
		snprintf(tail, sizeof tail, " %ld/%ld loss %.4f ETA %s", step, steps, loss, eta);
		room = cols - 1 - (int)strlen(head) - (int)strlen(tail) - 2;
	}
	if (room > 30)
		room = 30;
	if (room < 5) {
		snprintf(out, size, "%s%s", head, tail + 1);
		if ((int)strlen(out) > cols - 1 && cols > 1)
			out[cols - 1] = '\0';
		return;
	}
	int fill = steps > 0 ? (int)(room * step / steps) : 0;
	for (int i = 0; i < room; i++)
		bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
	bar[room] = '\0';
	snprintf(out, size, "%s[%s]%s", head, bar, tail);
}

void progress_update(progress *pg, long epoch, long epochs, long step, long steps, double loss,
                     uint64_t tokens, double elapsed)
{
	double now = nlp_clock_seconds(), rate = elapsed > 0 ? (double)tokens / elapsed : 0;
	/* The whole run's ETA: this epoch's pace over the steps left in it and
	 * in the epochs after it (early stopping may end the run sooner). */
	double left = (double)(steps - step) + (double)(epochs - epoch) * (double)steps;
	double eta = step > 0 ? elapsed * left / (double)step : 0;
	char etab[32];

	if (pg->quiet)
		return;
	if (pg->tty) {
		char line[256];
		if (now - pg->last < 0.1 && step != steps)
			return;
		if (resized) {
			resized = 0;
			pg->cols = term_columns();
		}
		eta_text(etab, sizeof etab, eta);
		bar_line(line, sizeof line, pg->cols, pg->what, epoch, epochs, step, steps, loss,
		         rate, etab);
		fprintf(stderr, "\r\033[K%s", line);
		pg->shown = 1;
	} else {
		if (now - pg->last < 10)
			return;
		eta_text(etab, sizeof etab, eta);
		fprintf(stderr, "nlpipe: %s %ld/%ld step %ld/%ld loss %.4f %.0f tokens/s eta %s\n",
		        pg->what, epoch, epochs, step, steps, loss, rate, etab);
	}
	fflush(stderr);
	pg->last = now;
}

void progress_end(progress *pg)
{
	if (pg->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		pg->shown = 0;
	}
}
