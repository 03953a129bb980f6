#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_polarity.sh - accuracy on real data: train on polarity v2.0 folds
# cv000-cv899 (5 epochs, no time limit: the result must not depend on the
# machine's load), assert >= 75 % accuracy on cv900-cv999;
# predictions of all 2,000 reviews byte-identical across -j and --shard.
top=${NLP_TOP_BUILDDIR:-$(pwd)}
src=${NLP_TOP_SRCDIR:-$top}
data=${NLP_SHARED_DATA:-$src/../shared/data}/polarity-v2/txt_sentoken
nlpipe="$top/nlpipe"
NLPIPE_DATA_DIR="$src/data"
export NLPIPE_DATA_DIR

if [ -n "${NLP_SANITIZED:-}" ]; then
	# Five epochs of an LSTM on 1,800 long reviews take about a minute in
	# the optimized build; under AddressSanitizer several times longer.
	echo "1..0 # SKIP sanitizer build (NLP_SANITIZED): the accuracy check runs in the normal build"
	exit 0
fi
if [ ! -d "$data/pos" ] || [ ! -d "$data/neg" ]; then
	echo "1..0 # SKIP $data is absent (../shared/data beside the source tree)"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nlp_t_polarity.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
echo "1..6"
for label in pos neg; do
	mkdir -p "$tmp/train/$label" "$tmp/test/$label"
	for f in "$data/$label"/cv*.txt; do
		case $(basename "$f") in
		cv9*) ln -s "$f" "$tmp/test/$label/" ;;
		*) ln -s "$f" "$tmp/train/$label/" ;;
		esac
	done
done
start=$(date +%s)
"$nlpipe" train "$src/tests/train/polarity.ini" "$tmp/train" -o "$tmp/p.nlp" 2>"$tmp/err"
st=$?
secs=$(($(date +%s) - start))
if [ $st -eq 0 ]; then echo "ok 1 - trained on cv000-cv899 in $secs s"; else
	echo "not ok 1 - train failed (status $st)"
	sed 's/^/#   | /' "$tmp/err" | tail -20
fi
grep "epoch\|time limit" "$tmp/err" | sed 's/^/# /'
"$nlpipe" -q eval --json "$tmp/p.nlp" "$tmp/test" >"$tmp/eval.json" 2>"$tmp/err"
acc=$(sed -n 's/.*"accuracy": *\([0-9.e-]*\).*/\1/p' "$tmp/eval.json")
if [ -n "$acc" ]; then echo "ok 2 - eval on cv900-cv999"; else
	echo "not ok 2 - eval failed"
	sed 's/^/#   | /' "$tmp/err" | tail -20
	acc=0
fi
fails=0
if awk "BEGIN { exit !($acc >= 0.75) }"; then
	echo "ok 3 - accuracy $acc >= 0.75 on the 200 held-out reviews"
else
	echo "not ok 3 - accuracy $acc < 0.75 on the 200 held-out reviews"
	fails=1
fi

# Every one of the 2,000 reviews gets the same bytes with 1 or 2 threads and
# split into two shards.
pred() { "$nlpipe" -q predict --probs "$@" "$tmp/p.nlp" "$data" 2>"$tmp/err"; }
pred -j 1 | sort >"$tmp/j1.tsv"
pred -j 2 | sort >"$tmp/j2.tsv"
{ pred --shard 1/2 && pred --shard 2/2; } | sort >"$tmp/sh.tsv"
rows=$(wc -l <"$tmp/j1.tsv")
if [ "$rows" -eq 2000 ]; then echo "ok 4 - predict -j 1: 2000 rows"; else
	echo "not ok 4 - predict -j 1: $rows rows, want 2000"
	fails=1
fi
if cmp -s "$tmp/j1.tsv" "$tmp/j2.tsv"; then echo "ok 5 - predict -j 1 and -j 2: byte-identical"; else
	echo "not ok 5 - predict -j 1 and -j 2 differ in $(diff "$tmp/j1.tsv" "$tmp/j2.tsv" | grep -c '^<') rows"
	fails=1
fi
if cmp -s "$tmp/j1.tsv" "$tmp/sh.tsv"; then echo "ok 6 - predict --shard 1/2 + 2/2: byte-identical to the whole run"; else
	echo "not ok 6 - predict --shard 1/2 + 2/2 differ from the whole run in $(diff "$tmp/j1.tsv" "$tmp/sh.tsv" | grep -c '^<') rows"
	fails=1
fi
[ $st -eq 0 ] && [ $fails -eq 0 ]
