/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* failalloc.c - an LD_PRELOAD shim for fault injection (tests/fault/):
 *
 *   NLP_FAIL_ALLOC=N      the Nth allocation made by nlpipe's own code
 *                         (the program, libnlpipe, the modules) fails
 *                         (malloc, calloc, realloc, posix_memalign,
 *                         aligned_alloc return NULL, errno ENOMEM); 0: none
 *   NLP_FAIL_COUNT=FILE   at exit, write the number of such allocations
 *   NLP_FAIL_READ=K       read() called by nlpipe's code returns at most K
 *                         bytes a call, and every other call fails first
 *                         with EINTR (stdio's reads are the C library's own,
 *                         so this reaches the reader's whole-file reads)
 *
 * Why a preloaded shim rather than ld --wrap: --wrap only renames the calls
 * of the objects it links, and nlpipe allocates from a shared library and
 * from modules opened at run time; a preloaded malloc sees every call of the
 * process, so the shim counts only those whose caller is nlpipe's (dladdr
 * of the return address), leaving the C library, OpenBLAS, libltdl and
 * utf8proc alone (they are not nlpipe's to fix).  Under AddressSanitizer run
 * it with ASAN_OPTIONS=verify_asan_link_order=0: it then forwards to ASan's
 * allocator, and leaks are still found. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static ssize_t (*real_read)(int, void *, size_t);
static void (*real_free)(void *);

static unsigned long fail_at, count;
static long read_max;
static int ready, in_init;

/* dlsym may allocate before the real functions are known: from here. */
static char boot[8192];
static size_t boot_used;

static void *boot_alloc(size_t n)
{
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (boot_used + n > sizeof boot)
		return NULL;
	p = boot + boot_used;
	boot_used += n;
	return p;
}

static int from_boot(const void *p)
{
	return (const char *)p >= boot && (const char *)p < boot + sizeof boot;
}

static void init(void)
{
	const char *s;

	if (ready || in_init)
		return;
	in_init = 1;
	real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
	real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	real_posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
	real_aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
	real_read = (ssize_t(*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
	real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	s = getenv("NLP_FAIL_ALLOC");
	fail_at = s ? strtoul(s, NULL, 10) : 0;
	s = getenv("NLP_FAIL_READ");
	read_max = s ? atol(s) : 0;
	in_init = 0;
	ready = 1;
}

/* 1 when the allocation called from caller is nlpipe's. */
static int ours(const void *caller)
{
	static const void *base[64];
	static signed char mine[64];
	Dl_info info;
	size_t slot;

	if (!dladdr(caller, &info) || !info.dli_fname)
		return 0;
	slot = ((size_t)info.dli_fbase >> 12) % 64;
	if (base[slot] != info.dli_fbase) {
		const char *f = info.dli_fname, *b = strrchr(f, '/');
		b = b ? b + 1 : f;
		base[slot] = info.dli_fbase;
		mine[slot] = strstr(b, "libnlpipe") || strcmp(b, "nlpipe") == 0 ||
		             strcmp(b, "lt-nlpipe") == 0 || strstr(f, "/plugins/") != NULL;
	}
	return mine[slot];
}

/* 1 when this allocation must fail. */
static int fail_now(const void *caller)
{
	if (!ready || !ours(caller))
		return 0;
	count++;
	if (fail_at && count == fail_at) {
		errno = ENOMEM;
		return 1;
	}
	return 0;
}

void *malloc(size_t n)
{
	if (!ready) {
		init();
		if (!real_malloc)
			return boot_alloc(n);
	}
	if (fail_now(__builtin_return_address(0)))
		return NULL;
	return real_malloc(n);
}

void *calloc(size_t k, size_t n)
{
	if (!ready) {
		init();
		if (!real_calloc)
			return boot_alloc(k * n); /* boot is zero */
	}
	if (fail_now(__builtin_return_address(0)))
		return NULL;
	return real_calloc(k, n);
}

void *realloc(void *p, size_t n)
{
	if (!ready)
		init();
	if (from_boot(p)) {
		size_t left = (size_t)(boot + sizeof boot - (char *)p);
		void *q = malloc(n);
		if (q)
			memcpy(q, p, n < left ? n : left);
		return q;
	}
	if (fail_now(__builtin_return_address(0)))
		return NULL;
	return real_realloc(p, n);
}

void free(void *p)
{
	if (!p || from_boot(p))
		return;
	if (!real_free)
		init();
	if (real_free) /* else: freed while the shim starts; left */
		real_free(p);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	init();
	if (fail_now(__builtin_return_address(0)))
		return ENOMEM;
	return real_posix_memalign(out, align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
	init();
	if (fail_now(__builtin_return_address(0)))
		return NULL;
	return real_aligned_alloc(align, n);
}

ssize_t read(int fd, void *buf, size_t n)
{
	static unsigned long calls;

	init();
	if (read_max > 0 && fd > 2 && ours(__builtin_return_address(0))) {
		if (calls++ % 2 == 0) {
			errno = EINTR;
			return -1;
		}
		if (n > (size_t)read_max)
			n = (size_t)read_max;
	}
	return real_read(fd, buf, n);
}

__attribute__((destructor)) static void report(void)
{
	const char *path = getenv("NLP_FAIL_COUNT");
	FILE *f;

	if (path && (f = fopen(path, "w"))) {
		fprintf(f, "%lu\n", count);
		fclose(f);
	}
}
