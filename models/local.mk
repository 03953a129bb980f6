# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# models/: the neural stages and their numerics, built into the nn module
# (embedding, softmax, sigmoid: plugins/nn.c) and the rnn module (rnn, lstm,
# gru: plugins/rnn.c), with their tests, PyTorch fixtures and benchmark.
# Training's optimizers are libnlpipe's (pipeline/optim.c).

# ---- The recurrent encoders ----

# The matrix products (nk_gemm_rows, models/gemm.h; the sgemm wrapper) and
# the dense layer built on them (models/dense.h), one copy in each of the nn
# and rnn modules.
noinst_LTLIBRARIES += models/libnkblas.la
models_libnkblas_la_SOURCES = \
	models/blas.c models/blas.h \
	models/gemm.c models/gemm.h models/gemm_kernel.h \
	models/gemm_bf16.c models/gemm_bf16.h \
	models/gemm_int8.c models/gemm_int8.h \
	models/softmax.c \
	models/dense.c models/dense.h
models_libnkblas_la_CFLAGS = $(AM_CFLAGS) $(OPENBLAS_CFLAGS)
models_libnkblas_la_LIBADD = $(PTHREAD_LIBS)

# The kernels, shared by the module, the tests and the benchmark.
noinst_LTLIBRARIES += models/libencoders.la
models_libencoders_la_SOURCES = \
	models/recurrent.c models/recurrent.h models/cells.h \
	models/rnn.c models/lstm.c models/gru.c models/attention.c \
	models/encoder_stage.c models/decoder.c models/decoder.h \
	models/dropout.c models/dropout.h \
	plugins/strtab.c plugins/strtab.h models/vocab.c models/vocab.h
models_libencoders_la_LIBADD = models/libnkblas.la
# The gate loops are written to vectorize: let -O2 do it (dynamic cost
# model), and let it if-convert float operations (-fno-trapping-math: we
# never trap on FP exceptions; results are unchanged).
NLP_ENCODER_CFLAGS = $(AM_CFLAGS) $(OPENBLAS_CFLAGS) $(NLP_VECT_CFLAGS) -fno-trapping-math
models_libencoders_la_CFLAGS = $(NLP_ENCODER_CFLAGS) $(PTHREAD_LIBS)
NLP_ENCODER_LIBS = models/libencoders.la libnlpipe.la $(OPENBLAS_LIBS) $(PTHREAD_LIBS) -lm

# Tests call the kernels directly (internal API) and the stage classes
# through the host.
NLP_ENCODER_TESTS = \
	tests/models/t_gemm \
	tests/models/t_gemm_bf16 \
	tests/models/t_gemm_int8 \
	tests/models/t_encoders \
	tests/models/t_encoders_ref \
	tests/models/t_encoders_grad \
	tests/models/t_encoders_carry \
	tests/models/t_encoders_lookup \
	tests/models/t_encoders_int8 \
	tests/models/t_encoders_bf16 \
	tests/models/t_encoders_learn \
	tests/models/t_decoder
check_PROGRAMS += $(NLP_ENCODER_TESTS)
TESTS += $(NLP_ENCODER_TESTS)
noinst_HEADERS += tests/models/t_encoders_util.h tests/models/t_encoders_fixtures.h

tests_models_t_gemm_SOURCES = tests/models/t_gemm.c
tests_models_t_gemm_CFLAGS = $(NLP_ENCODER_CFLAGS) -I$(top_srcdir)/tests
tests_models_t_gemm_LDADD = $(NLP_ENCODER_LIBS)

tests_models_t_gemm_bf16_SOURCES = tests/models/t_gemm_bf16.c
tests_models_t_gemm_bf16_CFLAGS = $(NLP_ENCODER_CFLAGS) -I$(top_srcdir)/tests
tests_models_t_gemm_bf16_LDADD = $(NLP_ENCODER_LIBS)

tests_models_t_gemm_int8_SOURCES = tests/models/t_gemm_int8.c
tests_models_t_gemm_int8_CFLAGS = $(NLP_ENCODER_CFLAGS) -I$(top_srcdir)/tests
tests_models_t_gemm_int8_LDADD = $(NLP_ENCODER_LIBS)

tests_models_t_encoders_SOURCES = tests/models/t_encoders.c
tests_models_t_encoders_CFLAGS = $(NLP_ENCODER_CFLAGS) -I$(top_srcdir)/tests
tests_models_t_encoders_LDADD = $(NLP_ENCODER_LIBS)

tests_models_t_encoders_ref_SOURCES = tests/models/t_encoders_ref.c
tests_models_t_encoders_ref_CFLAGS = $(NLP_ENCODER_CFLAGS) -I$(top_srcdir)/tests
tests_models_t_encoders_ref_LDADD = $(NLP_ENCODER_LIBS)

tests_models_t_decoder_SOURCES = tests/models/t_decoder.c tests/ref/layers_fixture.h
tests_models_t_decoder_CFLAGS = $(NLP_ENCODER_CFLAGS) -I$(top_srcdir)/tests
tests_models_t_decoder_LDADD = $(NLP_ENCODER_LIBS)

tests_models_t_encoders_grad_SOURCES = tests/models/t_encoders_grad.c
tests_models_t_encoders_grad_CFLAGS = $(NLP_ENCODER_CFLAGS) -I$(top_srcdir)/tests
tests_models_t_encoders_grad_LDADD = $(NLP_ENCODER_LIBS)

tests_models_t_encoders_carry_SOURCES = tests/models/t_encoders_carry.c
tests_models_t_encoders_carry_CFLAGS = $(NLP_ENCODER_CFLAGS) -I$(top_srcdir)/tests
tests_models_t_encoders_carry_LDADD = $(NLP_ENCODER_LIBS)

tests_models_t_encoders_lookup_SOURCES = tests/models/t_encoders_lookup.c
tests_models_t_encoders_lookup_CFLAGS = $(NLP_ENCODER_CFLAGS) -I$(top_srcdir)/tests
tests_models_t_encoders_lookup_LDADD = $(NLP_ENCODER_LIBS)

tests_models_t_encoders_int8_SOURCES = tests/models/t_encoders_int8.c
tests_models_t_encoders_int8_CFLAGS = $(NLP_ENCODER_CFLAGS) -I$(top_srcdir)/tests
tests_models_t_encoders_int8_LDADD = $(NLP_ENCODER_LIBS)

tests_models_t_encoders_bf16_SOURCES = tests/models/t_encoders_bf16.c
tests_models_t_encoders_bf16_CFLAGS = $(NLP_ENCODER_CFLAGS) -I$(top_srcdir)/tests
tests_models_t_encoders_bf16_LDADD = $(NLP_ENCODER_LIBS)

tests_models_t_encoders_learn_SOURCES = tests/models/t_encoders_learn.c
tests_models_t_encoders_learn_CFLAGS = $(NLP_ENCODER_CFLAGS) -I$(top_srcdir)/tests
tests_models_t_encoders_learn_LDADD = $(NLP_ENCODER_LIBS)

# PyTorch reference: the script and its committed output.
EXTRA_DIST += tests/ref/encoders.py tests/ref/encoders.txt

# Forward+backward speed of one encoder (not a test): bench/encoder_speed -h
check_PROGRAMS += bench/encoder_speed
bench_encoder_speed_SOURCES = bench/encoder_speed.c
bench_encoder_speed_CFLAGS = $(NLP_ENCODER_CFLAGS)
bench_encoder_speed_LDADD = $(NLP_ENCODER_LIBS)
EXTRA_DIST += bench/encoder_speed.py bench/encoder_compare.py

# The numeric tests again under every OpenBLAS core type and nlpipe kernel.
TESTS += tests/models/t_kernels.sh
EXTRA_DIST += tests/models/t_kernels.sh

# ---- The non-recurrent trainable stages (embedding, heads) and their layers ----

# The layers, shared by the nn module and the tests.
noinst_LTLIBRARIES += models/libnnlayers.la
models_libnnlayers_la_SOURCES = \
	plugins/strtab.c plugins/strtab.h \
	models/vocab.c models/vocab.h \
	models/dropout.c models/dropout.h \
	models/embedding.c models/embedding.h \
	models/bag.c models/bag.h \
	models/head.c models/head.h \
	models/next_token.c models/next_token.h
models_libnnlayers_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) $(OPENBLAS_CFLAGS)
models_libnnlayers_la_LIBADD = models/libnkblas.la

# Tests.
NN_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) -I$(top_srcdir)/tests $(OPENBLAS_CFLAGS)
NN_TEST_LDADD = models/libnnlayers.la libnlpipe.la $(OPENBLAS_LIBS) -lm

check_PROGRAMS += tests/models/t_embedding tests/models/t_head tests/models/t_optim \
	tests/models/t_head_pipeline tests/models/t_branch tests/models/t_bag
TESTS += tests/models/t_embedding tests/models/t_head tests/models/t_optim \
	tests/models/t_head_pipeline tests/models/t_branch tests/models/t_bag
tests_models_t_embedding_SOURCES = tests/models/t_embedding.c tests/ref/layers_fixture.h
tests_models_t_embedding_CPPFLAGS = $(NN_TEST_CPPFLAGS)
tests_models_t_embedding_LDADD = $(NN_TEST_LDADD)
tests_models_t_bag_SOURCES = tests/models/t_bag.c
tests_models_t_bag_CPPFLAGS = $(NN_TEST_CPPFLAGS)
tests_models_t_bag_LDADD = $(NN_TEST_LDADD)
tests_models_t_head_SOURCES = tests/models/t_head.c tests/ref/layers_fixture.h
tests_models_t_head_CPPFLAGS = $(NN_TEST_CPPFLAGS)
tests_models_t_head_LDADD = $(NN_TEST_LDADD)
tests_models_t_optim_SOURCES = tests/models/t_optim.c tests/ref/layers_fixture.h
tests_models_t_optim_CPPFLAGS = $(NN_TEST_CPPFLAGS)
tests_models_t_optim_LDADD = $(NN_TEST_LDADD)
# The language model's head, and an lstm under it (the learning check).
check_PROGRAMS += tests/models/t_next_token
TESTS += tests/models/t_next_token
tests_models_t_next_token_SOURCES = tests/models/t_next_token.c tests/ref/layers_fixture.h
tests_models_t_next_token_CPPFLAGS = $(NN_TEST_CPPFLAGS)
tests_models_t_next_token_LDADD = models/libnnlayers.la models/libencoders.la libnlpipe.la \
	$(OPENBLAS_LIBS) $(PTHREAD_LIBS) -lm
# Through the host: needs the text, nn and rnn modules built.
tests_models_t_head_pipeline_SOURCES = tests/models/t_head_pipeline.c
tests_models_t_head_pipeline_CPPFLAGS = $(NN_TEST_CPPFLAGS)
tests_models_t_head_pipeline_LDADD = libnlpipe.la -lm
EXTRA_tests_models_t_head_pipeline_DEPENDENCIES = plugins/nn.la plugins/rnn.la plugins/text.la
tests_models_t_branch_SOURCES = tests/models/t_branch.c
tests_models_t_branch_CPPFLAGS = $(NN_TEST_CPPFLAGS)
tests_models_t_branch_LDADD = libnlpipe.la -lm
EXTRA_tests_models_t_branch_DEPENDENCIES = plugins/nn.la plugins/rnn.la plugins/text.la

dist_noinst_SCRIPTS += tests/ref/layers.py tests/ref/next_token.py tests/ref/decoder.py
EXTRA_DIST += tests/ref/layers_fixtures.txt tests/ref/next_token_fixtures.txt \
	tests/ref/decoder_fixtures.txt tests/ref/fixtures.py
