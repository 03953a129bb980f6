#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_ensemble.sh - [train] ensemble = K on the bundled example corpus: the run
# trains K members with seeds seed .. seed + K - 1 (each with its refit) and
# writes one model file (format 4) and nothing else; its first member has the
# parameters of a plain run with the same seed; `nlpipe predict --probs`
# gives the mean of the probabilities of K plain models trained with those
# seeds, for every document and label, the same bytes with -j 1 and with -j 2
# and batches of 5, and the same bytes when trained again; `nlpipe eval`
# agrees with predict; inspect says what the file is.  Refused with a message
# naming the key or the file: quantizing an ensemble, init_from an ensemble,
# --keep-last, a language model, ensemble on --resume, values out of range.
src=${NLP_TOP_SRCDIR:-$(pwd)}
. "$src/tests/tap.sh"
tap_setup ensemble
paramcmp="$top/tests/train/paramcmp"
reviews="$src/examples/reviews"
echo "1..21"

sed 's/^seed = 2$/seed = 2\nrefit = true/' "$src/tests/train/small-bag.ini" >"$tmp/bag.ini"
train() { "$nlpipe" train "$@" 2>"$tmp/err"; }
probs() { "$nlpipe" -q predict --probs "$@" "$reviews" 2>"$tmp/err"; }

mkdir "$tmp/dir"
train --set train.ensemble=3 "$tmp/bag.ini" "$reviews" -o "$tmp/dir/e.nlp"
check "ensemble = 3: train exits 0 and says what it wrote" \
	'[ $? -eq 0 ] && [ -s "$tmp/dir/e.nlp" ] && grep -q "ensemble of 3 members written to $tmp/dir/e.nlp" "$tmp/err"'
check "each member is announced with its seed (2, 3, 4) and refit" \
	'grep -q "ensemble member 1 of 3 (seed 2)" "$tmp/err" && grep -q "ensemble member 3 of 3 (seed 4)" "$tmp/err" &&
	 [ "$(grep -c "member [123] of 3: refit for" "$tmp/err")" -eq 3 ]'
check "the folder holds the model and nothing else (no member file, no checkpoint)" \
	'[ "$(ls "$tmp/dir")" = e.nlp ]'
"$nlpipe" inspect "$tmp/dir/e.nlp" >"$tmp/insp" 2>&1
check "inspect: format 4, an ensemble of 3, its seeds in the metadata" \
	'grep -q "format 4" "$tmp/insp" && grep -q "ensemble of 3 trained models" "$tmp/insp" &&
	 grep -q "ensemble = 3 members, seeds 2 to 4" "$tmp/insp"'
check "inspect --json: members 3" \
	'"$nlpipe" inspect --json "$tmp/dir/e.nlp" | grep -q "\"members\":3,"'

for s in 2 3 4; do
	train -q --set train.seed=$s "$tmp/bag.ini" "$reviews" -o "$tmp/s$s.nlp"
	probs "$tmp/s$s.nlp" >"$tmp/s$s.tsv"
done
check "its first member is the plain model of seed 2" \
	'"$paramcmp" "$tmp/dir/e.nlp" bag "$tmp/s2.nlp" bag >/dev/null &&
	 "$paramcmp" "$tmp/dir/e.nlp" classify "$tmp/s2.nlp" classify >/dev/null'
probs "$tmp/dir/e.nlp" >"$tmp/e.tsv"
# Every row: label probability pairs after the path; the ensemble's
# probability of each label against the mean of the three models' (each
# printed to 6 decimals).
worst=$(awk -F'\t' '
	FNR == 1 { f++ }
	{ for (i = 2; i < NF; i += 2) p[f, FNR, $i] = $(i + 1); rows[FNR] = NF }
	END {
		w = 0
		for (r in rows)
			for (k in p) {
				split(k, a, SUBSEP)
				if (a[1] != 4 || a[2] != r) continue
				m = (p[1, r, a[3]] + p[2, r, a[3]] + p[3, r, a[3]]) / 3
				d = m - p[4, r, a[3]]; d = d < 0 ? -d : d
				if (d > w) w = d
			}
		print w
	}' "$tmp/s2.tsv" "$tmp/s3.tsv" "$tmp/s4.tsv" "$tmp/e.tsv")
echo "# largest |ensemble - mean of the 3 models| over documents and labels: $worst"
check "predict --probs is the mean of the 3 models' probabilities (within 2e-6)" \
	'[ -s "$tmp/e.tsv" ] && [ "$(wc -l <"$tmp/e.tsv")" -eq 400 ] && awk -v w="$worst" "BEGIN { exit !(w < 2e-6) }"'
check "... which is not the first member's" '! cmp -s "$tmp/e.tsv" "$tmp/s2.tsv"'
"$nlpipe" -q predict --probs -j 2 --batch 5 "$tmp/dir/e.nlp" "$reviews" >"$tmp/e2.tsv" 2>"$tmp/err"
check "-j 2 and batches of 5: the same bytes" 'cmp -s "$tmp/e.tsv" "$tmp/e2.tsv"'
right=$(awk -F'\t' '{ n = split($1, d, "/"); if (d[n - 1] == $2) r++ } END { print r + 0 }' "$tmp/e.tsv")
acc=$("$nlpipe" -q eval --json "$tmp/dir/e.nlp" "$reviews" 2>"$tmp/err" |
	sed -n 's/.*"accuracy": *\([0-9.]*\).*/\1/p' | head -1)
echo "# ensemble: $right of 400 right by predict; eval accuracy $acc"
check "eval's accuracy is predict's ($right of 400)" \
	'awk -v a="$acc" -v r="$right" "BEGIN { d = a - r / 400; exit !(a != \"\" && d < 1e-9 && d > -1e-9) }"'
train -q --set train.ensemble=3 "$tmp/bag.ini" "$reviews" -o "$tmp/e2.nlp"
check "trained again: the same model bytes" 'cmp -s "$tmp/dir/e.nlp" "$tmp/e2.nlp"'

check_run "quantize refuses an ensemble, saying so" 1 "is an ensemble of 3 models" \
	"$nlpipe" quantize "$tmp/dir/e.nlp" "$tmp/q.nlp"
check "... and writes nothing" '[ ! -e "$tmp/q.nlp" ]'
sed "s|^stages = .*|&\\ninit_from = $tmp/dir/e.nlp|" "$tmp/bag.ini" >"$tmp/ft.ini"
check_run "init_from an ensemble is refused, naming the key" 1 \
	"[pipeline] init_from = $tmp/dir/e.nlp: an ensemble of 3 models" \
	"$nlpipe" train "$tmp/ft.ini" "$reviews" -o "$tmp/ft.nlp"
check_run "--keep-last with an ensemble is refused" 1 "the members' last epochs are not kept" \
	"$nlpipe" train --keep-last --set train.ensemble=2 "$tmp/bag.ini" "$reviews" -o "$tmp/k.nlp"
check_run "a language model is not ensembled" 1 "only classifiers are ensembled" \
	"$nlpipe" train --set train.ensemble=2 "$src/examples/lm.ini" "$reviews" -o "$tmp/lm.nlp"
check "the refused runs wrote no model" '[ ! -e "$tmp/k.nlp" ] && [ ! -e "$tmp/lm.nlp" ] && [ ! -e "$tmp/ft.nlp" ]'
check_run "resuming a checkpoint with ensemble set is refused" 1 "a checkpoint is one model" \
	"$nlpipe" train --resume "$tmp/s2.nlp.ckpt" --set train.ensemble=2 "$tmp/bag.ini" "$reviews" \
	-o "$tmp/s2.nlp"
check_run "nlpipe check takes ensemble = 5" 0 "" \
	"$nlpipe" check --set train.ensemble=5 "$tmp/bag.ini"
check_run "nlpipe check refuses ensemble = 0, naming the key" 1 "ensemble" \
	"$nlpipe" check --set train.ensemble=0 "$tmp/bag.ini"
check_run "... and ensemble = 65 (at most 64)" 1 "ensemble" \
	"$nlpipe" check --set train.ensemble=65 "$tmp/bag.ini"
tap_done
