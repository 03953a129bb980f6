#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_completion.sh - the bash completion (data/bash-completion/nlpipe): it is
# sourced in bash and its function _nlpipe called with COMP_WORDS and
# COMP_CWORD as bash sets them on <TAB>.  Commands, each command's options
# (the same as its --help names, both ways), values of options with a few
# words, stage classes for `plugins`, and files: pipeline files where a
# pipeline goes, checkpoints for --resume, file names with spaces.
src=${NLP_TOP_SRCDIR:-$(pwd)}
. "$src/tests/tap.sh"
tap_setup completion
file="$src/data/bash-completion/nlpipe"

if ! command -v bash >/dev/null 2>&1; then
	echo "1..0 # SKIP no bash here"
	exit 0
fi
echo "1..20"

# comp WORD...: the completions (one a line, sorted) of the last WORD; the
# words are split as bash splits them (--opt=value: --opt, =, value).
comp() {
	(cd "$tmp/files" && bash -c '. "$0" || exit 1
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"
	COMPREPLY=()
	_nlpipe nlpipe "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf "%s\n" "${COMPREPLY[@]}"' "$file" "$@") | sed '/^$/d' | LC_ALL=C sort
}
# is NAME WANT WORD...: the completions are exactly WANT (separated by |)
is() {
	name=$1 want=$(echo "$2" | tr '|' '\n' | sed '/^$/d' | LC_ALL=C sort)
	shift 2
	got=$(comp "$@")
	if [ "$got" = "$want" ]; then pass "$name"; else
		fail "$name"
		echo "#   want: $(echo "$want" | tr '\n' '|')"
		echo "#   got:  $(echo "$got" | tr '\n' '|')"
	fi
}

mkdir -p "$tmp/files/data/pos" "$tmp/files/my data" "$tmp/files/models"
touch "$tmp/files/a.ini" "$tmp/files/b.ini" "$tmp/files/m.nlp" "$tmp/files/m.nlp.ckpt" \
	"$tmp/files/r.html"

bash -n "$file"
check "the file is valid bash" '[ $? -eq 0 ]'
is "nlpipe tr<TAB>: train" "train" nlpipe tr
commands=$("$nlpipe" --help | awk '/^Commands:/ { on = 1; next } on && NF == 0 { on = 0 } on { print $1 }')
is "nlpipe <TAB>: every command of nlpipe --help" "$(echo $commands | tr ' ' '|')" nlpipe ""
is "nlpipe -q t<TAB>: after a global option, the commands" "tokenize|train|tune" nlpipe -q t
is "nlpipe --<TAB>: the global options" "--verbose|--quiet|--help|--version" nlpipe --
is "nlpipe train --re<TAB>: --resume" "--resume" nlpipe train --re

# Each command's long options: exactly those its --help names (and --help).
bad=
for c in $commands; do
	"$nlpipe" "$c" --help 2>&1 | grep -o -- '--[a-z][a-z-]*' >"$tmp/help"
	echo --help >>"$tmp/help"
	LC_ALL=C sort -u "$tmp/help" -o "$tmp/help"
	comp nlpipe "$c" -- >"$tmp/comp"
	if ! cmp -s "$tmp/help" "$tmp/comp"; then
		bad="$bad $c"
		diff "$tmp/help" "$tmp/comp" | sed "s/^/#   $c: /"
	fi
done
check "nlpipe CMD --<TAB> offers the options of CMD --help, for every command${bad:+ (not:$bad)}" \
	'[ -z "$bad" ]'

is "train --input-format <TAB>: its values" "auto|folder|files|lines" nlpipe train --input-format ""
is "train --input-format=l<TAB>: lines" "lines" nlpipe train --input-format = l
is "eval --encoding <TAB>: its values" "utf-8|latin-1|auto" nlpipe eval --encoding ""
is "predict --format <TAB>: tsv csv jsonl" "tsv|csv|jsonl" nlpipe predict --format ""
is "tokenize --format <TAB>: text jsonl" "text|jsonl" nlpipe tokenize --format ""
is "predict -j <TAB>: nothing (a number)" "" nlpipe predict -j ""
is "train <TAB>: pipeline files and folders" "a.ini|b.ini|data|models|my data" nlpipe train ""
is "train -o m.nlp --set a.b=1 <TAB>: still the pipeline file" "a.ini|b.ini|data|models|my data" \
	nlpipe train -o m.nlp --set a.b=1 ""
is "train a.ini <TAB>: data, any file or folder" "a.ini|b.ini|data|m.nlp|m.nlp.ckpt|models|my data|r.html" \
	nlpipe train a.ini ""
is "train --resume <TAB>: checkpoints and folders" "data|m.nlp.ckpt|models|my data" nlpipe train --resume ""
is "predict m<TAB>: the model files (and the folders)" "m.nlp|m.nlp.ckpt|models|my data" nlpipe predict m
is "eval m.nlp my<TAB>: a folder with a space, as one word" "my data" nlpipe eval m.nlp my
if "$nlpipe" plugins 2>/dev/null | grep -q ' lstm '; then
	is "plugins ls<TAB>: the stage class lstm (from the modules found)" "lstm" "$nlpipe" plugins ls
else
	n=$((n + 1))
	echo "ok $n # SKIP the module rnn (class lstm) is not found"
fi
tap_done
