# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# tests/train/precision.sh - what the tests of the encoders' `precision`
# (t_int8.sh, t_bf16.sh) share: two models trained on the reviews, and checks
# of a model that runs at another precision against the fp32 one.  Sourced
# after tests/tap.sh, it adds:
#
#   precision_setup NAME                       tap_setup NAME, then reviews
#                                              (examples/reviews) and
#                                              $tmp/gru.ini (a 2-layer GRU with
#                                              mean pooling, 3 epochs, from
#                                              examples/sentiment.ini)
#   model_ini MODEL                            the configuration of MODEL:
#                                              sentiment (the example) or gru
#   train ARGS...                              nlpipe train on 2 threads
#   predict_pair A.nlp B.nlp                   nlpipe predict --probs of the
#                                              reviews: A's into A.tsv, B's into
#                                              B.tsv (-j 1) and Bb.tsv (-j 2,
#                                              batches of 5)
#   samepar A.nlp B.nlp                        status 0 when A and B have the
#                                              same embedding and encoder
#                                              parameters
#   eval_accuracy MODEL DOCS                   the accuracy `nlpipe eval --json`
#                                              reports
#   check_labels NAME A.tsv B.tsv PERCENT      one result: B, the output of
#                                              `nlpipe predict --probs`
#                                              (document, label, probabilities),
#                                              labels at least PERCENT % of the
#                                              documents as A does
#   check_accuracy NAME A.nlp B.nlp DOCS MAX   one result: eval_accuracy of B on
#                                              DOCS is less than MAX (a fraction:
#                                              0.02 for 2 points) from A's
#
# nlpipe's stderr goes to $tmp/err; the checks say in a comment what they
# measured.

precision_setup() {
	tap_setup "$1"
	reviews="$src/examples/reviews"
	sed -e 's/^type = lstm/type = gru/' -e 's/^bidirectional = true/layers = 2/' \
		-e 's/^pooling = max/pooling = mean/' -e 's/^epochs = 6/epochs = 3/' \
		"$src/examples/sentiment.ini" >"$tmp/gru.ini"
}

model_ini() {
	case $1 in
	sentiment) echo "$src/examples/sentiment.ini" ;;
	*) echo "$tmp/$1.ini" ;;
	esac
}

train() { "$nlpipe" -q train --set train.threads=2 "$@" 2>"$tmp/err"; }

predict_pair() {
	"$nlpipe" -q predict --probs "$1" "$reviews" >"${1%.nlp}.tsv" 2>"$tmp/err"
	"$nlpipe" -q predict --probs -j 1 "$2" "$reviews" >"${2%.nlp}.tsv" 2>"$tmp/err"
	"$nlpipe" -q predict --probs -j 2 --batch 5 "$2" "$reviews" >"${2%.nlp}b.tsv" 2>"$tmp/err"
}

samepar() {
	"$top/tests/train/paramcmp" "$1" encode "$2" encode >/dev/null &&
		"$top/tests/train/paramcmp" "$1" embed "$2" embed >/dev/null
}

eval_accuracy() {
	"$nlpipe" -q eval --json "$1" "$2" 2>"$tmp/err" |
		sed -n 's/.*"accuracy": *\([0-9.]*\).*/\1/p' | head -1
}

check_labels() {
	# B's columns come after A's: A's label is $2, B's $(h + 2)
	same=$(paste "$2" "$3" | awk -F'\t' -v h="$(head -1 "$2" | awk -F'\t' '{print NF}')" \
		'$2 == $(h + 2) {s++} END {print s + 0}')
	total=$(wc -l <"$2")
	percent=$4
	echo "# $1: $same of $total the same (${2##*/}, ${3##*/})"
	check "$1" '[ $((same * 100)) -ge $((total * percent)) ]'
}

check_accuracy() {
	acc_a=$(eval_accuracy "$2" "$4")
	acc_b=$(eval_accuracy "$3" "$4")
	acc_max=$5
	echo "# $1: ${2##*/} $acc_a, ${3##*/} $acc_b"
	check "$1" '[ -n "$acc_a" ] && [ -n "$acc_b" ] &&
		awk -v a="$acc_a" -v b="$acc_b" -v m="$acc_max" "BEGIN {d = a - b; exit !(d < m && d > -m)}"'
}
