# pipeline/metrics.mk: classification metrics (pipeline/metrics.c) for
# `nlpipe eval` and training's validation.  Included by the top Makefile.am
# after pipeline/train.mk.
libnlpipe_la_SOURCES += pipeline/metrics.c
nlpipeinc_HEADERS += pipeline/nlpipe/metrics.h

# Hand-computed cases (perfect, all wrong, ties, a class never predicted,
# multi-class) and random cases checked against an independent Python
# implementation (tests/metrics/gen_fixtures.py writes fixtures.h; make check
# does not need Python).
check_PROGRAMS += tests/metrics/t_metrics
TESTS += tests/metrics/t_metrics
tests_metrics_t_metrics_SOURCES = tests/metrics/t_metrics.c tests/metrics/fixtures.h
tests_metrics_t_metrics_LDADD = libnlpipe.la -lm
EXTRA_DIST += tests/metrics/gen_fixtures.py
