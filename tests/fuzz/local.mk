# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# tests/fuzz/: fuzz targets (libFuzzer entry points) and their corpora.
# Every build replays the committed corpus of each target through the same
# LLVMFuzzerTestOneInput (tests/fuzz/r_TARGET, in make check); a build
# configured with --enable-fuzzing (clang) also builds the libFuzzer
# programs tests/fuzz/fuzz_TARGET, and `make fuzz` runs each for FUZZ_TIME
# seconds, keeping what it finds in fuzz-out/TARGET/.
FUZZ_TARGETS = ini model reader predict
FUZZ_TIME = 60
FUZZ_COMMON = tests/fuzz/fuzz.h tests/fuzz/fuzz_util.c
FUZZ_LIBS = libnlpipe.la $(UTF8PROC_LIBS) $(ZLIB_LIBS)

check_PROGRAMS += tests/fuzz/r_ini tests/fuzz/r_model tests/fuzz/r_reader tests/fuzz/r_predict
TESTS += tests/fuzz/r_ini tests/fuzz/r_model tests/fuzz/r_reader tests/fuzz/r_predict
tests_fuzz_r_ini_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_ini.c $(FUZZ_COMMON)
tests_fuzz_r_ini_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_TARGET='"ini"'
tests_fuzz_r_ini_LDADD = $(FUZZ_LIBS)
tests_fuzz_r_model_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_model.c $(FUZZ_COMMON)
tests_fuzz_r_model_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_TARGET='"model"'
tests_fuzz_r_model_LDADD = $(FUZZ_LIBS)
tests_fuzz_r_reader_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_reader.c $(FUZZ_COMMON)
tests_fuzz_r_reader_CPPFLAGS = $(AM_CPPFLAGS) $(UTF8PROC_CFLAGS) -DFUZZ_TARGET='"reader"'
tests_fuzz_r_reader_LDADD = $(FUZZ_LIBS)
tests_fuzz_r_predict_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_predict.c $(FUZZ_COMMON)
tests_fuzz_r_predict_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_TARGET='"predict"'
tests_fuzz_r_predict_LDADD = $(FUZZ_LIBS)
EXTRA_DIST += tests/fuzz/corpus tests/fuzz/tiny.nlpm tests/fuzz/tiny.ini

FUZZ_PROGS = tests/fuzz/fuzz_ini tests/fuzz/fuzz_model tests/fuzz/fuzz_reader \
	tests/fuzz/fuzz_predict
if NLP_FUZZING
noinst_PROGRAMS = $(FUZZ_PROGS)
tests_fuzz_fuzz_ini_SOURCES = tests/fuzz/fuzz_ini.c $(FUZZ_COMMON)
tests_fuzz_fuzz_ini_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_fuzz_ini_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_model_SOURCES = tests/fuzz/fuzz_model.c $(FUZZ_COMMON)
tests_fuzz_fuzz_model_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_fuzz_model_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_reader_SOURCES = tests/fuzz/fuzz_reader.c $(FUZZ_COMMON)
tests_fuzz_fuzz_reader_CPPFLAGS = $(AM_CPPFLAGS) $(UTF8PROC_CFLAGS)
tests_fuzz_fuzz_reader_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_fuzz_reader_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_predict_SOURCES = tests/fuzz/fuzz_predict.c $(FUZZ_COMMON)
tests_fuzz_fuzz_predict_LDFLAGS = -fsanitize=fuzzer
tests_fuzz_fuzz_predict_LDADD = $(FUZZ_LIBS)

# make fuzz [FUZZ_TIME=seconds] [FUZZ_FLAGS=...]: each target in turn, one
# job, starting from the committed corpus; new inputs go to
# fuzz-out/TARGET/corpus, crashes to fuzz-out/TARGET/.
fuzz: $(FUZZ_PROGS) $(plugins_LTLIBRARIES) $(check_LTLIBRARIES)
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz-out/$$t/corpus; \
	  echo "== fuzz_$$t for $(FUZZ_TIME) s"; \
	  $(AM_TESTS_ENVIRONMENT) \
	  tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_TIME) -rss_limit_mb=2048 \
	    -artifact_prefix=fuzz-out/$$t/ $(FUZZ_FLAGS) \
	    fuzz-out/$$t/corpus $(srcdir)/tests/fuzz/corpus/$$t; \
	done
else
fuzz:
	@echo "make fuzz: configure with --enable-fuzzing CC=clang first (libFuzzer)" >&2; exit 1
endif
.PHONY: fuzz
