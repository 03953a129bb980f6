# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# plugins/: the plugin contract (plugins/nlpipe/) and the built-in modules'
# descriptors.  A module is a libtool module exporting only its descriptor;
# its stage classes live in preprocess/ (text) and models/ (neural).

# text: tokenizer, stopwords, stemmer, ngrams, negation (preprocess/)
plugins_LTLIBRARIES += plugins/text.la
plugins_text_la_SOURCES = plugins/text.c
plugins_text_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) $(UTF8PROC_CFLAGS)
plugins_text_la_LDFLAGS = $(NLP_MODULE_FLAGS)
plugins_text_la_LIBADD = preprocess/libtext.la libnlpipe.la $(UTF8PROC_LIBS) $(STEMMER_LIBS)

# nn: embedding, softmax, sigmoid (models/)
plugins_LTLIBRARIES += plugins/nn.la
plugins_nn_la_SOURCES = plugins/nn.c
plugins_nn_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
plugins_nn_la_LDFLAGS = $(NLP_MODULE_FLAGS)
plugins_nn_la_LIBADD = models/libnnlayers.la libnlpipe.la $(OPENBLAS_LIBS) -lm

# rnn: rnn, lstm, gru (models/)
plugins_LTLIBRARIES += plugins/rnn.la
plugins_rnn_la_SOURCES = plugins/rnn.c
plugins_rnn_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
plugins_rnn_la_CFLAGS = $(NLP_ENCODER_CFLAGS)
plugins_rnn_la_LDFLAGS = $(NLP_MODULE_FLAGS)
plugins_rnn_la_LIBADD = $(NLP_ENCODER_LIBS)
