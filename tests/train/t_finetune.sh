#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_finetune.sh - fine-tuning (nlpipe/finetune.h) on the bundled example
# corpus: init_from copies a model's stages exactly (parameters and
# vocabulary, compared byte for byte by paramcmp), freeze_epochs keeps them
# while the new head trains, lr_scale = 0 keeps a stage, a resumed run does
# not apply init_from again, unfreeze = gradual unfreezes one stage an
# epoch from the head down, every error names what is wrong, and nlpipe
# check shows it all.
src=${NLP_TOP_SRCDIR:-$(pwd)}
. "$src/tests/tap.sh"
tap_setup finetune
paramcmp="$top/tests/train/paramcmp"
reviews="$src/examples/reviews"
echo "1..39"

# Two halves of the corpus (the fine-tuning half has words the first has
# not seen), and three labels.
for l in neg pos; do
	mkdir -p "$tmp/a/$l" "$tmp/b/$l" "$tmp/three/$l"
	k=0
	for f in "$reviews/$l"/*; do
		k=$((k + 1))
		if [ $((k % 2)) -eq 0 ]; then ln -s "$f" "$tmp/a/$l/"; else ln -s "$f" "$tmp/b/$l/"; fi
		[ $k -le 40 ] && ln -s "$f" "$tmp/three/$l/"
	done
done
mkdir -p "$tmp/three/mid"
for f in $(ls "$reviews/pos" | tail -n 40); do ln -s "$reviews/pos/$f" "$tmp/three/mid/$f"; done

stages() {
	cat <<EOI
[tokenize]
type = tokenizer

[embed]
type = embedding
dim = 16

[encode]
type = lstm
hidden = 16
pooling = mean

[train]
batch = 16
threads = 1
validation = 0
EOI
}
{
	printf '[pipeline]\nstages = tokenize, embed, encode, classify\n\n'
	stages
	printf 'epochs = 2\n\n[classify]\ntype = softmax\n'
} >"$tmp/base.ini"
{
	printf '[pipeline]\nstages = tokenize, embed, encode, new_head\ninit_from = base.nlp\n\n'
	stages
	printf 'epochs = 1\nseed = 2\nfreeze_epochs = 1\n\n[new_head]\ntype = softmax\n'
} >"$tmp/ft.ini"

train() { "$nlpipe" -q train "$@" 2>"$tmp/err"; }
same() { "$paramcmp" "$1" "$2" "$3" "$4" >/dev/null 2>>"$tmp/err"; }

train "$tmp/base.ini" "$tmp/a" -o "$tmp/base.nlp"
check "the model to start from trains" '[ -s "$tmp/base.nlp" ]'

# Frozen for the only epoch: the stages from the model are the model's.
"$nlpipe" train "$tmp/ft.ini" "$tmp/b" -o "$tmp/ft.nlp" >"$tmp/out" 2>&1
check "fine-tuning trains" '[ $? -eq 0 ] && [ -s "$tmp/ft.nlp" ]'
check "the summary names the model and its stages" \
	'grep -q "stages from $tmp/base.nlp: embed, encode (frozen in the first 1 epochs)" "$tmp/out"'
check "frozen: [embed] (parameters and vocabulary) is byte-identical to the model's" \
	'same "$tmp/base.nlp" embed "$tmp/ft.nlp" embed'
check "frozen: [encode] is byte-identical to the model's" \
	'same "$tmp/base.nlp" encode "$tmp/ft.nlp" encode'
check "the model says which stages came from where" \
	'"$nlpipe" inspect "$tmp/ft.nlp" | grep -q "init_stages = embed, encode"'
# The new head trained: against a run where lr_scale = 0 keeps it at its start.
train --set new_head.lr_scale=0 "$tmp/ft.ini" "$tmp/b" -o "$tmp/ft0.nlp"
check "lr_scale = 0 trains (exit 0)" '[ -s "$tmp/ft0.nlp" ]'
check "the stage not from the model trained" '! same "$tmp/ft.nlp" new_head "$tmp/ft0.nlp" new_head'
check "lr_scale = 0 is stored with the pipeline" \
	'"$nlpipe" inspect "$tmp/ft0.nlp" | grep -q "lr_scale = 0"'
check "a model with lr_scale builds again (inspect --check)" \
	'"$nlpipe" inspect --check "$tmp/ft0.nlp" >/dev/null 2>"$tmp/err"'

# After the frozen epochs every stage trains; the vocabulary stays the model's.
train --set train.epochs=2 "$tmp/ft.ini" "$tmp/b" -o "$tmp/ft2.nlp"
check "after freeze_epochs the stages from the model train" \
	'[ -s "$tmp/ft2.nlp" ] && ! same "$tmp/base.nlp" encode "$tmp/ft2.nlp" encode'
v1=$("$nlpipe" inspect "$tmp/base.nlp" | sed -n 's/^vocabulary: *\([0-9]*\).*/\1/p')
v2=$("$nlpipe" inspect "$tmp/ft2.nlp" | sed -n 's/^vocabulary: *\([0-9]*\).*/\1/p')
check "the vocabulary is the model's, not one built from the new data ($v1, $v2)" \
	'[ -n "$v1" ] && [ "$v1" = "$v2" ]'
# lr_scale = 0 without freezing: that stage alone stays the model's.
train --set train.freeze_epochs=0 --set embed.lr_scale=0 --set train.epochs=2 "$tmp/ft.ini" \
	"$tmp/b" -o "$tmp/fts.nlp"
check "lr_scale = 0: [embed] stays byte-identical over 2 epochs" \
	'same "$tmp/base.nlp" embed "$tmp/fts.nlp" embed'
check "lr_scale = 0 on one stage: the others train" \
	'! same "$tmp/base.nlp" encode "$tmp/fts.nlp" encode'
# From scratch too: lr_scale = 0 keeps a stage at its initial values.
train --set encode.lr_scale=0 --set train.epochs=1 "$tmp/base.ini" "$tmp/a" -o "$tmp/s1.nlp"
train --set encode.lr_scale=0 --set train.epochs=2 "$tmp/base.ini" "$tmp/a" -o "$tmp/s2.nlp"
check "lr_scale = 0 from scratch: 1 and 2 epochs leave [encode] at its start" \
	'same "$tmp/s1.nlp" encode "$tmp/s2.nlp" encode && ! same "$tmp/s1.nlp" embed "$tmp/s2.nlp" embed'

# unfreeze = gradual: after freeze_epochs, [encode] (nearest the head)
# trains from epoch 2, [embed] from epoch 3.
"$nlpipe" train --set train.unfreeze=gradual --set train.epochs=2 "$tmp/ft.ini" "$tmp/b" \
	-o "$tmp/g2.nlp" >"$tmp/out" 2>&1
check "gradual: the summary says so" \
	'grep -q "(frozen in the first 1 epochs, then unfrozen one per epoch from the head down)" "$tmp/out"'
check "gradual, epoch 2: [encode] trains, [embed] is still the model's" \
	'! same "$tmp/base.nlp" encode "$tmp/g2.nlp" encode && same "$tmp/base.nlp" embed "$tmp/g2.nlp" embed'
train --set train.unfreeze=gradual --set train.epochs=3 "$tmp/ft.ini" "$tmp/b" -o "$tmp/g3.nlp"
check "gradual, epoch 3: [embed] trains too" '! same "$tmp/base.nlp" embed "$tmp/g3.nlp" embed'
train --set train.unfreeze=gradual --resume "$tmp/g2.nlp.ckpt" \
	--set train.epochs=3 "$tmp/ft.ini" "$tmp/b" -o "$tmp/g2.nlp"
check "gradual, resumed after epoch 2: byte-identical to the run of 3 epochs" \
	'cmp -s "$tmp/g2.nlp" "$tmp/g3.nlp"'
check_run "check: gradual unfreezing, each stage's frozen epochs" 0 \
	"[embed] starts from the model, frozen in epochs 1-2" \
	"$nlpipe" check --set train.unfreeze=gradual "$tmp/ft.ini"
check "check: [encode] frozen in epoch 1 only" \
	'grep -q "\[encode\] starts from the model, frozen in epoch 1\$" "$tmp/out"'
check_run "unfreeze = gradual without init_from is an error naming the key" 1 \
	"--set train.unfreeze: [train] unfreeze = gradual: no stage to unfreeze without [pipeline] init_from" \
	"$nlpipe" -q train --set train.unfreeze=gradual "$tmp/base.ini" "$tmp/a" -o "$tmp/x.nlp"

# Resume: the run stopped after its first (frozen) epoch goes on to the
# bytes of a run that never stopped, without the model it started from.
train --set train.epochs=3 "$tmp/ft.ini" "$tmp/b" -o "$tmp/r3.nlp"
train "$tmp/ft.ini" "$tmp/b" -o "$tmp/r1.nlp"
mv "$tmp/base.nlp" "$tmp/base.away"
train --set train.epochs=3 --resume "$tmp/r1.nlp.ckpt" "$tmp/ft.ini" "$tmp/b" -o "$tmp/r1.nlp"
check "resume does not read init_from again (the model is gone) and exits 0" '[ $? -eq 0 ]'
check "resumed across freeze_epochs: byte-identical to the run that never stopped" \
	'cmp -s "$tmp/r1.nlp" "$tmp/r3.nlp"'
mv "$tmp/base.away" "$tmp/base.nlp"

# nlpipe check shows it, and loads the model first.
check_run "check: the resolved init_from and the stages from it" 0 \
	"[embed] starts from the model, frozen in epoch 1" \
	"$nlpipe" check --set new_head.lr_scale=0.5 "$tmp/ft.ini"
check "check: the stage trained from scratch and its lr_scale" \
	'grep -q "init_from = $tmp/base.nlp (it loads)" "$tmp/out" &&
	 grep -q "\[new_head\] trains from scratch, lr_scale 0.5" "$tmp/out"'
check_run "check: a missing init_from model is an error naming the key" 1 \
	"--set pipeline.init_from: [pipeline] init_from = $tmp/nothere.nlp: $tmp/nothere.nlp: cannot open" \
	"$nlpipe" check --set pipeline.init_from=nothere.nlp "$tmp/ft.ini"

# Errors.
sed 's/new_head/classify/g' "$tmp/ft.ini" >"$tmp/ft-head.ini"
check_run "a head over other labels: both label sets, and what to do" 1 \
	"the model's head scores 2 labels (neg, pos), the training data has 3 (mid, neg, pos): rename the head's section" \
	"$nlpipe" -q train --set train.freeze_epochs=0 "$tmp/ft-head.ini" "$tmp/three" -o "$tmp/x.nlp"
check_run "another hidden size: the section, both values and the file" 1 \
	"[encode] (lstm): init_from = $tmp/base.nlp: its parameters" \
	"$nlpipe" -q train --set encode.hidden=32 "$tmp/ft.ini" "$tmp/b" -o "$tmp/x.nlp"
check "  ... naming hidden = 16 in the model and 32 in the pipeline file" \
	'grep -qF "hidden = 16 in $tmp/base.nlp, 32 in $tmp/ft.ini" "$tmp/out"'
check_run "check finds another hidden size before any training" 1 \
	"hidden = 16 in $tmp/base.nlp, 32 in $tmp/ft.ini" \
	"$nlpipe" check --set encode.hidden=32 "$tmp/ft.ini"
check_run "another embedding width: the section and both values" 1 \
	"[embed] (embedding): init_from = $tmp/base.nlp: cannot take its saved state" \
	"$nlpipe" -q train --set embed.dim=8 "$tmp/ft.ini" "$tmp/b" -o "$tmp/x.nlp"
check "  ... naming dim = 16 in the model and 8 in the pipeline file" \
	'grep -qF "dim = 16 in $tmp/base.nlp, 8 in $tmp/ft.ini" "$tmp/out"'
check_run "freeze_epochs without init_from is an error naming the key" 1 \
	"--set train.freeze_epochs: [train] freeze_epochs = 1: nothing to freeze without [pipeline] init_from" \
	"$nlpipe" -q train --set train.freeze_epochs=1 "$tmp/base.ini" "$tmp/a" -o "$tmp/x.nlp"
check_run "freeze_epochs with every stage from the model: nothing would train" 1 \
	"every trainable stage comes from $tmp/base.nlp" \
	"$nlpipe" check "$tmp/ft-head.ini"
sed 's/^\[embed\]/[emb]/; s/^\[encode\]/[enc]/; s/embed, encode/emb, enc/' "$tmp/ft.ini" >"$tmp/ft-none.ini"
check_run "no stage matches the model's: an error saying to name them as it does" 1 \
	"no trainable stage of this pipeline has the section name and class of one of the model's" \
	"$nlpipe" check "$tmp/ft-none.ini"
check_run "lr_scale must be 0 or more" 1 "[encode] lr_scale = -1: must be a number from 0" \
	"$nlpipe" check --set encode.lr_scale=-1 "$tmp/ft.ini"
check_run "lr_scale on a stage without parameters is an error" 1 \
	"[tokenize] lr_scale: tokenizer is not a trainable stage" \
	"$nlpipe" check --set tokenize.lr_scale=2 "$tmp/ft.ini"
sed 's/type = lstm/type = gru/' "$tmp/ft.ini" >"$tmp/ft-gru.ini"
check_run "the same section name with another class is an error naming both" 1 \
	"[encode] is gru here but lstm in init_from" \
	"$nlpipe" check "$tmp/ft-gru.ini"
tap_done
