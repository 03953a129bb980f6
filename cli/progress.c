/* progress.c - see progress.h. */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "nlpipe/nlpipe.h"
#include "cli/progress.h"

void progress_init(progress *pg, int quiet)
{
	pg->quiet = quiet;
	pg->tty = isatty(fileno(stderr));
	pg->shown = 0;
	pg->last = nlp_clock_seconds();
}

static void eta_text(char *buf, size_t size, double secs)
{
	long s = secs > 0 ? (long)(secs + 0.5) : 0;
	if (s >= 3600)
		snprintf(buf, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, size, "%ld:%02ld", s / 60, s % 60);
}

void progress_update(progress *pg, long epoch, long epochs, long step, long steps, double loss,
                     uint64_t tokens, double elapsed)
{
	double now = nlp_clock_seconds(), rate = elapsed > 0 ? (double)tokens / elapsed : 0;
	double eta = step > 0 ? elapsed * (double)(steps - step) / (double)step : 0;
	char etab[32];

	if (pg->quiet)
		return;
	if (pg->tty) {
		char bar[31];
		int fill = steps > 0 ? (int)(30 * step / steps) : 0;
		if (now - pg->last < 0.1 && step != steps)
			return;
		for (int i = 0; i < 30; i++)
			bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
		bar[30] = '\0';
		eta_text(etab, sizeof etab, eta);
		fprintf(stderr, "\r\033[Kepoch %ld/%ld [%s] %ld/%ld loss %.4f %.1fk tok/s ETA %s",
		        epoch, epochs, bar, step, steps, loss, rate / 1000, etab);
		pg->shown = 1;
	} else {
		if (now - pg->last < 10)
			return;
		eta_text(etab, sizeof etab, eta);
		fprintf(stderr,
		        "nlpipe: epoch %ld/%ld step %ld/%ld loss %.4f %.0f tokens/s eta %s\n",
		        epoch, epochs, step, steps, loss, rate, etab);
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
