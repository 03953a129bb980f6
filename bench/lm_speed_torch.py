#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
"""bench/lm_speed_torch.py - PyTorch's side of bench/lm_speed: the same
language model (nn.Embedding -> nn.LSTM -> nn.Linear over the vocabulary,
CrossEntropyLoss: the full softmax), trained with Adam on the same windows
with the state carried (detached) from window to window, then evaluated
(forward only, no gradients).  Not a test.

    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=N lm_speed_torch.py -i IDS \
        [-E 256] [-H 256] [-V 10000] [--threads 1] [-s steps] [-f steps] [-w warm]

Prints the same lines as bench/lm_speed_nlpipe:
    train TOKENS_PER_S SECONDS STEPS FIRST_LOSS LAST_LOSS
    eval TOKENS_PER_S SECONDS STEPS MEAN_NLL
"""
import argparse
import struct
import sys
import time

import numpy as np
import torch

ap = argparse.ArgumentParser()
ap.add_argument("-i", required=True)
ap.add_argument("-E", type=int, default=256)
ap.add_argument("-H", type=int, default=256)
ap.add_argument("-V", type=int, default=10000)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("-s", type=int, default=10)
ap.add_argument("-f", type=int, default=10)
ap.add_argument("-w", type=int, default=2)
a = ap.parse_args()

torch.set_num_threads(a.threads)
torch.set_flush_denormal(True)
torch.manual_seed(1)

with open(a.i, "rb") as fp:
    B, T, n = struct.unpack("<3i", fp.read(12))
    data = np.frombuffer(fp.read(), dtype="<i4").reshape(n, T + 1, B)
wins = [torch.from_numpy(data[i].astype(np.int64)) for i in range(n)]


class LM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(a.V, a.E)
        self.rnn = torch.nn.LSTM(a.E, a.H)
        self.out = torch.nn.Linear(a.H, a.V)

    def forward(self, x, state):
        y, state = self.rnn(self.emb(x), state)
        return self.out(y).view(-1, a.V), state


model = LM()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
lossf = torch.nn.CrossEntropyLoss()


def run(training, warm, steps):
    state = None
    t0 = time.perf_counter()
    first = v = total = 0.0
    for s in range(warm + steps):
        if s == warm:
            t0 = time.perf_counter()
        w = wins[s % n]
        if state is not None:
            state = tuple(x.detach() for x in state)
        if training:
            logits, state = model(w[:T], state)
            loss = lossf(logits, w[1:].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
        else:
            with torch.no_grad():
                logits, state = model(w[:T], state)
                loss = lossf(logits, w[1:].reshape(-1))
        v = float(loss)
        if s == 0:
            first = v
        if s >= warm:
            total += v
    sec = time.perf_counter() - t0
    if training:
        print("train %.0f %.4f %d %.5f %.5f" % (B * T * steps / sec, sec, steps, first, v))
    else:
        print("eval %.0f %.4f %d %.5f" % (B * T * steps / sec, sec, steps,
                                          total / steps if steps else 0.0))


if a.s:
    run(True, a.w, a.s)
if a.f:
    run(False, a.w, a.f)
sys.stdout.flush()
