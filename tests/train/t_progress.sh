#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# tests/train/t_progress.sh - train's progress bar on a terminal: run under a
# pseudo-terminal (script(1)) of 40, 60 and 120 columns, every refresh of the
# bar must fit in the width (at most COLUMNS - 1 characters, so that it never
# wraps) and still show the epoch, the loss and the ETA.
#
# Run by `make check`.  Skips where script(1) is absent.  TAP output.
set -u
top_builddir=${NLP_TOP_BUILDDIR:?run this test through make check}
top_srcdir=${NLP_TOP_SRCDIR:?run this test through make check}
NLPIPE_DATA_DIR=$top_srcdir/data
export NLPIPE_DATA_DIR
if ! command -v script >/dev/null 2>&1; then
	echo "1..0 # SKIP script(1) (util-linux) is not installed"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nlpipe-progress.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

echo "1..6"
n=0
failed=0
for cols in 40 60 120; do
	script -qec "stty cols $cols rows 24; '$top_builddir/nlpipe' train \
		--set train.epochs=2 --set encode.hidden=8 --set embed.dim=8 \
		'$top_srcdir/examples/sentiment.ini' '$top_srcdir/examples/reviews' \
		-o '$tmp/m$cols.nlp'" "$tmp/typescript$cols" >/dev/null 2>&1 </dev/null
	rc=$?
	# The bar's refreshes: text between carriage returns, escapes removed.
	tr '\r' '\n' <"$tmp/typescript$cols" | sed 's/\x1b\[K//g' | grep '^epoch ' >"$tmp/bars$cols"
	over=$(awk -v c="$cols" 'length($0) > c - 1' "$tmp/bars$cols" | head -n 3)
	count=$(wc -l <"$tmp/bars$cols")
	n=$((n + 1))
	if [ "$rc" -eq 0 ] && [ "$count" -gt 0 ] && [ -z "$over" ]; then
		echo "ok $n - $cols columns: $count refreshes, none wider than $((cols - 1))"
	else
		failed=$((failed + 1))
		echo "not ok $n - $cols columns: exit $rc, $count refreshes, too wide:"
		echo "$over" | sed 's/^/#   /'
	fi
	n=$((n + 1))
	if grep -q 'epoch 2/2.*loss [0-9.]*.*ETA [0-9]*:[0-9][0-9]' "$tmp/bars$cols"; then
		echo "ok $n - $cols columns: epoch, loss and ETA shown"
	else
		failed=$((failed + 1))
		echo "not ok $n - $cols columns: epoch, loss and ETA shown"
		tail -n 2 "$tmp/bars$cols" | sed 's/^/#   /'
	fi
done
[ "$failed" -eq 0 ]
