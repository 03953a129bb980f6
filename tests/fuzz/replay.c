/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* replay.c - make check's side of the fuzz targets: feed the committed
 * corpus of tests/fuzz/corpus/TARGET/ to the target's LLVMFuzzerTestOneInput,
 * in name order.  The folder's own files (seeds and every input that ever
 * crashed) are one TAP line each; its found/ folder (what fuzzing campaigns
 * kept, minimised with libFuzzer's -merge=1: see docs/fuzzing.md) is one
 * line for all.  A regression crashes (or, under the sanitizers, is
 * reported), and the input's name is printed first.  Built for every
 * compiler: no libFuzzer needed. */
#include "config.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* The input being replayed, named on a crash (SIGSEGV, or the sanitizers'
 * SIGABRT) before the default action runs. */
static char current[8192];

static void on_crash(int sig)
{
	static const char what[] = "# crashed on ";
	if (write(2, what, sizeof what - 1) >= 0 && write(2, current, strlen(current)) >= 0)
		(void)!write(2, "\n", 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The names of the regular files of dir, sorted; *n = 0 when it has none
 * or does not exist (missing_ok), else a bail-out. */
static char **list_files(const char *dir, size_t *n, int missing_ok)
{
	char **names = NULL, path[8192];
	DIR *d;
	struct dirent *e;
	struct stat st;

	*n = 0;
	if (!(d = opendir(dir))) {
		if (missing_ok)
			return NULL;
		bail_out("cannot read the corpus folder", dir);
	}
	while ((e = readdir(d))) {
		char **v;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (e->d_name[0] == '.' || stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		if (!(v = realloc(names, (*n + 1) * sizeof *v)) || !(v[*n] = strdup(e->d_name)))
			bail_out("out of memory reading", dir);
		names = v;
		(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(names, *n, sizeof *names, cmp_name);
	return names;
}

/* Replay one file; 0 when it could not be read. */
static int replay(const char *dir, const char *name, size_t *len)
{
	unsigned char *data;

	snprintf(current, sizeof current, "%s/%s", dir, name);
	data = slurp(current, len);
	if (data)
		LLVMFuzzerTestOneInput(data, *len);
	free(data);
	return data != NULL;
}

int main(void)
{
	char dir[4096], found[4200], name[512];
	size_t n, nf, len, bad = 0, bytes = 0;
	char **names, **more;

	signal(SIGSEGV, on_crash);
	signal(SIGABRT, on_crash);
	snprintf(dir, sizeof dir, "%s", fuzz_src_path("tests/fuzz/corpus/" FUZZ_TARGET));
	snprintf(found, sizeof found, "%s/found", dir);
	names = list_files(dir, &n, 0);
	more = list_files(found, &nf, 1);
	if (n == 0)
		bail_out("no input in the corpus folder", dir);
	plan((int)n + (nf > 0));
	for (size_t i = 0; i < n; i++) {
		const int read = replay(dir, names[i], &len);
		snprintf(name, sizeof name, "%s (%zu bytes) replayed", names[i], len);
		ok(read, name);
		free(names[i]);
	}
	for (size_t i = 0; i < nf; i++) {
		bad += !replay(found, more[i], &len);
		bytes += len;
		free(more[i]);
	}
	if (nf) {
		snprintf(name, sizeof name,
		         "found/: %zu inputs (%zu bytes) replayed, %zu unreadable", nf, bytes, bad);
		ok(bad == 0, name);
	}
	free(names);
	free(more);
	return done_testing();
}
