#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# tests/train/t_stdin.sh - `-` is standard input for every command that reads
# documents or a pipeline file (one document, or lines with --input-format
# lines); predict reads a line file as lines, as eval does; train refuses
# `-o -` before any work.
#
# Run by `make check`.  TAP output; exits non-zero when anything failed.
set -u
src=${NLP_TOP_SRCDIR:-$(pwd)}
. "$src/tests/tap.sh"
tap_setup stdin
ini=$src/examples/sentiment.ini
trap 'exit 1' HUP INT TERM
echo "1..11"

small="--set train.epochs=1 --set encode.hidden=8 --set embed.dim=8 -q"
# shellcheck disable=SC2086
"$nlpipe" train $small "$ini" "$src/examples/reviews" -o "$tmp/m.nlp" 2>"$tmp/err"
ok $? "a small model to read with"

echo "a wonderful film, warm and funny" | "$nlpipe" predict "$tmp/m.nlp" - >"$tmp/out" 2>"$tmp/err"
[ $? -eq 0 ] && [ "$(cut -f1 "$tmp/out")" = "-" ] && [ "$(wc -l <"$tmp/out")" -eq 1 ]
ok $? "predict MODEL -: standard input is one document, named -"

printf 'a wonderful film\na dull and boring mess\n' |
	"$nlpipe" predict "$tmp/m.nlp" - --input-format lines >"$tmp/out" 2>"$tmp/err"
[ $? -eq 0 ] && [ "$(cut -f1 "$tmp/out" | tr '\n' ' ')" = "-:1 -:2 " ]
ok $? "predict MODEL - --input-format lines: one document a line"

printf 'pos\ta wonderful film\nneg\ta dull and boring mess\npos\tgreat fun\n' >"$tmp/lines.tsv"
"$nlpipe" predict "$tmp/m.nlp" "$tmp/lines.tsv" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 0 ] && [ "$(wc -l <"$tmp/out")" -eq 3 ] && grep -q "lines.tsv:3	" "$tmp/out"
ok $? "predict MODEL lines.tsv reads a line file as lines, as eval does"

"$nlpipe" eval "$tmp/m.nlp" - --input-format lines --json <"$tmp/lines.tsv" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 0 ] && grep -q '"documents": *3' "$tmp/out"
ok $? "eval MODEL - --input-format lines: labelled lines from standard input"

"$nlpipe" check - <"$ini" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 0 ] && grep -q "OK, 6 stages" "$tmp/err"
ok $? "check -: the pipeline file from standard input"

echo "Some Words here" | "$nlpipe" tokenize "$ini" - >"$tmp/out" 2>"$tmp/err"
[ $? -eq 0 ] && grep -q "^-	word" "$tmp/out"
ok $? "tokenize PIPELINE -: standard input is one document"

for f in "$src"/examples/reviews/*/00[0-2]*.txt; do
	label=$(basename "$(dirname "$f")")
	printf '%s\t%s\n' "$label" "$(tr '\t\n' '  ' <"$f")"
done >"$tmp/train.tsv"
# shellcheck disable=SC2086
"$nlpipe" train $small "$ini" - --input-format lines -o "$tmp/m2.nlp" \
	<"$tmp/train.tsv" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 0 ] && [ -s "$tmp/m2.nlp" ]
ok $? "train PIPELINE - --input-format lines: labelled lines from standard input"

(cd "$tmp" && "$nlpipe" train "$ini" "$src/examples/reviews" -o - >out 2>err)
[ $? -eq 1 ] && grep -q "a model is not written to standard output" "$tmp/err" && [ ! -e "$tmp/-" ]
ok $? "train -o - is refused before any work, and writes no file named -"

echo x | "$nlpipe" predict "$tmp/m.nlp" - - >"$tmp/out" 2>"$tmp/err"
[ $? -ne 0 ] && grep -q "standard input is named twice" "$tmp/err"
ok $? "standard input named twice is an error"

mkdir "$tmp/mixed"
echo "a wonderful film" >"$tmp/mixed/good.txt"
printf 'bin\0ary' >"$tmp/mixed/binary.txt"
"$nlpipe" -q predict "$tmp/m.nlp" "$tmp/mixed" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && [ ! -s "$tmp/err" ] && [ "$(wc -l <"$tmp/out")" -eq 1 ]
ok $? "-q: no warning for the left-out binary file (exit status 2 still says so)"

tap_done
