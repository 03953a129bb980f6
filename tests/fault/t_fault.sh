#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_fault.sh - fault injection, as SQLite does it: with the shim
# tests/fault/failalloc.so preloaded, each of model load (inspect --check),
# predict -o and train -o runs once to count nlpipe's allocations, then once
# for every N up to that count with the Nth allocation failing (every
# FAULT_STRIDE-th N; by default a stride that makes at most 150 runs a
# command: every N for model load, whose count is 220).  Each run must either give the reference output or end with exit
# status 1-3 and "out of memory" in its messages: never a signal, never a
# sanitizer report, and a failed run leaves no output file and no temporary
# file (train: a model left is one saved whole at an earlier epoch).  Then reads cut short and interrupted (EINTR) must give the same
# predictions, and writes failing at each KiB of the model and of predict's
# output (RLIMIT_FSIZE: EFBIG, the same path as ENOSPC) must fail cleanly:
# exit 2 naming the error, no temporary file, and any output file that is
# there complete (train's model is written before its checkpoint).
top=${NLP_TOP_BUILDDIR:?run through make check}
src=${NLP_TOP_SRCDIR:?run through make check}
nlpipe="$top/nlpipe"
shim="$top/tests/fault/.libs/failalloc.so"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nlp_t_fault.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
. "$src/tests/tap.sh"
stride_set=${FAULT_STRIDE:-}

if [ -n "${NLP_SANITIZED:-}" ]; then
	# AddressSanitizer owns malloc: a preloaded allocator cannot sit in
	# front of it (every run crashes in the shim, not in nlpipe).
	echo "1..0 # SKIP the allocation shim cannot be preloaded under AddressSanitizer"
	exit 0
fi
if [ ! -f "$shim" ]; then
	echo "1..0 # SKIP the shim $shim was not built"
	exit 0
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export SOURCE_DATE_EPOCH=1
echo "1..8"

# A tiny case: 12 documents of examples/reviews, the fuzz model's pipeline.
for l in pos neg; do
	mkdir -p "$tmp/data/$l"
	for f in $(ls "$src/examples/reviews/$l" | head -6); do
		cp "$src/examples/reviews/$l/$f" "$tmp/data/$l/"
	done
done
ini="$src/tests/fuzz/tiny.ini"
model="$src/tests/fuzz/tiny.nlpm"
set_1="--set train.threads=1"

# A model left by a failed train is one saved whole at an earlier epoch
# (the checkpoint or a later step failed): it must load.
whole_model() {
	case $1 in
	*.nlpm) "$nlpipe" inspect --check "$1" >/dev/null 2>&1 ;;
	*) return 1 ;;
	esac
}

# run NAME OUT CMD...: the count run, then the failing runs; OUT is the
# output file the command writes ("" for none).  Reference in $tmp/ref.$NAME.
fault_runs() {
	name=$1 out=$2
	shift 2
	rm -f "$out"
	LD_PRELOAD="$shim" NLP_FAIL_COUNT="$tmp/count" "$@" >"$tmp/ref.$name" 2>"$tmp/err"
	rc=$?
	[ -n "$out" ] && cat "$out" >>"$tmp/ref.$name"
	total=$(cat "$tmp/count" 2>/dev/null || echo 0)
	n=$((n + 1))
	if [ "$rc" -ne 0 ] || [ "$total" -lt 1 ]; then
		echo "not ok $n - $name: the reference run (exit $rc, $total allocations)"
		sed 's/^/#   /' "$tmp/err" | head
		failed=$((failed + 1))
		return
	fi
	echo "ok $n - $name: reference run, $total allocations of nlpipe's"
	stride=${stride_set:-$((total / 150))}
	[ "$stride" -ge 1 ] || stride=1
	k=1 runs=0 same=0 clean=0 bad=0
	while [ "$k" -le "$total" ]; do
		rm -f "$out" "$out.ckpt"
		LD_PRELOAD="$shim" NLP_FAIL_ALLOC=$k "$@" >"$tmp/got" 2>"$tmp/err"
		rc=$?
		runs=$((runs + 1))
		[ -n "$out" ] && [ -f "$out" ] && cat "$out" >>"$tmp/got"
		leftover=$(find "$tmp" -name '*.tmp.*' | head -1)
		if [ "$rc" -eq 0 ] && cmp -s "$tmp/got" "$tmp/ref.$name" && [ -z "$leftover" ]; then
			same=$((same + 1))
		elif [ "$rc" -ge 1 ] && [ "$rc" -le 3 ] && grep -q "out of memory" "$tmp/err" &&
			! grep -q "Sanitizer\|runtime error" "$tmp/err" &&
			{ [ -z "$out" ] || [ ! -f "$out" ] || whole_model "$out"; } && [ -z "$leftover" ]; then
			clean=$((clean + 1))
		else
			bad=$((bad + 1))
			echo "# $name: allocation $k failed: exit $rc${leftover:+, left $leftover}"
			sed 's/^/#   /' "$tmp/err" | head -5
			rm -f "$leftover"
		fi
		k=$((k + stride))
	done
	n=$((n + 1))
	msg="$name: $runs runs with one allocation failing (stride $stride): $clean clean errors, $same unaffected, $bad bad"
	if [ "$bad" -eq 0 ]; then echo "ok $n - $msg"; else
		echo "not ok $n - $msg"
		failed=$((failed + 1))
	fi
}

fault_runs load "" "$nlpipe" inspect --check "$model"
fault_runs predict "$tmp/pred.tsv" "$nlpipe" predict -j 1 -o "$tmp/pred.tsv" "$model" "$tmp/data"
fault_runs train "$tmp/m.nlpm" "$nlpipe" train $set_1 "$ini" "$tmp/data" -o "$tmp/m.nlpm"

# Short reads and EINTR: the same predictions.
LD_PRELOAD="$shim" NLP_FAIL_READ=3 "$nlpipe" predict -j 1 "$model" "$tmp/data" >"$tmp/got" 2>"$tmp/err"
rc=$?
"$nlpipe" predict -j 1 "$model" "$tmp/data" >"$tmp/want" 2>/dev/null
n=$((n + 1))
if [ "$rc" -eq 0 ] && cmp -s "$tmp/got" "$tmp/want"; then
	echo "ok $n - reads of 3 bytes, every other one interrupted (EINTR): the same predictions"
else
	echo "not ok $n - short and interrupted reads change predict (exit $rc)"
	sed 's/^/#   /' "$tmp/err" | head -5
	failed=$((failed + 1))
fi

# Writes failing at each KiB of the files (a full disk).  The messages go
# through a pipe: a file would be limited too.
bad=0 runs=0
for cmd in train predict; do
	for kib in 0 1 2 3 4 5 6 7 8; do
		rm -f "$tmp/o" "$tmp/o.ckpt"
		if [ $cmd = train ]; then
			set -- "$nlpipe" train $set_1 "$ini" "$tmp/data" -o "$tmp/o"
		else
			set -- "$nlpipe" predict -j 1 -o "$tmp/o" "$model" "$tmp/data"
		fi
		(
			trap '' XFSZ
			ulimit -f "$kib"
			"$@" 2>&1 >/dev/null
			echo "rc=$?"
		) | cat >"$tmp/err"
		rc=$(sed -n 's/^rc=//p' "$tmp/err")
		runs=$((runs + 1))
		leftover=$(find "$tmp" -name '*.tmp.*' | head -1)
		complete=1
		if [ -f "$tmp/o" ]; then
			if [ $cmd = train ]; then
				"$nlpipe" inspect --check "$tmp/o" >/dev/null 2>&1 || complete=0
			else
				"$nlpipe" predict -j 1 "$model" "$tmp/data" 2>/dev/null | cmp -s - "$tmp/o" || complete=0
			fi
		fi
		if [ -z "$leftover" ] && [ "$complete" -eq 1 ] &&
			{ [ "$rc" = 0 ] || { [ "$rc" = 2 ] && grep -q "File too large" "$tmp/err"; }; }; then
			:
		else
			bad=$((bad + 1))
			echo "# $cmd with files limited to $kib KiB: exit $rc, complete $complete${leftover:+, left $leftover}"
			sed 's/^/#   /' "$tmp/err" | tail -3
			rm -f "$leftover"
		fi
	done
done
n=$((n + 1))
if [ "$bad" -eq 0 ]; then
	echo "ok $n - writes failing at each KiB of the model and of predict -o: $runs runs, each an error or the whole file"
else
	echo "not ok $n - $bad of $runs runs with failing writes went wrong"
	failed=$((failed + 1))
fi
tap_done
