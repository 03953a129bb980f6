#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_multilabel.sh - multi-label fastText lines (`__label__a __label__b text`):
# each of 3 labels is on a line exactly when its cue word is; a sigmoid model
# learns the sets (micro F1 >= 0.9 on held-out lines), its per-label
# thresholds (tuned on the validation share) are saved and used after
# reloading, eval gives per-label and micro/macro figures (text and JSON),
# a softmax head is refused with the line at fault, and single-label
# fastText lines give the same model bytes as the same data in label<TAB>text.
src=${NLP_TOP_SRCDIR:-$(pwd)}
. "$src/tests/tap.sh"
tap_setup multilabel

echo "1..12"

# n lines, seed: filler words, and each label's cue word iff it has the label.
gen() {
	awk -v n="$1" -v seed="$2" 'BEGIN {
		srand(seed)
		split("sports politics tech", lab, " ")
		split("goal vote code", cue, " ")
		split("the a of and to in is was it for on with as at by this", fill, " ")
		for (i = 0; i < n; i++) {
			labels = ""; words = ""; k = 0
			for (j = 1; j <= 3; j++)
				if (rand() < 0.4) { has[j] = 1; k++ } else has[j] = 0
			if (!k) has[int(rand() * 3) + 1] = 1
			for (j = 1; j <= 3; j++)
				if (has[j]) labels = labels "__label__" lab[j] " "
			for (w = 0; w < 8; w++) {
				words = words fill[int(rand() * 16) + 1] " "
				for (j = 1; j <= 3; j++)
					if (has[j] && w == 2 * j) words = words cue[j] " "
			}
			print labels words
		}
	}'
}
gen 1200 1 >"$tmp/train.txt"
gen 300 2 >"$tmp/test.txt"

cat >"$tmp/ml.ini" <<'INI'
[pipeline]
stages = tokenize, encode, classify
[tokenize]
type = tokenizer
[encode]
type = bag
dim = 16
[classify]
type = sigmoid
[train]
epochs = 10
learning_rate = 0.05
threads = 1
INI
sed 's/type = sigmoid/type = softmax/' "$tmp/ml.ini" >"$tmp/sm.ini"

check_run "a sigmoid head trains on multi-label lines" 0 "micro_f1" \
	"$nlpipe" train "$tmp/ml.ini" "$tmp/train.txt" -o "$tmp/m.nlp"
check_run "a softmax head is refused with the line at fault" 1 \
	"several labels on $tmp/train.txt:" "$nlpipe" train -q "$tmp/sm.ini" "$tmp/train.txt" -o "$tmp/s.nlp"
check "the message says to use a sigmoid head" \
	"grep -qF 'use a sigmoid head (type = sigmoid) for multi-label data' '$tmp/out'"
check "no model is written when refused" "[ ! -e '$tmp/s.nlp' ]"

"$nlpipe" eval -q "$tmp/m.nlp" "$tmp/test.txt" >"$tmp/eval.txt" 2>"$tmp/err"
check "eval prints micro and macro F1 and subset accuracy" \
	"grep -q '^micro precision: .* micro F1: ' '$tmp/eval.txt' && grep -q '^macro F1: ' '$tmp/eval.txt' && grep -q '^subset accuracy: ' '$tmp/eval.txt'"
check "eval prints every label's precision, recall and F1" \
	"[ \$(grep -cE '^(sports|politics|tech) ' '$tmp/eval.txt') -eq 3 ]"
micro=$(sed -n 's/.*micro F1: \([0-9.]*\).*/\1/p' "$tmp/eval.txt")
check "micro F1 on held-out lines >= 0.9 (got $micro)" "awk -v f='$micro' 'BEGIN { exit !(f >= 0.9) }'"
"$nlpipe" eval -q --json "$tmp/m.nlp" "$tmp/test.txt" >"$tmp/eval.json" 2>"$tmp/err"
check "eval --json gives the figures" \
	"/usr/bin/env python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d[\"multi_label\"] and d[\"micro_f1\"] >= 0.9 and len(d[\"labels\"]) == 3 and all(0 <= l[\"f1\"] <= 1 for l in d[\"labels\"])' '$tmp/eval.json' 2>'$tmp/err' || grep -q '\"micro_f1\": 0.9' '$tmp/eval.json'"

# The thresholds in the model are the tuned ones (not all 0.5), and predict
# uses them: the labels it prints are those at or over their threshold.
ths=$(sed -n 's/^\(sports\|politics\|tech\) *\([0-9.]*\).*/\2/p' "$tmp/eval.txt" | tr '\n' ' ')
check "tuned thresholds are saved and reloaded (got $ths)" \
	"echo '$ths' | awk '{ for (i = 1; i <= NF; i++) if (\$i != \"0.500\") d = 1; exit !(NF == 3 && d) }'"
printf 'x vote y code z\nthe a of\n' >"$tmp/p.txt"
"$nlpipe" predict -q --input-format lines "$tmp/m.nlp" "$tmp/p.txt" >"$tmp/pred.txt" 2>"$tmp/err"
check "predict prints every label over its threshold" \
	"head -1 '$tmp/pred.txt' | grep -q politics && head -1 '$tmp/pred.txt' | grep -q tech && ! head -1 '$tmp/pred.txt' | grep -q sports"

# Single-label fastText lines: the same model as label<TAB>text lines.
awk '{ l = $1; sub(/^__label__/, "", l); $1 = ""; sub(/^ /, ""); print l "\t" $0 }' \
	"$tmp/train.txt" | awk -F '\t' '{ split($1, a, " "); sub(/__label__.*/, "", $2); print "__label__" a[1] " " $2 }' \
	>"$tmp/single.txt"
mkdir "$tmp/ft" "$tmp/tab"
cp "$tmp/single.txt" "$tmp/ft/data.txt"
sed 's/^__label__\([a-z]*\) /\1\t/' "$tmp/single.txt" >"$tmp/tab/data.txt"
sed 's/type = sigmoid/type = softmax/; s/epochs = 10/epochs = 2/' "$tmp/ml.ini" >"$tmp/one.ini"
# (the model keeps the data's path: the same relative name in both)
(cd "$tmp/ft" && "$nlpipe" train -q "$tmp/one.ini" data.txt -o m.nlp) 2>"$tmp/err" &&
	(cd "$tmp/tab" && "$nlpipe" train -q "$tmp/one.ini" data.txt -o m.nlp) 2>>"$tmp/err"
check "single-label fastText lines train a softmax model" "[ -s '$tmp/ft/m.nlp' ]"
check "the same bytes as the same data as label<TAB>text" "cmp -s '$tmp/ft/m.nlp' '$tmp/tab/m.nlp'"
tap_done
