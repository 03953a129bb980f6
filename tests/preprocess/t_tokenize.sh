#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_tokenize.sh - `nlpipe tokenize`: output format and order (also with
# -j), jsonl, --set, the summary line, --verbose naming skipped files,
# exit codes for missing paths and bad options.
top=${NLP_TOP_BUILDDIR:-$(pwd)}
src=${NLP_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
nlpipe="$top/nlpipe"
NLPIPE_PLUGIN_PATH="$top/plugins"
NLPIPE_DATA_DIR="$src/data"
export NLPIPE_PLUGIN_PATH NLPIPE_DATA_DIR
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nlp_t_tokenize.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
echo "1..21"

report() { # report STATUS NAME (0: pass)
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		sed 's/^/#   | /' "$tmp/out" "$tmp/err" 2>/dev/null | head -20
		failed=$((failed + 1))
	fi
}

# run WANT_STATUS ARGS...: stdout in out, stderr in err; true when the status matches
run() {
	want=$1
	shift
	"$nlpipe" "$@" >"$tmp/out" 2>"$tmp/err"
	[ $? -eq "$want" ]
}

ini="$src/tests/preprocess/sentiment.ini"
mkdir -p "$tmp/d/pos" "$tmp/d/neg"
printf 'A great movie!\n' >"$tmp/d/pos/1.txt"
printf 'Loved it :)' >"$tmp/d/pos/2.txt"
printf 'Not good, not fun.' >"$tmp/d/neg/1.txt"
printf 'bin\000ary' >"$tmp/d/neg/2.bin"
printf '' >"$tmp/d/neg/3.txt"
i=0
while [ $i -lt 600 ]; do
	printf 'doc number %d is here\n' $i >"$tmp/d/pos/many$(printf %04d $i).txt"
	i=$((i + 1))
done

run 0 tokenize "$ini" "$tmp/d"
report $? "tokenize a document folder"
head -1 "$tmp/out" | grep -q "^$tmp/d/neg/1.txt	not good_NEG not fun_NEG\$"
report $? "first line: PATH<TAB>tokens (negation marked)"
grep -q "^$tmp/d/pos/1.txt	great movi !\$" "$tmp/out"
report $? "stop words gone, stems, ! kept"
grep -q "^$tmp/d/neg/3.txt	\$" "$tmp/out"
report $? "an empty document prints an empty token list"
grep -q "read 604 documents (1 empty, .*) from 605 files; skipped 1 (1 binary); 0 invalid bytes replaced by U+FFFD" "$tmp/err"
report $? "summary line on stderr"
[ "$(wc -l <"$tmp/out")" -eq 604 ]
report $? "one line a document"
cp "$tmp/out" "$tmp/one"

run 0 tokenize -j 3 "$ini" "$tmp/d"
report $? "-j 3"
cmp -s "$tmp/out" "$tmp/one"
report $? "-j 3 prints the same lines in the same order"

run 0 --verbose tokenize "$ini" "$tmp/d"
grep -q "neg/2.bin: holds NUL bytes" "$tmp/err"
report $? "--verbose names the skipped file"

run 0 tokenize --verbose "$ini" "$tmp/d"
grep -q "neg/2.bin: holds NUL bytes" "$tmp/err"
report $? "tokenize --verbose (after the command) too"
run 0 tokenize -q "$ini" "$tmp/d"
[ ! -s "$tmp/err" ]
report $? "tokenize -q: no summary"

run 0 tokenize --format jsonl "$ini" "$tmp/d/pos/2.txt"
grep -qF "{\"name\":\"$tmp/d/pos/2.txt\",\"tokens\":[\"love\",\":)\"]}" "$tmp/out"
report $? "--format jsonl"

printf 'pos\tA "quoted" film\nneg\tbad\n' >"$tmp/lines.tsv"
run 0 tokenize --format jsonl --set tokenizer.punctuation=all "$ini" "$tmp/lines.tsv"
grep -qF '{"name":"'"$tmp"'/lines.tsv:1","label":"pos","tokens":["\"","quot","\"","film"]}' "$tmp/out"
report $? "a TAB line file, labels and escapes in jsonl, --set"

printf 'caf\351 cr\350me\n' >"$tmp/latin.txt"
run 0 tokenize --input-format lines --encoding latin-1 "$ini" "$tmp/latin.txt"
grep -q "latin.txt:1	café crème" "$tmp/out"
report $? "--encoding latin-1"
run 0 tokenize --input-format lines "$ini" "$tmp/latin.txt"
grep -q "1 invalid byte\|2 invalid bytes replaced by U+FFFD" "$tmp/err"
report $? "utf-8: invalid bytes counted in the summary"

run 2 tokenize "$ini" "$tmp/nowhere"
report $? "a missing path: exit 2"
grep -q "nowhere: no such file or folder" "$tmp/err"
report $? "and the message names it"

run 1 tokenize "$ini"
report $? "no PATH: exit 1"
run 1 tokenize --format xml "$ini" "$tmp/d"
report $? "--format xml: exit 1"
run 1 tokenize -j 0 "$ini" "$tmp/d"
report $? "-j 0: exit 1"
run 1 tokenize --encoding ebcdic "$ini" "$tmp/d"
report $? "--encoding ebcdic: exit 1"

[ "$failed" -eq 0 ]
