/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_parallel.c - nlp_parallel, the process's worker pool: every part runs
 * once, for any part count (beyond the pool's size too); a part calling it
 * again, and two threads calling it at once, finish; jobs back to back
 * (the workers spinning) and far apart (asleep) run; the caller's
 * flush-to-zero reaches the workers; a forked child can use it. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nlpipe/train.h"
#include "tests/tap.h"

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define HAVE_MXCSR 1
#endif

#define MAXS 200

typedef struct job {
	atomic_int runs[MAXS]; /* times part k ran */
	atomic_int bad_s;      /* a part saw another S */
	int S;
	int nested;        /* each part calls nlp_parallel(nested, ...) */
	atomic_int inner;  /* inner parts run, in all */
	atomic_int no_ftz; /* a part ran without FTZ */
} job;

static void inner_part(void *arg, int k, int S)
{
	(void)k;
	(void)S;
	atomic_fetch_add(&((job *)arg)->inner, 1);
}

static void part(void *arg, int k, int S)
{
	job *j = arg;

	if (S != j->S || k < 0 || k >= MAXS) {
		atomic_fetch_add(&j->bad_s, 1);
		return;
	}
	atomic_fetch_add(&j->runs[k], 1);
#ifdef HAVE_MXCSR
	if (!(_mm_getcsr() & 0x8000u))
		atomic_fetch_add(&j->no_ftz, 1);
#endif
	if (j->nested)
		nlp_parallel(j->nested, inner_part, j);
}

/* Run a job of S parts; 1 when every part ran exactly once. */
static int run(job *j, int S, int nested)
{
	memset(j, 0, sizeof *j);
	j->S = S <= 1 ? 1 : S;
	j->nested = nested;
	nlp_parallel(S, part, j);
	int good = atomic_load(&j->bad_s) == 0;
	for (int k = 0; k < MAXS; k++)
		good &= atomic_load(&j->runs[k]) == (k < (S < 1 ? 1 : S));
	return good;
}

static void *caller(void *arg)
{
	job *j = arg;
	int good = 1;

	for (int r = 0; r < 200; r++)
		good &= run(j, 2 + r % 7, 0);
	return good ? arg : NULL;
}

static void test_parts(void)
{
	static job j;
	int good = 1;

	for (int S = 0; S <= MAXS; S++)
		good &= run(&j, S, 0);
	ok(good, "parts 0 .. S-1 each run once, S = 0 .. 200 (the pool holds 63)");

	good = 1;
	for (int r = 0; r < 2000; r++)
		good &= run(&j, 2 + r % 3, 0);
	ok(good, "2,000 jobs in a row on the kept workers");

	/* Jobs far enough apart (2 ms) that the workers stop spinning and
	 * sleep on the condition variable between them: each is still run. */
	good = 1;
	for (int r = 0; r < 30; r++) {
		good &= run(&j, 2 + r % 3, 0);
		usleep(2000);
	}
	ok(good, "30 jobs 2 ms apart: workers woken from sleep run every part");

	ok(run(&j, 8, 5) && atomic_load(&j.inner) == 8 * 5,
	   "a part calling nlp_parallel runs its inner parts (8 x 5)");
}

static void test_concurrent(void)
{
	static job a, b;
	pthread_t t1, t2;
	void *r1 = NULL, *r2 = NULL;

	pthread_create(&t1, NULL, caller, &a);
	pthread_create(&t2, NULL, caller, &b);
	pthread_join(t1, &r1);
	pthread_join(t2, &r2);
	ok(r1 == &a && r2 == &b, "two threads calling at once: every part of each job runs once");
}

static void test_ftz(void)
{
#ifdef HAVE_MXCSR
	static job j;
	const unsigned csr = _mm_getcsr();

	_mm_setcsr(csr | 0x8040u);
	run(&j, 6, 0);
	ok(atomic_load(&j.no_ftz) == 0, "the caller's flush-to-zero reaches every part");
	_mm_setcsr(csr);
#else
	ok(1, "# SKIP no MXCSR on this CPU");
#endif
}

static void test_fork(void)
{
	static job j;
	int status = -1;

	run(&j, 4, 0); /* the parent's workers exist */
	pid_t pid = fork();
	if (pid == 0)
		_exit(run(&j, 5, 0) ? 0 : 1);
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "a forked child runs its jobs (the parent's workers are not there)");
	ok(run(&j, 3, 0), "the parent's pool still works after the fork");
}

int main(void)
{
	plan(8);
	test_parts();
	test_concurrent();
	test_ftz();
	test_fork();
	return done_testing();
}
