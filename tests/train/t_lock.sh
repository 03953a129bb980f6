#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_lock.sh - two trainings to one -o: the second is refused at its start,
# naming the output and the first one's pid, and the first ends with its
# own model and checkpoint (byte-identical to an undisturbed run).  The
# lock file (MODEL.lock) is removed at the end, and one left by a process
# that died does not block.  No timing: the first run is held with SIGSTOP
# while the second starts.
top=${NLP_TOP_BUILDDIR:-$(pwd)}
src=${NLP_TOP_SRCDIR:-$top}
nlpipe="$top/nlpipe"
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nlp_t_lock.XXXXXX") || exit 1
pid=
trap '[ -n "$pid" ] && kill -CONT $pid 2>/dev/null && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
. "$src/tests/tap.sh"
reviews="$src/examples/reviews"
ini="$src/examples/sentiment.ini"
opts="--set train.threads=1 --set train.epochs=8 --set train.early_stopping=0"

echo "1..8"

"$nlpipe" -q train $opts "$ini" "$reviews" -o "$tmp/ref.nlp" 2>"$tmp/err"
check "the undisturbed run trains" '[ $? -eq 0 ] && [ -s "$tmp/ref.nlp.ckpt" ]'
check "no lock file is left after a training" '[ ! -e "$tmp/ref.nlp.lock" ]'

"$nlpipe" -q train $opts "$ini" "$reviews" -o "$tmp/m.nlp" 2>"$tmp/err1" &
pid=$!
# Wait until it holds the lock (its pid is in the file), then hold it still.
i=0
while [ "$(cat "$tmp/m.nlp.lock" 2>/dev/null)" != "$pid" ] && kill -0 $pid 2>/dev/null &&
	[ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
if kill -STOP $pid 2>/dev/null && [ "$(cat "$tmp/m.nlp.lock" 2>/dev/null)" = "$pid" ]; then
	"$nlpipe" -q train --set train.seed=7 "$ini" "$reviews" -o "$tmp/m.nlp" 2>"$tmp/err"
	st=$?
	kill -CONT $pid
	check "the second training to the same -o is refused (exit 1, got $st)" '[ $st -eq 1 ]'
	check "its message names the output and the other process's pid" \
		'grep -q "m.nlp: another process (pid $pid) is writing this model" "$tmp/err"'
	wait $pid
	st=$?
	pid=
	cp "$tmp/err1" "$tmp/err"
	check "the first training finishes (exit $st)" '[ $st -eq 0 ]'
	check "its model is the undisturbed run's" 'cmp -s "$tmp/ref.nlp" "$tmp/m.nlp"'
	check "its checkpoint is the undisturbed run's" 'cmp -s "$tmp/ref.nlp.ckpt" "$tmp/m.nlp.ckpt"'
else
	wait $pid
	pid=
	for what in refused "names the pid" finishes model checkpoint; do
		n=$((n + 1))
		echo "ok $n # SKIP the first training ended before it was seen holding the lock"
	done
fi

# A lock file left by a process that died (killed, or a crash) is no lock.
echo 999999 >"$tmp/s.nlp.lock"
"$nlpipe" -q train $opts --set train.epochs=1 "$ini" "$reviews" -o "$tmp/s.nlp" 2>"$tmp/err"
check "a stale lock file does not block a training (and is removed)" \
	'[ $? -eq 0 ] && [ -s "$tmp/s.nlp" ] && [ ! -e "$tmp/s.nlp.lock" ]'
tap_done
