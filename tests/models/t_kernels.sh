#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_kernels.sh - the numeric tests (row-stable product, encoders, heads, decoder;
# padding, batch and thread invariance, lookups = products among them) under every OpenBLAS core
# type this CPU can run and under every nlpipe kernel (NLPIPE_MAX_CPU_ISA).
# OpenBLAS kernels round differently from one core type to the next; the
# properties these tests promise must hold on all of them.  A core type the
# CPU lacks the instructions for, or that OpenBLAS does not honour, is
# skipped with the reason.
top=${NLP_TOP_BUILDDIR:-$(pwd)}
progs="t_gemm t_gemm_bf16 t_gemm_int8 t_encoders_int8 t_encoders_bf16 t_encoders t_encoders_ref t_encoders_grad t_encoders_carry t_encoders_lookup t_head t_head_pipeline t_next_token t_decoder"

# core type: the CPU flags (as /proc/cpuinfo names them) that it needs
coretypes="Prescott:pni Core2:ssse3 Nehalem:sse4_2 Sandybridge:avx Haswell:avx2,fma Zen:avx2,fma
SkylakeX:avx512f,avx512cd,avx512bw,avx512dq,avx512vl
Cooperlake:avx512f,avx512cd,avx512bw,avx512dq,avx512vl,avx512_bf16"
isas="avx512:avx512f,avx2,fma avx2:avx2,fma sse2:sse2 c:"
if [ -n "${NLP_SANITIZED:-}" ]; then
	# several times slower under the sanitizers: the AMD default and one old kernel
	coretypes="Haswell:avx2,fma Nehalem:sse4_2"
fi

flags=
if [ -r /proc/cpuinfo ]; then
	flags=" $(sed -n 's/^flags[^:]*: *//p' /proc/cpuinfo | head -1) "
fi
has_flags() { # has_flags a,b,c: the CPU has every flag
	[ -n "$flags" ] || return 1
	for f in $(echo "$1" | tr , ' '); do
		case $flags in *" $f "*) ;; *) return 1 ;; esac
	done
	return 0
}

n=0
failed=0
# run_all LABEL: every program once in the current environment
run_all() {
	for p in $progs; do
		n=$((n + 1))
		out=$("$top/tests/models/$p" 2>&1)
		st=$?
		total=$(printf '%s\n' "$out" | grep -c '^ok ')
		if [ $st -eq 0 ] && ! printf '%s\n' "$out" | grep -q '^not ok'; then
			echo "ok $n - $1: $p ($total passed)"
		else
			echo "not ok $n - $1: $p (exit status $st)"
			printf '%s\n' "$out" | grep -A3 '^not ok\|^Bail' | sed 's/^/#   | /' | head -30
			failed=$((failed + 1))
		fi
	done
}
skip_all_progs() {
	for p in $progs; do
		n=$((n + 1))
		echo "ok $n # SKIP $1: $p: $2"
	done
}

ncores=$(echo $coretypes | wc -w)
nisas=$(echo $isas | wc -w)
echo "1..$(((ncores + 2 * nisas) * $(echo $progs | wc -w)))"
if [ -z "$flags" ]; then
	echo "# no /proc/cpuinfo flags: only the default core type and kernel run for real"
fi

# Every core type with the best kernel.
for ct in $coretypes; do
	name=${ct%%:*}
	need=${ct#*:}
	if ! has_flags "$need"; then
		skip_all_progs "OPENBLAS_CORETYPE=$name" "the CPU lacks one of $need"
		continue
	fi
	got=$(OPENBLAS_CORETYPE=$name "$top/tests/models/t_gemm" --corename | cut -d' ' -f1)
	if [ "$(echo "$got" | tr A-Z a-z)" != "$(echo "$name" | tr A-Z a-z)" ]; then
		skip_all_progs "OPENBLAS_CORETYPE=$name" "OpenBLAS chose core $got instead"
		continue
	fi
	OPENBLAS_CORETYPE=$name
	export OPENBLAS_CORETYPE
	run_all "OPENBLAS_CORETYPE=$name"
	unset OPENBLAS_CORETYPE
done

# Every nlpipe kernel, with OpenBLAS's own choice of core and with Haswell
# (the core type set on AMD machines).
for isa in $isas; do
	name=${isa%%:*}
	need=${isa#*:}
	for ct in default Haswell; do
		label="NLPIPE_MAX_CPU_ISA=$name, OPENBLAS_CORETYPE=$ct"
		if [ -n "$need" ] && ! has_flags "$need"; then
			skip_all_progs "$label" "the CPU lacks one of $need"
			continue
		fi
		if [ $ct = Haswell ] && ! has_flags avx2,fma; then
			skip_all_progs "$label" "the CPU lacks avx2 or fma (Haswell core)"
			continue
		fi
		NLPIPE_MAX_CPU_ISA=$name
		export NLPIPE_MAX_CPU_ISA
		if [ $ct = Haswell ]; then
			OPENBLAS_CORETYPE=Haswell
			export OPENBLAS_CORETYPE
		fi
		run_all "$label"
		unset NLPIPE_MAX_CPU_ISA OPENBLAS_CORETYPE
	done
done
[ "$failed" -eq 0 ]
