#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_tune.sh - nlpipe tune on the bundled example corpus: an epoch budget
# finishes and writes a pipeline file that nlpipe check accepts, with values
# among the candidates and the winner's validation result when trained; the
# same seed and budget give the same file byte for byte; bad [tune] lines,
# budgets and outputs are refused before any training; SIGINT stops cleanly
# and leaves nothing behind.
src=${NLP_TOP_SRCDIR:-$(pwd)}
. "$src/tests/tap.sh"
tap_setup tune
reviews="$src/examples/reviews"
mkdir "$tmp/work"
TMPDIR="$tmp/work" # where the trials' models go: it must be empty after each run
export TMPDIR

echo "1..33"

# The example pipeline, small, with early stopping off (a trial promoted from
# its checkpoint then trains exactly as a run of the rung's epochs would).
sed -e 's/^dim = 64/dim = 16/' -e 's/^hidden = 64/hidden = 16/' \
	-e 's/^early_stopping = 2/early_stopping = 0\nthreads = 2/' \
	"$src/examples/sentiment.ini" >"$tmp/s.ini"
cat >>"$tmp/s.ini" <<'INI'

[tune]
encode.hidden = 8, 16, 32                   ; a list
train.learning_rate = 0.0005 .. 0.01 log    ; log-uniform
embed.dim = 8 .. 32 int
classify.dropout = 0 .. 0.5
INI
tune() { "$nlpipe" tune "$@" 2>"$tmp/err"; }

tune "$tmp/s.ini" "$reviews" --budget 40e -o "$tmp/best.ini" >"$tmp/board"
check "tune --budget 40e exits 0" '[ $? -eq 0 ]'
check "the plan: 12 trials of 2 epochs, the best 4 on to 6" \
	'grep -q "tune: 12 trials; rungs (trials x epochs): 12 x 2, 4 x 6; 40 epochs in all" "$tmp/err"'
check "the leaderboard: a header and one line per trial and rung" \
	'[ "$(head -1 "$tmp/board" | tr -s " ")" = "rung epochs trial encode.hidden train.learning_rate embed.dim classify.dropout accuracy epoch seconds" ] &&
	 [ "$(grep -c "^0 " "$tmp/board")" -eq 12 ] && [ "$(grep -c "^1 " "$tmp/board")" -eq 4 ]'
check "the best configuration is printed" 'grep -q "^best: trial [0-9]*, validation accuracy" "$tmp/board" && grep -q "^  encode.hidden = " "$tmp/board"'
check "BEST.ini is written" '[ -s "$tmp/best.ini" ]'
check "no temporary folder or file is left" '[ -z "$(ls -A "$tmp/work")" ] && [ -z "$(ls "$tmp" | grep "\.tmp\.")" ]'
"$nlpipe" check "$tmp/best.ini" >"$tmp/check.out" 2>"$tmp/err"
check "nlpipe check accepts BEST.ini" '[ $? -eq 0 ]'
check "its [tune] section is commented out" 'grep -q "^; \[tune\]" "$tmp/best.ini" && ! grep -q "^\[tune\]" "$tmp/best.ini"'
hidden=$(sed -n 's/^hidden = //p' "$tmp/best.ini")
lr=$(sed -n 's/^learning_rate = //p' "$tmp/best.ini")
dim=$(sed -n 's/^dim = //p' "$tmp/best.ini")
drop=$(sed -n '/^\[classify\]/,/^\[/s/^dropout = //p' "$tmp/best.ini")
check "encode.hidden ($hidden) is one of 8, 16, 32" 'case "$hidden" in 8 | 16 | 32) true ;; *) false ;; esac'
check "train.learning_rate ($lr) is in [0.0005, 0.01]" 'awk "BEGIN { exit !($lr >= 0.0005 && $lr <= 0.01) }"'
check "embed.dim ($dim) is a whole number in [8, 32]" 'echo "$dim" | grep -qx "[0-9]*" && [ "$dim" -ge 8 ] && [ "$dim" -le 32 ]'
check "classify.dropout ($drop) is in [0, 0.5]" 'awk "BEGIN { exit !($drop >= 0 && $drop <= 0.5) }"'
check "each value replaced its key's line (one of each)" \
	'[ "$(grep -c "^learning_rate = " "$tmp/best.ini")" -eq 1 ] && [ "$(grep -c "^dim = " "$tmp/best.ini")" -eq 1 ]'
check "a value the file did not set goes into its section" \
	'sed -n "/^\[classify\]/,/^\[/p" "$tmp/best.ini" | grep -q "^dropout = $drop\$"'
want=$(sed -n 's/^best: trial [0-9]*, validation accuracy \([0-9.]*\) (epoch \([0-9]*\))$/\1 \2/p' "$tmp/board")
"$nlpipe" train "$tmp/best.ini" "$reviews" -o "$tmp/best.nlp" 2>"$tmp/err"
got=$(sed -n 's/.*best model (epoch \([0-9]*\), validation accuracy \([0-9.]*\)).*/\2 \1/p' "$tmp/err")
check "nlpipe train BEST.ini reproduces the winner ($want; got $got)" '[ -n "$want" ] && [ "$want" = "$got" ]'

tune -q "$tmp/s.ini" "$reviews" --budget 40e -o "$tmp/again.ini" >"$tmp/board2"
check "the same seed and epoch budget: the same BEST.ini byte for byte" 'cmp -s "$tmp/best.ini" "$tmp/again.ini"'
check "... and the same leaderboard (but the seconds)" \
	'[ "$(awk "{ \$NF = \"\"; print }" "$tmp/board")" = "$(awk "{ \$NF = \"\"; print }" "$tmp/board2")" ]'
sed 's/^\[train\]$/[train]\nkeep_checkpoint = false/' "$tmp/s.ini" >"$tmp/nock.ini"
tune -q "$tmp/nock.ini" "$reviews" --budget 40e -o "$tmp/nock-best.ini" >"$tmp/board4"
check "[train] keep_checkpoint = false: promoted trials still train on from their checkpoints (the same leaderboard)" \
	'grep -q "^keep_checkpoint = false" "$tmp/nock.ini" && [ "$(awk "{ \$NF = \"\"; print }" "$tmp/board")" = "$(awk "{ \$NF = \"\"; print }" "$tmp/board4")" ]'
tune -q --seed 2 "$tmp/s.ini" "$reviews" --budget 40e -o "$tmp/seed2.ini" >"$tmp/board3"
check "--seed 2: other configurations" \
	'[ "$(sed -n 2p "$tmp/board" | cut -c1-60)" != "$(sed -n 2p "$tmp/board3" | cut -c1-60)" ]'
tune -q "$tmp/s.ini" "$reviews" --trials 2 --keep-models "$tmp/keep" -o "$tmp/k.ini" >/dev/null
check "--keep-models: a missing folder is refused" '[ $? -eq 2 ] && grep -q "keep-models.*create it first" "$tmp/err"'
mkdir "$tmp/keep"
tune -q "$tmp/s.ini" "$reviews" --trials 2 --keep-models "$tmp/keep" -o "$tmp/k.ini" >/dev/null
check "--keep-models DIR keeps each trial's model (no checkpoints)" \
	'[ "$(ls "$tmp/keep")" = "$(printf "trial-001.nlp\ntrial-002.nlp")" ]'

# Refused before any training: nothing is planned, nothing written.
refused() { # NAME STATUS MESSAGE ARGS...
	name=$1 want=$2 msg=$3
	shift 3
	tune "$@" >/dev/null
	st=$?
	check "$name" '[ $st -eq $want ] && grep -qF -- "$msg" "$tmp/err" && ! grep -q "tune: [0-9]* trials" "$tmp/err" && [ -z "$(ls -A "$tmp/work")" ]'
}
sed '/^\[tune\]/,$d' "$tmp/s.ini" >"$tmp/bad.ini"
cat >>"$tmp/bad.ini" <<'INI'
[tune]
encode.hiden = 8, 16
encoder.hidden = 8
train.epochs = 2, 3
embed.dim = 0, 16
train.learning_rate = 0.01 .. 0.001 log
train.momentum = 0 .. 0.5 log
encode.bidirectional = 0 .. 1
INI
refused "a misspelt key is refused with its line" 1 \
	"bad.ini:56: [tune] encode.hiden: [encode] has no option 'hiden'; did you mean 'hidden'?" \
	"$tmp/bad.ini" "$reviews" --budget 40e -o "$tmp/x.ini"
check "... a stage that is not in the pipeline" \
	'grep -qF "bad.ini:57: [tune] encoder.hidden: no stage '"'encoder'"' in [pipeline] stages; did you mean '"'encode'"'?" "$tmp/err"'
check "... an option the search sets itself" \
	'grep -qF "bad.ini:58: [tune] train.epochs: cannot be tuned: the rungs set it (up to [train] epochs)" "$tmp/err"'
check "... a candidate out of the option's range" \
	'grep -qF "bad.ini:59: [tune] embed.dim = '"'0'"': int must be between 1 and 4096" "$tmp/err"'
check "... a range upside down, a log range from 0, a range of a bool" \
	'grep -qF "bad.ini:60: [tune] train.learning_rate = '"'0.01 .. 0.001 log'"': the low end must be below the high end" "$tmp/err" &&
	 grep -qF "bad.ini:61: [tune] train.momentum = '"'0 .. 0.5 log'"': a log range needs a low end above 0" "$tmp/err" &&
	 grep -qF "bad.ini:62: [tune] encode.bidirectional = '"'0 .. 1'"': a range needs a number option, and [encode] bidirectional is bool" "$tmp/err"'
"$nlpipe" check "$tmp/bad.ini" >/dev/null 2>"$tmp/err2"
check "nlpipe check refuses the same [tune] lines" '[ $? -eq 1 ] && grep -qF "bad.ini:56: [tune] encode.hiden" "$tmp/err2"'
refused "-o in a missing folder is refused before any work" 2 \
	"-o $tmp/nope/best.ini: the folder $tmp/nope does not exist: create it first" \
	"$tmp/s.ini" "$reviews" --budget 40e -o "$tmp/nope/best.ini"
refused "a budget smaller than one trial is refused" 1 \
	"--budget 5e: one trial trains [train] epochs = 6: give at least 6e" \
	"$tmp/s.ini" "$reviews" --budget 5e -o "$tmp/x.ini"
refused "a pipeline without [tune] is refused" 1 "sentiment.ini: no [tune] section" \
	"$src/examples/sentiment.ini" "$reviews" --budget 40e -o "$tmp/x.ini"
sed 's/^validation = 0.1/validation = 0/' "$tmp/s.ini" >"$tmp/noval.ini"
refused "no validation data is refused" 1 "[train] validation = 0 and no validation_data" \
	"$tmp/noval.ini" "$reviews" --budget 40e -o "$tmp/x.ini"

# SIGINT: the running trial stops, nothing is written, the folder is gone.
# (The board file exists before the loop reads it; under load the first
# lines may take a while.)
: >"$tmp/int.board"
"$nlpipe" tune "$tmp/s.ini" "$reviews" --budget 100000e -o "$tmp/int.ini" >"$tmp/int.board" 2>"$tmp/err" &
pid=$!
i=0
while [ "$(wc -l <"$tmp/int.board")" -lt 3 ] && [ $i -lt 3000 ] && kill -0 $pid 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
kill -INT $pid 2>/dev/null
wait $pid
st=$?
check "SIGINT: exit status 130, nothing written to -o, no temporary folder left" \
	'[ $st -eq 130 ] && [ ! -e "$tmp/int.ini" ] && [ -z "$(ls -A "$tmp/work")" ] && grep -q "interrupted: nothing was written" "$tmp/err"'

"$nlpipe" -q train "$tmp/s.ini" "$reviews" -o "$tmp/plain.nlp" 2>"$tmp/err"
check "nlpipe train ignores [tune]" '[ $? -eq 0 ] && [ -s "$tmp/plain.nlp" ]'
tap_done
