#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_bf16.sh - the encoders' `precision = bf16` end to end, on
# examples/sentiment.ini (a bidirectional LSTM) and a 2-layer GRU made from
# it.  Everywhere: `nlpipe check` takes the value, `nlpipe plugins lstm`
# explains it, and where bf16 cannot run (NLPIPE_MAX_CPU_ISA=avx2 here) a
# model trained with it is the fp32 model, parameter for parameter, and
# `nlpipe inspect --check` says so.  On a CPU with AVX512_BF16: training runs
# the bf16 products (other parameters than fp32's), twice the same
# parameters; `nlpipe predict` gives the same bytes with -j 1 and with -j 2
# and batches of 5; labels the same as the fp32 model's for at least 90 % of
# the documents and `nlpipe eval` within 5 points (two trainings that
# diverge from the first step on 40 reviews); inspect names the kernel.
src=${NLP_TOP_SRCDIR:-$(pwd)}
. "$src/tests/tap.sh"
. "$src/tests/train/precision.sh"
precision_setup bf16
echo "1..16"

check_run "nlpipe check takes precision = bf16" 0 "" \
	"$nlpipe" check --set encode.precision=bf16 "$src/examples/sentiment.ini"
"$nlpipe" plugins lstm >"$tmp/help" 2>&1
check "nlpipe plugins lstm explains bf16" 'grep -q "bf16 (training and prediction)" "$tmp/help"'

# where bf16 cannot run, the option runs fp32
NLPIPE_MAX_CPU_ISA=avx2 train "$src/examples/sentiment.ini" "$reviews" -o "$tmp/a32.nlp"
NLPIPE_MAX_CPU_ISA=avx2 train --set encode.precision=bf16 "$src/examples/sentiment.ini" \
	"$reviews" -o "$tmp/a16.nlp"
check "without AVX512_BF16 (NLPIPE_MAX_CPU_ISA=avx2): both train" \
	'[ -s "$tmp/a32.nlp" ] && [ -s "$tmp/a16.nlp" ]'
samepar "$tmp/a32.nlp" "$tmp/a16.nlp"
ok $? "... and bf16 gives fp32's parameters"
NLPIPE_MAX_CPU_ISA=avx2 "$nlpipe" inspect --check "$tmp/a16.nlp" >"$tmp/out" 2>"$tmp/err"
check "... inspect --check says this CPU runs it at fp32" \
	'grep -q "precision: bf16.*kernel here: none: this CPU runs it at fp32" "$tmp/out"'

"$nlpipe" inspect --check "$tmp/a16.nlp" >"$tmp/out" 2>"$tmp/err"
if ! grep -q "kernel here: avx512-bf16" "$tmp/out"; then
	for i in 6 7 8 9 10 11 12 13 14 15 16; do
		echo "ok $i # SKIP this CPU has no AVX512_BF16: precision = bf16 runs fp32 here"
	done
	exit 0
fi
pass "inspect --check names the bf16 kernel"

for name in sentiment gru; do
	ini=$(model_ini "$name")
	train "$ini" "$reviews" -o "$tmp/f32.nlp"
	train --set encode.precision=bf16 "$ini" "$reviews" -o "$tmp/b16.nlp"
	train --set encode.precision=bf16 "$ini" "$reviews" -o "$tmp/b16again.nlp"
	check "$name: trains at bf16" '[ -s "$tmp/b16.nlp" ] && ! samepar "$tmp/f32.nlp" "$tmp/b16.nlp"'
	samepar "$tmp/b16.nlp" "$tmp/b16again.nlp"
	ok $? "$name: trained twice at bf16, the same parameters"
	predict_pair "$tmp/f32.nlp" "$tmp/b16.nlp"
	check "$name: bf16 predicts every document; -j 2 and batches of 5: the same bytes" \
		'[ -s "$tmp/b16.tsv" ] && [ $(wc -l <"$tmp/b16.tsv") -eq $(wc -l <"$tmp/f32.tsv") ] &&
		 cmp -s "$tmp/b16.tsv" "$tmp/b16b.tsv"'
	check_labels "$name: labels the same for >= 90 % of the documents" \
		"$tmp/f32.tsv" "$tmp/b16.tsv" 90
	check_accuracy "$name: eval accuracy within 5 points" "$tmp/f32.nlp" "$tmp/b16.nlp" \
		"$reviews" 0.05
done
tap_done
