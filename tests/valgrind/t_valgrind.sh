#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# tests/valgrind/t_valgrind.sh BUILDDIR - a representative subset of nlpipe
# under valgrind (memcheck, --leak-check=full): check, train, resume,
# predict with two threads, eval with the HTML report, tokenize, model load
# (inspect --check), and the error paths of a damaged model and of a bad
# pipeline file.  A command passes when it exits as it should and valgrind
# reports nothing: no invalid access, no use of uninitialised values, no
# leak (definite or possible).  valgrind's own exit status is 100, apart
# from nlpipe's 1-3.  The case is small (40 documents of examples/reviews,
# sentiment.ini made narrow) so that the whole runs in about a minute.
# Run by .ci/run (not by make check: it is slow); TAP output.
top=$(cd "${1:-_build}" && pwd) || exit 1
src=$(cd "$(dirname "$0")/../.." && pwd)
nlpipe="$top/nlpipe"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nlp_t_valgrind.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
. "$src/tests/tap.sh"

if ! command -v valgrind >/dev/null 2>&1; then
	echo "1..0 # SKIP valgrind is not installed (Debian: apt-get install valgrind)"
	exit 0
fi
if [ ! -x "$nlpipe" ] || [ ! -x "$top/libtool" ]; then
	echo "Bail out! no built nlpipe in $top (give the build folder)"
	exit 1
fi
NLPIPE_PLUGIN_PATH="$top/plugins" NLPIPE_PLUGIN_PATH_ONLY=1 NLPIPE_DATA_DIR="$src/data"
OPENBLAS_NUM_THREADS=1 SOURCE_DATE_EPOCH=1
export NLPIPE_PLUGIN_PATH NLPIPE_PLUGIN_PATH_ONLY NLPIPE_DATA_DIR OPENBLAS_NUM_THREADS \
	SOURCE_DATE_EPOCH
echo "1..9"

for l in pos neg; do
	mkdir -p "$tmp/data/$l"
	for f in $(ls "$src/examples/reviews/$l" | head -20); do
		cp "$src/examples/reviews/$l/$f" "$tmp/data/$l/"
	done
done
ini="$src/examples/sentiment.ini"
small="--set embed.dim=8 --set encode.hidden=8 --set encode.max_tokens=60"

# vg NAME STATUS CMD...: nlpipe CMD under valgrind must exit with STATUS and
# valgrind must report nothing.
vg() {
	name=$1 want=$2
	shift 2
	"$top/libtool" --mode=execute valgrind -q --error-exitcode=100 --leak-check=full \
		--errors-for-leak-kinds=definite,possible --log-file="$tmp/vg.log" \
		"$nlpipe" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -eq "$want" ] && [ ! -s "$tmp/vg.log" ]; then
		pass "$name"
	else
		fail "$name: exit $got (want $want)"
		head -40 "$tmp/vg.log" | sed 's/^/#   /'
	fi
}

vg "check of the example pipeline" 0 check $small "$ini"
vg "train (2 epochs)" 0 -q train --set train.threads=1 --set train.epochs=2 $small "$ini" \
	"$tmp/data" -o "$tmp/m.nlp"
vg "train --resume from the checkpoint (1 epoch more)" 0 -q train --set train.epochs=3 \
	--resume "$tmp/m.nlp.ckpt" "$ini" "$tmp/data" -o "$tmp/r.nlp"
vg "predict with 2 threads, --probs" 0 -q predict -j 2 --probs "$tmp/m.nlp" \
	"$src/examples/unlabelled"
vg "eval with the HTML report" 0 -q eval -j 1 --report "$tmp/report.html" "$tmp/m.nlp" \
	"$tmp/data"
vg "tokenize" 0 -q tokenize "$ini" "$tmp/data/pos"
vg "model load (inspect --check)" 0 inspect --check "$tmp/m.nlp"
head -c 3000 "$tmp/m.nlp" >"$tmp/cut.nlp"
vg "a damaged model: exit 2, no leak" 2 predict "$tmp/cut.nlp" "$src/examples/unlabelled"
printf '[pipeline]\nstages = a\n[a]\ntype = tokenizer\nbogus = 1\n' >"$tmp/bad.ini"
vg "a bad pipeline file: exit 1, no leak" 1 check "$tmp/bad.ini"
tap_done
