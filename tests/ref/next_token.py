#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
"""Reference values for nlpipe's next_token head (the full softmax), from
PyTorch 1.13 (Debian's python3-torch).  Writes
tests/ref/next_token_fixtures.txt, which is committed: `make check` never
runs this script.

    /usr/bin/python3 tests/ref/next_token.py [OUTPUT]

Format as tests/ref/layers.py's: one array a line, `name count v0 v1 ...`.
A batch of T x B steps (time-major), stream 1 shorter, one step without a
next token (-1); the loss is F.cross_entropy over the steps that have a
next token (mean, nats); weight in nn.Linear's layout [V][H].
"""
import sys

import torch
import torch.nn.functional as F

from fixtures import put, write

torch.manual_seed(20261130)
torch.set_default_dtype(torch.float32)


V, H, T, B = 11, 5, 4, 3
lens = [4, 2, 3]
x = torch.randn(T, B, H)
for b in range(B):
    x[lens[b]:, b] = 0.0
w = torch.randn(V, H) * 0.7
bias = torch.randn(V) * 0.3
nxt = torch.randint(0, V, (T, B))
nxt[1, 0] = -1                      # no next token there
for b in range(B):
    nxt[lens[b]:, b] = -1           # past len
put("ntk.dims", [V, H, T, B])
put("ntk.len", lens)
put("ntk.x", x)
put("ntk.w", w)
put("ntk.b", bias)
put("ntk.next", nxt)

xs = x.clone().requires_grad_(True)
ws = w.clone().requires_grad_(True)
bs = bias.clone().requires_grad_(True)
logits = F.linear(xs, ws, bs)       # T x B x V
valid = nxt >= 0
loss = F.cross_entropy(logits[valid], nxt[valid])
loss.backward()
probs = F.softmax(logits.detach(), dim=-1)
for b in range(B):
    probs[lens[b]:, b] = 0.0
put("ntk.loss", [loss.item()])
put("ntk.probs", probs)
put("ntk.dx", xs.grad)
put("ntk.dw", ws.grad)
put("ntk.db", bs.grad)

path = sys.argv[1] if len(sys.argv) > 1 else __file__.rsplit("/", 1)[0] + "/next_token_fixtures.txt"
write(path, "next_token.py")
