# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# pipeline/: libnlpipe, the host: module loader, INI files, options,
# pipelines, model files, readers, metrics, optimizers, the runner, the
# classifier and the trainer.  The program is in
# cli/local.mk.
lib_LTLIBRARIES += libnlpipe.la
libnlpipe_la_SOURCES = \
	pipeline/internal.h \
	pipeline/util.c \
	pipeline/msgs.c \
	pipeline/ini.c \
	pipeline/config.c \
	pipeline/host.c \
	pipeline/pipeline.c \
	pipeline/model.c \
	pipeline/quantize.c \
	pipeline/reader.c \
	pipeline/metrics.c \
	pipeline/report.c \
	pipeline/metrics_multi.c \
	pipeline/optim.c \
	pipeline/numerics.c \
	pipeline/parallel.c \
	pipeline/runner.c \
	pipeline/classifier.c \
	pipeline/dataset.h \
	pipeline/dataset.c \
	pipeline/spill.h \
	pipeline/spill.c \
	pipeline/trainer.c \
	pipeline/ensemble.h \
	pipeline/ensemble.c \
	pipeline/finetune.h \
	pipeline/finetune.c \
	pipeline/lm.c \
	pipeline/seq2seq.c \
	pipeline/tune_space.c \
	pipeline/tune.c
# -fno-math-errno lets sqrtf vectorize (the optimizer's loops); nothing here
# reads errno after a math function.
libnlpipe_la_CFLAGS = $(AM_CFLAGS) $(INIH_CFLAGS) $(UTF8PROC_CFLAGS) $(ZLIB_CFLAGS) $(OPENBLAS_CFLAGS) \
	-fno-math-errno $(NLP_VECT_CFLAGS)
libnlpipe_la_LIBADD = $(LTDL_LIBS) $(INIH_LIBS) $(UTF8PROC_LIBS) $(ZLIB_LIBS) $(OPENBLAS_LIBS) \
	$(PTHREAD_LIBS) -lm
libnlpipe_la_LDFLAGS = -version-info $(NLP_LT_VERSION) -no-undefined \
	-export-symbols-regex '^nlp_'

nlpipeincdir = $(includedir)/nlpipe
nlpipeinc_HEADERS = \
	pipeline/nlpipe/nlpipe.h \
	pipeline/nlpipe/model.h \
	pipeline/nlpipe/reader.h \
	pipeline/nlpipe/metrics.h \
	pipeline/nlpipe/metrics_multi.h \
	pipeline/nlpipe/optim.h \
	pipeline/nlpipe/runner.h \
	pipeline/nlpipe/classifier.h \
	pipeline/nlpipe/trainer.h \
	pipeline/nlpipe/finetune.h \
	pipeline/nlpipe/lm.h \
	pipeline/nlpipe/seq2seq.h \
	pipeline/nlpipe/tune.h \
	plugins/nlpipe/plugin.h \
	plugins/nlpipe/train.h

dist_doc_DATA += docs/model-format.md

# ---- Tests of the library ----

# Model files (tests/format/).
# The container layer: round trips, truncation at every offset, seeded bit
# flips, wrong magic, newer versions, atomic writes.
check_PROGRAMS += tests/format/t_container
TESTS += tests/format/t_container
tests_format_t_container_LDADD = libnlpipe.la $(ZLIB_LIBS)
tests_format_t_container_CFLAGS = $(AM_CFLAGS) $(ZLIB_CFLAGS)

# A test module with a trainable embedding (vocabulary state) and head.
check_LTLIBRARIES += tests/format/mods/toy.la
tests_format_mods_toy_la_SOURCES = tests/format/mod_toy.c
tests_format_mods_toy_la_LDFLAGS = -module -avoid-version -no-undefined -shared -rpath /nowhere
tests_format_mods_toy_la_LIBADD = libnlpipe.la -lm

# Whole pipelines through the model file.
check_PROGRAMS += tests/format/t_model
TESTS += tests/format/t_model
tests_format_t_model_LDADD = libnlpipe.la

# nlpipe inspect MODEL
TESTS += tests/format/t_inspect.sh
EXTRA_DIST += tests/format/t_inspect.sh

# The built-in stages (text, nn, rnn modules) through a model file.
check_PROGRAMS += tests/format/t_model_real
TESTS += tests/format/t_model_real
tests_format_t_model_real_LDADD = libnlpipe.la -lm
noinst_HEADERS += tests/format/files.h

# nlp_model_quantize and the int8 sections (nlpipe quantize).
check_PROGRAMS += tests/format/t_quantize
TESTS += tests/format/t_quantize
tests_format_t_quantize_LDADD = libnlpipe.la -lm
EXTRA_DIST += tests/format/q8-src.nlpm

# Metrics.
# Hand-computed cases (perfect, all wrong, ties, a class never predicted,
# multi-class) and random cases checked against an independent Python
# implementation (tests/metrics/gen_fixtures.py writes fixtures.h; make check
# does not need Python).
check_PROGRAMS += tests/metrics/t_metrics
TESTS += tests/metrics/t_metrics
tests_metrics_t_metrics_SOURCES = tests/metrics/t_metrics.c tests/metrics/fixtures.h \
	tests/metrics/ranking.h
tests_metrics_t_metrics_LDADD = libnlpipe.la -lm
EXTRA_DIST += tests/metrics/gen_fixtures.py tests/metrics/gen_ranking.py
