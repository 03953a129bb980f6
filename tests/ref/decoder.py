#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
"""Reference values for nlpipe's sequence-to-sequence decoder
(models/decoder.c), from PyTorch 1.13 (Debian's python3-torch).  Writes
tests/ref/decoder_fixtures.txt, which is committed: `make check` never runs
this script.

    /usr/bin/python3 tests/ref/decoder.py [OUTPUT]

Format as tests/ref/layers.py's: one array a line, `name count v0 v1 ...`.
Two decoders over the same encoder states E (T x B x D, time-major, zero
past each source length): `mul` (LSTM cell, Luong's multiplicative
attention) and `add` (GRU cell, Bahdanau's additive attention).  Each one's
parameters are written as nlpipe's one buffer (the cell's w_ih, w_hh, b_ih,
b_hh as nn.LSTM / nn.GRU have them, then the target embedding, the
attention, the projection Wc, bc, the output Wo, bo), with the decoder's
input ids, targets (-1: none) and lengths; then the probabilities (zero
rows past a target's length), the mean cross-entropy over the steps with a
target, and the gradients of the buffer and of E.
"""
import sys

import torch
import torch.nn.functional as F

from fixtures import put, write

torch.manual_seed(20261130)
torch.set_default_dtype(torch.float32)

V, D, E, H, A, T, U, B = 9, 6, 5, 7, 4, 5, 4, 3
src_len = [5, 2, 4]
dec_len = [4, 3, 1]

enc = torch.randn(T, B, D)
for b in range(B):
    enc[src_len[b]:, b] = 0.0
ids = torch.randint(1, V, (U, B))
nxt = torch.randint(1, V, (U, B))
nxt[1, 0] = -1
for b in range(B):
    ids[dec_len[b]:, b] = 0
    nxt[dec_len[b]:, b] = -1
put("dec.dims", [V, D, E, H, A, T, U, B])
put("dec.src_len", src_len)
put("dec.dec_len", dec_len)
put("dec.enc", enc)
put("dec.ids", ids)
put("dec.next", nxt)


def run_cell(cell, x, P):
    """The cell over x (U x B x E) from zeros, PyTorch's equations."""
    h = torch.zeros(B, H)
    c = torch.zeros(B, H)
    out = []
    for u in range(x.shape[0]):
        gi = x[u] @ P["w_ih"].t() + P["b_ih"]
        gh = h @ P["w_hh"].t() + P["b_hh"]
        if cell == "lstm":
            i, f, g, o = (gi + gh).chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        else:
            ir, iz, inn = gi.chunk(3, dim=1)
            hr, hz, hn = gh.chunk(3, dim=1)
            r = torch.sigmoid(ir + hr)
            z = torch.sigmoid(iz + hz)
            n = torch.tanh(inn + r * hn)
            h = (1 - z) * n + z * h
        out.append(h)
    return torch.stack(out)


def decoder(tag, cell, att):
    G = 4 if cell == "lstm" else 3
    shapes = [("w_ih", (G * H, E)), ("w_hh", (G * H, H)), ("b_ih", (G * H,)),
              ("b_hh", (G * H,)), ("emb", (V, E))]
    if att == "mul":
        shapes += [("wa", (D, H))]
    else:
        shapes += [("w1", (A, D)), ("w2", (A, H)), ("v", (A,))]
    shapes += [("wc", (E, D + H)), ("bc", (E,)), ("wo", (V, E)), ("bo", (V,))]
    P = {k: (torch.randn(*s) * 0.4).requires_grad_(True) for k, s in shapes}
    e = enc.clone().requires_grad_(True)

    x = P["emb"][ids]                                    # U x B x E
    h = run_cell(cell, x, P)                             # U x B x H
    # the cell as written is nn.LSTM / nn.GRU's
    ref = (torch.nn.LSTM if cell == "lstm" else torch.nn.GRU)(E, H)
    with torch.no_grad():
        ref.weight_ih_l0.copy_(P["w_ih"])
        ref.weight_hh_l0.copy_(P["w_hh"])
        ref.bias_ih_l0.copy_(P["b_ih"])
        ref.bias_hh_l0.copy_(P["b_hh"])
        assert torch.allclose(ref(x)[0], h, atol=1e-6)
    mask = torch.zeros(T, B, dtype=torch.bool)
    for b in range(B):
        mask[src_len[b]:, b] = True
    if att == "mul":
        q = h @ P["wa"].t()                              # U x B x D
        s = torch.einsum("ubd,tbd->ubt", q, e)
    else:
        k1 = e @ P["w1"].t()                             # T x B x A
        k2 = h @ P["w2"].t()                             # U x B x A
        z = torch.tanh(k1.unsqueeze(0) + k2.unsqueeze(1))  # U x T x B x A
        s = (z @ P["v"]).permute(0, 2, 1)                # U x B x T
    s = s.masked_fill(mask.t().unsqueeze(0), float("-inf"))
    a = torch.softmax(s, dim=2)
    c = torch.einsum("ubt,tbd->ubd", a, e)
    o = torch.tanh(torch.cat([c, h], dim=2) @ P["wc"].t() + P["bc"])
    logits = o @ P["wo"].t() + P["bo"]
    probs = torch.softmax(logits, dim=2)
    for b in range(B):
        probs[dec_len[b]:, b] = 0.0
    valid = nxt >= 0
    loss = F.cross_entropy(logits[valid], nxt[valid])
    loss.backward()
    grads = [P[k].grad.reshape(-1) for k, _ in shapes]
    put(tag + ".w", torch.cat([P[k].detach().reshape(-1) for k, _ in shapes]))
    put(tag + ".probs", probs.detach())
    put(tag + ".loss", [loss.item()])
    put(tag + ".g", torch.cat(grads))
    put(tag + ".denc", e.grad)


decoder("mul", "lstm", "mul")
decoder("add", "gru", "add")
write(sys.argv[1] if len(sys.argv) > 1 else "tests/ref/decoder_fixtures.txt", "decoder.py")
