#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# tests/package/t_deb.sh [SRC] - the Debian packages, as a packager builds
# them: `dpkg-buildpackage -us -uc -b` on a fresh clone of SRC's committed
# tree (DEB_BUILD_OPTIONS=nocheck: the suite runs elsewhere), then lintian
# must report no error and no warning, the packages must hold what they
# promise, and the unpacked program must run.
#
# Run by .ci/run (it needs a git checkout, so not by make check).  Skips,
# with the reason, where dpkg-buildpackage, debhelper or lintian is absent.
# TAP output; exits non-zero when anything failed.
set -u
src=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
n=0
failed=0
pass() {
	n=$((n + 1))
	echo "ok $n - $1"
}
fail() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
}
show() {
	sed 's/^/#   /' "$1"
}

for tool in dpkg-buildpackage dh lintian git; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "1..0 # SKIP $tool is not installed (apt-get install -y dpkg-dev debhelper lintian git)"
		exit 0
	fi
done
if ! git -C "$src" rev-parse --verify -q HEAD >/dev/null; then
	echo "1..0 # SKIP $src is not a git checkout: the packages are built from a fresh clone"
	exit 0
fi
echo "1..5"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nlpipe-deb.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# 1. the build
git clone -q "$src" "$tmp/nlpipe" 2>"$tmp/clone.log" || {
	show "$tmp/clone.log"
	echo "Bail out! cannot clone $src"
	exit 1
}
if (cd "$tmp/nlpipe" && DEB_BUILD_OPTIONS="nocheck parallel=2" \
	dpkg-buildpackage -us -uc -b >"$tmp/build.log" 2>&1); then
	pass "dpkg-buildpackage -us -uc -b on a fresh clone"
else
	fail "dpkg-buildpackage -us -uc -b on a fresh clone"
	tail -n 40 "$tmp/build.log" | sed 's/^/#   /'
	echo "Bail out! no packages to check"
	exit 1
fi
ver=$(cd "$tmp/nlpipe" && dpkg-parsechangelog -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
missing=
for p in nlpipe libnlpipe0 libnlpipe-dev; do
	[ -f "$tmp/${p}_${ver}_$arch.deb" ] || missing="$missing $p"
done
if [ -z "$missing" ]; then
	pass "packages nlpipe, libnlpipe0, libnlpipe-dev $ver built"
else
	fail "packages built"
	echo "# missing:$missing"
fi

# 2. lintian's verdict: no errors, no warnings (informational tags allowed)
lintian --allow-root "$tmp/nlpipe_${ver}_$arch.changes" >"$tmp/lintian.log" 2>&1
if grep -q '^[EW]: ' "$tmp/lintian.log"; then
	fail "lintian: no errors, no warnings"
	grep '^[EW]: ' "$tmp/lintian.log" | sed 's/^/#   /'
else
	pass "lintian: no errors, no warnings ($(grep -c '^[IP]: ' "$tmp/lintian.log") notes)"
fi

# 3. contents
for p in nlpipe libnlpipe0 libnlpipe-dev; do
	dpkg-deb -c "$tmp/${p}_${ver}_$arch.deb" | awk '{print $6}' | sed 's|^\./|/|' \
		>"$tmp/$p.list"
done
problems=
grep -q '^/usr/bin/nlpipe$' "$tmp/nlpipe.list" || problems="$problems no-program"
grep -q '/nlpipe/plugins/nn\.so$' "$tmp/nlpipe.list" || problems="$problems no-modules"
grep -q '^/usr/share/nlpipe/sentiment\.ini$' "$tmp/nlpipe.list" || problems="$problems no-pipeline"
grep -q '^/usr/share/man/man1/nlpipe\.1' "$tmp/nlpipe.list" || problems="$problems no-man-page"
grep -q '/libnlpipe\.so\.0' "$tmp/libnlpipe0.list" || problems="$problems no-library"
grep -q '^/usr/include/nlpipe/plugin\.h$' "$tmp/libnlpipe-dev.list" || problems="$problems no-headers"
grep -q '/pkgconfig/nlpipe\.pc$' "$tmp/libnlpipe-dev.list" || problems="$problems no-pc"
if cat "$tmp"/*.list | grep -q '\.la$'; then
	problems="$problems .la-shipped"
fi
if [ -z "$problems" ]; then
	pass "program, modules, data and man pages in nlpipe; library in libnlpipe0; headers and .pc in -dev; no .la"
else
	fail "package contents"
	echo "# problems:$problems"
fi

# 4. the unpacked program runs with its unpacked modules and data
root=$tmp/root
for p in nlpipe libnlpipe0; do
	dpkg-deb -x "$tmp/${p}_${ver}_$arch.deb" "$root"
done
libdir=$(dirname "$(find "$root" -name 'libnlpipe.so.0' | head -n 1)")
plugins=$(dirname "$(find "$root" -name 'nn.so' | head -n 1)")
if LD_LIBRARY_PATH="$libdir" NLPIPE_PLUGIN_PATH="$plugins" NLPIPE_DATA_DIR="$root/usr/share/nlpipe" \
	"$root/usr/bin/nlpipe" check "$root/usr/share/nlpipe/sentiment.ini" >"$tmp/check.log" 2>&1 &&
	LD_LIBRARY_PATH="$libdir" "$root/usr/bin/nlpipe" --version | grep -q 'BSD-3-Clause'; then
	pass "the packaged nlpipe checks the packaged sentiment.ini; --version names the licence"
else
	fail "the packaged nlpipe runs"
	show "$tmp/check.log"
fi

[ "$failed" -eq 0 ]
