# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# docs/: man pages (installed) and the Markdown documentation (distributed).
dist_man_MANS += docs/nlpipe.1 docs/nlpipe.ini.5 docs/nlpipe_classifier.3 docs/nlpipe_trainer.3
# The user's and plugin author's pages go to $(docdir); the style guide is
# for this tree's developers only.
dist_doc_DATA += \
	docs/writing-a-plugin.md \
	docs/api.md \
	docs/text-stages.md \
	docs/models.md
EXTRA_DIST += docs/coding_style.md docs/fuzzing.md

# The README's tour, verbatim, from the build tree.
TESTS += tests/docs/t_readme.sh tests/docs/t_licence.sh
EXTRA_DIST += tests/docs/t_readme.sh tests/docs/t_licence.sh
