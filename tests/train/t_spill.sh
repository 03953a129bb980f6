#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_spill.sh - the training data in a temporary file (train --data-memory,
# pipeline/spill.c): a model trained with its data's tokens and ids in the
# file (--data-memory 0) is byte for byte the one trained with them in
# memory, for a classifier with two id streams (a validation share split off,
# or its own validation file), a resumed run (ids read directly) and a
# language model (the end-of-document mark); a full disk while the file is
# written (RLIMIT_FSIZE: EFBIG, the path of ENOSPC) is exit 2 naming the
# error; no file is left beside the model.
src=${NLP_TOP_SRCDIR:-$(pwd)}
. "$src/tests/tap.sh"
tap_setup spill
NLPIPE_PLUGIN_PATH="${NLPIPE_PLUGIN_PATH:-$top/plugins}"
export NLPIPE_PLUGIN_PATH
echo "1..12"

# 3,000 short documents of two classes: words shared by both, and words of
# each class's own.
awk 'BEGIN { srand(11);
	for (d = 0; d < 3000; d++) { c = d % 2; n = 4 + int(rand() * 12); line = "";
		for (k = 0; k < n; k++) {
			w = rand() < 0.6 ? "w" int(rand() * 200) : (c ? "p" : "q") int(rand() * 50);
			line = line (k ? " " : "") w }
		print (c ? "pos" : "neg") "\t" line } }' >"$tmp/all.tsv"
head -n 2600 "$tmp/all.tsv" >"$tmp/train.tsv"
tail -n 400 "$tmp/all.tsv" >"$tmp/val.tsv"
lines="--input-format lines"
cat >"$tmp/c.ini" <<'EOF'
[pipeline]
stages = tok, embed, rnn, bag, head
[tok]
type = tokenizer
[embed]
type = embedding
dim = 8
[rnn]
type = gru
hidden = 8
pooling = max
[bag]
type = bag
input = tok
dim = 4
buckets = 5000
[head]
type = softmax
input = rnn, bag
[train]
epochs = 2
batch = 16
validation = 0.1
threads = 1
seed = 3
EOF

mkdir "$tmp/m" "$tmp/f"
# train NAME DIR ARGS...: the model DIR/NAME.nlp.
train() {
	name=$1 dir=$2
	shift 2
	"$nlpipe" -q train "$@" -o "$tmp/$dir/$name.nlp" 2>"$tmp/err"
}
same() {
	cmp -s "$tmp/m/$1.nlp" "$tmp/f/$1.nlp"
}

train split m "$tmp/c.ini" $lines "$tmp/train.tsv"
rc_m=$?
train split f --data-memory 0 "$tmp/c.ini" $lines "$tmp/train.tsv"
rc_f=$?
check "a validation share split off: both runs exit 0" '[ $rc_m -eq 0 ] && [ $rc_f -eq 0 ]'
check "... and give the same model bytes" 'same split'

train vfile m "$tmp/c.ini" $lines --set train.validation_data="$tmp/val.tsv" "$tmp/train.tsv"
rc_m=$?
train vfile f --data-memory 0 "$tmp/c.ini" $lines --set train.validation_data="$tmp/val.tsv" \
	"$tmp/train.tsv"
rc_f=$?
check "a validation file: both runs exit 0" '[ $rc_m -eq 0 ] && [ $rc_f -eq 0 ]'
check "... and give the same model bytes" 'same vfile'

# Resume (the ids are read directly, the vocabulary being the checkpoint's).
train one m "$tmp/c.ini" $lines --set train.epochs=1 "$tmp/train.tsv"
for d in m f; do cp "$tmp/m/one.nlp.ckpt" "$tmp/$d/res.ckpt"; done
train res m --resume "$tmp/m/res.ckpt" --set train.epochs=2 $lines "$tmp/c.ini" "$tmp/train.tsv"
rc_m=$?
train res f --data-memory 0 --resume "$tmp/f/res.ckpt" --set train.epochs=2 $lines \
	"$tmp/c.ini" "$tmp/train.tsv"
rc_f=$?
check "resumed: both runs exit 0" '[ $rc_m -eq 0 ] && [ $rc_f -eq 0 ]'
check "... and give the same model bytes" 'same res'

# A language model: the end-of-document mark goes in with the tokens.
cut -f 2 "$tmp/all.tsv" >"$tmp/text.txt"
cat >"$tmp/lm.ini" <<'EOF'
[pipeline]
stages = tok, embed, rnn, head
[tok]
type = tokenizer
[embed]
type = embedding
dim = 8
[rnn]
type = lstm
hidden = 8
pooling = none
[head]
type = next_token
[train]
epochs = 1
batch = 8
bptt = 10
validation = 0.1
threads = 1
EOF
train lm m "$tmp/lm.ini" --input-format lines --line-format plain "$tmp/text.txt"
rc_m=$?
train lm f --data-memory 0 "$tmp/lm.ini" --input-format lines --line-format plain "$tmp/text.txt"
rc_f=$?
check "a language model: both runs exit 0" '[ $rc_m -eq 0 ] && [ $rc_f -eq 0 ]'
check "... and give the same model bytes" 'same lm'

# A full disk while the data's file is written.
mkdir "$tmp/full"
(
	trap '' XFSZ
	ulimit -f 8
	"$nlpipe" -q train --data-memory 0 "$tmp/c.ini" $lines "$tmp/all.tsv" -o "$tmp/full/x.nlp"
	echo "rc=$?"
) >"$tmp/err" 2>&1
check "a full disk while writing the data's file: exit 2" 'grep -q "^rc=2$" "$tmp/err"'
check "... naming the file and the error" \
	'grep -q "writing the training data.s temporary file failed: File too large" "$tmp/err"'
check "... and nothing is left beside the model" '[ -z "$(ls -A "$tmp/full")" ]'
check "no temporary file is left after the runs" \
	'[ -z "$(find "$tmp/m" "$tmp/f" -name ".nlpipe-data*")" ]'
tap_done
