#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_quantize.sh - `nlpipe quantize` end to end, on a generated set (filler
# words and a few telling ones, none in every fifth document): a bag model
# (tokenizer -> bag with bigrams and NB weights -> softmax) and a BiLSTM one
# (tokenizer -> embedding -> lstm -> softmax) are quantized; the files are at
# least 2.8x (bag) and 1.7x (lstm: its small head and stored text weigh)
# smaller, with the parameters at least 3x smaller; predictions give the
# same label for at least 99 % of the test documents and probabilities
# within 0.02 of the fp32 model's (and of `precision = int8` on it), eval's
# accuracy within a point; the same input gives the same bytes; `inspect`
# says the model is quantized and what each stage takes; resume, init_from,
# a quantized input, a checkpoint, a language model, a file that is not a
# model and outputs that cannot be written are refused, leaving no file
# behind.
src=${NLP_TOP_SRCDIR:-$(pwd)}
. "$src/tests/tap.sh"
tap_setup quantize

echo "1..35"

# N documents from SEED: label<TAB>filler words with, in four documents out of
# five, telling ones (great0..3 or awful0..3, a fifth of the words); the
# fifth document's label cannot be told.
gen() {
	awk -v n="$1" -v seed="$2" 'BEGIN {
		srand(seed)
		for (i = 0; i < n; i++) {
			y = i % 2
			doc = ""
			for (len = 4 + int(rand() * 8); len > 0; len--) {
				tell = rand() < 0.2 && i % 5
				doc = doc (tell ? (y ? "great" : "awful") : "w") int(rand() * (tell ? 4 : 60)) " "
			}
			printf "%s\t%s\n", y ? "pos" : "neg", doc
		}
	}'
}
gen 800 11 >"$tmp/train.tsv"
gen 300 12 >"$tmp/test.tsv"

cat >"$tmp/bag.ini" <<'INI'
[pipeline]
stages = tokenize, bag, classify
[tokenize]
type = tokenizer
[bag]
type = bag
dim = 16
ngrams = 2
buckets = 20000
nb = on
[classify]
type = softmax
[train]
epochs = 6
batch = 16
optimizer = adam
learning_rate = 0.05
threads = 2
INI
cat >"$tmp/lstm.ini" <<'INI'
[pipeline]
stages = tokenize, embed, encode, classify
[tokenize]
type = tokenizer
[embed]
type = embedding
dim = 32
[encode]
type = lstm
hidden = 16
bidirectional = true
pooling = max
[classify]
type = softmax
[train]
epochs = 4
batch = 16
optimizer = adam
learning_rate = 0.01
threads = 2
INI

# size FILE
size() { wc -c <"$1" | tr -d ' '; }
# params_bytes FILE: the parameter bytes inspect --json reports
params_bytes() {
	"$nlpipe" inspect --json "$1" | tr ',' '\n' | sed -n 's/.*"params_bytes":\([0-9]*\).*/\1/p' |
		awk '{s += $1} END {print s + 0}'
}
# ratio A B MIN: A / B >= MIN
ratio() { awk -v a="$1" -v b="$2" -v m="$3" 'BEGIN {printf "%.2f", a / b; exit !(a >= m * b)}'; }
# compare A.tsv B.tsv (predict --probs: document, then label and probability
# pairs): "labels-differing max-probability-difference"
compare() {
	paste "$1" "$2" | awk -F'\t' '{
		h = NF / 2
		if ($2 != $(h + 2)) d++
		for (i = 2; i < h; i += 2)
			for (j = h + 2; j < NF; j += 2)
				if ($i == $j) { x = $(i + 1) - $(j + 1); if (x < 0) x = -x; if (x > m) m = x }
	} END {printf "%d %.6f\n", d, m}'
}
acc() { "$nlpipe" -q eval "$1" "$tmp/test.tsv" | sed -n 's/^accuracy *\([0-9.]*\).*/\1/p'; }

for m in bag lstm; do
	"$nlpipe" -q train "$tmp/$m.ini" "$tmp/train.tsv" -o "$tmp/$m.nlp" 2>"$tmp/err"
	check "$m: trains" '[ -s "$tmp/$m.nlp" ]'
	check_run "$m: quantize exits 0 and reports the sizes" 0 "smaller" \
		"$nlpipe" quantize "$tmp/$m.nlp" "$tmp/$m-q.nlp"
	case $m in bag) min=2.8 ;; *) min=1.7 ;; esac
	r=$(ratio "$(size "$tmp/$m.nlp")" "$(size "$tmp/$m-q.nlp")" $min)
	ok $? "$m: the file is ${r}x smaller (at least ${min}x)"
	r=$(ratio "$(params_bytes "$tmp/$m.nlp")" "$(params_bytes "$tmp/$m-q.nlp")" 3)
	ok $? "$m: its parameters take ${r}x fewer bytes (at least 3x)"
	"$nlpipe" -q predict --probs "$tmp/$m.nlp" "$tmp/test.tsv" >"$tmp/$m-32.tsv"
	"$nlpipe" -q predict --probs "$tmp/$m-q.nlp" "$tmp/test.tsv" >"$tmp/$m-q8.tsv"
	compare "$tmp/$m-32.tsv" "$tmp/$m-q8.tsv" >"$tmp/cmp"
	read -r nd mx <"$tmp/cmp"
	echo "# $m: $nd labels differ, probabilities within $mx"
	check "$m: the same label for at least 99 % of the documents, probabilities within 0.02" \
		'[ $(wc -l <"$tmp/$m-q8.tsv") -eq 300 ] && [ "$nd" -le 3 ] &&
		 awk -v x="$mx" "BEGIN {exit !(x <= 0.02)}"'
	a32=$(acc "$tmp/$m.nlp")
	a8=$(acc "$tmp/$m-q.nlp")
	echo "# $m: accuracy fp32 $a32, quantized $a8"
	check "$m: eval accuracy within a point" \
		'[ -n "$a32" ] && [ -n "$a8" ] &&
		 awk -v a="$a32" -v b="$a8" "BEGIN {d = a - b; exit !(d < 0.01 && d > -0.01)}"'
done

# precision = int8 on the fp32 model: the recurrent products run on the same
# integers; what differs is the table's and w_ih_l0's quantization
"$nlpipe" -q train --set encode.precision=int8 "$tmp/lstm.ini" "$tmp/train.tsv" \
	-o "$tmp/lstm-i8.nlp" 2>"$tmp/err"
"$nlpipe" -q predict --probs "$tmp/lstm-i8.nlp" "$tmp/test.tsv" >"$tmp/lstm-i8.tsv"
compare "$tmp/lstm-i8.tsv" "$tmp/lstm-q8.tsv" >"$tmp/cmp"
read -r nd mx <"$tmp/cmp"
echo "# lstm against precision = int8: $nd labels differ, probabilities within $mx"
check "lstm: against precision = int8 on the fp32 model: labels (99 %), within 0.02" \
	'[ "$nd" -le 3 ] && awk -v x="$mx" "BEGIN {exit !(x <= 0.02)}"'

"$nlpipe" quantize "$tmp/bag.nlp" "$tmp/again.nlp" 2>/dev/null
check "the same model quantized twice: the same bytes" 'cmp -s "$tmp/bag-q.nlp" "$tmp/again.nlp"'

"$nlpipe" inspect "$tmp/lstm-q.nlp" >"$tmp/out" 2>"$tmp/err"
check "inspect says the model is quantized, in format 3" \
	'grep -q "^quantized: *yes" "$tmp/out" && grep -q "model format 3" "$tmp/out"'
check "inspect gives each stage's stored bytes and int8 blocks" \
	'grep -q "stored: .* (1 of 1 blocks int8)" "$tmp/out" &&
	 grep -q "stored: .* (4 of 8 blocks int8)" "$tmp/out" && grep -q "stored: .* (float32)" "$tmp/out"'
check "the encoder is stored with precision = int8" 'grep -q "precision = int8" "$tmp/out"'
"$nlpipe" inspect "$tmp/lstm.nlp" >"$tmp/out" 2>"$tmp/err"
check "inspect of the fp32 model: no quantized line, every stage float32" \
	'! grep -q "^quantized:" "$tmp/out" && ! grep -q "blocks int8" "$tmp/out"'
"$nlpipe" inspect --json "$tmp/lstm-q.nlp" >"$tmp/out" 2>"$tmp/err"
check "inspect --json: quantized true, int8_blocks per stage" \
	'grep -q "\"quantized\":true" "$tmp/out" && grep -q "\"int8_blocks\":4" "$tmp/out"'
check_run "inspect --check loads the quantized model" 0 "loads with the installed modules" \
	"$nlpipe" inspect --check "$tmp/lstm-q.nlp"

# refusals
check_run "train --resume from a quantized model: refused, naming it" 1 \
	"$tmp/lstm-q.nlp is a quantized model" \
	"$nlpipe" train --resume "$tmp/lstm-q.nlp" "$tmp/lstm.ini" "$tmp/train.tsv" -o "$tmp/r.nlp"
check "... and no model written" '[ ! -e "$tmp/r.nlp" ]'
sed "s|^stages = |init_from = $tmp/lstm-q.nlp\\nstages = |" "$tmp/lstm.ini" >"$tmp/ft.ini"
check_run "init_from = a quantized model: refused, saying to use the fp32 one" 1 \
	"start from the fp32 model" \
	"$nlpipe" train "$tmp/ft.ini" "$tmp/train.tsv" -o "$tmp/ft.nlp"
check_run "a quantized model is not quantized again" 1 "already quantized" \
	"$nlpipe" quantize "$tmp/lstm-q.nlp" "$tmp/qq.nlp"
check_run "a checkpoint is refused" 1 "training checkpoint" \
	"$nlpipe" quantize "$tmp/lstm.nlp.ckpt" "$tmp/qq.nlp"
check_run "a file that is not a model: exit 2" 2 "not an nlpipe model" \
	"$nlpipe" quantize "$tmp/train.tsv" "$tmp/qq.nlp"
check_run "a missing model: exit 2, naming it" 2 "$tmp/none.nlp" \
	"$nlpipe" quantize "$tmp/none.nlp" "$tmp/qq.nlp"
check "... no output written" '[ ! -e "$tmp/qq.nlp" ]'
cp "$tmp/bag-q.nlp" "$tmp/keep.nlp"
"$nlpipe" quantize "$tmp/train.tsv" "$tmp/keep.nlp" 2>/dev/null
check "a failed quantize leaves an existing output as it was" \
	'cmp -s "$tmp/bag-q.nlp" "$tmp/keep.nlp"'
check_run "an output in a missing folder: refused" 2 "$tmp/no/dir/q.nlp" \
	"$nlpipe" quantize "$tmp/bag.nlp" "$tmp/no/dir/q.nlp"
mkdir "$tmp/isdir"
"$nlpipe" quantize "$tmp/bag.nlp" "$tmp/isdir" 2>"$tmp/err"
check "an output that is a folder: refused, no temporary file left" \
	'[ $? -ne 0 ] && [ -d "$tmp/isdir" ] && [ -z "$(ls "$tmp/isdir")" ] &&
	 [ -z "$(ls "$tmp" | grep "\.tmp\.")" ]'

# a language model's text: the letters a..h in a cycle, from a random start
awk 'BEGIN {
	srand(3)
	for (d = 0; d < 120; d++) {
		s = int(rand() * 8)
		for (k = 0; k < 8; k++)
			printf "%c%s", 97 + (s + k) % 8, k < 7 ? " " : "\n"
	}
}' >"$tmp/lm.txt"
cat >"$tmp/lm.ini" <<'INI'
[pipeline]
stages = tok, embed, rnn, head
[tok]
type = tokenizer
[embed]
type = embedding
dim = 16
[rnn]
type = lstm
hidden = 16
pooling = none
[head]
type = next_token
[train]
epochs = 1
batch = 8
bptt = 8
threads = 1
INI
"$nlpipe" -q train "$tmp/lm.ini" --input-format lines --line-format plain "$tmp/lm.txt" \
	-o "$tmp/lm.nlp" 2>"$tmp/err"
check_run "a language model is refused" 1 "language or sequence-to-sequence model" \
	"$nlpipe" quantize "$tmp/lm.nlp" "$tmp/qq.nlp"

check_run "no arguments: usage error" 1 "needs a model file and an output file" \
	"$nlpipe" quantize
check_run "an unknown option: usage error" 1 "" "$nlpipe" quantize --cutoff 5 a b
check_run "--help explains it" 0 "int8 with one float32 scale per row" \
	"$nlpipe" quantize --help
tap_done
