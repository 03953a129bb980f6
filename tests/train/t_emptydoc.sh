#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_emptydoc.sh - a document of which the text stages leave no token ("...",
# stop words only) is classified from the empty input (issue 12): with every
# bundled pipeline (data/pipelines/) and every recurrent cell and pooling
# (last, mean, max, attention; one and two directions), predict and eval
# exit 0, every probability is finite, and an empty document gets the same
# probabilities alone in a batch, in a batch with longer documents, on one
# thread or two, first or last in the input; one summary warning, the
# documents named under --verbose.
src=${NLP_TOP_SRCDIR:-$(pwd)}
. "$src/tests/tap.sh"
tap_setup emptydoc


# label<TAB>text lines, n of them.
gen() {
	awk -v n="$1" -v seed="$2" 'BEGIN {
		srand(seed)
		split("great fine lovely superb good", p, " ")
		split("awful boring poor dull bad", q, " ")
		split("movie film plot actors story scenes music ending", f, " ")
		for (i = 0; i < n; i++) {
			pos = rand() < 0.5
			line = (pos ? "pos" : "neg") "\t"
			m = 2 + int(rand() * 10)
			for (j = 0; j < m; j++)
				line = line (j ? " " : "") (rand() < 0.4 ? (pos ? p[int(rand() * 5) + 1] : q[int(rand() * 5) + 1]) : f[int(rand() * 8) + 1])
			print line
		}
	}'
}
gen 240 1 >"$tmp/train.tsv"
# 40 documents; lines 1, 17 and 40 have no token after any pipeline's text
# stages ("...", ", ; :", "—").
{
	printf 'neg\t...\n'
	gen 15 2
	printf 'pos\t, ; :\n'
	gen 22 3
	printf 'neg\t\342\200\224\n'
} >"$tmp/test.tsv"

cat >"$tmp/rec.ini" <<'INI'
[pipeline]
stages = tokenize, embed, encode, classify
[tokenize]
type = tokenizer
[embed]
type = embedding
dim = 8
min_count = 1
[encode]
type = lstm
hidden = 8
[classify]
type = softmax
[train]
epochs = 2
batch = 16
seed = 1
validation = 0
INI

# The rows of the empty documents (label and probabilities, --probs) of
# predict run with the options given; the exit status in $tmp/rc.
empty_rows() {
	"$nlpipe" predict --probs --input-format lines --line-format tab "$@" "$tmp/m.nlp" \
		"$tmp/test.tsv" >"$tmp/rows" 2>"$tmp/err"
	echo $? >"$tmp/rc"
	grep -E '^[^	]*:(1|17|40)	' "$tmp/rows" | cut -f2-
}

# Check the model $tmp/m.nlp; $1 names it.
check_model() {
	what=$1
	empty_rows --batch 64 -j 1 >"$tmp/a"
	check "$what: predict exits 0, the 3 empty documents classified" \
		'[ "$(cat "$tmp/rc")" -eq 0 ] && [ "$(wc -l <"$tmp/a")" -eq 3 ] && [ "$(wc -l <"$tmp/rows")" -eq 40 ]'
	check "$what: every probability is finite, each row sums to 1" \
		'! grep -qiE "nan|inf" "$tmp/rows" && awk -F"\t" "{ s = 0; for (i = 3; i <= NF; i += 2) s += \$i; if (s < 0.999 || s > 1.001) bad = 1 } END { exit bad }" "$tmp/rows"'
	check "$what: one summary warning, no document named" \
		'grep -q "warning: 3 documents had no tokens left after the text stages; they were classified from the empty input" "$tmp/err" && ! grep -q "test.tsv:" "$tmp/err"'
	# The three empty documents give one answer: first, middle, last.
	check "$what: the same probabilities wherever the empty document is" \
		'[ "$(sort -u "$tmp/a" | wc -l)" -eq 1 ]'
	empty_rows --batch 1 -j 1 >"$tmp/b"
	empty_rows --batch 3 -j 2 >"$tmp/c"
	empty_rows --batch 7 -j 2 >"$tmp/d"
	check "$what: the same alone in a batch, with longer documents, on 2 threads" \
		'cmp -s "$tmp/a" "$tmp/b" && cmp -s "$tmp/a" "$tmp/c" && cmp -s "$tmp/a" "$tmp/d"'
	"$nlpipe" eval "$tmp/m.nlp" "$tmp/test.tsv" >"$tmp/out" 2>"$tmp/err"
	check "$what: eval exits 0 and counts all 40 documents" \
		'[ $? -eq 0 ] && grep -q "^documents  *40$" "$tmp/out" && grep -q "3 documents had no tokens left" "$tmp/err"'
}

models=""
for p in "$src"/data/pipelines/*.ini; do models="$models pipe:$p"; done
for cell in rnn lstm gru; do
	for pool in last mean max attention; do models="$models rec:$cell:$pool:true"; done
done
models="$models rec:lstm:last:false rec:gru:attention:false"
echo "1..$((6 * $(echo $models | wc -w) + 2))"

for m in $models; do
	case $m in
	pipe:*)
		ini=${m#pipe:}
		what=$(basename "$ini")
		# no validation: nothing to refit for (short-text.ini refits)
		set -- --set train.epochs=1 --set train.validation=0 --set train.early_stopping=0 \
			--set train.refit=false "$ini"
		;;
	rec:*)
		IFS=: read -r _ cell pool bi <<X
$m
X
		what="$cell pooling=$pool bidirectional=$bi"
		set -- --set encode.type="$cell" --set encode.pooling="$pool" \
			--set encode.bidirectional="$bi" --set encode.threads=2 "$tmp/rec.ini"
		;;
	esac
	rm -f "$tmp/m.nlp"
	if ! "$nlpipe" -q train "$@" "$tmp/train.tsv" -o "$tmp/m.nlp" 2>"$tmp/err"; then
		for i in 1 2 3 4 5 6; do fail "$what: train"; done
		sed 's/^/#   | /' "$tmp/err" | head -5
		continue
	fi
	check_model "$what"
done

# --verbose names each empty document; -q says nothing.
"$nlpipe" -v predict --input-format lines "$tmp/m.nlp" "$tmp/test.tsv" >/dev/null 2>"$tmp/err"
check "--verbose names each empty document" \
	'[ "$(grep -c "test.tsv:\(1\|17\|40\): no tokens left after the text stages; classified from the empty input" "$tmp/err")" -eq 3 ]'
"$nlpipe" -q predict --input-format lines "$tmp/m.nlp" "$tmp/test.tsv" >/dev/null 2>"$tmp/err"
check "-q: no warning" '[ $? -eq 0 ] && [ ! -s "$tmp/err" ]'
tap_done
