#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
# run-example.sh BUILD_DIR - the main job on the bundled example, with the
# nlpipe built in BUILD_DIR (./quickstart runs this): train the sentiment
# pipeline on examples/reviews, label examples/unlabelled, evaluate.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:-$src/_build}
nlpipe="$build/nlpipe"
out=${NLPIPE_EXAMPLE_OUT:-$build/example}
# Uninstalled: modules from the build tree, stop-word lists from the source.
NLPIPE_PLUGIN_PATH="$build/plugins${NLPIPE_PLUGIN_PATH:+:$NLPIPE_PLUGIN_PATH}"
NLPIPE_DATA_DIR="$src/data"
export NLPIPE_PLUGIN_PATH NLPIPE_DATA_DIR
mkdir -p "$out"

echo "== nlpipe check examples/sentiment.ini"
"$nlpipe" check "$here/sentiment.ini" >/dev/null
echo
echo "== nlpipe train examples/sentiment.ini examples/reviews -o $out/sentiment.nlp"
"$nlpipe" train "$here/sentiment.ini" "$here/reviews" -o "$out/sentiment.nlp"
echo
echo "== nlpipe predict $out/sentiment.nlp examples/unlabelled"
"$nlpipe" predict "$out/sentiment.nlp" "$here/unlabelled" | sed "s|$here/||"
echo
echo "== nlpipe eval $out/sentiment.nlp examples/reviews --report $out/report.html"
echo "   (on the training corpus itself: a sanity check; measure real models on held-out data)"
"$nlpipe" eval --report "$out/report.html" "$out/sentiment.nlp" "$here/reviews"
echo
echo "Model: $out/sentiment.nlp (see: $nlpipe inspect $out/sentiment.nlp)"
echo "Report: $out/report.html"
