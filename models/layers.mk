# models/layers.mk: the non-recurrent trainable stages (embedding, heads),
# their layers, and the optimizers of libnlpipe.  See Makefile.am.

# Optimizers and training numerics: part of libnlpipe (public API nlpipe/optim.h).
libnlpipe_la_SOURCES += models/optim.c
nlpipeinc_HEADERS += pipeline/nlpipe/optim.h

# The layers, shared by the nn module and the tests.
noinst_LTLIBRARIES += models/libnnlayers.la
models_libnnlayers_la_SOURCES = \
	models/vocab.c models/vocab.h \
	models/dense.c models/dense.h \
	models/dropout.c models/dropout.h \
	models/embedding.c models/embedding.h \
	models/head.c models/head.h
models_libnnlayers_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) $(OPENBLAS_CFLAGS)
models_libnnlayers_la_LIBADD = models/libnkblas.la

# The module: embedding, softmax, sigmoid.
plugins_LTLIBRARIES += plugins/nn.la
plugins_nn_la_SOURCES = plugins/nn.c
plugins_nn_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
plugins_nn_la_LDFLAGS = $(NLP_MODULE_FLAGS)
plugins_nn_la_LIBADD = models/libnnlayers.la libnlpipe.la $(OPENBLAS_LIBS) -lm

# Tests.
NN_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) -I$(top_srcdir)/tests $(OPENBLAS_CFLAGS)
NN_TEST_LDADD = models/libnnlayers.la libnlpipe.la $(OPENBLAS_LIBS) -lm

check_PROGRAMS += tests/models/t_embedding tests/models/t_head tests/models/t_optim \
	tests/models/t_head_pipeline
TESTS += tests/models/t_embedding tests/models/t_head tests/models/t_optim \
	tests/models/t_head_pipeline
tests_models_t_embedding_SOURCES = tests/models/t_embedding.c tests/ref/layers_fixture.h
tests_models_t_embedding_CPPFLAGS = $(NN_TEST_CPPFLAGS)
tests_models_t_embedding_LDADD = $(NN_TEST_LDADD)
tests_models_t_head_SOURCES = tests/models/t_head.c tests/ref/layers_fixture.h
tests_models_t_head_CPPFLAGS = $(NN_TEST_CPPFLAGS)
tests_models_t_head_LDADD = $(NN_TEST_LDADD)
tests_models_t_optim_SOURCES = tests/models/t_optim.c tests/ref/layers_fixture.h
tests_models_t_optim_CPPFLAGS = $(NN_TEST_CPPFLAGS)
tests_models_t_optim_LDADD = $(NN_TEST_LDADD)
# Through the host: needs the text, nn and rnn modules built.
tests_models_t_head_pipeline_SOURCES = tests/models/t_head_pipeline.c
tests_models_t_head_pipeline_CPPFLAGS = $(NN_TEST_CPPFLAGS)
tests_models_t_head_pipeline_LDADD = libnlpipe.la -lm
EXTRA_tests_models_t_head_pipeline_DEPENDENCIES = plugins/nn.la plugins/rnn.la plugins/text.la

dist_noinst_SCRIPTS += tests/ref/layers.py
EXTRA_DIST += tests/ref/layers_fixtures.txt
