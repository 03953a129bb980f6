/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* pipeline/parallel.c - the process's pool of worker threads (nlp_parallel).
 *
 * The optimizer runs three parallel loops per training step, the next-token
 * head two, the text stages one per batch of documents: starting threads for
 * each would cost more than some of the loops.  Worker w (1 .. n) waits for a
 * new job (spinning for up to SPIN_NS first, then on a condition variable),
 * runs part w when the job has that many parts, and reports done; the caller
 * waits for the last part the same way.
 * One job runs at a time; a caller that finds the pool busy (a part calling
 * nlp_parallel, two threads at once) runs its parts itself, so nothing ever
 * waits for the pool while holding it.  At exit the workers are stopped and
 * joined; in a forked child the pool is forgotten (its threads are not
 * there) and started again when needed.
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "nlpipe/train.h"

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define NLP_HAVE_MXCSR 1
#endif

/* Workers at most; the parts beyond run on the caller. */
#define POOL_MAX 63

typedef struct worker_arg {
	int w;              /* part this worker runs */
	unsigned long seen; /* job generation at start */
} worker_arg;

static struct pool {
	pthread_mutex_t submit; /* held by the caller whose job runs */
	pthread_mutex_t lock;   /* guards the fields below */
	pthread_cond_t go;      /* a new job, or stop */
	pthread_cond_t done;    /* left reached 0 */
	pthread_t th[POOL_MAX];
	worker_arg args[POOL_MAX];
	int n;              /* workers started: parts 1 .. n */
	int stop;           /* workers return */
	unsigned long gen;  /* job generation (read without the lock: atomic) */
	unsigned long left; /* workers still running this job (atomic) */
	void (*fn)(void *arg, int k, int S);
	void *arg;
	int S;
	unsigned csr; /* the caller's MXCSR */
} P = {.submit = PTHREAD_MUTEX_INITIALIZER,
       .lock = PTHREAD_MUTEX_INITIALIZER,
       .go = PTHREAD_COND_INITIALIZER,
       .done = PTHREAD_COND_INITIALIZER};

static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

/* Spin (without the lock) while (*v == x) == equal, at most SPIN_NS, giving
 * the core away every 64 turns: jobs in a training step come microseconds
 * apart, and waking a thread from a condition variable cost 45 us a job
 * back to back on 2 cores (bench/pool_latency: 0.3 to 1 us spinning; jobs
 * 1 ms apart, when the workers sleep, 8 to 12 us either way). */
#define SPIN_NS 100000L

static double ns_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void spin_while(const unsigned long *v, int equal, unsigned long x)
{
	double t0 = 0.0;
	for (unsigned i = 0; (__atomic_load_n(v, __ATOMIC_ACQUIRE) == x) == equal; i++) {
		if ((i & 63) == 0) {
			const double t = ns_now();
			if (i == 0)
				t0 = t;
			else if (t - t0 > (double)SPIN_NS)
				return;
			else /* a thread woken onto this core gets to run */
				sched_yield();
		}
#ifdef NLP_HAVE_MXCSR
		_mm_pause();
#endif
	}
}

static void *worker_main(void *a)
{
	const int w = ((worker_arg *)a)->w;
	unsigned long seen = ((worker_arg *)a)->seen;

	for (;;) {
		spin_while(&P.gen, 1, seen);
		pthread_mutex_lock(&P.lock);
		while (!P.stop && P.gen == seen)
			pthread_cond_wait(&P.go, &P.lock);
		if (P.stop)
			break;
		seen = P.gen;
		if (w >= P.S) {
			pthread_mutex_unlock(&P.lock);
			continue;
		}
		void (*fn)(void *, int, int) = P.fn;
		void *arg = P.arg;
		const int S = P.S;
#ifdef NLP_HAVE_MXCSR
		_mm_setcsr(P.csr);
#endif
		pthread_mutex_unlock(&P.lock);
		fn(arg, w, S);
		/* the last one out signals under the lock: the caller checks
		 * P.left under it before it waits, so no wake-up is lost */
		if (__atomic_sub_fetch(&P.left, 1UL, __ATOMIC_ACQ_REL) == 0) {
			pthread_mutex_lock(&P.lock);
			pthread_cond_signal(&P.done);
			pthread_mutex_unlock(&P.lock);
		}
	}
	pthread_mutex_unlock(&P.lock);
	return NULL;
}

/* At exit: stop the workers and wait for them (no thread outlives the
 * library, so leak checkers see none). */
static void pool_stop(void)
{
	pthread_mutex_lock(&P.lock);
	P.stop = 1;
	pthread_cond_broadcast(&P.go);
	pthread_mutex_unlock(&P.lock);
	for (int i = 0; i < P.n; i++)
		pthread_join(P.th[i], NULL);
	P.n = 0;
	P.stop = 0;
}

/* In a forked child only the forking thread exists: start afresh. */
static void pool_forget(void)
{
	pthread_mutex_init(&P.submit, NULL);
	pthread_mutex_init(&P.lock, NULL);
	pthread_cond_init(&P.go, NULL);
	pthread_cond_init(&P.done, NULL);
	P.n = 0;
	P.stop = 0;
	P.left = 0;
}

static void install_hooks(void)
{
	pthread_atfork(NULL, NULL, pool_forget);
}

__attribute__((destructor)) static void pool_fini(void)
{
	if (P.n > 0)
		pool_stop();
}

/* Start workers until there are `want` (fewer if a thread cannot start);
 * called with P.lock held. */
static void pool_grow(int want)
{
	want = want > POOL_MAX ? POOL_MAX : want;
	while (P.n < want) {
		P.args[P.n] = (worker_arg){P.n + 1, P.gen};
		if (pthread_create(&P.th[P.n], NULL, worker_main, &P.args[P.n]) != 0)
			break;
		P.n++;
	}
}

void nlp_parallel(int S, void (*fn)(void *arg, int k, int S), void *arg)
{
	if (S <= 1) {
		fn(arg, 0, 1);
		return;
	}
	if (pthread_mutex_trylock(&P.submit) != 0) {
		for (int k = 0; k < S; k++)
			fn(arg, k, S);
		return;
	}
	pthread_once(&hooks_once, install_hooks);
	pthread_mutex_lock(&P.lock);
	pool_grow(S - 1);
	const int workers = P.n < S - 1 ? P.n : S - 1;
	P.fn = fn;
	P.arg = arg;
	P.S = S;
#ifdef NLP_HAVE_MXCSR
	P.csr = _mm_getcsr();
#endif
	__atomic_store_n(&P.left, (unsigned long)workers, __ATOMIC_RELAXED);
	__atomic_store_n(&P.gen, P.gen + 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&P.go);
	pthread_mutex_unlock(&P.lock);

	fn(arg, 0, S);
	for (int k = workers + 1; k < S; k++)
		fn(arg, k, S);

	spin_while(&P.left, 0, 0);
	pthread_mutex_lock(&P.lock);
	while (__atomic_load_n(&P.left, __ATOMIC_ACQUIRE) > 0)
		pthread_cond_wait(&P.done, &P.lock);
	pthread_mutex_unlock(&P.lock);
	pthread_mutex_unlock(&P.submit);
}
