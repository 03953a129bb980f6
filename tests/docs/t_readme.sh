#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# tests/docs/t_readme.sh - the README's one-minute tour, verbatim, from the
# build tree: every `$ nlpipe ...` line of the tour section runs as written
# (comments dropped), with this build's folder first on PATH and no
# NLPIPE_PLUGIN_PATH or NLPIPE_DATA_DIR set: _build/nlpipe must find its
# own modules and data as an installed nlpipe does.  Each command must exit
# 0; the predict lines must show the files the README shows.
#
# Run by `make check` (it needs NLP_TOP_BUILDDIR and NLP_TOP_SRCDIR).
set -u
top_builddir=${NLP_TOP_BUILDDIR:?run this test through make check}
top_srcdir=${NLP_TOP_SRCDIR:?run this test through make check}
unset NLPIPE_PLUGIN_PATH NLPIPE_DATA_DIR

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nlpipe-readme.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
ln -s "$top_srcdir/examples" "$tmp/examples"

# The tour: from its heading to the next one, the lines "    $ nlpipe ...".
sed -n '/^## A one-minute tour/,/^## /p' "$top_srcdir/README.md" |
	sed -n 's/^    \$ \(nlpipe .*\)$/\1/p' | sed 's/[[:space:]]*#.*$//' >"$tmp/tour"
total=$(wc -l <"$tmp/tour")
if [ "$total" -lt 5 ]; then
	echo "1..1"
	echo "not ok 1 - the README has a tour of at least 5 commands (found $total)"
	exit 1
fi
echo "1..$((total + 1))"

n=0
failed=0
while IFS= read -r cmd; do
	n=$((n + 1))
	if (cd "$tmp" && PATH="$top_builddir:$PATH" sh -c "$cmd") >"$tmp/out" 2>"$tmp/err" </dev/null; then
		echo "ok $n - $cmd"
	else
		failed=$((failed + 1))
		echo "not ok $n - $cmd (exit $?)"
		sed 's/^/#   /' "$tmp/err" | tail -n 15
	fi
	case $cmd in
	"nlpipe predict "*) cp "$tmp/out" "$tmp/predicted" ;;
	esac
done <"$tmp/tour"

# The README shows predict's first lines: the same files, in that order.
sed -n '/^## A one-minute tour/,/^## /p' "$top_srcdir/README.md" |
	sed -n 's/^    \(examples\/unlabelled\/[^ ]*\) .*/\1/p' >"$tmp/shown"
n=$((n + 1))
if [ -s "$tmp/shown" ] && [ -f "$tmp/predicted" ] &&
	cut -f1 "$tmp/predicted" | head -n "$(wc -l <"$tmp/shown")" | cmp -s - "$tmp/shown"; then
	echo "ok $n - predict names the files the README shows, in its order"
else
	failed=$((failed + 1))
	echo "not ok $n - predict names the files the README shows, in its order"
	head -n 3 "$tmp/predicted" 2>/dev/null | sed 's/^/#   /'
fi
[ "$failed" -eq 0 ]
