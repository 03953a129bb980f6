#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_longdoc.sh - a document far longer than the encoder's max_tokens (5 MB,
# about 480,000 tokens, for max_tokens = 400) is classified in 1 GB of
# address space: the recurrent encoder's workspaces are sized by the window
# it keeps, not by the whole input, and inference grows no training-only
# buffers (the input gradient, the embedding's dropout mask).  Before, this
# document needed 2-4 GB of address space (64 GB for 100 MB).  Skipped under
# AddressSanitizer (its shadow memory needs more address space).
src=${NLP_TOP_SRCDIR:-$(pwd)}
. "$src/tests/tap.sh"
tap_setup longdoc

if [ -n "${NLP_SANITIZED:-}" ]; then
	echo "1..0 # SKIP an address-space limit cannot be set under AddressSanitizer"
	exit 0
fi
echo "1..3"

"$nlpipe" -q train --set train.threads=1 --set train.epochs=1 "$src/examples/sentiment.ini" \
	"$src/examples/reviews" -o "$tmp/m.nlp" 2>"$tmp/err"
check "the example pipeline trains (max_tokens = 400)" '[ $? -eq 0 ]'

mkdir -p "$tmp/in"
while [ "$(wc -c <"$tmp/in/long.txt" 2>/dev/null || echo 0)" -lt 5000000 ]; do
	cat "$src"/examples/reviews/pos/* >>"$tmp/in/long.txt"
done
(
	ulimit -v 1048576 2>/dev/null || exit 77
	exec "$nlpipe" predict -j 1 "$tmp/m.nlp" "$tmp/in/long.txt" >"$tmp/out" 2>"$tmp/err"
)
st=$?
if [ $st -eq 77 ]; then
	n=$((n + 2))
	echo "ok $((n - 1)) # SKIP ulimit -v is refused here"
	echo "ok $n # SKIP ulimit -v is refused here"
else
	check "predict on a 5 MB document in 1 GB of address space exits 0 (got $st)" '[ $st -eq 0 ]'
	check "it prints the document's row" '[ "$(cut -f1 "$tmp/out")" = "$tmp/in/long.txt" ]'
fi
tap_done
