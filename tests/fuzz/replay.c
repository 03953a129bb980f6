/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* replay.c - make check's side of the fuzz targets: feed every file of
 * tests/fuzz/corpus/TARGET/ (seeds and every input that ever crashed) to
 * the target's LLVMFuzzerTestOneInput, in name order.  A regression crashes
 * (or, under the sanitizers, is reported); a clean pass is one TAP line a
 * file.  Built for every compiler: no libFuzzer needed. */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "tests/tap.h"

#ifndef FUZZ_TARGET
#error "build with -DFUZZ_TARGET=\"name\""
#endif

static void bail_out(const char *what, const char *dir)
{
	printf("Bail out! %s %s\n", what, dir);
	exit(1);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *d = NULL;
	long len;

	*n = 0;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (d = malloc((size_t)len + 1)) && fread(d, 1, (size_t)len, f) == (size_t)len)
		*n = (size_t)len;
	else {
		free(d);
		d = NULL;
	}
	fclose(f);
	return d;
}

int main(void)
{
	char dir[4096], path[8192];
	char **names = NULL;
	size_t n = 0;
	DIR *d;
	struct dirent *e;

	snprintf(dir, sizeof dir, "%s", fuzz_src_path("tests/fuzz/corpus/" FUZZ_TARGET));
	if (!(d = opendir(dir)))
		bail_out("cannot read the corpus folder", dir);
	while ((e = readdir(d))) {
		char **v;
		if (e->d_name[0] == '.')
			continue;
		if (!(v = realloc(names, (n + 1) * sizeof *v)) || !(v[n] = strdup(e->d_name)))
			bail_out("out of memory reading", dir);
		names = v;
		n++;
	}
	closedir(d);
	if (n == 0)
		bail_out("no input in the corpus folder", dir);
	qsort(names, n, sizeof *names, cmp_name);
	plan((int)n);
	for (size_t i = 0; i < n; i++) {
		char name[512];
		size_t len;
		unsigned char *data;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		data = slurp(path, &len);
		if (data)
			LLVMFuzzerTestOneInput(data, len);
		snprintf(name, sizeof name, "%s (%zu bytes) replayed", names[i], len);
		ok(data != NULL, name);
		free(data);
		free(names[i]);
	}
	free(names);
	return done_testing();
}
