/* t_util.c - libnlpipe's shared helpers: files written atomically. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nlpipe/nlpipe.h"
#include "tests/tap.h"

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

	snprintf(bad, sizeof bad, "%s/no/such/folder/x", dir);
	is_int(nlp_atomic_open(&a, bad, &err), NLP_EIO, "a missing folder: NLP_EIO");
	like(err.msg, "cannot create a temporary file beside it", "and says so");

	unlink(path);
	rmdir(dir);
	umask(um);
}

int main(void)
{
	test_atomic();
	return done_testing();
}
