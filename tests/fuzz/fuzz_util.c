/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* fuzz_util.c - the fuzz targets' shared set-up: the host, a scratch file,
 * paths in the source tree. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static char scratch[4096];

static void remove_scratch(void)
{
	if (scratch[0])
		unlink(scratch);
}

const char *fuzz_file(const uint8_t *data, size_t size)
{
	static FILE *f;

	if (!f) {
		const char *tmp = getenv("TMPDIR");
		int fd;
		snprintf(scratch, sizeof scratch, "%s/nlpfuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		fd = mkstemp(scratch);
		if (fd < 0 || !(f = fdopen(fd, "w")))
			fuzz_fail("cannot make a scratch file in %s", scratch);
		atexit(remove_scratch);
	}
	if (fseek(f, 0, SEEK_SET) || ftruncate(fileno(f), 0) ||
	    (size && fwrite(data, 1, size, f) != size) || fflush(f))
		fuzz_fail("cannot write the scratch file %s", scratch);
	return scratch;
}

const char *fuzz_src_path(const char *rel)
{
	static char path[4096];
	const char *top = getenv("NLP_TOP_SRCDIR");

	snprintf(path, sizeof path, "%s/%s", top && *top ? top : ".", rel);
	return path;
}
