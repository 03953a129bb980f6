# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# preprocess/: the text stages (tokenizer, stopwords, stemmer, ngrams,
# negation) built as the `text` module (plugins/text.c), the stop-word
# lists, the tests of the stages and of the readers, and the benchmark.

# The stages, as a convenience library shared by the module and the tests.
noinst_LTLIBRARIES += preprocess/libtext.la
preprocess_libtext_la_SOURCES = \
	plugins/strtab.c plugins/strtab.h \
	preprocess/text.h \
	preprocess/textutil.c \
	preprocess/tokenizer.c \
	preprocess/stopwords.c \
	preprocess/stemmer.c \
	preprocess/ngrams.c \
	preprocess/negation.c
preprocess_libtext_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
preprocess_libtext_la_CFLAGS = $(AM_CFLAGS) $(UTF8PROC_CFLAGS)

# Tests of the stages: link the stage code directly.
NLP_TEXT_TEST_LIBS = preprocess/libtext.la libnlpipe.la $(UTF8PROC_LIBS) $(STEMMER_LIBS)
NLP_TEXT_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) -I$(top_srcdir)/tests $(UTF8PROC_CFLAGS)
check_PROGRAMS += tests/preprocess/t_tokenizer
tests_preprocess_t_tokenizer_CPPFLAGS = $(NLP_TEXT_TEST_CPPFLAGS)
tests_preprocess_t_tokenizer_LDADD = $(NLP_TEXT_TEST_LIBS)
TESTS += tests/preprocess/t_tokenizer

# Stop-word lists, installed under $(pkgdatadir)/stopwords/.
stopwordsdir = $(pkgdatadir)/stopwords
dist_stopwords_DATA = \
	data/stopwords/catalan.txt \
	data/stopwords/danish.txt \
	data/stopwords/dutch.txt \
	data/stopwords/english.txt \
	data/stopwords/finnish.txt \
	data/stopwords/french.txt \
	data/stopwords/german.txt \
	data/stopwords/hungarian.txt \
	data/stopwords/indonesian.txt \
	data/stopwords/italian.txt \
	data/stopwords/norwegian.txt \
	data/stopwords/portuguese.txt \
	data/stopwords/romanian.txt \
	data/stopwords/russian.txt \
	data/stopwords/spanish.txt \
	data/stopwords/swedish.txt \
	data/stopwords/turkish.txt

check_PROGRAMS += tests/preprocess/t_stemmer
tests_preprocess_t_stemmer_CPPFLAGS = $(NLP_TEXT_TEST_CPPFLAGS)
tests_preprocess_t_stemmer_CFLAGS = $(AM_CFLAGS) $(ZLIB_CFLAGS)
tests_preprocess_t_stemmer_LDADD = $(NLP_TEXT_TEST_LIBS) $(ZLIB_LIBS)
TESTS += tests/preprocess/t_stemmer

check_PROGRAMS += tests/preprocess/t_stopwords tests/preprocess/t_ngrams tests/preprocess/t_negation
tests_preprocess_t_stopwords_CPPFLAGS = $(NLP_TEXT_TEST_CPPFLAGS)
tests_preprocess_t_stopwords_LDADD = $(NLP_TEXT_TEST_LIBS)
tests_preprocess_t_ngrams_CPPFLAGS = $(NLP_TEXT_TEST_CPPFLAGS)
tests_preprocess_t_ngrams_LDADD = $(NLP_TEXT_TEST_LIBS)
tests_preprocess_t_negation_CPPFLAGS = $(NLP_TEXT_TEST_CPPFLAGS)
tests_preprocess_t_negation_LDADD = $(NLP_TEXT_TEST_LIBS)
TESTS += tests/preprocess/t_stopwords tests/preprocess/t_ngrams tests/preprocess/t_negation
noinst_HEADERS += tests/preprocess/toks.h

check_PROGRAMS += tests/preprocess/t_reader
tests_preprocess_t_reader_CPPFLAGS = $(NLP_TEXT_TEST_CPPFLAGS)
tests_preprocess_t_reader_LDADD = libnlpipe.la
TESTS += tests/preprocess/t_reader

check_PROGRAMS += tests/preprocess/t_pipeline
tests_preprocess_t_pipeline_CPPFLAGS = $(NLP_TEXT_TEST_CPPFLAGS)
tests_preprocess_t_pipeline_LDADD = libnlpipe.la
TESTS += tests/preprocess/t_pipeline
EXTRA_DIST += tests/preprocess/sentiment.ini

TESTS += tests/preprocess/t_tokenize.sh
EXTRA_DIST += tests/preprocess/t_tokenize.sh

# The text-stage benchmark (not a test: run bench/text from the build folder).
dist_noinst_SCRIPTS += bench/text


