#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
"""bench/linear_peers.py - the linear peers of bench/accuracy: NB-LR and
TF-IDF logistic regression on one train/test split, tuned on a carve of the
training part only.  bench/accuracy runs it with Debian's /usr/bin/python3
(python3-sklearn); it is not meant to be run by hand, but can be:

    /usr/bin/python3 bench/linear_peers.py --carve-train A.ft --carve B.ft \\
        --train C.ft --test D.ft [--peers nblr,tfidf] [--grid-c L] [--ngrams L]

Every file is in fastText's format (`__label__X token token ...`, one
document a line), already tokenised by bench/accuracy: the linear peers see
exactly the tokens that fastText sees.  The figures go to stdout as one JSON
object.

NB-LR (Wang & Manning 2012, "Baselines and bigrams", section 2): binarized
word n-gram features x (uni+bi, or uni+bi+tri), the log-count ratio
r = log((p / |p|_1) / (q / |q|_1)) with p = alpha + sum of x over the
positive documents, q the same over the others (alpha = 1), and a logistic
regression (liblinear, L2) on x * r.  More than two classes: one-vs-rest,
each class with its own r and its own regression; the prediction is the class
with the largest decision value.  C and the n-gram range are chosen on the
carve.

TF-IDF LR: uni+bigram TF-IDF (sublinear tf, l2 norm), a multinomial
logistic regression; C chosen on the carve.
"""
import argparse
import json
import sys
import time

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression


def read_ft(path):
    labels, texts = [], []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            head, _, text = line.partition(" ")
            if not head.startswith("__label__"):
                sys.exit("%s:%d: no __label__ at the start of the line" % (path, n))
            labels.append(head[len("__label__"):])
            texts.append(text)
    return labels, texts


def split_tokens(text):
    return text.split()


def nb_ratio(x, y, alpha=1.0):
    """Log-count ratio of binarized features x (csr, 0/1) for y (bool)."""
    p = alpha + np.asarray(x[y].sum(axis=0)).ravel()
    q = alpha + np.asarray(x[~y].sum(axis=0)).ravel()
    return np.log((p / p.sum()) / (q / q.sum()))


class NBLR:
    """One (binary) or one-vs-rest (more classes) NB-LR."""

    def __init__(self, c, seed):
        self.c = c
        self.seed = seed

    def fit(self, x, labels):
        self.classes = sorted(set(labels))
        y = np.array(labels)
        targets = self.classes[1:] if len(self.classes) == 2 else self.classes
        self.parts = []
        for cls in targets:
            yc = y == cls
            r = nb_ratio(x, yc)
            lr = LogisticRegression(C=self.c, solver="liblinear", dual=True, max_iter=1000,
                                    random_state=self.seed)
            lr.fit(x @ sparse.diags(r), yc)
            self.parts.append((r, lr))
        return self

    def predict(self, x):
        scores = np.column_stack([lr.decision_function(x @ sparse.diags(r))
                                  for r, lr in self.parts])
        if len(self.classes) == 2:
            return [self.classes[int(s > 0)] for s in scores[:, 0]]
        return [self.classes[i] for i in scores.argmax(axis=1)]


def accuracy(pred, truth):
    return sum(1 for a, b in zip(pred, truth) if a == b) / len(truth)


def binary_counts(n, texts_fit, texts_other):
    vec = CountVectorizer(tokenizer=split_tokens, lowercase=False, token_pattern=None,
                          ngram_range=(1, n), binary=True, dtype=np.float64)
    a = vec.fit_transform(texts_fit)
    b = vec.transform(texts_other)
    return a, b, len(vec.vocabulary_)


def run_nblr(data, args):
    (ct_y, ct_x), (cv_y, cv_x), (tr_y, tr_x), (te_y, te_x) = data
    t0 = time.time()
    best, grid = None, []
    for n in args.ngrams:
        a, b, _ = binary_counts(n, ct_x, cv_x)
        for c in args.grid_c:
            acc = accuracy(NBLR(c, args.seed).fit(a, ct_y).predict(b), cv_y)
            grid.append({"ngrams": n, "C": c, "carve_accuracy": acc})
            if best is None or acc > best[0]:
                best = (acc, n, c)
        del a, b
    t_tune = time.time() - t0
    t0 = time.time()
    a, b, nfeat = binary_counts(best[1], tr_x, te_x)
    model = NBLR(best[2], args.seed).fit(a, tr_y)
    t_train = time.time() - t0
    t0 = time.time()
    acc = accuracy(model.predict(b), te_y)
    return {"accuracy": acc, "train_seconds": t_train, "eval_seconds": time.time() - t0,
            "tune_seconds": t_tune, "ngrams": best[1], "C": best[2], "carve_accuracy": best[0],
            "features": nfeat, "grid": grid}


def tfidf_fit(c, seed, x, y):
    return LogisticRegression(C=c, solver="lbfgs", max_iter=2000, random_state=seed).fit(x, y)


def run_tfidf(data, args):
    (ct_y, ct_x), (cv_y, cv_x), (tr_y, tr_x), (te_y, te_x) = data

    def vectors(fit, other):
        vec = TfidfVectorizer(tokenizer=split_tokens, lowercase=False, token_pattern=None,
                              ngram_range=(1, 2), sublinear_tf=True)
        return vec.fit_transform(fit), vec.transform(other), len(vec.vocabulary_)

    t0 = time.time()
    a, b, _ = vectors(ct_x, cv_x)
    best, grid = None, []
    for c in args.grid_c_tfidf:
        acc = accuracy(tfidf_fit(c, args.seed, a, ct_y).predict(b), cv_y)
        grid.append({"C": c, "carve_accuracy": acc})
        if best is None or acc > best[0]:
            best = (acc, c)
    t_tune = time.time() - t0
    t0 = time.time()
    a, b, nfeat = vectors(tr_x, te_x)
    model = tfidf_fit(best[1], args.seed, a, tr_y)
    t_train = time.time() - t0
    t0 = time.time()
    acc = accuracy(model.predict(b), te_y)
    return {"accuracy": acc, "train_seconds": t_train, "eval_seconds": time.time() - t0,
            "tune_seconds": t_tune, "ngrams": 2, "C": best[1], "carve_accuracy": best[0],
            "features": nfeat, "grid": grid}


def floats(s):
    return [float(x) for x in s.split(",") if x]


def ints(s):
    return [int(x) for x in s.split(",") if x]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--carve-train", required=True)
    ap.add_argument("--carve", required=True)
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--peers", default="nblr,tfidf")
    ap.add_argument("--grid-c", type=floats, default=floats("0.1,0.3,1,3,10"))
    ap.add_argument("--grid-c-tfidf", type=floats, default=floats("1,10,100"))
    ap.add_argument("--ngrams", type=ints, default=ints("2,3"))
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    data = [read_ft(p) for p in (args.carve_train, args.carve, args.train, args.test)]
    out = {}
    for peer in args.peers.split(","):
        if peer == "nblr":
            out["nblr"] = run_nblr(data, args)
        elif peer == "tfidf":
            out["tfidf"] = run_tfidf(data, args)
        elif peer:
            sys.exit("unknown peer %r (use nblr, tfidf)" % peer)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
