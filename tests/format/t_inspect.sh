#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_inspect.sh - `nlpipe inspect MODEL` on a good model (text, --json,
# --check) and on bad files: exit codes 0 ok, 1 usage/module, 2 damaged.
top=${NLP_TOP_BUILDDIR:-$(pwd)}
nlpipe="$top/nlpipe"
mods="$top/tests/format/mods"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nlp_t_inspect.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

. "${NLP_TOP_SRCDIR:-$top}/tests/tap.sh"
echo "1..20"

check_run "write the toy model" 0 "" "$top/tests/format/t_model" --write-model "$tmp/toy.nlpm"
m="$tmp/toy.nlpm"
check_run "inspect: labels" 0 "labels (3): neg, neutral, pos" "$nlpipe" inspect "$m"
check_run "inspect: vocabulary size" 0 "vocabulary:  17 entries (stage embed)" "$nlpipe" inspect "$m"
check_run "inspect: parameter total" 0 "parameters:  63 (252 B of float32) in 2 trainable stages" "$nlpipe" inspect "$m"
check_run "inspect: a stage with its module version" 0 "toy_embed toy 1.2.3" "$nlpipe" inspect "$m"
check_run "inspect: block shapes" 0 "blocks: weight 3 x 3, bias 3" "$nlpipe" inspect "$m"
check_run "inspect: metadata" 0 "accuracy = 0.8000" "$nlpipe" inspect "$m"
check_run "inspect: stored pipeline" 0 "stages = split, embed, head" "$nlpipe" inspect "$m"
check_run "inspect --json: labels" 0 '"labels":["neg","neutral","pos"],"vocabulary":17,"parameters":63' \
	"$nlpipe" inspect --json "$m"
check_run "inspect --json: metadata" 0 '"metadata":{"date":"2026-11-23T12:00:00Z"' "$nlpipe" inspect --json "$m"
check_run "inspect --check: loads with the module" 0 "loads with the installed modules" \
	env NLPIPE_PLUGIN_PATH="$mods" "$nlpipe" inspect --check "$m"
check_run "inspect --check: widths" 0 "width: in 3 -> out 3" \
	env NLPIPE_PLUGIN_PATH="$mods" "$nlpipe" inspect --check "$m"
check_run "inspect --check: no module for the class" 1 "toy_split" \
	env NLPIPE_PLUGIN_PATH="$top/tests/host/good" "$nlpipe" inspect --check "$m"

head -c 700 "$m" >"$tmp/cut.nlpm"
check_run "truncated model: exit 2, says so" 2 "cut.nlpm: truncated: 700 of" "$nlpipe" inspect "$tmp/cut.nlpm"
printf '[pipeline]\nstages = a\n' >"$tmp/text.nlpm"
check_run "not a model: exit 2, says so" 2 "text.nlpm: not an nlpipe model file" "$nlpipe" inspect "$tmp/text.nlpm"
# flip one bit in the middle of the file
size=$(wc -c <"$m")
half=$((size / 2))
{ head -c "$half" "$m"; dd if="$m" bs=1 skip="$half" count=1 2>/dev/null | tr '\000-\377' '\001-\377\000'; tail -c +"$((half + 2))" "$m"; } >"$tmp/flip.nlpm"
check_run "damaged model: exit 2, checksum named" 2 "checksum mismatch" "$nlpipe" inspect "$tmp/flip.nlpm"
check_run "missing model: exit 2" 2 "missing.nlpm: cannot open" "$nlpipe" inspect "$tmp/missing.nlpm"
check_run "no argument: a pointer to --help, exit 1" 1 "try 'nlpipe inspect --help'" "$nlpipe" inspect
check_run "--help: exit 0" 0 "Usage: nlpipe inspect" "$nlpipe" inspect --help
check_run "a folder: exit 2" 2 "not a regular file" "$nlpipe" inspect "$tmp"

tap_done
