# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# tests/tap.sh - TAP helpers for the shell tests.  A test starts
#
#   src=${NLP_TOP_SRCDIR:-$(pwd)}
#   . "$src/tests/tap.sh"
#   tap_setup NAME                                top (the build tree), nlpipe,
#                                                 NLPIPE_DATA_DIR ($src/data),
#                                                 SOURCE_DATE_EPOCH (fixed model
#                                                 dates) and a scratch folder $tmp
#                                                 removed at exit (kept when
#                                                 KEEP_TMP is set)
#
# and then has:
#
#   check_run NAME WANT_STATUS WANT_TEXT CMD...   run CMD, compare its exit
#                                                 status, grep its output
#   bounded CMD...                                run CMD for at most 60 s and,
#                                                 where it can run so (not under
#                                                 ASan), in 4 GB of address space
#   check NAME CONDITION                          eval CONDITION: ok, or not ok
#                                                 with the tail of $tmp/err
#   pass NAME, fail NAME                          one result
#   ok STATUS NAME                                one result from an exit status
#                                                 (0: pass)
#   tap_done                                      the exit status: 0 when all passed
n=0
failed=0

tap_setup() {
	top=${NLP_TOP_BUILDDIR:-$(pwd)}
	nlpipe="$top/nlpipe"
	NLPIPE_DATA_DIR="$src/data"
	SOURCE_DATE_EPOCH=1700000000
	export NLPIPE_DATA_DIR SOURCE_DATE_EPOCH
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/nlp_t_$1.XXXXXX") || exit 1
	trap '[ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT
}

check_run() {
	name=$1 want=$2 text=$3
	shift 3
	"$@" >"$tmp/out" 2>&1
	got=$?
	n=$((n + 1))
	if [ "$got" -eq "$want" ] && { [ -z "$text" ] || grep -qF -- "$text" "$tmp/out"; }; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		echo "#   exit status $got (want $want); want text: $text"
		sed 's/^/#   | /' "$tmp/out" | head -20
		failed=$((failed + 1))
	fi
}

bounded() {
	if (ulimit -v 4000000 && "$1" --version) >/dev/null 2>&1; then
		(ulimit -v 4000000 && exec timeout 60 "$@")
	else
		timeout 60 "$@"
	fi
}

pass() {
	n=$((n + 1))
	echo "ok $n - $1"
}

fail() {
	n=$((n + 1))
	echo "not ok $n - $1"
	failed=$((failed + 1))
	[ -f "$tmp/err" ] && sed 's/^/#   | /' "$tmp/err" | tail -15
}

ok() {
	if [ "$1" -eq 0 ]; then pass "$2"; else fail "$2"; fi
}

check() {
	if eval "$2"; then pass "$1"; else fail "$1"; fi
}

tap_done() {
	[ "$failed" -eq 0 ]
}
