/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026, the nlpipe authors */
/* fuzz.h - what the fuzz targets share (tests/fuzz/): each target defines
 * LLVMFuzzerTestOneInput; libFuzzer drives it in a build configured with
 * --enable-fuzzing, and replay.c feeds it the committed corpus in every
 * build (make check). */
#ifndef NLP_FUZZ_H
#define NLP_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "nlpipe/nlpipe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The host every target uses: the build's modules (NLPIPE_PLUGIN_PATH), and
 * with test_modules also tests/host/good of the build tree.  Made once;
 * aborts when the environment has no modules (a set-up error, not a
 * finding). */
nlp_host *fuzz_host(int test_modules);
/* Write data to the target's scratch file and return its path: a memory
 * file (/proc/self/fd/N) on Linux, else a file made once in $TMPDIR and
 * removed at exit. */
const char *fuzz_file(const uint8_t *data, size_t size);
/* A file of the source tree: $NLP_TOP_SRCDIR/rel (or ./rel). */
const char *fuzz_src_path(const char *rel);
/* Report a broken invariant with the input's context and abort (libFuzzer
 * saves the input as a crash). */
void fuzz_fail(const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 1, 2), noreturn))
#endif
        ;

#endif
