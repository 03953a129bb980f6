# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# tests/: TAP tests (tests/tap.h).  Each area registers its own tests in its
# local.mk; this part tests the host: loading, refusing, the INI format.
noinst_HEADERS += tests/tap.h
EXTRA_DIST += tests/tap.sh

# Test modules, each in the folder a test points the search path at.
NLP_TEST_MODULE_FLAGS = -module -avoid-version -no-undefined -shared -rpath /nowhere
check_LTLIBRARIES += tests/host/good/good.la \
	tests/host/bad/badabi.la tests/host/bad/newminor.la tests/host/bad/nodesc.la \
	tests/host/bad/dup.la tests/host/bad/misnamed.la tests/host/bad/badinit.la \
	tests/host/bad/smalldesc.la tests/host/bad/bigdesc.la tests/host/bad/resdesc.la \
	tests/host/bad/smallops.la tests/host/crash/crashinit.la \
	tests/host/order1/order.la tests/host/order2/order.la \
	tests/host/old/old24.la
tests_host_good_good_la_SOURCES = tests/host/mod_good.c
tests_host_good_good_la_LDFLAGS = $(NLP_TEST_MODULE_FLAGS)
tests_host_good_good_la_LIBADD = libnlpipe.la
tests_host_bad_badabi_la_SOURCES = tests/host/mod_bad.c
tests_host_bad_badabi_la_CPPFLAGS = $(AM_CPPFLAGS) -DBAD_ABI_MAJOR
tests_host_bad_badabi_la_LDFLAGS = $(NLP_TEST_MODULE_FLAGS)
tests_host_bad_badabi_la_LIBADD = libnlpipe.la
tests_host_bad_newminor_la_SOURCES = tests/host/mod_bad.c
tests_host_bad_newminor_la_CPPFLAGS = $(AM_CPPFLAGS) -DBAD_ABI_MINOR
tests_host_bad_newminor_la_LDFLAGS = $(NLP_TEST_MODULE_FLAGS)
tests_host_bad_newminor_la_LIBADD = libnlpipe.la
tests_host_bad_nodesc_la_SOURCES = tests/host/mod_bad.c
tests_host_bad_nodesc_la_CPPFLAGS = $(AM_CPPFLAGS) -DBAD_NO_DESCRIPTOR
tests_host_bad_nodesc_la_LDFLAGS = $(NLP_TEST_MODULE_FLAGS)
tests_host_bad_nodesc_la_LIBADD = libnlpipe.la
tests_host_bad_dup_la_SOURCES = tests/host/mod_bad.c
tests_host_bad_dup_la_CPPFLAGS = $(AM_CPPFLAGS) -DBAD_DUPLICATE
tests_host_bad_dup_la_LDFLAGS = $(NLP_TEST_MODULE_FLAGS)
tests_host_bad_dup_la_LIBADD = libnlpipe.la
tests_host_bad_misnamed_la_SOURCES = tests/host/mod_bad.c
tests_host_bad_misnamed_la_CPPFLAGS = $(AM_CPPFLAGS) -DBAD_NAME
tests_host_bad_misnamed_la_LDFLAGS = $(NLP_TEST_MODULE_FLAGS)
tests_host_bad_misnamed_la_LIBADD = libnlpipe.la
tests_host_bad_badinit_la_SOURCES = tests/host/mod_bad.c
tests_host_bad_badinit_la_CPPFLAGS = $(AM_CPPFLAGS) -DBAD_INIT
tests_host_bad_badinit_la_LDFLAGS = $(NLP_TEST_MODULE_FLAGS)
tests_host_bad_badinit_la_LIBADD = libnlpipe.la
tests_host_bad_smalldesc_la_SOURCES = tests/host/mod_bad.c
tests_host_bad_smalldesc_la_CPPFLAGS = $(AM_CPPFLAGS) -DBAD_DESC_SMALL
tests_host_bad_smalldesc_la_LDFLAGS = $(NLP_TEST_MODULE_FLAGS)
tests_host_bad_smalldesc_la_LIBADD = libnlpipe.la
tests_host_bad_bigdesc_la_SOURCES = tests/host/mod_bad.c
tests_host_bad_bigdesc_la_CPPFLAGS = $(AM_CPPFLAGS) -DBAD_DESC_LARGE
tests_host_bad_bigdesc_la_LDFLAGS = $(NLP_TEST_MODULE_FLAGS)
tests_host_bad_bigdesc_la_LIBADD = libnlpipe.la
tests_host_bad_resdesc_la_SOURCES = tests/host/mod_bad.c
tests_host_bad_resdesc_la_CPPFLAGS = $(AM_CPPFLAGS) -DBAD_DESC_RESERVED
tests_host_bad_resdesc_la_LDFLAGS = $(NLP_TEST_MODULE_FLAGS)
tests_host_bad_resdesc_la_LIBADD = libnlpipe.la
tests_host_bad_smallops_la_SOURCES = tests/host/mod_bad.c
tests_host_bad_smallops_la_CPPFLAGS = $(AM_CPPFLAGS) -DBAD_TRAIN_SIZE
tests_host_bad_smallops_la_LDFLAGS = $(NLP_TEST_MODULE_FLAGS)
tests_host_bad_smallops_la_LIBADD = libnlpipe.la
tests_host_crash_crashinit_la_SOURCES = tests/host/mod_bad.c
tests_host_crash_crashinit_la_CPPFLAGS = $(AM_CPPFLAGS) -DBAD_CRASH
tests_host_crash_crashinit_la_LDFLAGS = $(NLP_TEST_MODULE_FLAGS)
tests_host_crash_crashinit_la_LIBADD = libnlpipe.la
tests_host_order1_order_la_SOURCES = tests/host/mod_bad.c
tests_host_order1_order_la_CPPFLAGS = $(AM_CPPFLAGS) -DORDER=1
tests_host_order1_order_la_LDFLAGS = $(NLP_TEST_MODULE_FLAGS)
tests_host_order1_order_la_LIBADD = libnlpipe.la
tests_host_order2_order_la_SOURCES = tests/host/mod_bad.c
tests_host_order2_order_la_CPPFLAGS = $(AM_CPPFLAGS) -DORDER=2
tests_host_order2_order_la_LDFLAGS = $(NLP_TEST_MODULE_FLAGS)
tests_host_order2_order_la_LIBADD = libnlpipe.la
tests_host_old_old24_la_SOURCES = tests/host/mod_bad.c
tests_host_old_old24_la_CPPFLAGS = $(AM_CPPFLAGS) -DOLD_MINOR
tests_host_old_old24_la_LDFLAGS = $(NLP_TEST_MODULE_FLAGS)
tests_host_old_old24_la_LIBADD = libnlpipe.la

check_PROGRAMS += tests/host/t_host tests/host/t_ini tests/host/t_util tests/host/t_parallel
tests_host_t_host_LDADD = libnlpipe.la
tests_host_t_ini_LDADD = libnlpipe.la
tests_host_t_util_LDADD = libnlpipe.la
tests_host_t_parallel_LDADD = libnlpipe.la $(PTHREAD_LIBS)
TESTS += tests/host/t_host tests/host/t_ini tests/host/t_util tests/host/t_parallel tests/host/t_cli.sh
EXTRA_DIST += tests/host/t_cli.sh
# The bash completion, called as bash calls it on <TAB>.
TESTS += tests/host/t_completion.sh
EXTRA_DIST += tests/host/t_completion.sh

# The main job: train, predict, eval on the bundled example corpus, and the
# accuracy check on ../shared/data/polarity-v2 (skipped when absent).
TESTS += tests/train/t_train.sh tests/train/t_polarity.sh tests/train/t_progress.sh \
	tests/train/t_stdin.sh tests/train/t_branch.sh tests/train/t_bag.sh \
	tests/train/t_pipelines.sh tests/train/t_multilabel.sh tests/train/t_lookup.sh
# A document with no tokens left after the text stages: classified from the
# empty input, the same in any batch, with every pipeline, cell and pooling.
TESTS += tests/train/t_emptydoc.sh
EXTRA_DIST += tests/train/t_emptydoc.sh
# The encoders' precision = int8 at inference: predict and eval end to end.
TESTS += tests/train/t_int8.sh
EXTRA_DIST += tests/train/t_int8.sh
TESTS += tests/train/t_bf16.sh
TESTS += tests/train/t_ensemble.sh
EXTRA_DIST += tests/train/t_ensemble.sh
EXTRA_DIST += tests/train/t_bf16.sh
# What those two share (setup, checks against fp32), sourced by both.
EXTRA_DIST += tests/train/precision.sh
# nlpipe quantize: int8 model files end to end.
TESTS += tests/train/t_quantize.sh
EXTRA_DIST += tests/train/t_quantize.sh
# Two trainings to one -o: the second is refused, the first is whole.
TESTS += tests/train/t_lock.sh
EXTRA_DIST += tests/train/t_lock.sh
TESTS += tests/train/t_blas_note.sh
EXTRA_DIST += tests/train/t_blas_note.sh
# A document far over max_tokens in 1 GB of address space.
TESTS += tests/train/t_longdoc.sh
EXTRA_DIST += tests/train/t_longdoc.sh
# eval --report: the HTML report's sections and its size cap.
TESTS += tests/train/t_report.sh
EXTRA_DIST += tests/train/t_report.sh
# nlpipe tune: the search, its pipeline file, refusals before any work, SIGINT.
TESTS += tests/train/t_tune.sh
# The [tune] space: lists and ranges checked, values drawn, budgets.
check_PROGRAMS += tests/train/t_tune_space
TESTS += tests/train/t_tune_space
tests_train_t_tune_space_LDADD = libnlpipe.la -lm
# Fine-tuning (nlpipe/finetune.h): init_from copies exactly, freeze_epochs,
# lr_scale, every error; paramcmp compares two models' stages.
TESTS += tests/train/t_finetune.sh
EXTRA_DIST += tests/train/t_finetune.sh
# The README's pretraining example: examples/lm.ini, then
# examples/pretrained-sentiment.ini starting from it.
TESTS += tests/train/t_pretrained.sh
EXTRA_DIST += tests/train/t_pretrained.sh
# The training data in a temporary file (train --data-memory): the same model
# bytes as in memory, a full disk while writing it.
TESTS += tests/train/t_spill.sh
EXTRA_DIST += tests/train/t_spill.sh
check_PROGRAMS += tests/train/paramcmp
tests_train_paramcmp_LDADD = libnlpipe.la
# The training API (nlpipe/trainer.h): events, a stop from the callback, resume.
check_PROGRAMS += tests/train/t_trainer
TESTS += tests/train/t_trainer
tests_train_t_trainer_SOURCES = tests/train/t_trainer.c tests/train/trainer_util.c \
	tests/train/trainer_util.h
tests_train_t_trainer_LDADD = libnlpipe.la
# [train] refit: the summary, metadata and parameters of the refit model
# (t_refit.sh); both phases' events, the replayed schedule, resume in either
# phase (t_refit_api.c).
TESTS += tests/train/t_refit.sh
EXTRA_DIST += tests/train/t_refit.sh tests/train/small-bag.ini
check_PROGRAMS += tests/train/t_refit_api
TESTS += tests/train/t_refit_api
tests_train_t_refit_api_SOURCES = tests/train/t_refit_api.c tests/train/trainer_util.c \
	tests/train/trainer_util.h
tests_train_t_refit_api_LDADD = libnlpipe.la
EXTRA_DIST += tests/train/t_train.sh tests/train/t_polarity.sh tests/train/polarity.ini \
	tests/train/t_progress.sh tests/train/t_stdin.sh \
	tests/train/t_branch.sh tests/train/v1-gru.ini tests/train/v1-gru.nlpm \
	tests/train/v1-gru.tsv tests/train/t_tune.sh tests/train/t_bag.sh tests/train/t_pipelines.sh \
	tests/train/t_lookup.sh \
	tests/train/t_multilabel.sh

# The install test runs `make install` in this build tree; libtool relinks
# the modules while doing so, so it runs after every other test.
tests/install/t_install.log: $(filter-out tests/install/t_install.log,$(TEST_LOGS))

# Fault injection (tests/fault/): a preloaded allocator that fails the Nth
# allocation, short and interrupted reads, writes over a file-size limit.
check_LTLIBRARIES += tests/fault/failalloc.la
tests_fault_failalloc_la_SOURCES = tests/fault/failalloc.c
tests_fault_failalloc_la_LDFLAGS = $(NLP_TEST_MODULE_FLAGS)
tests_fault_failalloc_la_LIBADD = -ldl
TESTS += tests/fault/t_fault.sh
EXTRA_DIST += tests/fault/t_fault.sh
# Language models (nlpipe/lm.h): training on text, perplexity, eval and
# generate; t_next (mod_lmhead.c) is a plain next-token head of the tests'
# own, so the host is tested apart from the models module's head.
check_LTLIBRARIES += tests/train/lmhead/lmhead.la
tests_train_lmhead_lmhead_la_SOURCES = tests/train/mod_lmhead.c
tests_train_lmhead_lmhead_la_LDFLAGS = $(NLP_TEST_MODULE_FLAGS)
tests_train_lmhead_lmhead_la_LIBADD = libnlpipe.la -lm
TESTS += tests/train/t_lm.sh
EXTRA_DIST += tests/train/t_lm.sh
# Sequence-to-sequence models (nlpipe/seq2seq.h, models/decoder.c): pairs,
# the reversal task learnt, eval's scores, generate greedy and by beam.
TESTS += tests/train/t_seq2seq.sh
EXTRA_DIST += tests/train/t_seq2seq.sh tests/train/s2s_shared_v1.nlp \
	tests/train/s2s_shared_v1.out
check_PROGRAMS += tests/train/t_s2s_scores
TESTS += tests/train/t_s2s_scores
tests_train_t_s2s_scores_LDADD = libnlpipe.la -lm
# A language model's training windows, against layouts worked out by hand.
check_PROGRAMS += tests/train/t_lm_stream
TESTS += tests/train/t_lm_stream
tests_train_t_lm_stream_LDADD = libnlpipe.la -lm
# Ensembles in the model file (format version 4, MEMBER sections):
# nlp_model_save_ensemble and nlp_model_read, refusals and damage.
check_PROGRAMS += tests/format/t_ensemble
TESTS += tests/format/t_ensemble
tests_format_t_ensemble_LDADD = libnlpipe.la
# A subset of commands under valgrind: run by .ci/run, not by make check (slow).
EXTRA_DIST += tests/valgrind/t_valgrind.sh
