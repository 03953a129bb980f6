/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* fuzz_util.c - the fuzz targets' shared set-up: the host, a scratch file
 * (in memory where it can be), paths in the source tree. */
#define _GNU_SOURCE /* memfd_create */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void host_dir(nlp_host *h, const char *top, const char *rel)
{
	char path[4096];
	nlp_err err = {0};

	snprintf(path, sizeof path, "%s/%s", top, rel);
	if (access(path, F_OK) == 0 && nlp_host_add_path(h, path, &err))
		fuzz_fail("%s", err.msg);
}

nlp_host *fuzz_host(int test_modules)
{
	static nlp_host *h;
	nlp_err err = {0};
	const char *build = getenv("NLP_TOP_BUILDDIR");

	if (h)
		return h;
	if (nlp_host_new(&h, &err))
		fuzz_fail("%s", err.msg);
	if (test_modules && build)
		host_dir(h, build, "tests/host/good");
	if (nlp_host_add_default_paths(h, &err) || nlp_host_load_modules(h, &err))
		fuzz_fail("set-up: %s (run through make check or make fuzz)", err.msg);
	return h;
}

/* The scratch file: a memory file (Linux memfd_create, named by
 * /proc/self/fd/N) where there is one, else a file in $TMPDIR.  On disk each
 * input costs a truncate and a write-back (ext4 flushes a truncated file
 * when it is closed): a few hundred executions a second instead of
 * thousands.  Either way the targets read it by its path, as nlpipe does. */
static char scratch[4096];
static int scratch_fd = -1;
static int scratch_on_disk;

static void remove_scratch(void)
{
	if (scratch_on_disk)
		unlink(scratch);
}

static void scratch_open(void)
{
	const char *tmp = getenv("TMPDIR");

#ifdef MFD_CLOEXEC
	scratch_fd = memfd_create("nlpfuzz", MFD_CLOEXEC);
	if (scratch_fd >= 0) {
		snprintf(scratch, sizeof scratch, "/proc/self/fd/%d", scratch_fd);
		if (access(scratch, R_OK) == 0)
			return;
		close(scratch_fd); /* no /proc: a file on disk */
	}
#endif
	snprintf(scratch, sizeof scratch, "%s/nlpfuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	scratch_fd = mkstemp(scratch);
	if (scratch_fd < 0)
		fuzz_fail("cannot make a scratch file in %s", scratch);
	scratch_on_disk = 1;
	atexit(remove_scratch);
}

const char *fuzz_file(const uint8_t *data, size_t size)
{
	size_t done = 0;

	if (scratch_fd < 0)
		scratch_open();
	if (ftruncate(scratch_fd, 0) != 0)
		fuzz_fail("cannot empty the scratch file %s", scratch);
	while (done < size) {
		ssize_t k = pwrite(scratch_fd, data + done, size - done, (off_t)done);
		if (k <= 0)
			fuzz_fail("cannot write the scratch file %s", scratch);
		done += (size_t)k;
	}
	return scratch;
}

const char *fuzz_src_path(const char *rel)
{
	static char path[4096];
	const char *top = getenv("NLP_TOP_SRCDIR");

	snprintf(path, sizeof path, "%s/%s", top && *top ? top : ".", rel);
	return path;
}
