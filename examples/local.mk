# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# examples/: what a user or a plugin author starts from.

# ---- The out-of-tree plugin example (examples/plugins/) and its test ----
# The plugin is not built by this tree: it is built the way a plugin author
# builds it, against an installed nlpipe, by tests/install/t_install.sh
# (which installs this tree into a temporary DESTDIR first).
# Installed under $(docdir)/examples/ for plugin authors to copy.
nobase_dist_doc_DATA += \
	examples/plugins/placeholders.c \
	examples/plugins/Makefile \
	examples/plugins/README.md

# The API examples (examples/api/): programs classifying text and training a
# model through libnlpipe's API, built against the installed nlpipe by the
# same test.
nobase_dist_doc_DATA += examples/api/classify.c examples/api/train.c examples/api/Makefile

TESTS += tests/install/t_install.sh
EXTRA_DIST += tests/install/t_install.sh

# ---- The bundled example pipeline and corpus ----
# The pipelines for each kind of text (data/pipelines/) are installed in
# $(pkgdatadir) for users to start from; examples/sentiment.ini is the
# small teaching pipeline of the README tour and the tests.
dist_pkgdata_DATA += \
	data/pipelines/sentiment.ini \
	data/pipelines/short-text.ini \
	data/pipelines/topic.ini \
	data/pipelines/fast.ini
EXTRA_DIST += examples/sentiment.ini
# The language model, a classifier that starts from it, and the
# sequence-to-sequence task (README: Language models, Sequence to sequence).
EXTRA_DIST += examples/lm.ini examples/pretrained-sentiment.ini \
	examples/seq2seq/dates.py examples/seq2seq/seq2seq.ini
EXTRA_DIST += examples/run-example.sh

# The example corpus: written by examples/make-reviews (fixed seed) and
# committed; folders in EXTRA_DIST are copied whole.
EXTRA_DIST += examples/make-reviews examples/reviews examples/unlabelled
