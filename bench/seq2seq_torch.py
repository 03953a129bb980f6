#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
"""The peer of examples/seq2seq/seq2seq.ini in PyTorch 1.13: the same
encoder-decoder (embedding 32, bidirectional LSTM 64, a decoder LSTM 128 from
zeros with its own embedding 32, Luong's multiplicative attention without
input feeding, tanh projection 32, dropout 0.1, output over the vocabulary),
the same training (Adam 0.003, clip 1, batch 64, 8 epochs, teacher forcing)
on the same tokens, then greedy decoding: exact match on the test pairs and
training tokens/s (source + target tokens, as nlpipe counts them).  Not a
test.

  nlpipe tokenize examples/seq2seq/seq2seq.ini --input-format lines \\
      --line-format plain SRC.txt > src.tok      (for each column of each file)
  /usr/bin/python3 bench/seq2seq_torch.py TRAIN_SRC.tok TRAIN_TGT.tok \\
      TEST_SRC.tok TEST_TGT.tok [--epochs 8] [--threads 1] [--validation 0.05]

A .tok file is nlpipe tokenize's output: NAME<TAB>tok tok ..., one line a
text.  The first (1 - validation) of the training pairs are trained on, as
nlpipe's seeded split keeps about as many.
"""
import argparse
import random
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def read_tok(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t", 1)[1].split(" ") if "\t" in line else []
                for line in f]


class Seq2seq(nn.Module):
    def __init__(self, V, E=32, H_enc=64, H=128, dim=32, p=0.1):
        super().__init__()
        self.emb = nn.Embedding(V, E, padding_idx=0)
        self.enc = nn.LSTM(E, H_enc, bidirectional=True)
        D = 2 * H_enc
        self.temb = nn.Embedding(V, dim)
        self.dec = nn.LSTM(dim, H)
        self.wa = nn.Linear(H, D, bias=False)
        self.wc = nn.Linear(D + H, dim)
        self.out = nn.Linear(dim, V)
        self.drop = nn.Dropout(p)

    def encode(self, src, slen):
        x = self.emb(src)
        pk = nn.utils.rnn.pack_padded_sequence(x, slen, enforce_sorted=False)
        e, _ = self.enc(pk)
        e, _ = nn.utils.rnn.pad_packed_sequence(e, total_length=src.shape[0])
        return e                                           # T x B x D

    def decode(self, e, slen, din):
        h, _ = self.dec(self.temb(din))                    # U x B x H
        s = torch.einsum("ubd,tbd->ubt", self.wa(h), e)
        T = e.shape[0]
        mask = torch.arange(T)[None, :] >= slen[:, None]   # B x T
        s = s.masked_fill(mask[None], float("-inf"))
        c = torch.einsum("ubt,tbd->ubd", torch.softmax(s, 2), e)
        o = self.drop(torch.tanh(self.wc(torch.cat([c, h], 2))))
        return self.out(o)                                 # U x B x V


def batch(pairs, ids, bos, eos):
    src = [p[0] for p in pairs]
    tgt = [[bos] + p[1] + [eos] for p in pairs]
    T = max(1, max(len(s) for s in src))
    U = max(len(t) for t in tgt) - 1
    S = torch.zeros(T, len(pairs), dtype=torch.long)
    DI = torch.zeros(U, len(pairs), dtype=torch.long)
    DO = torch.full((U, len(pairs)), -100, dtype=torch.long)
    for b, (s, t) in enumerate(zip(src, tgt)):
        S[:len(s), b] = torch.tensor(s, dtype=torch.long) if s else S[:0, b]
        DI[:len(t) - 1, b] = torch.tensor(t[:-1])
        DO[:len(t) - 1, b] = torch.tensor(t[1:])
    slen = torch.tensor([max(1, len(s)) for s in src])
    return S, slen, DI, DO


def greedy(model, src, bos, eos, max_len=40):
    S = torch.tensor(src if src else [0], dtype=torch.long)[:, None]
    slen = torch.tensor([max(1, len(src))])
    e = model.encode(S, slen)
    out = [bos]
    for _ in range(max_len):
        lg = model.decode(e, slen, torch.tensor(out)[:, None])
        nxt = int(lg[-1, 0].argmax())
        if nxt == eos:
            break
        out.append(nxt)
    return out[1:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("train_src")
    ap.add_argument("train_tgt")
    ap.add_argument("test_src")
    ap.add_argument("test_tgt")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--validation", type=float, default=0.05)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(1)
    vocab = {"<pad>": 0, "<unk>": 1, "<s>": 2, "</s>": 3}
    trs, trt = read_tok(a.train_src), read_tok(a.train_tgt)
    for toks in trs + trt:
        for t in toks:
            vocab.setdefault(t, len(vocab))
    enc = lambda toks: [vocab.get(t, 1) for t in toks]
    n_train = int(len(trs) * (1 - a.validation))
    train = [(enc(s), enc(t)) for s, t in zip(trs[:n_train], trt[:n_train])]
    test = [(enc(s), t) for s, t in zip(read_tok(a.test_src), read_tok(a.test_tgt))]
    inv = {i: t for t, i in vocab.items()}
    model = Seq2seq(len(vocab))
    opt = torch.optim.Adam(model.parameters(), lr=0.003)
    r = random.Random(1)
    tokens, seconds = 0, 0.0
    for ep in range(a.epochs):
        model.train()
        r.shuffle(train)
        t0, tot = time.time(), 0.0
        for i in range(0, len(train), 64):
            S, slen, DI, DO = batch(train[i:i + 64], vocab, 2, 3)
            lg = model.decode(model.encode(S, slen), slen, DI)
            loss = F.cross_entropy(lg.reshape(-1, lg.shape[-1]), DO.reshape(-1),
                                   ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            tot += loss.item()
            tokens += int(slen.sum()) + int((DO != -100).sum())
        seconds += time.time() - t0
        print("epoch %d: loss %.4f, %.0f tokens/s" % (ep + 1, tot / ((len(train) + 63) // 64),
                                                    tokens / seconds), file=sys.stderr)
    model.eval()
    exact = 0
    with torch.no_grad():
        for s, t in test:
            exact += [inv[i] for i in greedy(model, s, 2, 3)] == t
    print("pytorch: exact match %.2f %% (%d of %d), training %.0f tokens/s, %d threads"
          % (100.0 * exact / len(test), exact, len(test), tokens / seconds, a.threads))


if __name__ == "__main__":
    main()
