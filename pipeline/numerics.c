/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* pipeline/numerics.c - process-wide floating-point setup for the neural stages.
 *
 * Denormal numbers appear in backpropagation through time (gradients that
 * shrink step after step); on many x86 CPUs every operation on one takes a
 * slow microcode path and sgemm slows down up to 100x.  nlp_numerics_init()
 * sets flush-to-zero (results that would be denormal become 0) and
 * denormals-are-zero (denormal inputs read as 0) in the MXCSR of the calling
 * thread; threads it creates afterwards inherit it.
 *
 * OpenBLAS (pthreads build) starts its worker threads when it is loaded: for
 * a program linked with it, before main, so they never see the setting
 * (measured here: with OPENBLAS_NUM_THREADS=2 the worker's half of an sgemm
 * result kept its denormals).  The first call therefore also stops OpenBLAS's
 * thread pool; OpenBLAS starts a new one, from the calling thread, at its
 * next parallel call.  The OpenBLAS entry point is a weak reference: nothing
 * happens when OpenBLAS is not loaded yet (its threads will then inherit the
 * setting) or is another BLAS.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cblas.h>

#include "nlpipe/nlpipe.h"

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define NLP_HAVE_MXCSR 1
#endif

#if defined(__GNUC__) && defined(__ELF__)
/* OpenBLAS's own pool shutdown (what its fork handler uses). */
extern void blas_thread_shutdown_(void) __attribute__((weak));
#define NLP_HAVE_WEAK 1
#endif

static pthread_once_t restart_once = PTHREAD_ONCE_INIT;

static void restart_blas_threads(void)
{
#ifdef NLP_HAVE_WEAK
	if (blas_thread_shutdown_)
		blas_thread_shutdown_();
#endif
}

void nlp_numerics_init(void)
{
#ifdef NLP_HAVE_MXCSR
	/* FTZ is bit 15, DAZ bit 6. */
	_mm_setcsr(_mm_getcsr() | 0x8040u);
#endif
	pthread_once(&restart_once, restart_blas_threads);
}

/* OpenBLAS's kernels for CPUs without AVX2 (its names, any case). */
static int generic_kernel(const char *core)
{
	static const char *const slow[] = {"prescott",  "core2",       "penryn",    "dunnington",
	                                   "nehalem",   "atom",        "katmai",    "coppermine",
	                                   "northwood", "banias",      "opteron",   "barcelona",
	                                   "bobcat",    "sandybridge", "bulldozer", "piledriver"};
	for (size_t i = 0; i < sizeof slow / sizeof *slow; i++)
		if (strcasecmp(core, slow[i]) == 0)
			return 1;
	return 0;
}

int nlp_blas_note(char *buf, size_t n)
{
	const char *core = openblas_get_corename();
	int avx2 = 0;

	core = core ? core : "unknown";
#if defined(__x86_64__) && defined(__GNUC__)
	__builtin_cpu_init();
	avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
	if (!avx2 || !generic_kernel(core)) {
		snprintf(buf, n, "%s", core);
		return 0;
	}
	snprintf(buf, n,
	         "OpenBLAS runs its generic '%s' kernel: it does not recognise this CPU, which has "
	         "AVX2 and FMA; OPENBLAS_CORETYPE=Haswell in the environment makes the matrix "
	         "products about 3x faster",
	         core);
	return 1;
}

const char *nlp_int8_kernel(void)
{
	/* NLPIPE_MAX_CPU_ISA (models/gemm.h): a cap skips the kernels before it */
	static const char *const order[] = {"avx512", "avx2", "sse2", "c"};
	const char *cap = getenv("NLPIPE_MAX_CPU_ISA");
	int first = 0;
	for (int i = 0; cap && i < 4; i++)
		if (!strcmp(cap, order[i]))
			first = i;
#if defined(__x86_64__) && defined(__GNUC__)
	__builtin_cpu_init();
	const int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
	if (first == 0 && avx2 && __builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni"))
		return "avx512-vnni";
	if (first <= 1 && avx2)
		return "avx2";
#endif
	(void)first;
	return "c";
}

const char *nlp_bf16_kernel(void)
{
	const char *cap = getenv("NLPIPE_MAX_CPU_ISA");
	if (cap && strcmp(cap, "avx512") != 0)
		return "none";
#if defined(__x86_64__) && defined(__GNUC__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
	    __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16"))
		return "avx512-bf16";
#endif
	return "none";
}
