/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* t_util.c - libnlpipe's shared helpers: JSON strings, files written
 * atomically. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nlpipe/nlpipe.h"
#include "tests/tap.h"

static int put_buf(void *user, const char *p, size_t n)
{
	return nlp_buf_put(user, p, n);
}

/* nlp_json_string of s[0..n) as a C string (static buffer). */
static const char *json(const char *s, size_t n)
{
	static char out[256];
	nlp_buf b = {0};

	nlp_json_string(s, n, put_buf, &b);
	snprintf(out, sizeof out, "%.*s", (int)b.len, (const char *)b.data);
	free(b.data);
	return out;
}

static void test_json(void)
{
	static const struct {
		const char *in;
		size_t n; /* 0: strlen */
		const char *want;
		const char *name;
	} cases[] = {
	        {"", 0, "\"\"", "empty"},
	        {"plain text", 0, "\"plain text\"", "ASCII as it is"},
	        {"a \"q\" \\ b", 0, "\"a \\\"q\\\" \\\\ b\"", "quote and backslash"},
	        {"l1\nl2\tx", 0, "\"l1\\nl2\\tx\"", "newline and TAB: short forms"},
	        {"\r\x01\x1f", 0, "\"\\u000d\\u0001\\u001f\"", "other controls: \\u00XX"},
	        {"nul\0x", 5, "\"nul\\u0000x\"", "NUL inside a counted string"},
	        {"del\x7f", 0, "\"del\x7f\"", "DEL needs no escape"},
	        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 0,
	         "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", "valid UTF-8 as it is"},
	        {"caf\xe9!", 0, "\"caf\xef\xbf\xbd!\"", "a Latin-1 byte: U+FFFD"},
	        {"\xc0\xaf", 0, "\"\xef\xbf\xbd\xef\xbf\xbd\"", "overlong: one U+FFFD a byte"},
	        {"\xe0\x80\x80", 0, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"", "overlong 3 bytes"},
	        {"\xed\xa0\x80", 0, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"", "a surrogate"},
	        {"\xf4\x90\x80\x80", 0, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"",
	         "above U+10FFFF"},
	        {"ab\xe2\x82", 0, "\"ab\xef\xbf\xbd\xef\xbf\xbd\"", "truncated at the end"},
	        {"\xe2\x82\xac", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"", "cut by the length"},
	        {"x\x80y", 0, "\"x\xef\xbf\xbdy\"", "a lone continuation byte"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		size_t n = cases[i].n ? cases[i].n : strlen(cases[i].in);
		is_str(json(cases[i].in, n), cases[i].want, cases[i].name);
	}
	{
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		nlp_json_fputs(f, "a\"\n\xff");
		nlp_json_fputs(f, NULL);
		fclose(f);
		is_str(text, "\"a\\\"\\n\xef\xbf\xbd\"\"\"", "nlp_json_fputs, NULL as \"\"");
		free(text);
	}
}

static char *slurp(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Files in dir (not . and ..). */
static int count_files(const char *dir)
{
	char cmd[512];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
	if ((p = popen(cmd, "r"))) {
		if (fscanf(p, "%d", &n) != 1)
			n = -1;
		pclose(p);
	}
	return n;
}

static void test_atomic(void)
{
	char dir[] = "/tmp/nlp_t_util.XXXXXX", path[256], bad[300];
	nlp_atomic_file a;
	nlp_err err = {0};
	const char *got;
	struct stat st;
	mode_t um = umask(022);

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof path, "%s/out.txt", dir);
	ok(nlp_atomic_open(&a, path, &err) == NLP_OK && a.f && a.tmp, "open");
	fputs("first", a.f);
	ok(access(path, F_OK) != 0, "the target does not exist before the commit");
	ok(nlp_atomic_commit(&a, &err) == NLP_OK && !a.f && !a.tmp && !a.path, "commit");
	got = slurp(path);
	is_str(got ? got : "(none)", "first", "the target holds what was written");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644, "mode 0666 less the umask");
	is_int(count_files(dir), 1, "no temporary file left");

	ok(nlp_atomic_open(&a, path, &err) == NLP_OK, "open again");
	fputs("second", a.f);
	nlp_atomic_abort(&a);
	got = slurp(path);
	is_str(got ? got : "(none)", "first", "abort leaves the target as it was");
	is_int(count_files(dir), 1, "and removes the temporary file");
	nlp_atomic_abort(&a); /* released: a no-op */

	/* Temporary files of writes killed before they ended (their process is
	 * gone) are removed by the next write of the same target; a live
	 * process's, and another target's, are left alone. */
	{
		char dead[300], live[300], other[300];
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		waitpid(pid, NULL, 0);
		snprintf(dead, sizeof dead, "%s.tmp.%ld.1a2b3c", path, (long)pid);
		snprintf(live, sizeof live, "%s.tmp.%ld.4d5e6f", path, (long)getpid());
		snprintf(other, sizeof other, "%s/other.tmp.%ld.1a2b3c", dir, (long)pid);
		fclose(fopen(dead, "w"));
		fclose(fopen(live, "w"));
		fclose(fopen(other, "w"));
		ok(nlp_atomic_open(&a, path, &err) == NLP_OK, "open with leftovers beside");
		nlp_atomic_abort(&a);
		ok(access(dead, F_OK) != 0, "a dead writer's temporary file is removed");
		ok(access(live, F_OK) == 0, "a live writer's is kept");
		ok(access(other, F_OK) == 0, "another target's is kept");
		unlink(live);
		unlink(other);
	}

	snprintf(bad, sizeof bad, "%s/no/such/folder/x", dir);
	is_int(nlp_atomic_open(&a, bad, &err), NLP_EIO, "a missing folder: NLP_EIO");
	like(err.msg, "cannot create a temporary file beside it", "and says so");

	unlink(path);
	rmdir(dir);
	umask(um);
}

/* nlp_grow doubles (contents kept), nlp_grow_exact sizes to n; both
 * allocate for a NULL array and refuse a size that overflows. */
static void test_grow(void)
{
	int *a = NULL;
	size_t cap = 0;
	int good = 1;

	is_int(nlp_grow(&a, &cap, 0, sizeof *a), NLP_OK, "nlp_grow of a NULL array to 0");
	ok(a != NULL && cap == 16, "allocates the first 16");
	for (int i = 0; i < 1000; i++) {
		good &= nlp_grow(&a, &cap, (size_t)i + 1, sizeof *a) == NLP_OK;
		a[i] = i;
	}
	for (int i = 0; i < 1000; i++)
		good &= a[i] == i;
	ok(good && cap == 1024, "1,000 appends: contents kept, capacity doubled to 1,024");
	is_int(nlp_grow(&a, &cap, SIZE_MAX / 2, sizeof *a), NLP_ENOMEM,
	       "a size that overflows: NLP_ENOMEM");
	ok(cap == 1024 && a[999] == 999, "and the array is unchanged");
	free(a);

	float *w = NULL;
	cap = 0;
	is_int(nlp_grow_exact(&w, &cap, 0, sizeof *w), NLP_OK,
	       "nlp_grow_exact of a NULL array to 0");
	ok(w != NULL && cap == 1, "allocates one element");
	nlp_grow_exact(&w, &cap, 1000, sizeof *w);
	ok(cap == 1000, "grows to exactly 1,000");
	w[999] = 1.5f;
	nlp_grow_exact(&w, &cap, 10, sizeof *w);
	ok(cap == 1000 && w[999] == 1.5f, "a smaller need keeps the array");
	free(w);
}

/* nlp_zeros: zeros, and every page of a large buffer resident at once
 * (mincore), where a plain calloc leaves them unmapped. */
static void test_zeros(void)
{
	const size_t n = (size_t)3 << 20; /* 12 MiB: far above malloc's mmap threshold */
	const long page = sysconf(_SC_PAGESIZE);
	float *z = nlp_zeros(0), *big = nlp_zeros(n);
	int zero = big != NULL, resident = 0;

	ok(z != NULL, "nlp_zeros(0) gives a buffer that free() takes");
	free(z);
	if (big) {
		uintptr_t lo = (uintptr_t)big & ~(uintptr_t)(page - 1);
		uintptr_t hi = (uintptr_t)(big + n);
		size_t pages = (hi - lo + (size_t)page - 1) / (size_t)page;
		unsigned char *vec = malloc(pages);
		resident = vec && mincore((void *)lo, hi - lo, vec) == 0;
		for (size_t i = 0; resident && i < pages; i++)
			resident &= vec[i] & 1;
		free(vec);
	}
	ok(resident, "every page of it is resident before it is read or written");
	for (size_t i = 0; big && i < n; i += 997)
		zero &= big[i] == 0.0f;
	ok(zero && big && big[n - 1] == 0.0f, "nlp_zeros of 3M floats: all zero");
	free(big);
}

int main(void)
{
	test_json();
	test_atomic();
	test_grow();
	test_zeros();
	return done_testing();
}
