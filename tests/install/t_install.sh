#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# tests/install/t_install.sh - a plugin author's path, against an installed nlpipe.
#
# 1. `make install DESTDIR=$tmp/dest` of this build tree (whatever prefix
#    configure got), and a look at the installed layout;
# 2. builds examples/plugins/ (a copy, in $tmp) with its own Makefile, which
#    knows nothing but `pkg-config --cflags --libs nlpipe`: pkg-config sees
#    only the installed nlpipe.pc (PKG_CONFIG_LIBDIR), moved under DESTDIR
#    by PKG_CONFIG_SYSROOT_DIR;
# 3. runs the installed nlpipe (LD_LIBRARY_PATH to the DESTDIR lib) with
#    NLPIPE_PLUGIN_PATH = the example's folder, then the installed plugins:
#    `plugins`, `check` and `tokenize` of a tokenizer -> placeholders
#    pipeline, and a bad option of the plugin; builds the API examples
#    (examples/api/) the same way and checks that they classify as predict
#    does and train the model train writes;
# 4. `make uninstall DESTDIR=...` must leave no file behind.
#
# Run by `make check` (it needs NLP_TOP_BUILDDIR and NLP_TOP_SRCDIR).
# TAP output; exits non-zero when anything failed.

set -u

top_builddir=${NLP_TOP_BUILDDIR:?run this test through make check}
top_srcdir=${NLP_TOP_SRCDIR:?run this test through make check}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}

# The sub-makes must not inherit the make running the tests: its jobserver
# file descriptors are closed here, and command-line variables of `make
# check` (TESTS=..., DESTDIR=...) would leak into `make install`.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES GNUMAKEFLAGS
MAKE=make

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nlpipe-install.XXXXXX") || {
	echo "Bail out! cannot make a temporary folder"
	exit 1
}
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
dest=$tmp/dest
log=$tmp/log

n=0
failed=0
echo "1..33"

pass() {
	n=$((n + 1))
	echo "ok $n - $1"
}
fail() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
}
# Show a file as TAP diagnostics.
show() {
	sed 's/^/#   /' "$1"
}
# Stop here: what follows cannot run without this step.
bail() {
	echo "Bail out! $1"
	exit 1
}

# ---- 1. install ----
if $MAKE -C "$top_builddir" install DESTDIR="$dest" >"$log" 2>&1; then
	pass "make install DESTDIR=..."
else
	fail "make install DESTDIR=..."
	tail -n 40 "$log" | sed 's/^/#   /'
	bail "make install failed"
fi

pcfile=$(find "$dest" -name nlpipe.pc -path '*/pkgconfig/*' | head -n 1)
if [ -n "$pcfile" ]; then
	pass "nlpipe.pc installed (${pcfile#"$dest"})"
else
	fail "nlpipe.pc installed"
	bail "no nlpipe.pc under DESTDIR"
fi
pcdir=$(dirname "$pcfile")

# Variables as the .pc file gives them (paths without DESTDIR).
pcvar() {
	env -u PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR="$pcdir" PKG_CONFIG_PATH= \
		$PKG_CONFIG --variable="$1" nlpipe
}
prefix=$(pcvar prefix)
libdir=$(pcvar libdir)
includedir=$(pcvar includedir)
pluginsdir=$(pcvar pluginsdir)
echo "# prefix $prefix, libdir $libdir, pluginsdir $pluginsdir"

missing=
for f in "$includedir/nlpipe/nlpipe.h" "$includedir/nlpipe/plugin.h" \
	"$includedir/nlpipe/train.h" "$libdir/libnlpipe.so"; do
	[ -e "$dest$f" ] || missing="$missing $f"
done
if [ -z "$missing" ]; then
	pass "headers and library installed under the .pc file's folders"
else
	fail "headers and library installed under the .pc file's folders"
	echo "# missing:$missing"
fi

nlpipe=$(find "$dest" -path '*/bin/nlpipe' -type f | head -n 1)
if [ -n "$nlpipe" ] && [ -x "$nlpipe" ]; then
	pass "bin/nlpipe installed (${nlpipe#"$dest"})"
else
	fail "bin/nlpipe installed"
	bail "no bin/nlpipe under DESTDIR"
fi

mans=$(find "$dest" \( -path '*/man1/nlpipe.1' -o -path '*/man5/nlpipe.ini.5' \) | wc -l)
if [ "$mans" -eq 2 ]; then
	pass "man pages nlpipe(1) and nlpipe.ini(5) installed"
else
	fail "man pages nlpipe(1) and nlpipe.ini(5) installed"
fi

# The licence, the documentation and the examples are installed in docdir
# (the examples below are built from those installed copies); the modules
# are installed as .so alone, without libtool archives.
docdir=$(dirname "$(find "$dest" -path '*/doc/nlpipe/COPYING' | head -n 1)")
missing=
for f in COPYING README.md api.md writing-a-plugin.md model-format.md text-stages.md \
	examples/plugins/Makefile examples/plugins/placeholders.c examples/api/Makefile \
	examples/api/classify.c examples/api/train.c; do
	[ -f "$docdir/$f" ] || missing="$missing $f"
done
las=$(find "$dest$pluginsdir" -name '*.la' | wc -l)
sos=$(find "$dest$pluginsdir" -name '*.so' | wc -l)
if [ -z "$missing" ] && [ "$las" -eq 0 ] && [ "$sos" -ge 3 ]; then
	pass "COPYING, docs and examples in ${docdir#"$dest"}; modules as .so without .la"
else
	fail "COPYING, docs and examples in docdir; modules as .so without .la"
	echo "# missing in ${docdir#"$dest"}:$missing; $las .la and $sos .so in the plugin folder"
fi

# ---- 2. build the example plugin against the installed nlpipe.pc alone ----
mkdir "$tmp/plugin"
cp "$docdir/examples/plugins/Makefile" "$docdir/examples/plugins/placeholders.c" \
	"$tmp/plugin/" && chmod u+w "$tmp/plugin"/*
flags=$(PKG_CONFIG_LIBDIR="$pcdir" PKG_CONFIG_SYSROOT_DIR="$dest" PKG_CONFIG_PATH= \
	$PKG_CONFIG --cflags --libs nlpipe 2>&1)
case $flags in
*"-I$dest"*"-L$dest"* | *"-L$dest"*"-I$dest"*)
	pass "pkg-config points into DESTDIR: $flags" ;;
*)
	fail "pkg-config points into DESTDIR"
	echo "# got: $flags" ;;
esac

if PKG_CONFIG_LIBDIR="$pcdir" PKG_CONFIG_SYSROOT_DIR="$dest" PKG_CONFIG_PATH= \
	$MAKE -C "$tmp/plugin" PKG_CONFIG="$PKG_CONFIG" \
	CFLAGS="-O2 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror" \
	>"$log" 2>&1 && [ -f "$tmp/plugin/placeholders.so" ]; then
	pass "example plugin builds with its Makefile, without warnings"
else
	fail "example plugin builds with its Makefile, without warnings"
	show "$log"
	bail "the example plugin did not build"
fi

# The minimal plugin of docs/writing-a-plugin.md, built as the page says.
mkdir "$tmp/minlen"
sed -n '/<!-- minimal-plugin: begin -->/,/<!-- minimal-plugin: end -->/p' \
	"$top_srcdir/docs/writing-a-plugin.md" | sed '/^<!--/d; /^```/d' >"$tmp/minlen/minlen.c"
flags=$(PKG_CONFIG_LIBDIR="$pcdir" PKG_CONFIG_SYSROOT_DIR="$dest" PKG_CONFIG_PATH= \
	$PKG_CONFIG --cflags --libs nlpipe)
if [ -s "$tmp/minlen/minlen.c" ] &&
	cc -std=c11 -O2 -Wall -Wextra -Werror -fPIC -shared -o "$tmp/minlen/minlen.so" \
		"$tmp/minlen/minlen.c" $flags >"$log" 2>&1; then
	pass "the minimal plugin of docs/writing-a-plugin.md builds"
else
	fail "the minimal plugin of docs/writing-a-plugin.md builds"
	show "$log"
fi

# Exactly one exported symbol: the descriptor.
syms=$(nm -D --defined-only "$tmp/plugin/placeholders.so" 2>&1 |
	awk '{ print $NF }' | grep -v -x -e _init -e _fini -e _edata -e _end -e __bss_start)
if [ "$syms" = placeholders_LTX_nlp_module ]; then
	pass "the plugin exports only placeholders_LTX_nlp_module"
else
	fail "the plugin exports only placeholders_LTX_nlp_module"
	echo "# exported: $syms" | tr '\n' ' '
	echo
fi

# ---- 3. run it with the installed nlpipe ----
LD_LIBRARY_PATH="$dest$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
NLPIPE_PLUGIN_PATH="$tmp/plugin:$dest$pluginsdir"
export LD_LIBRARY_PATH NLPIPE_PLUGIN_PATH

# The installed program must run on the installed library, not the build tree's.
lib=$(ldd "$nlpipe" 2>&1 | grep libnlpipe)
case $lib in
*"$dest$libdir/libnlpipe.so"*) pass "the installed nlpipe uses the installed libnlpipe" ;;
*)
	fail "the installed nlpipe uses the installed libnlpipe"
	echo "# ldd: $lib" ;;
esac

"$nlpipe" plugins >"$tmp/plugins.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "$tmp/plugin/placeholders" "$tmp/plugins.out" &&
	grep -q "$dest$pluginsdir" "$tmp/plugins.out"; then
	pass "nlpipe plugins lists the example and the installed modules"
else
	fail "nlpipe plugins lists the example and the installed modules (exit $rc)"
	show "$tmp/plugins.out"
fi

"$nlpipe" plugins placeholders >"$tmp/class.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q replace "$tmp/class.out" && grep -q number_token "$tmp/class.out" &&
	grep -q '<num>' "$tmp/class.out"; then
	pass "nlpipe plugins placeholders shows its options and defaults"
else
	fail "nlpipe plugins placeholders shows its options and defaults (exit $rc)"
	show "$tmp/class.out"
fi

NLPIPE_PLUGIN_PATH="$tmp/minlen:$dest$pluginsdir" "$nlpipe" plugins min_length \
	>"$tmp/class.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q 'shortest token kept' "$tmp/class.out"; then
	pass "the documentation's minimal plugin loads"
else
	fail "the documentation's minimal plugin loads (exit $rc)"
	show "$tmp/class.out"
fi

cat >"$tmp/pipeline.ini" <<'EOF'
; tokenizer -> the out-of-tree placeholders stage
[pipeline]
stages = tok, ph

[tok]
type = tokenizer
casefold = yes
urls = keep
emails = keep
numbers = keep
punctuation = none

[ph]
type = placeholders
replace = url, email, number
number_token = NUM
collapse = yes
EOF
printf '%s\n' 'Write to bob@example.com or see https://example.org/page before 10:30 on 12 3 days' \
	>"$tmp/doc.txt"

"$nlpipe" check "$tmp/pipeline.ini" >"$tmp/check.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q placeholders "$tmp/check.out" && grep -q NUM "$tmp/check.out"; then
	pass "nlpipe check accepts the pipeline and prints the plugin's options"
else
	fail "nlpipe check accepts the pipeline and prints the plugin's options (exit $rc)"
	show "$tmp/check.out"
fi

"$nlpipe" tokenize "$tmp/pipeline.ini" "$tmp/doc.txt" >"$tmp/tok.out" 2>"$tmp/tok.err"
rc=$?
got=$(cut -f 2- "$tmp/tok.out")
want='write to <email> or see <url> before NUM on NUM days'
if [ $rc -eq 0 ] && [ "$got" = "$want" ]; then
	pass "nlpipe tokenize runs the plugin in the pipeline"
else
	fail "nlpipe tokenize runs the plugin in the pipeline (exit $rc)"
	echo "#      got: $got"
	echo "#     want: $want"
	show "$tmp/tok.err"
fi

"$nlpipe" tokenize --set ph.replace=number --set ph.number_token= "$tmp/pipeline.ini" \
	"$tmp/doc.txt" >"$tmp/tok.out" 2>"$tmp/tok.err"
rc=$?
got=$(cut -f 2- "$tmp/tok.out")
want='write to bob@example.com or see https://example.org/page before on days'
if [ $rc -eq 0 ] && [ "$got" = "$want" ]; then
	pass "--set overrides the plugin's options (an empty placeholder drops)"
else
	fail "--set overrides the plugin's options (an empty placeholder drops) (exit $rc)"
	echo "#      got: $got"
	echo "#     want: $want"
	show "$tmp/tok.err"
fi

"$nlpipe" check --set ph.replace=url,mail "$tmp/pipeline.ini" >"$tmp/bad.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q "unknown kind 'mail'" "$tmp/bad.out"; then
	pass "a bad option value of the plugin: its message, exit code 1"
else
	fail "a bad option value of the plugin: its message, exit code 1 (exit $rc)"
	show "$tmp/bad.out"
fi

"$nlpipe" check --set ph.colapse=yes "$tmp/pipeline.ini" >"$tmp/bad.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q "colapse.*did you mean 'collapse'" "$tmp/bad.out"; then
	pass "a misspelt option of the plugin: named, with the right spelling, exit code 1"
else
	fail "a misspelt option of the plugin: named, with the right spelling, exit code 1 (exit $rc)"
	show "$tmp/bad.out"
fi

# Without the example's folder the class is unknown (no implicit search of
# the current folder either: run from the plugin's own folder).
(cd "$tmp/plugin" && NLPIPE_PLUGIN_PATH="$dest$pluginsdir" "$nlpipe" check "$tmp/pipeline.ini") \
	>"$tmp/bad.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q "unknown stage class 'placeholders'" "$tmp/bad.out"; then
	pass "without NLPIPE_PLUGIN_PATH the class is unknown, even from the plugin's folder"
else
	fail "without NLPIPE_PLUGIN_PATH the class is unknown, even from the plugin's folder (exit $rc)"
	show "$tmp/bad.out"
fi

# plugin_path in the INI file, relative to the file's folder, works instead.
mkdir "$tmp/conf"
{
	echo '[pipeline]'
	echo 'plugin_path = ../plugin'
	sed 1,2d "$tmp/pipeline.ini"
} >"$tmp/conf/pipeline.ini"
(cd / && NLPIPE_PLUGIN_PATH="$dest$pluginsdir" "$nlpipe" tokenize "$tmp/conf/pipeline.ini" \
	"$tmp/doc.txt") >"$tmp/tok.out" 2>"$tmp/tok.err"
rc=$?
got=$(cut -f 2- "$tmp/tok.out")
want='write to <email> or see <url> before NUM on NUM days'
if [ $rc -eq 0 ] && [ "$got" = "$want" ]; then
	pass "plugin_path in the INI file finds the plugin, relative to the file"
else
	fail "plugin_path in the INI file finds the plugin, relative to the file (exit $rc)"
	echo "#      got: $got"
	show "$tmp/tok.err"
fi

# The installed default pipeline runs on the installed modules and data
# (stop-word lists).  The program looks for its data under the real prefix,
# so NLPIPE_DATA_DIR points it into DESTDIR.
sentiment=$(find "$dest" -name sentiment.ini -path '*/nlpipe/*' | head -n 1)
if [ -n "$sentiment" ]; then
	NLPIPE_PLUGIN_PATH="$dest$pluginsdir" NLPIPE_DATA_DIR=$(dirname "$sentiment") \
		"$nlpipe" tokenize "$sentiment" "$tmp/doc.txt" >"$tmp/tok.out" 2>"$tmp/tok.err"
	rc=$?
else
	rc=none
	echo "no sentiment.ini installed" >"$tmp/tok.err"
fi
got=$(cut -f 2- "$tmp/tok.out" 2>/dev/null)
case $rc:$got in
0:*writ*example.com*)
	pass "the installed sentiment.ini runs on the installed modules and data" ;;
*)
	fail "the installed sentiment.ini runs on the installed modules and data (exit $rc)"
	echo "#      got: $got"
	show "$tmp/tok.err" ;;
esac

# The API example (examples/api/) builds with its own Makefile against the
# installed library alone, and classifies as the installed nlpipe predicts.
mkdir "$tmp/api"
cp "$docdir/examples/api/Makefile" "$docdir/examples/api/classify.c" \
	"$docdir/examples/api/train.c" "$tmp/api/" &&
	chmod u+w "$tmp/api"/*
# A program linked with a sanitized libnlpipe needs the sanitizer runtime first.
api_ldflags=
if [ -n "${NLP_SANITIZED:-}" ]; then
	api_ldflags="-fsanitize=address,undefined"
fi
if PKG_CONFIG_LIBDIR="$pcdir" PKG_CONFIG_SYSROOT_DIR="$dest" PKG_CONFIG_PATH= \
	$MAKE -C "$tmp/api" PKG_CONFIG="$PKG_CONFIG" LDFLAGS="$api_ldflags" \
	CFLAGS="-O2 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror" \
	>"$log" 2>&1 && [ -x "$tmp/api/classify" ] && [ -x "$tmp/api/train" ]; then
	pass "the API examples build with their Makefile (pkg-config nlpipe), without warnings"
else
	fail "the API examples build with their Makefile (pkg-config nlpipe), without warnings"
	show "$log"
fi
lib=$(ldd "$tmp/api/classify" 2>&1 | grep libnlpipe)
case $lib in
*"$dest$libdir/libnlpipe.so"*) pass "the API example runs on the installed libnlpipe" ;;
*)
	fail "the API example runs on the installed libnlpipe"
	echo "# ldd: $lib" ;;
esac
datadir=$(dirname "${sentiment:-$dest/none/x}")
SOURCE_DATE_EPOCH=1700000000 # the models' date: the same for both trainings
export SOURCE_DATE_EPOCH
NLPIPE_PLUGIN_PATH="$dest$pluginsdir" NLPIPE_DATA_DIR=$datadir \
	"$nlpipe" -q train --set train.epochs=1 --set train.threads=1 "${sentiment:-none}" \
	"$top_srcdir/examples/reviews" -o "$tmp/api/m.nlp" >"$log" 2>&1 &&
	NLPIPE_PLUGIN_PATH="$dest$pluginsdir" NLPIPE_DATA_DIR=$datadir \
		"$nlpipe" -q predict "$tmp/api/m.nlp" "$top_srcdir/examples/unlabelled" \
		>"$tmp/api/want" 2>>"$log" &&
	NLPIPE_PLUGIN_PATH="$dest$pluginsdir" NLPIPE_DATA_DIR=$datadir \
		"$tmp/api/classify" "$tmp/api/m.nlp" "$top_srcdir/examples/unlabelled"/*.txt \
		>"$tmp/api/got" 2>>"$log"
rc=$?
if [ $rc -eq 0 ] && [ -s "$tmp/api/want" ] && cmp -s "$tmp/api/want" "$tmp/api/got"; then
	pass "the API example gives every unlabelled review the label and probability of nlpipe predict"
else
	fail "the API example gives every unlabelled review the label and probability of nlpipe predict (exit $rc)"
	show "$log"
	diff "$tmp/api/want" "$tmp/api/got" | head -10 | sed 's/^/#   /'
fi
# The training example: the model nlpipe train writes, byte for byte, then
# the labels nlpipe predict gives with it.
NLPIPE_PLUGIN_PATH="$dest$pluginsdir" NLPIPE_DATA_DIR=$datadir \
	"$tmp/api/train" -s train.epochs=1 -s train.threads=1 "${sentiment:-none}" \
	"$top_srcdir/examples/reviews" "$tmp/api/t.nlp" "$top_srcdir/examples/unlabelled"/*.txt \
	>"$tmp/api/got2" 2>"$log"
rc=$?
if [ $rc -eq 0 ] && [ -s "$tmp/api/m.nlp" ] && cmp -s "$tmp/api/m.nlp" "$tmp/api/t.nlp" &&
	grep -q "^train: epoch 1/1: loss" "$log"; then
	pass "the training API example writes the model of nlpipe train, byte for byte"
else
	fail "the training API example writes the model of nlpipe train, byte for byte (exit $rc)"
	show "$log"
fi
if [ $rc -eq 0 ] && [ -s "$tmp/api/want" ] && cmp -s "$tmp/api/want" "$tmp/api/got2"; then
	pass "the training API example then classifies as nlpipe predict does"
else
	fail "the training API example then classifies as nlpipe predict does (exit $rc)"
	diff "$tmp/api/want" "$tmp/api/got2" | head -10 | sed 's/^/#   /'
fi
man3=$(find "$dest" -path '*/man3/nlpipe_trainer.3' | head -n 1)
if [ -n "$man3" ] && grep -q nlp_trainer_new "$man3"; then
	pass "nlpipe_trainer(3) installed"
else
	fail "nlpipe_trainer(3) installed"
fi
man3=$(find "$dest" -path '*/man3/nlpipe_classifier.3' | head -n 1)
if [ -n "$man3" ] && grep -q nlp_classify_texts "$man3"; then
	pass "nlpipe_classifier(3) installed"
else
	fail "nlpipe_classifier(3) installed"
fi

# The installed nlpipe(1) documents every command and every option the
# installed program offers (roff writes a '-' as '\-').
man1=$(find "$dest" -path '*/man1/nlpipe.1' | head -n 1)
"$nlpipe" --help >"$tmp/help.out" 2>&1
cmds=$(awk '/^Commands:/ { on = 1; next } on && NF == 0 { on = 0 } on { print $1 }' "$tmp/help.out")
missing=
for c in $cmds; do
	grep -q "^\.SS \"nlpipe $c" "$man1" || missing="$missing $c"
done
if [ -n "$cmds" ] && [ -z "$missing" ]; then
	pass "nlpipe(1) has a section for every command of nlpipe --help"
else
	fail "nlpipe(1) has a section for every command of nlpipe --help"
	echo "# commands: $(echo $cmds); not in nlpipe(1):$missing"
fi
missing=
for c in $cmds; do
	for o in $("$nlpipe" "$c" --help 2>&1 | grep -o -e '--[a-z][a-z-]*' | sort -u); do
		roff=$(printf '%s' "$o" | sed 's/-/\\-/g')
		grep -q -F -e "$roff" "$man1" || missing="$missing $c:$o"
	done
done
if [ -z "$missing" ]; then
	pass "nlpipe(1) mentions every option of every command's --help"
else
	fail "nlpipe(1) mentions every option of every command's --help"
	echo "# not in nlpipe(1):$missing"
fi

# ---- 4. uninstall ----
unset LD_LIBRARY_PATH
if $MAKE -C "$top_builddir" uninstall DESTDIR="$dest" >"$log" 2>&1; then
	pass "make uninstall DESTDIR=..."
else
	fail "make uninstall DESTDIR=..."
	tail -n 40 "$log" | sed 's/^/#   /'
fi
find "$dest" ! -type d >"$tmp/left" 2>&1
if [ ! -s "$tmp/left" ]; then
	pass "make uninstall leaves no file behind"
else
	fail "make uninstall leaves no file behind"
	show "$tmp/left"
fi

if [ "$n" -ne 33 ]; then
	echo "# planned 33 tests but ran $n"
	exit 1
fi
[ "$failed" -eq 0 ]
