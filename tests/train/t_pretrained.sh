#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_pretrained.sh - the README's pretraining example works as written:
# examples/lm.ini trained on the example reviews, then
# examples/pretrained-sentiment.ini starts from it (init_from = lm.nlp beside
# the pipeline file): its embedding and LSTM come from the language model
# byte for byte while the new head trains, and the classifier predicts.
src=${NLP_TOP_SRCDIR:-$(pwd)}
. "$src/tests/tap.sh"
tap_setup pretrained
NLPIPE_PLUGIN_PATH="${NLPIPE_PLUGIN_PATH:-$top/plugins}"
export NLPIPE_PLUGIN_PATH
echo "1..7"

# The two pipeline files side by side, as in examples/, one epoch each.
cp "$src/examples/lm.ini" "$src/examples/pretrained-sentiment.ini" "$tmp/"
check_run "examples/pretrained-sentiment.ini is refused while lm.nlp is missing" 1 \
	"lm.nlp" "$nlpipe" check "$tmp/pretrained-sentiment.ini"
check_run "the language model trains on the example reviews" 0 "labels ignored" \
	"$nlpipe" train --set train.epochs=1 "$tmp/lm.ini" "$src/examples/reviews" -o "$tmp/lm.nlp"
check_run "check names the stages that start from the language model" 0 "lm.nlp" \
	"$nlpipe" check "$tmp/pretrained-sentiment.ini"
check_run "the classifier trains from it (the first epoch only the new head)" 0 \
	"stages from" "$nlpipe" train --set train.epochs=1 "$tmp/pretrained-sentiment.ini" \
	"$src/examples/reviews" -o "$tmp/pre.nlp"
grep -q "embed" "$tmp/out" && grep -q "encode" "$tmp/out" &&
	pass "the summary names embed and encode" || fail "the summary names embed and encode"
# With freeze_epochs = 1 and one epoch, embed and encode are the LM's own.
"$top/tests/train/paramcmp" "$tmp/lm.nlp" embed "$tmp/pre.nlp" embed >"$tmp/err" 2>&1 &&
	"$top/tests/train/paramcmp" "$tmp/lm.nlp" encode "$tmp/pre.nlp" encode >>"$tmp/err" 2>&1 &&
	pass "embed and encode are the language model's byte for byte after the frozen epoch" ||
	fail "embed and encode are the language model's byte for byte after the frozen epoch"
check_run "the classifier predicts the unlabelled reviews" 0 "unlabelled" \
	"$nlpipe" predict "$tmp/pre.nlp" "$src/examples/unlabelled"
tap_done
