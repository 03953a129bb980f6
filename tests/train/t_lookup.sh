#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_lookup.sh - inference by lookup (plugin ABI 2.5, the encoders' lookup_mb):
# `nlpipe predict` and `nlpipe eval` of a trained model give the same bytes
# with the lookup on (the default) and off (lookup_mb = 0), for a
# bidirectional LSTM with max pooling and head+tail truncation
# (examples/sentiment.ini), a 2-layer GRU with attention and an RNN; -j 1 and
# -j 2, batches of 64 and 5.  The option changes nothing in training: the
# parameters of both models are the same bytes.
src=${NLP_TOP_SRCDIR:-$(pwd)}
. "$src/tests/tap.sh"
tap_setup lookup
reviews="$src/examples/reviews"

n=0
failed=0
echo "1..21"

cat >"$tmp/gru.ini" <<'EOF'
[pipeline]
stages = tokenize, embed, encode, classify
[tokenize]
type = tokenizer
[embed]
type = embedding
dim = 24
min_count = 2
[encode]
type = gru
hidden = 16
layers = 2
pooling = attention
[classify]
type = softmax
[train]
epochs = 2
batch = 16
seed = 3
EOF
sed -e 's/^type = gru/type = rnn/' -e 's/^layers = 2/layers = 1/' \
	-e 's/^pooling = attention/pooling = mean/' "$tmp/gru.ini" >"$tmp/rnn.ini"

train() { "$nlpipe" -q train --set train.threads=2 "$@" 2>"$tmp/err"; }
pred() { "$nlpipe" -q predict --probs "$@" "$reviews" 2>"$tmp/err"; }

for name in sentiment gru rnn; do
	case $name in
	sentiment) ini="$src/examples/sentiment.ini" ;;
	*) ini="$tmp/$name.ini" ;;
	esac
	train "$ini" "$reviews" -o "$tmp/on.nlp"
	train --set encode.lookup_mb=0 "$ini" "$reviews" -o "$tmp/off.nlp"
	check "$name: both models train" '[ -s "$tmp/on.nlp" ] && [ -s "$tmp/off.nlp" ]'
	"$top/tests/train/paramcmp" "$tmp/on.nlp" encode "$tmp/off.nlp" encode >/dev/null &&
		"$top/tests/train/paramcmp" "$tmp/on.nlp" embed "$tmp/off.nlp" embed >/dev/null
	check "$name: lookup_mb changes no parameter" '[ $? -eq 0 ]'
	pred "$tmp/off.nlp" >"$tmp/off.tsv"
	pred -j 1 "$tmp/on.nlp" >"$tmp/on1.tsv"
	pred -j 2 "$tmp/on.nlp" >"$tmp/on2.tsv"
	pred -j 2 --batch 5 "$tmp/on.nlp" >"$tmp/on3.tsv"
	check "$name: predict, lookup on and off: byte-identical" \
		'[ -s "$tmp/off.tsv" ] && cmp -s "$tmp/off.tsv" "$tmp/on1.tsv"'
	check "$name: ... with -j 2 too" 'cmp -s "$tmp/off.tsv" "$tmp/on2.tsv"'
	check "$name: ... and with batches of 5" 'cmp -s "$tmp/off.tsv" "$tmp/on3.tsv"'
	"$nlpipe" -q eval --json "$tmp/off.nlp" "$reviews" >"$tmp/eoff.json" 2>"$tmp/err"
	"$nlpipe" -q eval --json "$tmp/on.nlp" "$reviews" >"$tmp/eon.json" 2>"$tmp/err"
	check "$name: eval, lookup on and off: the same report" \
		'[ -s "$tmp/eon.json" ] && cmp -s "$tmp/eoff.json" "$tmp/eon.json"'
	if [ $name = sentiment ]; then
		# a cap smaller than the tables: the plain forward, same bytes
		train --set encode.lookup_mb=1 "$ini" "$reviews" -o "$tmp/tiny.nlp"
		pred "$tmp/tiny.nlp" >"$tmp/tiny.tsv"
		check "$name: lookup_mb below the tables' size: byte-identical" \
			'cmp -s "$tmp/off.tsv" "$tmp/tiny.tsv"'
		"$nlpipe" check --set encode.lookup_mb=-1 "$ini" >/dev/null 2>"$tmp/err"
		check "$name: lookup_mb = -1 is refused, naming the key" \
			'[ $? -ne 0 ] && grep -q "lookup_mb" "$tmp/err"'
		"$nlpipe" plugins lstm >"$tmp/help" 2>&1
		check "$name: nlpipe plugins lstm explains lookup_mb" 'grep -q "lookup_mb" "$tmp/help"'
	fi
done
[ "$failed" -eq 0 ]
