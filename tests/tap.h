/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* tests/tap.h - a tiny TAP producer for nlpipe's tests (header only).
 *
 *     plan(3);
 *     ok(x == 1, "x is one");
 *     is_int(f(2), 4, "f doubles");
 *     is_double(g(), 0.5, 1e-6, "g is a half");
 *     return done_testing();     // non-zero when anything failed
 *
 * Failures print what was got and what was wanted as TAP diagnostics.
 * skip_all("reason") prints "1..0 # SKIP reason" and exits 0.
 */
#ifndef NLP_TAP_H
#define NLP_TAP_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_run_, tap_failed_, tap_planned_ = -1;

static inline void plan(int n)
{
	tap_planned_ = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

static inline void diag(const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 1, 2)))
#endif
        ;
static inline void diag(const char *fmt, ...)
{
	va_list ap;
	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static inline int tap_report_(int pass, const char *name)
{
	tap_run_++;
	if (!pass)
		tap_failed_++;
	printf("%sok %d - %s\n", pass ? "" : "not ", tap_run_, name ? name : "");
	fflush(stdout);
	return pass;
}

static inline int ok(int pass, const char *name)
{
	return tap_report_(pass, name);
}

static inline int is_int(long long got, long long want, const char *name)
{
	int pass = tap_report_(got == want, name);
	if (!pass)
		diag("     got: %lld\n#    want: %lld", got, want);
	return pass;
}

static inline int is_str(const char *got, const char *want, const char *name)
{
	int pass = tap_report_(got && want ? strcmp(got, want) == 0 : got == want, name);
	if (!pass)
		diag("     got: \"%s\"\n#    want: \"%s\"", got ? got : "(null)",
		     want ? want : "(null)");
	return pass;
}

/* Pass when |got - want| <= tol (NaN never passes). */
static inline int is_double(double got, double want, double tol, const char *name)
{
	int pass = tap_report_(fabs(got - want) <= tol, name);
	if (!pass)
		diag("     got: %.9g\n#    want: %.9g (tolerance %.3g, off by %.3g)", got, want,
		     tol, fabs(got - want));
	return pass;
}

/* Pass when haystack contains needle. */
static inline int like(const char *haystack, const char *needle, const char *name)
{
	int pass = tap_report_(haystack && needle && strstr(haystack, needle) != NULL, name);
	if (!pass)
		diag("     got: \"%s\"\n#    want it to contain: \"%s\"",
		     haystack ? haystack : "(null)", needle ? needle : "(null)");
	return pass;
}

static inline void skip(int n, const char *why)
{
	for (int i = 0; i < n; i++) {
		tap_run_++;
		printf("ok %d # SKIP %s\n", tap_run_, why);
	}
	fflush(stdout);
}

static inline void skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	fflush(stdout);
	exit(0);
}

/* Call at the end of main: reports a plan mismatch and returns the exit code. */
static inline int done_testing(void)
{
	if (tap_planned_ < 0)
		printf("1..%d\n", tap_run_);
	else if (tap_planned_ != tap_run_) {
		diag("planned %d tests but ran %d", tap_planned_, tap_run_);
		return 1;
	}
	if (tap_failed_)
		diag("failed %d of %d tests", tap_failed_, tap_run_);
	return tap_failed_ ? 1 : 0;
}

#endif /* NLP_TAP_H */
