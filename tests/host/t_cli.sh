#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# t_cli.sh - the nlpipe command on good and bad input: messages name the
# file and line, exit codes are 0 ok, 1 usage/config, 2 data; never a crash.
top=${NLP_TOP_BUILDDIR:-$(pwd)}
nlpipe="$top/nlpipe"
NLPIPE_PLUGIN_PATH="$top/tests/host/good"
export NLPIPE_PLUGIN_PATH
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nlp_t_cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

. "${NLP_TOP_SRCDIR:-$top}/tests/tap.sh"
echo "1..50"

cat >"$tmp/good.ini" <<'INI'
; a small pipeline
[pipeline]
stages = split, rep     ; in order

[split]
type = t_split

[rep]
type = t_opts
suffix = !
INI

check_run "--version" 0 "plugin ABI 2.5" "$nlpipe" --version
check_run "--help lists commands" 0 "check" "$nlpipe" --help
check_run "no command is a usage error" 1 "Usage:" "$nlpipe"
check_run "unknown command" 1 "unknown command 'frobnicate' (see" "$nlpipe" frobnicate
check_run "unknown command, did you mean" 1 "unknown command 'trian'; did you mean 'train'?" \
	"$nlpipe" trian
check_run "unknown command option: the nlpipe: prefix" 1 \
	"nlpipe: train: unrecognized option '--bogus'" "$nlpipe" train --bogus
"$nlpipe" train --bogus >/dev/null 2>"$tmp/err"
check "unknown command option: a pointer to --help, not the usage text" \
	'[ "$(wc -l <"$tmp/err")" -eq 2 ] && grep -qx "nlpipe: try '"'nlpipe train --help'"' for the options" "$tmp/err"'
check_run "unknown global option" 1 "unknown option '--bogus'" "$nlpipe" --bogus check
check_run "check --help" 0 "Usage: nlpipe check" "$nlpipe" check --help
check_run "check a good pipeline" 0 "suffix = !" "$nlpipe" check "$tmp/good.ini"
sed 's/type = t_split/type = T_Split/' "$tmp/good.ini" >"$tmp/upper.ini"
check_run "class names ignore case (type = T_Split is t_split)" 0 "type = t_split" \
	"$nlpipe" check "$tmp/upper.ini"
check_run "defaults are shown as such" 0 "count  = 1    ; default" "$nlpipe" check "$tmp/good.ini"
check_run "check prints the resolved [train]" 0 "[train]    ; read by nlpipe train and nlpipe tune" \
	"$nlpipe" check "$tmp/good.ini"
printf '[pipeline]\nstages = split\n[split]\ntype = t_split\n' >"$tmp/one.ini"
"$nlpipe" check "$tmp/one.ini" >"$tmp/out" 2>"$tmp/err"
check "check: OK, 1 stage (singular)" 'grep -q "OK, 1 stage\$" "$tmp/err"'
check_run "check: [train] defaults are marked" 0 "seed             = 1    ; default" \
	"$nlpipe" check "$tmp/good.ini"
check_run "--set overrides the file" 0 "count  = 3" "$nlpipe" check --set rep.count=3 "$tmp/good.ini"
check_run "--set value is checked" 1 "--set rep.count: rep.count = '30': int must be between 0 and 10" \
	"$nlpipe" check --set rep.count=30 "$tmp/good.ini"
check_run "--set without a dot" 1 "expected SECTION.KEY=VALUE" "$nlpipe" check --set count=3 "$tmp/good.ini"
check_run "check without a file" 1 "exactly one pipeline file" "$nlpipe" check
check_run "non-existent file" 1 "$tmp/none.ini: cannot open: No such file or directory" \
	"$nlpipe" check "$tmp/none.ini"
check_run "a folder as file" 1 "$tmp: not a regular file" "$nlpipe" check "$tmp"
head -c 3000 /bin/sh >"$tmp/junk.ini"
check_run "binary junk" 1 "junk.ini:" "$nlpipe" check "$tmp/junk.ini"
printf '[pipeline]\nstages = caf\351\n' >"$tmp/latin1.ini"
check_run "invalid UTF-8" 1 "latin1.ini:2: invalid UTF-8" "$nlpipe" check "$tmp/latin1.ini"
: >"$tmp/empty.ini"
check_run "empty file" 1 "empty.ini:1: no [pipeline] section" "$nlpipe" check "$tmp/empty.ini"
sed 's/suffix = !/sufix = !/' "$tmp/good.ini" >"$tmp/typo.ini"
check_run "typo: did you mean" 1 "typo.ini:10: unknown key 'sufix' in [rep]; did you mean 'suffix'?" \
	"$nlpipe" check "$tmp/typo.ini"
check_run "typo: the required option is missing too" 1 "typo.ini:8: [rep] needs 'suffix'" \
	"$nlpipe" check "$tmp/typo.ini"
awk '{print} END {for (i = 0; i < 5000; i++) printf "x"; print ""}' "$tmp/good.ini" >"$tmp/long.ini"
check_run "overlong line" 1 "long.ini:11: line is longer than" "$nlpipe" check "$tmp/long.ini"
if [ "$(id -u)" -ne 0 ]; then
	cp "$tmp/good.ini" "$tmp/locked.ini"
	chmod 000 "$tmp/locked.ini"
	check_run "unreadable file" 1 "locked.ini: cannot open: Permission denied" \
		"$nlpipe" check "$tmp/locked.ini"
else
	n=$((n + 1))
	echo "ok $n # SKIP unreadable files cannot be made as root"
fi
check_run "plugins lists modules" 0 "good 1.2.3 (ABI 2.5)" "$nlpipe" plugins
check_run "plugins lists classes with kinds" 0 "t_split      text     -> tokens" "$nlpipe" plugins
check_run "plugins CLASS shows options" 0 "count            int    default 1; range 0..10" \
	"$nlpipe" plugins t_opts
check_run "plugins CLASS shows enum choices" 0 "one of a|b|c" "$nlpipe" plugins t_opts
check_run "plugins: unknown class, did you mean" 1 "did you mean 't_opts'" "$nlpipe" plugins t_opt
NLPIPE_PLUGIN_PATH="$top/tests/host/bad:$top/tests/host/good" \
	check_run "refused modules are warnings, not fatal" 0 "provides ABI 2.5" "$nlpipe" plugins
NLPIPE_PLUGIN_PATH="$top/tests/host/bad" \
	check_run "plugin path: the refused file is named" 0 "tests/host/bad/badabi" "$nlpipe" plugins
NLPIPE_PLUGIN_PATH="$tmp/nowhere" \
	check_run "no modules at all" 1 "no nlpipe modules found" "$nlpipe" plugins

# Modules are loaded when a pipeline needs one of their classes (or a
# command lists them): a module that crashes in init stops only those, and
# is named.  An invalid .so is reported with the loader's reason.
crash="$top/tests/host/crash"
NLPIPE_PLUGIN_PATH="$crash:$top/tests/host/good" \
	check_run "a module crashing in init does not stop a pipeline without its classes" 0 \
	"suffix = !" "$nlpipe" check "$tmp/good.ini"
crashed() {
	name=$1
	shift
	NLPIPE_PLUGIN_PATH="$crash:$top/tests/host/good" "$@" >"$tmp/out" 2>&1
	got=$?
	n=$((n + 1))
	# A crash, not one of nlpipe's exits (0-3); under AddressSanitizer the
	# signal ends in ASan's report and its exit status 1.
	if [ "$got" -ne 0 ] &&
		{ [ "$got" -gt 3 ] || grep -q "AddressSanitizer" "$tmp/out"; } &&
		grep -qF "module $crash/crashinit crashed while loading" "$tmp/out"; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name (exit $got)"
		sed 's/^/#   | /' "$tmp/out" | head -20
		failed=$((failed + 1))
	fi
}
crashed "plugins names the module that crashed in init" "$nlpipe" plugins
printf '[pipeline]\nstages = c\n[c]\ntype = t_crash\n' >"$tmp/crash.ini"
crashed "check of a pipeline using its class names it" "$nlpipe" check "$tmp/crash.ini"
mkdir "$tmp/junk"
echo "not a shared object" >"$tmp/junk/junk.so"
NLPIPE_PLUGIN_PATH="$tmp/junk:$top/tests/host/good" \
	check_run "an invalid .so is named with the loader's reason" 0 "junk.so: file too short" \
	"$nlpipe" plugins
n=$((n + 1))
if grep -q "file not found" "$tmp/out"; then
	echo "not ok $n - an invalid .so is not reported as 'file not found'"
	failed=$((failed + 1))
else
	echo "ok $n - an invalid .so is not reported as 'file not found'"
fi
NLPIPE_PLUGIN_PATH="$tmp/nowhere" NLPIPE_PLUGIN_PATH_ONLY=1 \
	check_run "NLPIPE_PLUGIN_PATH_ONLY leaves out the installed folder" 1 \
	"NLPIPE_PLUGIN_PATH_ONLY leaves out the installed folder" "$nlpipe" plugins
mkdir "$tmp/sub"
cat >"$tmp/sub/rel.ini" <<INI
[pipeline]
stages = s, o
plugin_path = ../../$(basename "$tmp")/nowhere, $top/tests/host/order2, $top/tests/host/good
[s]
type = t_split
[o]
type = t_order_2
INI
NLPIPE_PLUGIN_PATH="$top/tests/host/order1" \
	check_run "plugin_path is searched before NLPIPE_PLUGIN_PATH" 0 "module order 2" \
	"$nlpipe" check "$tmp/sub/rel.ini"

# Lines of a stop-word list are bounded: a file without newlines is refused,
# never read into memory without end (nor taken for an empty list when
# memory runs out); /dev/zero is not even a regular file.
cat >"$tmp/stop.ini" <<INI
[pipeline]
stages = t, s
[t]
type = tokenizer
[s]
type = stopwords
language = none
file = /dev/zero
INI
NLPIPE_PLUGIN_PATH="$top/plugins" \
	check_run "a stopwords file of /dev/zero is refused" 2 "/dev/zero is not a regular file" \
	bounded "$nlpipe" check "$tmp/stop.ini"
head -c 1100000 /dev/zero | tr '\0' x >"$tmp/oneline.txt"
sed "s|/dev/zero|$tmp/oneline.txt|" "$tmp/stop.ini" >"$tmp/stop2.ini"
NLPIPE_PLUGIN_PATH="$top/plugins" \
	check_run "a stopwords line over 1 MiB is refused" 2 "oneline.txt:1: the line is longer than" \
	bounded "$nlpipe" check "$tmp/stop2.ini"

# A FIFO is refused at once, never waited on (timeout: a regression fails
# instead of hanging).
mkfifo "$tmp/fifo"
check_run "a FIFO as the pipeline file is refused" 1 "$tmp/fifo: not a regular file" \
	timeout 20 "$nlpipe" check "$tmp/fifo"
sed "s|/dev/zero|$tmp/fifo|" "$tmp/stop.ini" >"$tmp/stop3.ini"
NLPIPE_PLUGIN_PATH="$top/plugins" \
	check_run "a FIFO as the stopwords file is refused" 2 "$tmp/fifo is not a regular file" \
	timeout 20 "$nlpipe" check "$tmp/stop3.ini"

# Output that cannot be written is an error, not exit 0.
to_full() { "$@" >/dev/full; }
check_run "check >/dev/full fails, with a message" 2 "cannot write the output" \
	to_full "$nlpipe" check "$tmp/good.ini"
check_run "plugins >/dev/full fails, with a message" 2 "cannot write the output" \
	to_full "$nlpipe" plugins
check_run "plugins CLASS >/dev/full fails" 2 "cannot write the output" \
	to_full "$nlpipe" plugins t_opts

tap_done
