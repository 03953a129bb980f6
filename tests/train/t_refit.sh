#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_refit.sh - `nlpipe train` with [train] refit = true on the bundled example
# corpus: the summary and the metadata say refit and the epoch count E (the
# plain run's best epoch); the refit model's parameters are byte-identical
# (paramcmp) to those of a run with validation = 0 and epochs = E on the same
# documents (a split, and validation_data trained on with the data), its
# predictions are not the plain model's; multi-label models keep the first
# run's thresholds; refit without validation, or of a language model, is
# refused naming the key; nlpipe tune's trials do not refit.  (Both phases'
# events, the replayed linear schedule and resume: t_refit_api.c.)
src=${NLP_TOP_SRCDIR:-$(pwd)}
. "$src/tests/tap.sh"
tap_setup refit
paramcmp="$top/tests/train/paramcmp"
reviews="$src/examples/reviews"

n=0
failed=0
echo "1..22"

cp "$src/tests/train/small-bag.ini" "$tmp/bag.ini"
train() { "$nlpipe" train "$@" 2>"$tmp/err"; }
meta() { "$nlpipe" inspect "$1" | sed -n "s/^ *$2 = //p" | head -n 1; }
same() { "$paramcmp" "$1" bag "$2" bag >/dev/null && "$paramcmp" "$1" classify "$2" classify >/dev/null; }

train -q "$tmp/bag.ini" "$reviews" -o "$tmp/plain.nlp"
e=$(meta "$tmp/plain.nlp" best_epoch)
acc=$(meta "$tmp/plain.nlp" validation_accuracy)
train --set train.refit=true "$tmp/bag.ini" "$reviews" -o "$tmp/r.nlp"
check "refit: train exits 0" '[ $? -eq 0 ] && [ -s "$tmp/r.nlp" ]'
check "the first run's end says what comes (E = $e, the plain run's best epoch)" \
	'grep -q "best epoch $e (validation accuracy [0-9.]*); \[train\] refit: training again from the start on all 400 documents for $e epochs" "$tmp/err"'
check "the refit's epochs are marked" 'grep -q "refit epoch $e/$e: train loss" "$tmp/err"'
check "the summary says refit, E and the first run's figure" \
	'grep -q "refit on all 400 documents for $e epochs (validation accuracy [0-9.]* at epoch $e in the first run, 80 documents held out) written to" "$tmp/err"'
check "metadata: refit_epochs = E, best_epoch = E" \
	'[ "$(meta "$tmp/r.nlp" refit_epochs)" = "$e" ] && [ "$(meta "$tmp/r.nlp" best_epoch)" = "$e" ]'
check "metadata: 400 documents trained on, 320 in the first run, 80 held out" \
	'[ "$(meta "$tmp/r.nlp" train_documents)" = 400 ] && [ "$(meta "$tmp/r.nlp" first_train_documents)" = 320 ] && [ "$(meta "$tmp/r.nlp" validation_documents)" = 80 ]'
check "metadata: the validation figure is the first run's ($acc), and says so" \
	'[ "$(meta "$tmp/r.nlp" validation_accuracy)" = "$acc" ] && "$nlpipe" inspect "$tmp/r.nlp" | grep -q "refit = trained again from the start on all 400 documents for $e epochs; the validation_\* figures are the first run'"'"'s"'

train -q --set train.validation=0 --set train.epochs="$e" "$tmp/bag.ini" "$reviews" -o "$tmp/v0.nlp"
check "the refit's parameters are those of validation = 0, epochs = E" 'same "$tmp/r.nlp" "$tmp/v0.nlp"'
check "... not those of the plain model" '! same "$tmp/r.nlp" "$tmp/plain.nlp"'
"$nlpipe" -q predict --probs "$tmp/r.nlp" "$src/examples/unlabelled" >"$tmp/r.tsv" 2>/dev/null
"$nlpipe" -q predict --probs "$tmp/plain.nlp" "$src/examples/unlabelled" >"$tmp/plain.tsv" 2>/dev/null
check "its predictions are not the plain model's" '[ -s "$tmp/r.tsv" ] && ! cmp -s "$tmp/r.tsv" "$tmp/plain.tsv"'
train -q --set train.refit=true "$tmp/bag.ini" "$reviews" -o "$tmp/r2.nlp"
check "same data and seed: the same refit model bytes" 'cmp -s "$tmp/r.nlp" "$tmp/r2.nlp"'

# validation_data: the refit trains on the data and it, in that order.
for l in neg pos; do
	mkdir -p "$tmp/a/$l" "$tmp/b/$l"
	k=0
	for f in "$reviews/$l"/*; do
		k=$((k + 1))
		if [ $((k % 4)) -eq 0 ]; then ln -s "$f" "$tmp/b/$l/"; else ln -s "$f" "$tmp/a/$l/"; fi
	done
done
train -q --set train.refit=true --set train.validation_data="$tmp/b" "$tmp/bag.ini" "$tmp/a" -o "$tmp/rv.nlp"
ev=$(meta "$tmp/rv.nlp" refit_epochs)
check "validation_data: the refit trains on all 400 documents" \
	'[ "$(meta "$tmp/rv.nlp" train_documents)" = 400 ] && [ "$(meta "$tmp/rv.nlp" validation_documents)" = 100 ]'
train -q --set train.validation=0 --set train.epochs="$ev" "$tmp/bag.ini" "$tmp/a" "$tmp/b" -o "$tmp/v0ab.nlp"
check "... with the parameters of validation = 0, epochs = $ev on DATA VALIDATION_DATA" \
	'same "$tmp/rv.nlp" "$tmp/v0ab.nlp"'

# Multi-label: the refit keeps the thresholds the first run tuned.
awk 'BEGIN { srand(3); split("goal vote code", cue, " ")
	for (i = 0; i < 400; i++) { l = ""; w = "the a of and to"
		for (j = 1; j <= 3; j++) if (rand() < 0.4 || (j == 3 && l == "")) {
			l = l "__label__" cue[j] " "; w = w " " cue[j] }
		print l w } }' >"$tmp/ml.txt"
sed -e 's/type = softmax/type = sigmoid/' -e 's/learning_rate = 0.003/learning_rate = 0.05/' \
	"$tmp/bag.ini" >"$tmp/ml.ini"
train -q "$tmp/ml.ini" "$tmp/ml.txt" -o "$tmp/mlp.nlp"
train -q --set train.refit=true "$tmp/ml.ini" "$tmp/ml.txt" -o "$tmp/mlr.nlp"
check "multi-label: the refit trains, micro F1 of the first run kept" \
	'[ $? -eq 0 ] && [ "$(meta "$tmp/mlr.nlp" validation_micro_f1)" = "$(meta "$tmp/mlp.nlp" validation_micro_f1)" ]'
train -q --set train.validation=0 --set train.epochs="$(meta "$tmp/mlr.nlp" refit_epochs)" \
	"$tmp/ml.ini" "$tmp/ml.txt" -o "$tmp/mlv0.nlp"
check "... and the thresholds of its best epoch (the head's saved state)" \
	'"$paramcmp" --state "$tmp/mlr.nlp" classify "$tmp/mlp.nlp" classify >/dev/null && ! "$paramcmp" --state "$tmp/mlv0.nlp" classify "$tmp/mlp.nlp" classify >/dev/null'

# Refused, naming the key.
check_run "refit without validation documents is refused" 1 \
	"--set train.refit: [train] refit = true needs validation documents to pick the number of epochs: set [train] validation above 0" \
	"$nlpipe" train --set train.refit=true --set train.validation=0 "$tmp/bag.ini" "$reviews" -o "$tmp/x.nlp"
check "... and writes nothing" '[ ! -e "$tmp/x.nlp" ]'
line=$(($(wc -l <"$tmp/ml.ini") + 1))
echo "refit = true" >>"$tmp/ml.ini" # in [train], the last section
check_run "... naming the file and line of the key" 1 "ml.ini:$line: [train] refit = true needs" \
	"$nlpipe" train --set train.validation=0 "$tmp/ml.ini" "$tmp/ml.txt" -o "$tmp/x.nlp"
check_run "a language model is not refit" 1 \
	"--set train.refit: [train] refit = true: a language model is not refit (the model of its best validation epoch is kept): set refit = false" \
	"$nlpipe" train --set train.refit=true "$src/examples/lm.ini" "$reviews" -o "$tmp/x.nlp"
check_run "nor a sequence-to-sequence model" 1 \
	"a sequence-to-sequence model is not refit" \
	"$nlpipe" train --set train.refit=true "$src/examples/seq2seq/seq2seq.ini" "$reviews" -o "$tmp/x.nlp"

# nlpipe tune: trials never refit (a trial resumed for its next rung goes on
# with its first run); the winner's pipeline file keeps refit = true.  No
# early stopping here: a trial whose patience ran out stays stopped.
{
	sed -e 's/^seed = 2$/seed = 2\nrefit = true/' -e 's/^early_stopping = 3$/early_stopping = 0/' "$tmp/bag.ini"
	printf '\n[tune]\ntrain.learning_rate = 0.001 .. 0.01 log\n'
} >"$tmp/tune.ini"
"$nlpipe" tune "$tmp/tune.ini" "$reviews" --budget 12e -o "$tmp/best.ini" >"$tmp/board" 2>"$tmp/err"
check "tune with refit = true: the last rung trains past epoch 1; the winner keeps refit = true" \
	'[ $? -eq 0 ] && awk "\$1 == 2 && \$2 == 12 && \$(NF - 1) > 1 { ok = 1 } END { exit !ok }" "$tmp/board" && grep -q "^refit = true" "$tmp/best.ini"'
echo "train.refit = true, false" >>"$tmp/tune.ini"
check_run "refit cannot be tuned" 1 "[tune] train.refit: cannot be tuned: trials are judged by their validation and never refit" \
	"$nlpipe" tune "$tmp/tune.ini" "$reviews" --budget 12e -o "$tmp/best2.ini"
tap_done
