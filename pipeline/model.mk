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
