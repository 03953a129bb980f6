#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_int8.sh - the encoders' `precision = int8` end to end: a model trained
# with it (examples/sentiment.ini, a bidirectional LSTM, and a 2-layer GRU
# made from it) has the same parameters as one trained without (training
# runs fp32); its
# `nlpipe predict` runs the int8 products: probabilities close to fp32's but
# not the same bytes, labels the same for at least 97 % of the documents,
# the same bytes with -j 1 and -j 2 and with batches of 5; `nlpipe eval`
# within 2 points of accuracy; `nlpipe check` refuses an unknown precision,
# naming the key, `nlpipe plugins lstm` explains the option and `nlpipe
# inspect --check` names the int8 kernel (the portable one under
# NLPIPE_MAX_CPU_ISA=sse2).
src=${NLP_TOP_SRCDIR:-$(pwd)}
. "$src/tests/tap.sh"
tap_setup int8
reviews="$src/examples/reviews"
echo "1..17"

# a 2-layer GRU with mean pooling, from the example
sed -e 's/^type = lstm/type = gru/' -e 's/^bidirectional = true/layers = 2/' \
	-e 's/^pooling = max/pooling = mean/' -e 's/^epochs = 6/epochs = 3/' \
	"$src/examples/sentiment.ini" >"$tmp/gru.ini"

train() { "$nlpipe" -q train --set train.threads=2 "$@" 2>"$tmp/err"; }
pred() { "$nlpipe" -q predict --probs "$@" "$reviews" 2>"$tmp/err"; }
# acc FILE.json: the accuracy in eval --json's report
acc() { sed -n 's/.*"accuracy": *\([0-9.]*\).*/\1/p' "$1" | head -1; }

for name in sentiment gru; do
	case $name in
	sentiment) ini="$src/examples/sentiment.ini" ;;
	*) ini="$tmp/$name.ini" ;;
	esac
	train "$ini" "$reviews" -o "$tmp/f32.nlp"
	train --set encode.precision=int8 "$ini" "$reviews" -o "$tmp/i8.nlp"
	check "$name: both models train" '[ -s "$tmp/f32.nlp" ] && [ -s "$tmp/i8.nlp" ]'
	"$top/tests/train/paramcmp" "$tmp/f32.nlp" encode "$tmp/i8.nlp" encode >/dev/null &&
		"$top/tests/train/paramcmp" "$tmp/f32.nlp" embed "$tmp/i8.nlp" embed >/dev/null
	ok $? "$name: precision = int8 changes no parameter (training runs fp32)"
	pred "$tmp/f32.nlp" >"$tmp/f32.tsv"
	pred -j 1 "$tmp/i8.nlp" >"$tmp/i8.tsv"
	pred -j 2 --batch 5 "$tmp/i8.nlp" >"$tmp/i8b.tsv"
	check "$name: int8 predicts every document, not fp32's bytes" \
		'[ -s "$tmp/i8.tsv" ] && [ $(wc -l <"$tmp/i8.tsv") -eq $(wc -l <"$tmp/f32.tsv") ] &&
		 ! cmp -s "$tmp/f32.tsv" "$tmp/i8.tsv"'
	check "$name: int8 with -j 2 and batches of 5: the same bytes" \
		'cmp -s "$tmp/i8.tsv" "$tmp/i8b.tsv"'
	# columns: document, label, probabilities
	same=$(paste "$tmp/f32.tsv" "$tmp/i8.tsv" | awk -F'\t' -v h=$(head -1 "$tmp/f32.tsv" |
		awk -F'\t' '{print NF}') '$2 == $(h + 2) {s++} END {print s + 0}')
	total=$(wc -l <"$tmp/f32.tsv")
	echo "# $name: $same of $total labels the same"
	check "$name: labels the same for >= 97 % of the documents" \
		'[ $((same * 100)) -ge $((total * 97)) ]'
	"$nlpipe" -q eval --json "$tmp/f32.nlp" "$reviews" >"$tmp/e32.json" 2>"$tmp/err"
	"$nlpipe" -q eval --json "$tmp/i8.nlp" "$reviews" >"$tmp/e8.json" 2>"$tmp/err"
	a32=$(acc "$tmp/e32.json")
	a8=$(acc "$tmp/e8.json")
	echo "# $name: accuracy fp32 $a32, int8 $a8"
	check "$name: eval accuracy within 2 points" \
		'[ -n "$a32" ] && [ -n "$a8" ] &&
		 awk -v a="$a32" -v b="$a8" "BEGIN {d = a - b; exit !(d < 0.02 && d > -0.02)}"'
done
"$nlpipe" inspect "$tmp/i8.nlp" >"$tmp/out" 2>"$tmp/err"
check "nlpipe inspect shows precision = int8" 'grep -q "precision *= *int8" "$tmp/out"'
"$nlpipe" inspect --check "$tmp/i8.nlp" >"$tmp/out" 2>"$tmp/err"
check "nlpipe inspect --check names the int8 kernel" \
	'grep -Eq "precision: int8 when predicting \(kernel here: (avx512-vnni|avx2|c)\)" "$tmp/out"'
NLPIPE_MAX_CPU_ISA=sse2 "$nlpipe" inspect --check "$tmp/i8.nlp" >"$tmp/out" 2>"$tmp/err"
check "... the portable one under NLPIPE_MAX_CPU_ISA=sse2" 'grep -q "kernel here: c)" "$tmp/out"'
"$nlpipe" check --set encode.precision=int4 "$src/examples/sentiment.ini" >/dev/null 2>"$tmp/err"
check "precision = int4 is refused, naming the key" '[ $? -ne 0 ] && grep -q "precision" "$tmp/err"'
"$nlpipe" plugins lstm >"$tmp/help" 2>&1
check "nlpipe plugins lstm explains precision" \
	'grep -q "precision" "$tmp/help" && grep -q "training runs fp32" "$tmp/help"'
tap_done
