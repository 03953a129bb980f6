#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
"""bench/lm_compare_torch.py - PyTorch's side of bench/lm_compare: the same
language model on the token ids nlpipe wrote (bench/lm_compare_nlpipe -o),
laid out as nlpipe lays them out.  Not a test.

    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 lm_compare_torch.py -i IDS \
        [-e epochs] [-E 256] [-H 256] [-L layers] [-d dropout] [-B 32] [-T 35] \
        [-l lr] [-c clip] [--threads 1]

Model: nn.Embedding (N(0, 1)) -> nn.Dropout -> nn.LSTM (layers, dropout
between them) -> nn.Dropout -> nn.Linear over the vocabulary,
CrossEntropyLoss (the full softmax, the mean over the window's tokens),
torch.optim.Adam (eps 1e-8), clip_grad_norm_.  Training: the training
documents in the file's order, concatenated behind one eos (every document
ends with its eos), cut into B streams of L = n // B ids each, windows of T
steps (the last shorter), the state carried (detached) from window to
window, never reset: nlp_lm_stream_build's layout.  Validation: every
document on its own from a zero state, reading eos first and predicting
its ids (nlp_lm_evaluate's protocol).

Prints "corename NAME" (the OpenBLAS core PyTorch's process loaded, or
"unknown") and an epoch's line, as bench/lm_compare_nlpipe:
    epoch E TRAIN_LOSS VAL_PPL TOKENS_PER_S SECONDS TOKENS_PER_CPU_S CPU_SECONDS
"""
import argparse
import ctypes
import math
import struct
import sys
import time

import numpy as np
import torch

ap = argparse.ArgumentParser()
ap.add_argument("-i", required=True)
ap.add_argument("-e", type=int, default=1)
ap.add_argument("-E", type=int, default=256)
ap.add_argument("-H", type=int, default=256)
ap.add_argument("-L", type=int, default=1)
ap.add_argument("-d", type=float, default=0.2)
ap.add_argument("-B", type=int, default=32)
ap.add_argument("-T", type=int, default=35)
ap.add_argument("-l", type=float, default=1e-3)
ap.add_argument("-c", type=float, default=0.25)
ap.add_argument("--threads", type=int, default=1)
a = ap.parse_args()

torch.set_num_threads(a.threads)
torch.set_flush_denormal(True)
torch.manual_seed(1)


def corename():
    for line in open("/proc/self/maps"):
        f = line.split()
        if len(f) >= 6 and "openblas" in f[5]:
            try:
                lib = ctypes.CDLL(f[5])
                lib.openblas_get_corename.restype = ctypes.c_char_p
                return lib.openblas_get_corename().decode()
            except (OSError, AttributeError):
                pass
    return "unknown"


with open(a.i, "rb") as fp:
    magic, V, eos, ntrain, nval = struct.unpack("<5i", fp.read(20))
    if magic != 0x494D4C4E:
        sys.exit("lm_compare_torch.py: %s is not an ids file of lm_compare_nlpipe" % a.i)
    raw = np.frombuffer(fp.read(), dtype="<i4")
docs, at = [], 0
while at < len(raw):
    n = int(raw[at])
    docs.append(raw[at + 1:at + 1 + n].astype(np.int64))
    at += 1 + n
train, val = docs[:ntrain], docs[ntrain:]

stream = np.concatenate([np.array([eos], dtype=np.int64)] + train)
B = a.B if len(stream) // a.B >= 2 else len(stream) // 2
L = len(stream) // B
data = torch.from_numpy(stream[:B * L].reshape(B, L).T.copy())  # [L, B]


class LM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(V, a.E)
        self.drop = torch.nn.Dropout(a.d)
        self.rnn = torch.nn.LSTM(a.E, a.H, a.L, dropout=a.d if a.L > 1 else 0.0)
        self.out = torch.nn.Linear(a.H, V)

    def forward(self, x, state):
        y, state = self.rnn(self.drop(self.emb(x)), state)
        return self.out(self.drop(y)).view(-1, V), state


model = LM()
opt = torch.optim.Adam(model.parameters(), lr=a.l, eps=1e-8)
lossf = torch.nn.CrossEntropyLoss()


def train_epoch():
    model.train()
    state, total, n = None, 0.0, 0
    for t0 in range(0, L - 1, a.T):
        Tw = min(a.T, L - 1 - t0)
        x, y = data[t0:t0 + Tw], data[t0 + 1:t0 + 1 + Tw]
        if state is not None:
            state = tuple(s.detach() for s in state)
        logits, state = model(x, state)
        loss = lossf(logits, y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        if a.c > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), a.c)
        opt.step()
        total += float(loss)
        n += 1
    return total / max(n, 1), (L - 1) * B


def perplexity():
    model.eval()
    order = sorted(range(len(val)), key=lambda i: -len(val[i]))
    nats, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(order), 32):
            group = [val[j] for j in order[i:i + 32]]
            T = max(len(d) for d in group)
            x = torch.zeros(T, len(group), dtype=torch.int64)
            y = torch.full((T, len(group)), -100, dtype=torch.int64)
            for c, d in enumerate(group):
                x[0, c] = eos
                x[1:len(d), c] = torch.from_numpy(d[:-1])
                y[:len(d), c] = torch.from_numpy(d)
            logits, _ = model(x, None)
            nats += float(torch.nn.functional.cross_entropy(logits, y.reshape(-1),
                                                            ignore_index=-100,
                                                            reduction="sum"))
            count += int((y >= 0).sum())
    return math.exp(nats / max(count, 1))


print("corename %s" % corename(), flush=True)
for e in range(1, a.e + 1):
    t0, c0 = time.perf_counter(), time.process_time()
    loss, tokens = train_epoch()
    sec, cpu = time.perf_counter() - t0, time.process_time() - c0
    print("epoch %d %.5f %.4f %.0f %.2f %.0f %.2f" % (e, loss, perplexity(), tokens / sec, sec,
                                                      tokens / cpu, cpu), flush=True)
