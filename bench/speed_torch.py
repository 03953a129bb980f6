#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
"""PyTorch 1.13 side of bench/speed: the same classifier as bench/speed_nlpipe
(nn.Embedding -> nn.LSTM / nn.GRU / nn.RNN(tanh) with the last step's output
-> nn.Linear -> cross-entropy), trained with Adam and run forward only
(torch.no_grad) on the batches of the same ids file.  Not a test.

  OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/speed_torch.py -i IDS \
      [--cell lstm] [--bi] [-E 128] [-H 128] [-V 20000] [--threads 1] \
      [-s train_steps] [-f infer_steps] [-w warmup] [--dense]

The embedding is sparse (sparse=True, updated with torch.optim.SparseAdam,
the rest with torch.optim.Adam): the same lazy Adam nlpipe applies to its
table, and faster here than a dense update of the 20,000-row table (--dense
gives the dense nn.Embedding with one torch.optim.Adam, for comparison).

--threads sets PyTorch's own (ATen) threads; OpenBLAS, which does its matrix
products, keeps its own count, read from OPENBLAS_NUM_THREADS when it loads
(bench/speed sets it).  Prints both, then the same lines as
bench/speed_nlpipe:
  threads ATEN OPENBLAS
  train TOKENS_PER_S SECONDS STEPS FIRST_LOSS LAST_LOSS
  infer TOKENS_PER_S SECONDS STEPS
"""
import argparse
import sys
import time

import numpy as np
import torch

ap = argparse.ArgumentParser()
ap.add_argument("-i", "--ids", required=True)
ap.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn"])
ap.add_argument("--bi", action="store_true")
ap.add_argument("-E", type=int, default=128)
ap.add_argument("-H", type=int, default=128)
ap.add_argument("-V", type=int, default=20000)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("-s", "--train-steps", type=int, default=10)
ap.add_argument("-f", "--infer-steps", type=int, default=20)
ap.add_argument("-w", "--warmup", type=int, default=2)
ap.add_argument("--dense", action="store_true")
a = ap.parse_args()

torch.set_num_threads(a.threads)
torch.set_flush_denormal(True)


def blas_threads():
    """OpenBLAS's own thread count in this process (OPENBLAS_NUM_THREADS,
    read when it loaded), or 0 when it cannot be asked."""
    import ctypes
    for name in ("libopenblas.so.0", "libopenblasp-r0.3.21.so", "libblas.so.3"):
        try:
            f = ctypes.CDLL(name).openblas_get_num_threads
        except (OSError, AttributeError):
            continue
        f.restype = ctypes.c_int
        return f()
    return 0


print("threads %d %d" % (torch.get_num_threads(), blas_threads()))
torch.manual_seed(1)

raw = np.fromfile(a.ids, dtype="<i4")
B, T, n = int(raw[0]), int(raw[1]), int(raw[2])
per = B + T * B
if raw.size != 3 + n * per:
    sys.exit("speed_torch.py: %s: size does not match its header" % a.ids)
batches = []
for k in range(n):
    chunk = raw[3 + k * per:3 + (k + 1) * per]
    labels = torch.from_numpy(chunk[:B].astype(np.int64))
    ids = torch.from_numpy(chunk[B:].astype(np.int64).reshape(T, B))  # time-major
    batches.append((ids, labels))


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(a.V, a.E, padding_idx=0, sparse=not a.dense)
        cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[a.cell]
        self.rnn = cls(a.E, a.H, bidirectional=a.bi)
        self.out = torch.nn.Linear(a.H * (2 if a.bi else 1), 2)

    def forward(self, ids):
        y, h = self.rnn(self.emb(ids))
        if a.cell == "lstm":
            h = h[0]
        # last pooling: the forward direction at the last step, the reverse
        # direction at the first (= h_n of each direction, all lengths T)
        v = torch.cat([h[0], h[1]], 1) if a.bi else h[0]
        return self.out(v)


m = Net()
if a.dense:
    opts = [torch.optim.Adam(m.parameters(), lr=1e-3)]
else:
    rest = [p for name, p in m.named_parameters() if not name.startswith("emb.")]
    opts = [torch.optim.SparseAdam(list(m.emb.parameters()), lr=1e-3),
            torch.optim.Adam(rest, lr=1e-3)]
lossf = torch.nn.CrossEntropyLoss()

first = last = 0.0
m.train()
for s in range(a.warmup + a.train_steps):
    if s == a.warmup:
        t0 = time.perf_counter()
    ids, labels = batches[s % n]
    for o in opts:
        o.zero_grad(set_to_none=True)
    loss = lossf(m(ids), labels)
    loss.backward()
    for o in opts:
        o.step()
    last = loss.item()
    if s == 0:
        first = last
sec = time.perf_counter() - t0
print("train %.0f %.4f %d %.5f %.5f" % (B * T * a.train_steps / sec, sec, a.train_steps, first,
                                        last))

m.eval()
with torch.no_grad():
    for s in range(a.warmup + a.infer_steps):
        if s == a.warmup:
            t0 = time.perf_counter()
        ids, _ = batches[s % n]
        torch.softmax(m(ids), 1)
sec = time.perf_counter() - t0
print("infer %.0f %.4f %d" % (B * T * a.infer_steps / sec, sec, a.infer_steps))
sys.stdout.flush()
