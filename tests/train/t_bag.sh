#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_bag.sh - tokenizer -> bag -> softmax end to end on a generated set that
# only word bigrams separate ("very good" and "not bad" against "not good"
# and "very bad": every word is as common in both classes): with bigrams and
# NB weights the model must be right on held-out documents, with words only
# it must not; the same seed gives the same bytes, and so does a resumed run;
# bad options are refused.
src=${NLP_TOP_SRCDIR:-$(pwd)}
. "$src/tests/tap.sh"
tap_setup bag

echo "1..16"

# label<TAB>text lines: filler words around one telling bigram.
gen() {
	awk -v n="$1" -v seed="$2" 'BEGIN {
		srand(seed)
		split("very good|not bad|not good|very bad", tell, "|")
		for (i = 0; i < n; i++) {
			k = int(rand() * 4) + 1
			line = (k <= 2 ? "pos" : "neg") "\t"
			m = 3 + int(rand() * 6)
			for (j = 0; j < m; j++) {
				if (j == int(m / 2))
					line = line tell[k] " "
				line = line "w" int(rand() * 30) " "
			}
			print line
		}
	}'
}
gen 600 11 >"$tmp/train.tsv"
gen 300 12 >"$tmp/test.tsv"

cat >"$tmp/bag.ini" <<'INI'
[pipeline]
stages = tokenize, bag, classify

[tokenize]
type = tokenizer

[bag]
type = bag
dim = 8
ngrams = 2
buckets = 5000
nb = on

[classify]
type = softmax

[train]
epochs = 8
batch = 16
optimizer = adam
learning_rate = 0.05
threads = 2
INI

train() { "$nlpipe" -q train "$@" 2>"$tmp/err"; }
accuracy() {
	"$nlpipe" eval --json "$1" "$tmp/test.tsv" 2>"$tmp/err" |
		sed -n 's/.*"accuracy": *\([0-9.e-]*\).*/\1/p'
}

train "$tmp/bag.ini" "$tmp/train.tsv" -o "$tmp/a.nlp"
check "train exits 0" '[ $? -eq 0 ] && [ -s "$tmp/a.nlp" ]'
acc=$(accuracy "$tmp/a.nlp")
check "bigrams + NB: held-out accuracy >= 0.95 (got $acc)" \
	'[ -n "$acc" ] && awk "BEGIN { exit !($acc >= 0.95) }"'
train "$tmp/bag.ini" "$tmp/train.tsv" -o "$tmp/b.nlp"
check "same data and seed: byte-identical model" 'cmp -s "$tmp/a.nlp" "$tmp/b.nlp"'
train --set train.epochs=4 "$tmp/bag.ini" "$tmp/train.tsv" -o "$tmp/r.nlp" &&
	train --resume "$tmp/r.nlp.ckpt" --set train.epochs=8 "$tmp/bag.ini" "$tmp/train.tsv" \
		-o "$tmp/r.nlp"
probs() { "$nlpipe" -q predict --probs --input-format lines "$1" "$tmp/test.tsv" 2>"$tmp/err"; }
probs "$tmp/a.nlp" >"$tmp/a.probs"
probs "$tmp/r.nlp" >"$tmp/r.probs"
# (the files differ only in the stored [train] epochs)
check "4 epochs, then resumed to 8: the same probabilities as 8 at once" \
	'[ -s "$tmp/a.probs" ] && cmp -s "$tmp/a.probs" "$tmp/r.probs"'
train --set bag.nb=off --set bag.binary=true --set train.optimizer=sgd \
	--set train.momentum=0 --set train.learning_rate=5 --set train.epochs=20 \
	"$tmp/bag.ini" "$tmp/train.tsv" -o "$tmp/sgd.nlp"
acc=$(accuracy "$tmp/sgd.nlp")
check "bigrams, binary, plain SGD: held-out accuracy >= 0.95 (got $acc)" \
	'[ -n "$acc" ] && awk "BEGIN { exit !($acc >= 0.95) }"'
train --set bag.ngrams=1 "$tmp/bag.ini" "$tmp/train.tsv" -o "$tmp/uni.nlp"
acc=$(accuracy "$tmp/uni.nlp")
check "words only cannot tell: held-out accuracy < 0.8 (got $acc)" \
	'[ -n "$acc" ] && awk "BEGIN { exit !($acc < 0.8) }"'
train --set bag.ngrams=1 --set bag.minn=2 --set bag.maxn=4 "$tmp/bag.ini" \
	"$tmp/train.tsv" -o "$tmp/chr.nlp"
check "character n-grams train" '[ $? -eq 0 ] && [ -s "$tmp/chr.nlp" ]'

cut -f2 "$tmp/test.tsv" | head -20 | awk '{ print > ("'"$tmp"'/doc" NR ".txt") }'
"$nlpipe" predict "$tmp/a.nlp" "$tmp"/doc*.txt >"$tmp/pred.tsv" 2>"$tmp/err"
check "predict: one row per document" '[ $? -eq 0 ] && [ "$(wc -l <"$tmp/pred.tsv")" -eq 20 ]'
"$nlpipe" inspect "$tmp/a.nlp" >"$tmp/inspect.txt" 2>"$tmp/err"
check "inspect names the bag stage" '[ $? -eq 0 ] && grep -q "bag" "$tmp/inspect.txt"'
# a trainable text stage first (stop words keep their list as state): the
# vocabulary is still the bag's (issue 14)
sed 's/^stages = tokenize, bag, classify/stages = tokenize, stop, bag, classify\n\n[stop]\ntype = stopwords/' \
	"$tmp/bag.ini" >"$tmp/stop.ini"
train "$tmp/stop.ini" "$tmp/train.tsv" -o "$tmp/s.nlp"
"$nlpipe" inspect "$tmp/s.nlp" >"$tmp/inspect.txt" 2>"$tmp/err"
check "stop words first: inspect reports the bag's vocabulary" \
	'grep -q "^vocabulary:  [0-9][0-9]* entries (stage bag)\$" "$tmp/inspect.txt"'
"$nlpipe" inspect --json "$tmp/s.nlp" >"$tmp/inspect.json" 2>"$tmp/err"
check "stop words first: inspect --json gives the vocabulary" \
	'grep -q "\"vocabulary\":[0-9]" "$tmp/inspect.json"'

# Refused options: exit 1, the key named.
refused() {
	check_run "$1: exit 1, said" 1 "$2" \
		"$nlpipe" -q train --set "$1" "$tmp/bag.ini" "$tmp/train.tsv" -o "$tmp/bad.nlp"
}
refused bag.minn=5 "minn = 5 without maxn"
refused bag.maxn=3 "1 <= minn <= maxn"
refused bag.nb=maybe "maybe"
refused bag.buckets=0 "buckets"

check "no model written for refused options" '[ ! -e "$tmp/bad.nlp" ]'
tap_done
