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
. "$src/tests/train/precision.sh"
precision_setup int8
echo "1..17"

for name in sentiment gru; do
	ini=$(model_ini "$name")
	train "$ini" "$reviews" -o "$tmp/f32.nlp"
	train --set encode.precision=int8 "$ini" "$reviews" -o "$tmp/i8.nlp"
	check "$name: both models train" '[ -s "$tmp/f32.nlp" ] && [ -s "$tmp/i8.nlp" ]'
	samepar "$tmp/f32.nlp" "$tmp/i8.nlp"
	ok $? "$name: precision = int8 changes no parameter (training runs fp32)"
	predict_pair "$tmp/f32.nlp" "$tmp/i8.nlp"
	check "$name: int8 predicts every document, not fp32's bytes" \
		'[ -s "$tmp/i8.tsv" ] && [ $(wc -l <"$tmp/i8.tsv") -eq $(wc -l <"$tmp/f32.tsv") ] &&
		 ! cmp -s "$tmp/f32.tsv" "$tmp/i8.tsv"'
	check "$name: int8 with -j 2 and batches of 5: the same bytes" \
		'cmp -s "$tmp/i8.tsv" "$tmp/i8b.tsv"'
	check_labels "$name: labels the same for >= 97 % of the documents" \
		"$tmp/f32.tsv" "$tmp/i8.tsv" 97
	check_accuracy "$name: eval accuracy within 2 points" "$tmp/f32.nlp" "$tmp/i8.nlp" \
		"$reviews" 0.02
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
