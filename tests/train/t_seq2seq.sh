#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_seq2seq.sh - sequence-to-sequence models (nlpipe/seq2seq.h, the decoder
# of models/decoder.c): nlpipe train on source<TAB>target pairs of the
# reversal task learns it to 100 % exact match on held-out pairs (eval),
# generate prints source<TAB>output and agrees greedy and with a beam, the
# attention variants train, eval --report draws attention heatmaps that show
# the reversal (and says when there are no weights), folders of paired
# files NAME.src + NAME.tgt train and evaluate, and bad input gets clear
# errors naming the file.  With `vocabulary = own` the decoder's target
# vocabulary holds only target tokens, the reversal is still learnt, and a
# source token that no target has is never output; a model saved before
# that option existed (s2s_shared_v1.nlp, a shared vocabulary) decodes as
# it did then (s2s_shared_v1.out), byte for byte.
top=${NLP_TOP_BUILDDIR:-$(pwd)}
src=${NLP_TOP_SRCDIR:-$top}
nlpipe="$top/nlpipe"
NLPIPE_DATA_DIR="$src/data"
NLPIPE_PLUGIN_PATH="${NLPIPE_PLUGIN_PATH:-$top/plugins}"
SOURCE_DATE_EPOCH=1700000000
export NLPIPE_DATA_DIR NLPIPE_PLUGIN_PATH SOURCE_DATE_EPOCH
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nlp_t_seq2seq.XXXXXX") || exit 1
trap '[ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT
. "$src/tests/tap.sh"
echo "1..37"

# Sequences of 3 to 6 of 8 letters, and the same reversed.
awk 'BEGIN { srand(3); split("a b c d e f g h", L, " ");
	for (d = 0; d < 2600; d++) { n = 3 + int(rand() * 4); s = ""; r = "";
		for (k = 0; k < n; k++) { c = L[int(rand() * 8) + 1];
			s = s (k ? " " : "") c; r = c (k ? " " : "") r }
		print s "\t" r } }' >"$tmp/all.tsv"
head -n 2500 "$tmp/all.tsv" >"$tmp/train.tsv"
tail -n 100 "$tmp/all.tsv" >"$tmp/test.tsv"
cat >"$tmp/rev.ini" <<'EOF2'
[pipeline]
stages = tok, embed, enc, dec
[tok]
type = tokenizer
[embed]
type = embedding
dim = 16
[enc]
type = lstm
hidden = 32
bidirectional = true
pooling = none
[dec]
type = decoder
hidden = 48
dim = 16
attention = multiplicative
[train]
epochs = 12
batch = 32
optimizer = adam
learning_rate = 0.01
clip = 1
validation = 0.04
metric = loss
threads = 1
seed = 1
EOF2

"$nlpipe" train "$tmp/rev.ini" "$tmp/train.tsv" -o "$tmp/rev.nlp" 2>"$tmp/err"
check "train on pairs exits 0" '[ $? -eq 0 ] && [ -s "$tmp/rev.nlp" ]'
check "the summary counts pairs and the vocabulary (8 letters, <pad>, <unk>, <s>, </s>)" \
	'grep -q "sequence to sequence: 2400 pairs (100 validation); vocabulary 12" "$tmp/err"'
check "epoch lines give token accuracy and exact match" \
	'grep -q "epoch 12/12: train loss [0-9.]* (per token); validation token accuracy" "$tmp/err"'

"$nlpipe" eval "$tmp/rev.nlp" "$tmp/test.tsv" >"$tmp/eval" 2>"$tmp/err"
check "eval exits 0" '[ $? -eq 0 ]'
check "the reversal is learnt: 100 % exact match on held-out pairs" \
	'grep -q "^exact match:     100.00 % (100)" "$tmp/eval"'
check "chrF and BLEU are 100 with every pair right" \
	'grep -q "^chrF:            100.00" "$tmp/eval" && grep -q "^BLEU:            100.00" "$tmp/eval"'
"$nlpipe" eval --json "$tmp/rev.nlp" "$tmp/test.tsv" >"$tmp/json" 2>"$tmp/err"
check "eval --json" 'grep -q "\"pairs\": 100, \"exact_match\": 1.000000, \"token_accuracy\": 1.000000" "$tmp/json"'

# The HTML report: scores, attention heatmaps of six pairs (all right here),
# a page whose tables are closed; reversing, the k-th output token looks
# mostly at the k-th source token from the end.
"$nlpipe" eval -q "$tmp/rev.nlp" "$tmp/test.tsv" --report "$tmp/r.html" >"$tmp/eval" 2>"$tmp/err"
check "eval --report exits 0 and still prints the scores" \
	'[ $? -eq 0 ] && grep -q "^exact match:     100.00 % (100)" "$tmp/eval"'
check "the report is one closed page with the scores and six heatmaps" \
	'head -n 1 "$tmp/r.html" | grep -q "^<!DOCTYPE html>" && tail -n 1 "$tmp/r.html" | grep -q "^</html>" &&
	 [ "$(grep -c "<table" "$tmp/r.html")" -eq "$(grep -c "</table>" "$tmp/r.html")" ] &&
	 ! grep -q "src=\"http" "$tmp/r.html" && grep -q "exact match" "$tmp/r.html" &&
	 [ "$(grep -c "<table class=\"att\">" "$tmp/r.html")" -eq 6 ] &&
	 [ "$(grep -c "/test.tsv:[0-9]* (right)</h3>" "$tmp/r.html")" -eq 6 ]'
awk '/<table class="att">/ { on = 1; r = 0; next }
	on && /<\/table>/ { on = 0 }
	on && /class="src"/ { n = gsub(/class="src"/, ""); next }
	on && /^<tr><th>/ && !/&lt;\/s&gt;/ {
		best = -1; j = 0; s = $0
		while (match(s, /title="[0-9.]*"/)) {
			w = substr(s, RSTART + 7, RLENGTH - 8) + 0
			if (w > best) { best = w; arg = j }
			j++; s = substr(s, RSTART + RLENGTH)
		}
		rows++; good += (arg == n - 1 - r) && (j == n); r++
	}
	END { print good + 0, rows + 0 }' "$tmp/r.html" >"$tmp/diag"
check "the heatmaps show the reversal: each output token's heaviest weight on its source token" \
	'[ "$(awk "{ print (\$2 >= 18 && \$1 >= 0.9 * \$2) }" "$tmp/diag")" = 1 ]'

"$nlpipe" generate "$tmp/rev.nlp" --input "$tmp/test.tsv" >"$tmp/greedy" 2>"$tmp/err"
check "generate exits 0" '[ $? -eq 0 ]'
check "generate prints source<TAB>output, the output reversed" 'cmp -s "$tmp/greedy" "$tmp/test.tsv"'
cut -f1 "$tmp/test.tsv" | "$nlpipe" generate "$tmp/rev.nlp" --input - --beam 4 >"$tmp/beam" 2>"$tmp/err"
check "greedy and a beam of 4 agree (source lines from standard input)" 'cmp -s "$tmp/greedy" "$tmp/beam"'
printf 'a b c\n' | "$nlpipe" generate "$tmp/rev.nlp" --input - --separator '' >"$tmp/sep" 2>"$tmp/err"
check "--separator joins the output tokens" '[ "$(cat "$tmp/sep")" = "$(printf "a b c\tcba")" ]'

# Other attention and cells train (2 epochs: no figures asked).
for v in "additive gru" "none rnn"; do
	set -- $v
	"$nlpipe" train "$tmp/rev.ini" "$tmp/train.tsv" -o "$tmp/v.nlp" --set dec.attention=$1 \
		--set dec.cell=$2 --set train.epochs=2 --set dec.tie_weights=true \
		--set dec.sampling=0.3 2>"$tmp/err"
	check "attention = $1, cell = $2, tied weights, scheduled sampling: trains" \
		'[ $? -eq 0 ] && [ -s "$tmp/v.nlp" ]'
done
"$nlpipe" eval -q "$tmp/v.nlp" "$tmp/test.tsv" --report "$tmp/rn.html" >/dev/null 2>"$tmp/err"
check "attention = none: the report says there are no weights, and has no heatmap" \
	'grep -q "This decoder has no attention weights (attention = none" "$tmp/rn.html" &&
	 ! grep -q "<table class=\"att\">" "$tmp/rn.html" && tail -n 1 "$tmp/rn.html" | grep -q "^</html>"'

# Folders of paired files: NAME.src and NAME.tgt, line k with line k.
mkdir "$tmp/pf"
head -n 60 "$tmp/test.tsv" | cut -f1 >"$tmp/pf/a.src"
head -n 60 "$tmp/test.tsv" | cut -f2 >"$tmp/pf/a.tgt"
tail -n 40 "$tmp/test.tsv" | cut -f1 >"$tmp/pf/b.src"
tail -n 40 "$tmp/test.tsv" | cut -f2 >"$tmp/pf/b.tgt"
printf '\n' >>"$tmp/pf/b.src"
printf '\n' >>"$tmp/pf/b.tgt"
"$nlpipe" eval "$tmp/rev.nlp" "$tmp/pf" >"$tmp/eval" 2>"$tmp/err"
check "eval on a folder of paired files: the same 100 pairs, every one right" \
	'[ $? -eq 0 ] && grep -q "^exact match:     100.00 % (100)" "$tmp/eval"'
mkdir "$tmp/tf"
cut -f1 "$tmp/train.tsv" >"$tmp/tf/all.src"
cut -f2 "$tmp/train.tsv" >"$tmp/tf/all.tgt"
"$nlpipe" train "$tmp/rev.ini" "$tmp/tf" -o "$tmp/tf.nlp" --set train.epochs=1 2>"$tmp/err"
check "train on a folder of paired files" \
	'[ $? -eq 0 ] && grep -q "sequence to sequence: 2400 pairs (100 validation)" "$tmp/err"'
printf 'a b\n' >"$tmp/pf/c.src"
check_run "a NAME.src without its NAME.tgt is named" 2 "pf/c.src: no $tmp/pf/c.tgt beside it" \
	"$nlpipe" eval "$tmp/rev.nlp" "$tmp/pf"
printf 'b a\nc\n' >"$tmp/pf/c.tgt"
check_run "paired files of different lengths are named" 2 \
	"pf/c.src ends after line 1, but $tmp/pf/c.tgt goes on" "$nlpipe" eval "$tmp/rev.nlp" "$tmp/pf"
rm "$tmp/pf/c.src" "$tmp/pf/c.tgt"
printf 'x\n' >"$tmp/pf/notes.txt"
check_run "another file in a folder of pairs is named" 2 \
	"pf/notes.txt: a folder of pairs holds paired files NAME.src and NAME.tgt" \
	"$nlpipe" eval "$tmp/rev.nlp" "$tmp/pf"

# A target vocabulary of the decoder's own: the embedding holds the 8
# letters (and <pad>, <unk>), the decoder the 8 letters, <pad>, <unk>, <s>,
# </s>; the reversal is learnt all the same.
"$nlpipe" train "$tmp/rev.ini" "$tmp/train.tsv" -o "$tmp/own.nlp" --set dec.vocabulary=own \
	2>"$tmp/err"
check "vocabulary = own: trains, the summary gives both vocabularies" \
	'[ $? -eq 0 ] && [ -s "$tmp/own.nlp" ] &&
	 grep -q "2400 pairs (100 validation); vocabulary 10, target vocabulary 12" "$tmp/err"'
"$nlpipe" inspect "$tmp/own.nlp" >"$tmp/inspect" 2>"$tmp/err"
check "vocabulary = own: the embedding has the sources' 10 entries, the decoder 12 target rows" \
	'grep -q "table 10 x 16" "$tmp/inspect" && grep -q "embedding 12 x 16" "$tmp/inspect" &&
	 grep -q "out_b 1 x 12" "$tmp/inspect"'
"$nlpipe" eval "$tmp/own.nlp" "$tmp/test.tsv" >"$tmp/eval" 2>"$tmp/err"
check "vocabulary = own: the reversal is learnt, 100 % exact match on held-out pairs" \
	'[ $? -eq 0 ] && grep -q "^exact match:     100.00 % (100)" "$tmp/eval"'
"$nlpipe" generate "$tmp/own.nlp" --input "$tmp/test.tsv" >"$tmp/og" 2>"$tmp/err"
cut -f1 "$tmp/test.tsv" | "$nlpipe" generate "$tmp/own.nlp" --input - --beam 4 >"$tmp/ob" 2>>"$tmp/err"
check "vocabulary = own: generate, greedy and with a beam, prints the reversals" \
	'cmp -s "$tmp/og" "$tmp/test.tsv" && cmp -s "$tmp/ob" "$tmp/test.tsv"'

# Sources with a token z that no target has (the target drops it).
awk 'BEGIN { srand(5); split("a b c d e f g h", L, " ");
	for (d = 0; d < 800; d++) { n = 3 + int(rand() * 4); s = ""; r = "";
		z = rand() < 0.5 ? int(rand() * n) : -1;
		for (k = 0; k < n; k++) { c = L[int(rand() * 8) + 1];
			s = s (k ? " " : "") (k == z ? "z " : "") c; r = c (k ? " " : "") r }
		print s "\t" r } }' >"$tmp/z.tsv"
"$nlpipe" train "$tmp/rev.ini" "$tmp/z.tsv" -o "$tmp/z.nlp" --set dec.vocabulary=own \
	--set train.epochs=2 2>"$tmp/err"
"$nlpipe" inspect "$tmp/z.nlp" >"$tmp/inspect" 2>>"$tmp/err"
check "a source-only token is in the embedding (11 entries), not the target vocabulary (12)" \
	'grep -q "table 11 x 16" "$tmp/inspect" && grep -q "embedding 12 x 16" "$tmp/inspect"'
printf 'z z z\nz\nz a z b z\nz z z z z z z z\n' >"$tmp/zsrc"
"$nlpipe" generate "$tmp/z.nlp" --input "$tmp/zsrc" --max-length 12 >"$tmp/zg" 2>"$tmp/err"
"$nlpipe" generate "$tmp/z.nlp" --input "$tmp/zsrc" --max-length 12 --beam 4 >"$tmp/zb" \
	2>>"$tmp/err"
check "a source token absent from the targets is never output (greedy, beam)" \
	'[ "$(wc -l <"$tmp/zg")" -eq 4 ] && [ "$(wc -l <"$tmp/zb")" -eq 4 ] &&
	 ! cut -f2 "$tmp/zg" "$tmp/zb" | grep -q "z"'
"$nlpipe" train "$tmp/rev.ini" "$tmp/z.tsv" -o "$tmp/zs.nlp" --set train.epochs=1 2>"$tmp/err"
"$nlpipe" inspect "$tmp/zs.nlp" >"$tmp/inspect" 2>>"$tmp/err"
check "vocabulary = shared (the default): one vocabulary of 13 for the embedding and decoder" \
	'grep -q "table 13 x 16" "$tmp/inspect" && grep -q "embedding 13 x 16" "$tmp/inspect"'
check_run "a bad vocabulary value is a clear error" 1 \
	"dec.vocabulary = 'separate': enum must be one of: shared, own" \
	"$nlpipe" train "$tmp/rev.ini" "$tmp/train.tsv" -o "$tmp/bad.nlp" --set dec.vocabulary=separate

# A model saved by nlpipe before `vocabulary` existed (the shared one).
cut -f1 "$src/tests/train/s2s_shared_v1.out" >"$tmp/v1src"
"$nlpipe" generate "$src/tests/train/s2s_shared_v1.nlp" --input "$tmp/v1src" >"$tmp/v1g" 2>"$tmp/err"
check "an older shared-vocabulary model loads and decodes byte for byte as it did" \
	'[ $? -eq 0 ] && cmp -s "$tmp/v1g" "$src/tests/train/s2s_shared_v1.out"'
"$nlpipe" generate "$src/tests/train/s2s_shared_v1.nlp" --input "$tmp/v1src" --beam 3 \
	>"$tmp/v1b" 2>"$tmp/err"
check "... and with a beam of 3" '[ $? -eq 0 ] && cmp -s "$tmp/v1b" "$src/tests/train/s2s_shared_v1.out"'

# Bad input.
printf 'a b\tb a\nc d\td c\nno tab here\n' >"$tmp/bad.tsv"
check_run "a pair line without a TAB names its file and line" 2 "bad.tsv:3: no TAB" \
	"$nlpipe" train "$tmp/rev.ini" "$tmp/bad.tsv" -o "$tmp/bad.nlp"
check_run "generate of a sequence-to-sequence model needs --input" 1 "give the source lines with --input" \
	"$nlpipe" generate "$tmp/rev.nlp"
check_run "generate --input of a missing file" 2 "nothing.txt" \
	"$nlpipe" generate "$tmp/rev.nlp" --input "$tmp/nothing.txt"
check_run "predict refuses a sequence-to-sequence model" 1 "not a classifier: decode with nlpipe generate" \
	"$nlpipe" predict "$tmp/rev.nlp" "$tmp/test.tsv"
"$nlpipe" train --resume "$tmp/rev.nlp.ckpt" "$tmp/rev.ini" "$tmp/train.tsv" -o "$tmp/rev.nlp" \
	--set train.epochs=13 2>"$tmp/err"
check "--resume continues a run on pairs (epoch 13 of 13)" \
	'grep -q "resuming .*: 12 epochs and 900 steps done" "$tmp/err" &&
	 grep -q "epoch 13/13: train loss" "$tmp/err"'
tap_done
