#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# tests/train/t_report.sh - `nlpipe eval --report`: the HTML report of a
# two-class and a five-class model has every section (per-class AUC rows,
# curves, calibration, the mistakes, the model's pipeline and training
# curve), and with many classes it stays small and says what it left out.
#
# Run by `make check`.  TAP output; exits non-zero when anything failed.
set -u
src=${NLP_TOP_SRCDIR:-$(pwd)}
. "$src/tests/tap.sh"
tap_setup report
ini=$src/examples/sentiment.ini
trap 'exit 1' HUP INT TERM
has() { grep -q -- "$2" "$1"; }
count() { grep -o -- "$2" "$1" | wc -l; }
curves() { # polylines of the curves section
	sed -n '/id="curves"/,/id="calibration"/p' "$1" | grep -o '<polyline' | wc -l
}
echo "1..23"

small="--set train.epochs=2 --set encode.hidden=8 --set embed.dim=8 --set embed.min_count=1 -q"

# Labelled lines: class k's documents use words of its own and shared ones;
# one document has markup and far more than twenty words.
lines() { # classes documents-per-class
	awk -v C="$1" -v D="$2" 'BEGIN {
		for (d = 0; d < D; d++)
			for (k = 0; k < C; k++) {
				t = "w" k "a w" k "b common" (d % 3) " w" ((k + d) % C) "c"
				if (d == 0 && k == 1)
					for (i = 0; i < 40; i++) t = t " <b>&amp;long" i
				printf "c%d\t%s\n", k, t
			}
	}'
}

# --- two classes -----------------------------------------------------------
# shellcheck disable=SC2086
"$nlpipe" train $small "$ini" "$src/examples/reviews" -o "$tmp/m2.nlp" 2>"$tmp/err"
ok $? "a two-class model"
"$nlpipe" eval -q "$tmp/m2.nlp" "$src/examples/reviews" --report "$tmp/r2.html" \
	>"$tmp/out" 2>"$tmp/err"
ok $? "eval --report with two classes"
r=$tmp/r2.html
[ "$(count "$r" '<tr class="cls">')" -eq 2 ] && has "$r" '<th>ROC AUC</th><th>AP</th>'
ok $? "two classes: a per-class row with ROC AUC and AP for each"
has "$r" 'ROC curves (one vs rest)' && has "$r" 'Precision-recall curves' &&
	[ "$(curves "$r")" -eq 4 ]
ok $? "two classes: ROC and PR curves of both classes"
has "$r" 'id="calibration"' && has "$r" 'Expected calibration error' &&
	[ "$(count "$r" '<tr class="bin">')" -eq 10 ]
ok $? "two classes: calibration section with 10 bins"
has "$r" 'id="mistakes"' && [ "$(count "$r" '<tr class="mistake">')" -ge 1 ] &&
	has "$r" "$src/examples/reviews/"
ok $? "two classes: mistakes table naming documents by path"
has "$r" '<pre class="pipeline">' && has "$r" 'type = tokenizer' && has "$r" 'stages = tokenize'
ok $? "two classes: the stored pipeline text"
has "$r" 'evaluated with</td><td class="txt">nlpipe ' && has "$r" '>date</td>'
ok $? "two classes: version and training date"
has "$r" '<h3>Training curve</h3>' && has "$r" 'aria-label="Loss"'
ok $? "two classes: training curve from the per-epoch figures"
! grep -q -e '<script' -e 'src=' -e 'href=' -e 'url(' "$r"
ok $? "two classes: self-contained (no script, no external asset)"
! has "$r" 'id="omitted"'
ok $? "two classes: nothing left out"

# --- five classes ----------------------------------------------------------
lines 5 12 >"$tmp/five.tsv"
# shellcheck disable=SC2086
"$nlpipe" train $small --set train.epochs=3 "$ini" "$tmp/five.tsv" -o "$tmp/m5.nlp" 2>"$tmp/err"
ok $? "a five-class model"
lines 5 4 >"$tmp/five-test.tsv"
printf 'c0\tw1a w1b w1c w2a\n' >>"$tmp/five-test.tsv"
"$nlpipe" eval -q "$tmp/m5.nlp" "$tmp/five-test.tsv" --report "$tmp/r5.html" \
	--json >"$tmp/j5" 2>"$tmp/err"
ok $? "eval --report with five classes"
r=$tmp/r5.html
[ "$(count "$r" '<tr class="cls">')" -eq 5 ] &&
	[ "$(grep '<tr class="cls">' "$r" | grep -c '<td>[01]\.[0-9]\{4\}</td><td>[01]\.[0-9]\{4\}</td></tr>')" -eq 5 ]
ok $? "five classes: five per-class rows, each with ROC AUC and AP"
has "$r" '<tr class="avg"><td>macro average' && has "$r" '<tr class="avg"><td>weighted average'
ok $? "five classes: macro and weighted averages"
[ "$(curves "$r")" -eq 10 ] && has "$r" 'macro ROC AUC'
ok $? "five classes: one-vs-rest curves of every class"
has "$r" 'id="calibration"' && has "$r" 'Reliability diagram'
ok $? "five classes: reliability diagram"
has "$r" '<tr class="mistake">' && has "$r" 'five-test.tsv:' &&
	! grep '<tr class="mistake">' "$r" | grep -q '<b>'
ok $? "five classes: mistakes with short, escaped excerpts"
has "$tmp/j5" '"expected_calibration_error"' && has "$tmp/j5" '"macro_f1"'
ok $? "eval --json: the new fields added, the old kept"

# --- many classes: the size cap ---------------------------------------------
lines 120 1 >"$tmp/many.tsv"
# shellcheck disable=SC2086
"$nlpipe" train $small --set train.epochs=1 "$ini" "$tmp/many.tsv" -o "$tmp/mm.nlp" 2>"$tmp/err"
ok $? "a 120-class model"
"$nlpipe" eval -q "$tmp/mm.nlp" "$tmp/many.tsv" --report "$tmp/rm.html" >"$tmp/out" 2>"$tmp/err"
ok $? "eval --report with 120 classes"
r=$tmp/rm.html
! has "$r" 'aria-label="confusion matrix"' && has "$r" 'most frequent confusions' &&
	[ "$(curves "$r")" -eq 40 ] && has "$r" 'id="omitted"' &&
	has "$r" '<li>Curves: drawn for the 20 largest classes only (of 120)'
ok $? "120 classes: a list of confusions instead of the matrix, curves capped, a note"
[ "$(wc -c <"$r")" -lt 1000000 ]
ok $? "120 classes: the report stays under 1 MB ($(wc -c <"$r") bytes)"

tap_done
