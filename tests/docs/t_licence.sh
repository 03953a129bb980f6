#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# tests/docs/t_licence.sh - every source file of the distribution carries the
# licence notice (SPDX identifier and copyright line), and --version names
# the licence.  Works in a git checkout and in an unpacked tarball alike: it
# walks the source tree, not git.
#
# Run by `make check` (it needs NLP_TOP_BUILDDIR and NLP_TOP_SRCDIR).
set -u
top_builddir=${NLP_TOP_BUILDDIR:?run this test through make check}
top_srcdir=${NLP_TOP_SRCDIR:?run this test through make check}

missing=$(cd "$top_srcdir" &&
	find pipeline plugins preprocess models cli tests bench examples .ci \
		\( -name '_*' -o -name corpus -o -name '.deps' -o -name '.libs' \) -prune -o \
		-type f \( -name '*.c' -o -name '*.h' -o -name '*.sh' -o -name '*.py' \
		-o -name '*.mk' \) -print 2>/dev/null |
	while read -r f; do
		if ! head -n 4 "$f" | grep -q 'SPDX-License-Identifier: BSD-3-Clause' ||
			! head -n 4 "$f" | grep -q 'Copyright (c) 2026, the nlpipe authors'; then
			echo "$f"
		fi
	done)
checked=$(cd "$top_srcdir" &&
	find pipeline plugins preprocess models cli tests bench examples \
		\( -name '_*' -o -name corpus \) -prune -o -type f -name '*.c' -print | wc -l)

echo "1..3"
if [ "$checked" -ge 50 ]; then
	echo "ok 1 - the walk found the sources ($checked C files)"
else
	echo "not ok 1 - the walk found only $checked C files under $top_srcdir"
fi
if [ -z "$missing" ]; then
	echo "ok 2 - every source file has the SPDX notice and copyright line in its first 4 lines"
else
	echo "not ok 2 - files without the licence notice (add the two lines at the top):"
	echo "$missing" | sed 's/^/#   /'
fi
if "$top_builddir/nlpipe" --version 2>&1 | grep -q 'BSD-3-Clause'; then
	echo "ok 3 - nlpipe --version names the licence"
else
	echo "not ok 3 - nlpipe --version does not name BSD-3-Clause"
fi
