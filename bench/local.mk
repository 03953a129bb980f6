# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# bench: see Makefile.am

# Accuracy against fastText, NB-LR and TF-IDF LR on ../shared/data (issue
# 12's protocols: IMDB, polarity-v2, MR, SST-2/5, TREC-6, 20 Newsgroups):
# a script, not a test.  Run it from a build folder: bench/accuracy --help.
# bench/linear_peers.py is its NB-LR / TF-IDF LR half (Debian's python3-sklearn).
EXTRA_DIST += bench/accuracy bench/linear_peers.py

# Speed against PyTorch and fastText (issue 6): a script, not a test.
# Its helpers are built on demand (bench/speed runs
# `make bench/speed_nlpipe bench/sgemm_rate`), not by `make` or `make check`.
EXTRA_PROGRAMS = bench/speed_nlpipe bench/sgemm_rate bench/lm_speed_nlpipe bench/lm_compare_nlpipe \
	bench/pool_latency
bench_speed_nlpipe_SOURCES = bench/speed_nlpipe.c bench/speed_common.c bench/speed_common.h
bench_speed_nlpipe_CFLAGS = $(AM_CFLAGS) $(OPENBLAS_CFLAGS)
bench_speed_nlpipe_LDADD = libnlpipe.la $(OPENBLAS_LIBS) -lm
bench_sgemm_rate_SOURCES = bench/sgemm_rate.c
bench_sgemm_rate_CFLAGS = $(AM_CFLAGS) $(OPENBLAS_CFLAGS)
bench_sgemm_rate_LDADD = models/libnkblas.la libnlpipe.la $(OPENBLAS_LIBS) -lm
bench_lm_speed_nlpipe_SOURCES = bench/lm_speed_nlpipe.c bench/speed_common.c bench/speed_common.h
bench_lm_speed_nlpipe_CFLAGS = $(AM_CFLAGS) $(OPENBLAS_CFLAGS)
bench_lm_speed_nlpipe_LDADD = libnlpipe.la $(OPENBLAS_LIBS) -lm
bench_lm_compare_nlpipe_SOURCES = bench/lm_compare_nlpipe.c bench/speed_common.c \
	bench/speed_common.h
bench_lm_compare_nlpipe_CFLAGS = $(AM_CFLAGS) $(OPENBLAS_CFLAGS)
bench_lm_compare_nlpipe_LDADD = libnlpipe.la $(OPENBLAS_LIBS) -lm
# What one nlp_parallel job costs (the worker pool's wake-up): make bench/pool_latency.
bench_pool_latency_SOURCES = bench/pool_latency.c
bench_pool_latency_LDADD = libnlpipe.la
CLEANFILES += bench/speed_nlpipe bench/sgemm_rate bench/lm_speed_nlpipe bench/lm_compare_nlpipe \
	bench/pool_latency
EXTRA_DIST += bench/speed bench/speed_torch.py
# The language model (issue 11/15): bench/lm_speed builds bench/lm_speed_nlpipe
# on demand; bench/lm_speed_torch.py is PyTorch's side.
EXTRA_DIST += bench/lm_speed bench/lm_speed_torch.py
# Peak memory of train and predict on synthetic corpora of 25k to 1M short
# documents, with training speed, against another build (issue 15).
EXTRA_DIST += bench/memory
# Perplexity and training speed on IMDB's texts, the same token ids on both
# sides (issue 11): bench/lm_compare builds bench/lm_compare_nlpipe on demand;
# bench/lm_compare_torch.py is PyTorch's side.
EXTRA_DIST += bench/lm_compare bench/lm_compare_torch.py

# The bag stage (data/pipelines/fast.ini) against fastText on IMDB, one run: train
# and predict wall times, accuracy, the ratios (issue 12).  Not a test.
EXTRA_DIST += bench/bag_speed

# Fine-tuning (init_from) against training from scratch on 1,000 IMDB reviews.
# Not a test.
EXTRA_DIST += bench/finetune_imdb bench/lm_pretrain

# The decoder's vocabulary = shared against own on the dates example and a
# task with a large source and a small target vocabulary.  Not a test.
EXTRA_DIST += bench/seq2seq_vocab
