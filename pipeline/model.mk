# pipeline/model.mk: model files (pipeline/model.c, docs/model-format.md) and
# `nlpipe inspect`.  Included by the top Makefile.am after pipeline/local.mk.
libnlpipe_la_SOURCES += pipeline/model.c
nlpipeinc_HEADERS += pipeline/nlpipe/model.h

# The container layer: round trips, truncation at every offset, seeded bit
# flips, wrong magic, newer versions, atomic writes.
check_PROGRAMS += tests/model/t_container
TESTS += tests/model/t_container
tests_model_t_container_LDADD = libnlpipe.la $(ZLIB_LIBS)
tests_model_t_container_CFLAGS = $(AM_CFLAGS) $(ZLIB_CFLAGS)

# A test module with a trainable embedding (vocabulary state) and head.
check_LTLIBRARIES += tests/model/mods/toy.la
tests_model_mods_toy_la_SOURCES = tests/model/mod_toy.c
tests_model_mods_toy_la_LDFLAGS = -module -avoid-version -no-undefined -shared -rpath /nowhere
tests_model_mods_toy_la_LIBADD = libnlpipe.la -lm

# Whole pipelines through the model file.
check_PROGRAMS += tests/model/t_model
TESTS += tests/model/t_model
tests_model_t_model_LDADD = libnlpipe.la

# nlpipe inspect MODEL
nlpipe_SOURCES += pipeline/cmd_inspect.c
TESTS += tests/model/t_inspect.sh
EXTRA_DIST += tests/model/t_inspect.sh
EXTRA_DIST += docs/model-format.md

# The built-in stages (text, nn, rnn modules) through a model file.
check_PROGRAMS += tests/model/t_model_real
TESTS += tests/model/t_model_real
tests_model_t_model_real_LDADD = libnlpipe.la -lm
noinst_HEADERS += tests/model/files.h
