#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_lm.sh - language models (nlpipe/lm.h): nlpipe train on plain text whose
# structure is known (the validation perplexity falls near its entropy, far
# below the vocabulary), eval's figures agree with each other and --json,
# generate is deterministic per seed, and bad input gets clear errors.  The
# host part runs with t_next (tests/train/mod_lmhead.c), the example
# examples/lm.ini with the models module's next_token.
src=${NLP_TOP_SRCDIR:-$(pwd)}
. "$src/tests/tap.sh"
tap_setup lm
NLPIPE_PLUGIN_PATH="${NLPIPE_PLUGIN_PATH:-$top/plugins}:$top/tests/train/lmhead"
export NLPIPE_PLUGIN_PATH
echo "1..37"

# Documents of 5 to 15 letters counting on from a random one of 12, around
# the circle: a first letter (log 12 nats), then nothing to guess but where
# the document ends (log 11 nats over its ~11 predictions).  The best model's
# perplexity is exp((log 12 + log 11) / 11) = 1.56; the vocabulary has 15.
awk 'BEGIN { srand(7); split("a b c d e f g h i j k l", L, " ");
	for (d = 0; d < 700; d++) { s = int(rand() * 12); n = 5 + int(rand() * 11); line = "";
		for (k = 0; k < n; k++) line = line (k ? " " : "") L[(s + k) % 12 + 1];
		print line } }' >"$tmp/all.txt"
head -n 600 "$tmp/all.txt" >"$tmp/train.txt"
tail -n 100 "$tmp/all.txt" >"$tmp/test.txt"
lines="--input-format lines --line-format plain"
cat >"$tmp/lm.ini" <<'EOF'
[pipeline]
stages = tok, embed, rnn, head
[tok]
type = tokenizer
[embed]
type = embedding
dim = 16
[rnn]
type = lstm
hidden = 32
pooling = none
[head]
type = t_next
[train]
epochs = 6
batch = 8
bptt = 10
learning_rate = 0.01
threads = 1
EOF

"$nlpipe" train "$tmp/lm.ini" $lines "$tmp/train.txt" -o "$tmp/a.nlp" 2>"$tmp/err"
check "train a language model exits 0" '[ $? -eq 0 ] && [ -s "$tmp/a.nlp" ]'
check "the summary says it is a language model and labels are ignored" \
	'grep -q "language model: 540 documents (60 validation), labels ignored; vocabulary 15" "$tmp/err"'
check "epoch lines give the validation perplexity" \
	'[ "$(grep -c "epoch [0-9]/6: train loss .* (perplexity [0-9.]*); validation perplexity [0-9.]*" "$tmp/err")" -eq 6 ]'
ppl=$(sed -n 's/.*best model (epoch [0-9]*, validation perplexity \([0-9.]*\)).*/\1/p' "$tmp/err")
check "validation perplexity $ppl: near the text's 1.56, far below the vocabulary's 15" \
	'[ -n "$ppl" ] && awk -v p="$ppl" "BEGIN { exit !(p >= 1.5 && p < 2.0) }"'
"$nlpipe" -q train "$tmp/lm.ini" $lines "$tmp/train.txt" -o "$tmp/b.nlp" 2>"$tmp/err"
check "same data and seed: byte-identical model" 'cmp -s "$tmp/a.nlp" "$tmp/b.nlp"'
"$nlpipe" -q train --set train.threads=2 "$tmp/lm.ini" $lines "$tmp/train.txt" -o "$tmp/b2.nlp" \
	2>"$tmp/err"
"$nlpipe" -q train --set train.threads=2 "$tmp/lm.ini" $lines "$tmp/train.txt" -o "$tmp/b3.nlp" \
	2>"$tmp/err"
check "train.threads = 2: byte-identical per seed" \
	'[ -s "$tmp/b2.nlp" ] && cmp -s "$tmp/b2.nlp" "$tmp/b3.nlp"'
"$nlpipe" -q train --set train.reset_state=never "$tmp/lm.ini" $lines "$tmp/train.txt" \
	-o "$tmp/c.nlp" 2>"$tmp/err"
check "reset_state = never trains another model" \
	'[ $? -eq 0 ] && ! cmp -s "$tmp/a.nlp" "$tmp/c.nlp"'
"$nlpipe" -q train --set train.lr_decay=2 --set train.lr_decay_start=2 "$tmp/lm.ini" $lines \
	"$tmp/train.txt" -o "$tmp/d.nlp" 2>"$tmp/err"
check "lr_decay trains another model" '[ $? -eq 0 ] && ! cmp -s "$tmp/a.nlp" "$tmp/d.nlp"'

"$nlpipe" -q eval "$tmp/a.nlp" $lines "$tmp/test.txt" >"$tmp/eval.txt" 2>"$tmp/err"
check "eval of a language model exits 0" '[ $? -eq 0 ]'
check "eval counts every token and one </s> a document" \
	'[ "$(sed -n "s/^tokens: *\([0-9]*\).*/\1/p" "$tmp/eval.txt")" -eq "$(($(wc -w <"$tmp/test.txt") + 100))" ]'
check "no token of the test text is out of the vocabulary" 'grep -q "^out of vocabulary:  0 (0.00 %)" "$tmp/eval.txt"'
nats=$(sed -n 's/^cross-entropy: *\([0-9.]*\) nats, \([0-9.]*\) bits.*/\1/p' "$tmp/eval.txt")
bits=$(sed -n 's/^cross-entropy: *\([0-9.]*\) nats, \([0-9.]*\) bits.*/\2/p' "$tmp/eval.txt")
eppl=$(sed -n 's/^perplexity: *\([0-9.]*\)/\1/p' "$tmp/eval.txt")
check "bits = nats / ln 2 ($nats, $bits)" \
	'awk -v n="$nats" -v b="$bits" "BEGIN { d = n / log(2) - b; exit !(n > 0 && d < 1e-3 && d > -1e-3) }"'
check "perplexity = exp(nats) ($eppl)" \
	'awk -v n="$nats" -v p="$eppl" "BEGIN { d = exp(n) - p; exit !(d < 0.01 && d > -0.01 && p < 2) }"'
"$nlpipe" -q eval --json "$tmp/a.nlp" $lines "$tmp/test.txt" >"$tmp/eval.json" 2>"$tmp/err"
check "eval --json is one JSON object with the same figures" \
	'grep -q "^{\"documents\": 100, \"tokens\": [0-9]*, \"oov\": 0, \"oov_rate\": 0.000000, \"cross_entropy\": $nats[0-9]*, \"bits_per_token\": $bits[0-9]*, \"perplexity\": [0-9.]*}$" "$tmp/eval.json"'
"$nlpipe" -q eval --json --batch 3 -j 2 "$tmp/a.nlp" $lines "$tmp/test.txt" >"$tmp/eval3.json" \
	2>"$tmp/err"
check "eval --batch 3 -j 2: the same figures (each document is read on its own)" \
	'cmp -s "$tmp/eval.json" "$tmp/eval3.json"'
if command -v python3 >/dev/null 2>&1 && python3 -c 'import json' 2>/dev/null; then
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(not (d["documents"] == 100 and d["perplexity"] > 1))' "$tmp/eval.json"
	check "eval --json parses (python3)" '[ $? -eq 0 ]'
else
	pass "# SKIP no python3 to parse the JSON"
fi
: >"$tmp/empty.txt"
check_run "eval of a language model on an empty file: a data error" 2 "no text" \
	"$nlpipe" eval "$tmp/a.nlp" $lines "$tmp/empty.txt"

# Resume from the checkpoint of epoch 3 ends with the model of a run that
# was never stopped (the position is at an epoch's end).
"$nlpipe" -q train --set train.epochs=3 "$tmp/lm.ini" $lines "$tmp/train.txt" -o "$tmp/r.nlp" \
	2>"$tmp/err"
cp "$tmp/r.nlp.ckpt" "$tmp/e3.ckpt"
"$nlpipe" -q train --resume "$tmp/r.nlp.ckpt" --set train.epochs=6 "$tmp/lm.ini" $lines \
	"$tmp/train.txt" \
	-o "$tmp/r.nlp" 2>"$tmp/err"
check "resumed after epoch 3: the model of a run never stopped" 'cmp -s "$tmp/a.nlp" "$tmp/r.nlp"'

# Mid-epoch: [train] time_limit (a tiny one stops after the first window,
# with a checkpoint) cuts epoch 4 after its first window; the resumed run
# must start the second window from the state the streams carried, which
# the checkpoint holds, and end with the model of a run never stopped.
"$nlpipe" -q train --resume "$tmp/e3.ckpt" --set train.epochs=6 --set train.time_limit=1e-9 \
	"$tmp/lm.ini" $lines "$tmp/train.txt" -o "$tmp/m.nlp" 2>"$tmp/err"
"$nlpipe" -q train --resume "$tmp/m.nlp.ckpt" --set train.time_limit=0 "$tmp/lm.ini" $lines \
	"$tmp/train.txt" -o "$tmp/m.nlp" 2>"$tmp/err"
check "stopped after the first window of epoch 4 and resumed: the model of a run never stopped" \
	'cmp -s "$tmp/a.nlp" "$tmp/m.nlp"'
# The same with 16 streams on 2 threads (the encoder splits them in two
# shards, each keeping its streams' state), stopped twice in epoch 1.
mid="--set train.epochs=2 --set train.batch=16 --set train.threads=2"
"$nlpipe" -q train $mid "$tmp/lm.ini" $lines "$tmp/train.txt" -o "$tmp/f2.nlp" 2>"$tmp/err"
"$nlpipe" -q train $mid --set train.time_limit=1e-9 "$tmp/lm.ini" $lines "$tmp/train.txt" \
	-o "$tmp/s2.nlp" 2>"$tmp/err"
"$nlpipe" -q train --resume "$tmp/s2.nlp.ckpt" --set train.time_limit=1e-9 "$tmp/lm.ini" $lines \
	"$tmp/train.txt" -o "$tmp/s2.nlp" 2>"$tmp/err"
"$nlpipe" -q train --resume "$tmp/s2.nlp.ckpt" --set train.time_limit=0 "$tmp/lm.ini" $lines \
	"$tmp/train.txt" -o "$tmp/s2.nlp" 2>"$tmp/err"
check "16 streams, 2 threads, stopped twice mid-epoch and resumed: the model of a run never stopped" \
	'[ -s "$tmp/f2.nlp" ] && cmp -s "$tmp/f2.nlp" "$tmp/s2.nlp"'

# The models module's next_token, tied to the embedding, on the same text.
sed -e 's/^type = t_next/type = next_token\ntie_weights = true\nsoftmax = full/' \
	-e 's/^dim = 16/dim = 32/' "$tmp/lm.ini" >"$tmp/tied.ini"
"$nlpipe" train "$tmp/tied.ini" $lines "$tmp/train.txt" -o "$tmp/t.nlp" 2>"$tmp/err"
ppl=$(sed -n 's/.*best model (epoch [0-9]*, validation perplexity \([0-9.]*\)).*/\1/p' "$tmp/err")
check "next_token, tied: validation perplexity $ppl near 1.56" \
	'[ -n "$ppl" ] && awk -v p="$ppl" "BEGIN { exit !(p >= 1.5 && p < 2.0) }"'
gen() { "$nlpipe" -q generate "$tmp/t.nlp" "$@" 2>"$tmp/err"; }
gen --seed 5 -n 40 >"$tmp/g1"
gen --seed 5 -n 40 >"$tmp/g2"
gen --seed 6 -n 40 >"$tmp/g3"
check "generate: the same seed prints the same text" '[ -s "$tmp/g1" ] && cmp -s "$tmp/g1" "$tmp/g2"'
check "generate: another seed prints other text" '! cmp -s "$tmp/g1" "$tmp/g3"'
gen --seed 5 -n 40 --temperature 0.3 >"$tmp/g5"
check "generate --temperature 0.3: letters counting on around the circle, as the text does" \
	'awk "{ for (i = 1; i <= NF; i++) { k = index(\"abcdefghijkl\", \$i);
		if (length(\$i) != 1 || !k || (i > 1 && k != p % 12 + 1)) bad = 1; p = k } }
		END { exit bad || NR != 1 }" "$tmp/g5"'
gen --prompt "c d e" -n 3 --top-k 1 >"$tmp/g4"
check "generate --prompt \"c d e\" --top-k 1 -n 3: f g h" '[ "$(cat "$tmp/g4")" = "f g h" ]'
check_run "examples/lm.ini checks" 0 "OK, 4 stages" "$nlpipe" check "$src/examples/lm.ini"
check_run "check lists the kind an instance gives (pooling = none: a sequence)" 0 \
	"[encode]    ; sequence -> sequence" "$nlpipe" check "$src/examples/lm.ini"

# Bad input.
check_run "generate: not a language model" 1 "is not a language model" \
	"$nlpipe" generate "$src/tests/train/v1-gru.nlpm"
check_run "generate: --temperature 0" 1 "--temperature 0: use a number above 0" \
	"$nlpipe" generate --temperature 0 "$tmp/a.nlp"
check_run "generate: negative temperature" 1 "--temperature -1: use a number above 0" \
	"$nlpipe" generate --temperature -1 "$tmp/a.nlp"
check_run "generate: -n 0" 1 "-n 0: generate at least 1 token" "$nlpipe" generate -n 0 "$tmp/a.nlp"
check_run "generate: no model" 1 "needs a language model" "$nlpipe" generate
check_run "predict refuses a language model, naming what to use" 1 \
	"is a language model, not a classifier: measure it with nlpipe eval" \
	"$nlpipe" predict "$tmp/a.nlp" "$tmp/test.txt"
check_run "inspect: a language model has no labels" 0 "labels:      none (a language model" \
	"$nlpipe" inspect "$tmp/a.nlp"
check_run "one document: a warning that none is held out" 0 "none held out for validation" \
	"$nlpipe" train --set train.epochs=1 "$tmp/lm.ini" "$tmp/train.txt" -o "$tmp/one.nlp"
check_run "nlpipe --help lists generate" 0 "generate   sample text from a language model" \
	"$nlpipe" --help
sed 's/^pooling = none/pooling = last/' "$tmp/lm.ini" >"$tmp/vec.ini"
check_run "a head over a sequence after an encoder that pools: kinds named" 1 \
	"consumes sequence, but rnn gives vector" "$nlpipe" check "$tmp/vec.ini"

tap_done
