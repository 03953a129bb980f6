#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_branch.sh - pipelines with branches through the command line (check
# prints the graph, train, inspect, predict, the same model for the same
# seed), and models written before branches existed: v1-gru.nlpm was trained
# by nlpipe 0.1.0 before this change (format version 1); it must still load
# and give the predictions it gave then (v1-gru.tsv).  A chain trained now is
# still written as format version 1.
src=${NLP_TOP_SRCDIR:-$(pwd)}
. "$src/tests/tap.sh"
tap_setup branch
echo "1..17"

# -- a model of format version 1 --
old="$src/tests/train/v1-gru.nlpm"
check_run "a version-1 model: inspect reads it" 0 "nlpipe model format 1" "$nlpipe" inspect "$old"
check_run "a version-1 model: its graph is the chain" 0 "classify <- encode" "$nlpipe" inspect "$old"
check_run "a version-1 model: loads with today's modules" 0 "loads with the installed modules" \
	"$nlpipe" inspect --check "$old"
(cd "$src/examples" && "$nlpipe" -q predict "$old" unlabelled) >"$tmp/pred.tsv" 2>"$tmp/err"
check_run "a version-1 model: predict runs" 0 "" test -s "$tmp/pred.tsv"
# P(pos) of every document as it was when the model was written
ppos='{ p = ($2 == "pos") ? $3 : 1 - $3; print $1 "\t" p }'
awk -F'\t' "$ppos" "$src/tests/train/v1-gru.tsv" >"$tmp/want"
awk -F'\t' "$ppos" "$tmp/pred.tsv" >"$tmp/got"
check_run "a version-1 model: the same predictions as when it was written" 0 "" \
	awk -F'\t' 'NR == FNR { w[$1] = $2; next } { n++; d = $2 - w[$1]; if (!($1 in w) || d > 1e-4 || d < -1e-4) bad = 1 } END { exit bad || n != 20 }' \
	"$tmp/want" "$tmp/got"
"$nlpipe" -q train "$src/tests/train/v1-gru.ini" "$src/examples/reviews" -o "$tmp/chain.nlpm" 2>"$tmp/err"
check_run "a chain trained now is still format version 1" 0 "nlpipe model format 1" \
	"$nlpipe" inspect "$tmp/chain.nlpm"

# -- a pipeline with branches --
cat >"$tmp/branch.ini" <<'INI'
[pipeline]
stages = tokenize, stop, embed, encode, bag, pool, classify
[tokenize]
type = tokenizer
[stop]
type = stopwords
[embed]
type = embedding
dim = 8
[encode]
type = lstm
hidden = 8
pooling = mean
[bag]
type = embedding
input = tokenize
dim = 4
[pool]
type = gru
hidden = 4
pooling = max
[classify]
type = softmax
input = encode, pool
[train]
epochs = 8
learning_rate = 0.01
seed = 5
threads = 2
INI
check_run "check: the graph, each stage and what it reads" 0 "#   classify <- encode, pool" \
	"$nlpipe" check "$tmp/branch.ini"
check_run "check: the second branch reads the tokenizer" 0 "#   bag      <- tokenize" \
	"$nlpipe" check "$tmp/branch.ini"
check_run "check: the resolved pipeline keeps input" 0 "input         = encode, pool" \
	"$nlpipe" check "$tmp/branch.ini"
check_run "train a pipeline with branches" 0 "" \
	"$nlpipe" -q train "$tmp/branch.ini" "$src/examples/reviews" -o "$tmp/b1.nlpm"
"$nlpipe" -q train "$tmp/branch.ini" "$src/examples/reviews" -o "$tmp/b2.nlpm" 2>"$tmp/err"
check_run "same data and seed: byte-identical branched model" 0 "" cmp "$tmp/b1.nlpm" "$tmp/b2.nlpm"
check_run "inspect: format version 2" 0 "nlpipe model format 2" "$nlpipe" inspect "$tmp/b1.nlpm"
check_run "inspect: the graph" 0 "classify <- encode, pool" "$nlpipe" inspect "$tmp/b1.nlpm"
check_run "inspect --json: each stage's inputs" 0 '"inputs":["encode","pool"]' \
	"$nlpipe" inspect --json "$tmp/b1.nlpm"
check_run "inspect --check: the width of the joined input" 0 "width: in 12 -> out 2" \
	"$nlpipe" inspect --check "$tmp/b1.nlpm"
"$nlpipe" -q predict "$tmp/b1.nlpm" "$src/examples/unlabelled" >"$tmp/p1.tsv" 2>"$tmp/err"
check_run "predict with the branched model: a row a document" 0 "" \
	test "$(wc -l <"$tmp/p1.tsv")" -eq 20
"$nlpipe" eval --json "$tmp/b1.nlpm" "$src/examples/reviews" >"$tmp/eval.json" 2>"$tmp/err"
acc=$(sed -n 's/.*"accuracy": *\([0-9.e-]*\).*/\1/p' "$tmp/eval.json")
check_run "eval: the branched model learned the training corpus (accuracy $acc)" 0 "" \
	awk "BEGIN { exit !($acc >= 0.8) }"
tap_done
