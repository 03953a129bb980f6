#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# tests/train/t_pipelines.sh - the installed pipelines for each kind of text
# (data/pipelines/) keep their accuracy: each is trained as it is on a small
# sample of a public set in ../shared/data and evaluated on held-out
# documents; the accuracy must stay at or over a floor a few points under
# what it measured when the floor was set (2026-11-30: fast 0.853, sentiment
# 0.815, topic 0.860, short-text 0.756, and 0.741 after short-text.ini took
# 40 epochs and 200,000 buckets; sentiment 0.8725 after its bag took
# lr_scale = 5 and its head dropout 0.5; topic 0.876 after its bag took
# nb = off and binary = true, 0.908 after it took idf = true and
# binary = false; sentiment 0.89 after its bag took binary = true and its
# training refit = true; short-text 0.755 after it became an ensemble of 5
# BiLSTM + bag models; small samples are noisy, the full
# protocols are in bench/accuracy).  Skips, with the reason, where
# ../shared/data is absent.
#
# Run by `make check`.  TAP output; exits non-zero when anything failed.
set -u
top_builddir=${NLP_TOP_BUILDDIR:?run this test through make check}
top_srcdir=${NLP_TOP_SRCDIR:?run this test through make check}
shared=${NLP_SHARED_DATA:-$top_srcdir/../shared/data}
nlpipe=$top_builddir/nlpipe
pipes=$top_srcdir/data/pipelines
if [ ! -d "$shared/polarity-v2" ] || [ ! -d "$shared/20newsgroups" ] || [ ! -d "$shared/sst" ]; then
	echo "1..0 # SKIP $shared (polarity-v2, 20newsgroups, sst) is absent"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nlpipe-pipelines.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
. "$top_srcdir/tests/tap.sh"
echo "1..8"

# Samples, as folders DIR/<label>/files and line files.
for l in pos neg; do
	mkdir -p "$tmp/pol/train/$l" "$tmp/pol/test/$l"
	for f in "$shared/polarity-v2/txt_sentoken/$l"/cv[0-7]*; do ln -s "$f" "$tmp/pol/train/$l/"; done
	for f in "$shared/polarity-v2/txt_sentoken/$l"/cv[89]*; do ln -s "$f" "$tmp/pol/test/$l/"; done
done
for g in comp.graphics rec.autos sci.med sci.space talk.politics.guns; do
	mkdir -p "$tmp/ng/train/$g" "$tmp/ng/test/$g"
	ls "$shared/20newsgroups/20news-bydate-train/$g" | sort | head -n 200 >"$tmp/list"
	head -n 150 "$tmp/list" | while read -r f; do ln -s "$shared/20newsgroups/20news-bydate-train/$g/$f" "$tmp/ng/train/$g/"; done
	tail -n 50 "$tmp/list" | while read -r f; do ln -s "$shared/20newsgroups/20news-bydate-train/$g/$f" "$tmp/ng/test/$g/"; done
done
head -n 3000 "$shared/sst/stsa.binary.train" | sed 's/ /\t/' >"$tmp/sst.train"
sed 's/ /\t/' "$shared/sst/stsa.binary.dev" >"$tmp/sst.dev"

# accuracy PIPELINE TRAIN TEST [reader options]: train, then eval's accuracy
# (no checkpoint kept: topic.ini's is 800 MB).
accuracy() {
	ini=$1 train=$2 test=$3
	shift 3
	"$nlpipe" -q train "$pipes/$ini" "$train" "$@" --set train.keep_checkpoint=false \
		-o "$tmp/m.nlp" 2>"$tmp/err" &&
		"$nlpipe" -q eval "$tmp/m.nlp" "$test" "$@" --json 2>>"$tmp/err" |
		sed -n 's/.*"accuracy": *\([0-9.]*\).*/\1/p' | head -n 1
}
# at_least NAME GOT FLOOR
at_least() {
	check "$1: accuracy ${2:-none} >= $3" "[ -n \"$2\" ] && awk 'BEGIN { exit !($2 >= $3) }'"
}

for ini in sentiment.ini short-text.ini topic.ini fast.ini; do
	"$nlpipe" check "$pipes/$ini" >/dev/null 2>"$tmp/err"
	check "$ini: nlpipe check accepts it" '[ $? -eq 0 ]'
done
at_least "fast.ini on polarity cv0-7 -> cv8-9" "$(accuracy fast.ini "$tmp/pol/train" "$tmp/pol/test")" 0.82
at_least "sentiment.ini on polarity cv0-7 -> cv8-9" "$(accuracy sentiment.ini "$tmp/pol/train" "$tmp/pol/test")" 0.84
at_least "topic.ini on 5 newsgroups, 150 -> 50 each" "$(accuracy topic.ini "$tmp/ng/train" "$tmp/ng/test")" 0.87
at_least "short-text.ini on 3000 SST-2 sentences -> dev" \
	"$(accuracy short-text.ini "$tmp/sst.train" "$tmp/sst.dev" --input-format lines)" 0.72
tap_done
