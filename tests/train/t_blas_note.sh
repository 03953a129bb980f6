#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_blas_note.sh - nlpipe train warns when OpenBLAS runs a generic kernel on
# a CPU that has AVX2 and FMA (an OpenBLAS that does not know the CPU runs
# matrix products about 3x slower), and says nothing with a fitting kernel
# or with -q.  The generic kernel is forced with OPENBLAS_CORETYPE=Prescott.
src=${NLP_TOP_SRCDIR:-$(pwd)}
. "$src/tests/tap.sh"
tap_setup blas_note

if ! grep -qw avx2 /proc/cpuinfo 2>/dev/null || ! grep -qw fma /proc/cpuinfo; then
	echo "1..0 # SKIP this CPU has no AVX2 and FMA: every OpenBLAS kernel fits it"
	exit 0
fi
echo "1..3"
train() {
	"$nlpipe" "$@" train --set train.epochs=1 "$src/examples/sentiment.ini" \
		"$src/examples/reviews" -o "$tmp/m.nlp"
}
note="OpenBLAS runs its generic 'Prescott' kernel"
OPENBLAS_CORETYPE=Prescott train >"$tmp/out" 2>"$tmp/err"
check "a generic kernel on an AVX2 CPU: a warning naming it and OPENBLAS_CORETYPE" \
	'[ $? -eq 0 ] && grep -q "warning: $note.*OPENBLAS_CORETYPE=Haswell" "$tmp/err"'
OPENBLAS_CORETYPE=Haswell train >"$tmp/out" 2>"$tmp/err"
check "the Haswell kernel: no such warning" '[ $? -eq 0 ] && ! grep -q "generic" "$tmp/err"'
OPENBLAS_CORETYPE=Prescott train -q >"$tmp/out" 2>"$tmp/err"
check "-q: no warning" '[ $? -eq 0 ] && [ ! -s "$tmp/err" ]'
tap_done
