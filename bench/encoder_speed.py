#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
"""PyTorch side of bench/encoder_speed: forward+backward tokens/s of nn.LSTM /
nn.GRU / nn.RNN on random input, same sizes and loss shape (last step's
output, a random upstream gradient), at PyTorch's best settings here.

  OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/encoder_speed.py \
      [--cell lstm] [-E 128] [-H 128] [-B 32] [-T 200] [--bi] [--forward] [-n 10] [-r 5]
"""
import argparse
import os
import statistics
import time

import torch

ap = argparse.ArgumentParser()
ap.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn"])
ap.add_argument("-E", type=int, default=128)
ap.add_argument("-H", type=int, default=128)
ap.add_argument("-B", type=int, default=32)
ap.add_argument("-T", type=int, default=200)
ap.add_argument("-l", "--layers", type=int, default=1)
ap.add_argument("--bi", action="store_true")
ap.add_argument("--forward", action="store_true")
ap.add_argument("-n", "--iters", type=int, default=10)
ap.add_argument("-r", "--reps", type=int, default=5)
ap.add_argument("--threads", type=int, default=1)
a = ap.parse_args()

torch.set_num_threads(a.threads)
torch.set_flush_denormal(True)
torch.manual_seed(1)
cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[a.cell]
m = cls(a.E, a.H, num_layers=a.layers, bidirectional=a.bi)
x = 0.5 * torch.randn(a.T, a.B, a.E)
D = a.H * (2 if a.bi else 1)
dout = 0.01 * torch.randn(a.B, D)


def step():
    if a.forward:
        with torch.no_grad():
            y, _ = m(x)
            return y[-1]
    m.zero_grad(set_to_none=False)
    xi = x.requires_grad_(True)
    y, _ = m(xi)
    (y[-1] * dout).sum().backward()


times, cpus = [], []
for k in range(-1, a.reps):
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(a.iters):
        step()
    if k >= 0:
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
sec = statistics.median(times)
tok = a.B * a.T * a.iters / sec
cputok = a.B * a.T * a.iters / statistics.median(cpus)
print("torch %s %s E%d H%d B%d T%d layers=%d %s %s, %d thread(s): %.0f tokens/s (median of %d x "
      "%d passes; %.0f tokens per CPU second; OMP_WAIT_POLICY=%s)" %
      (torch.__version__, a.cell, a.E, a.H, a.B, a.T, a.layers, "bi" if a.bi else "uni",
       "forward" if a.forward else "forward+backward", a.threads, tok, a.reps, a.iters, cputok,
       os.environ.get("OMP_WAIT_POLICY", "unset")))
