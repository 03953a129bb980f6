#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
"""Reference values for nlpipe's non-recurrent layers and optimizers, from
PyTorch 1.13 (Debian's python3-torch).  Writes tests/ref/layers_fixtures.txt,
which is committed: `make check` never runs this script.

    /usr/bin/python3 tests/ref/layers.py [OUTPUT]

Format: one array a line, `name count v0 v1 ...`, values as %.9g; integer
arrays (labels, rows) are written as numbers too.  Weights use nn.Linear's
layout, w[out][in], in the order w0 b0 w1 b1 ... as the heads store them.
"""
import math
import sys

import torch
import torch.nn.functional as F

from fixtures import put, write

torch.manual_seed(20261123)
torch.set_default_dtype(torch.float32)


# ---- softmax cross-entropy on logits (large values: stability) ----
B, C = 5, 4
logits = torch.randn(B, C) * 3
logits[0, 1] = 80.0
logits[1, 2] = -90.0
labels = torch.tensor([1, 0, 2, 3, 1])
weights = torch.tensor([0.5, 2.0, 1.0, 1.5])
put("xent.logits", logits)
put("xent.labels", labels)
put("xent.weights", weights)
for tag, w in (("plain", None), ("weighted", weights)):
    z = logits.clone().requires_grad_(True)
    loss = F.cross_entropy(z, labels, weight=w)
    loss.backward()
    put("xent.%s.loss" % tag, [loss.item()])
    put("xent.%s.dlogits" % tag, z.grad)
    put("xent.%s.probs" % tag, F.softmax(logits, dim=1))
# probability targets
targets = F.softmax(torch.randn(B, C), dim=1)
put("xent.targets", targets)
z = logits.clone().requires_grad_(True)
loss = F.cross_entropy(z, targets, weight=weights)
loss.backward()
put("xent.soft.loss", [loss.item()])
put("xent.soft.dlogits", z.grad)


# ---- heads with dense layers ----
def mlp_case(name, B, D, hidden, act, C, kind, weighted, targets=None):
    dims = [D] + hidden + [C if kind != "binary" else 1]
    x = torch.randn(B, D, requires_grad=True)
    params = []
    for i in range(len(dims) - 1):
        bound = 1.0 / math.sqrt(dims[i])
        w = (torch.rand(dims[i + 1], dims[i]) * 2 - 1) * bound
        b = (torch.rand(dims[i + 1]) * 2 - 1) * bound
        params += [w.requires_grad_(True), b.requires_grad_(True)]
    h = x
    for i in range(len(dims) - 1):
        h = h @ params[2 * i].t() + params[2 * i + 1]
        if i < len(dims) - 2:
            h = torch.relu(h) if act == "relu" else torch.tanh(h)
    z = h
    ncls = C
    lab = torch.randint(0, ncls, (B,))
    wts = torch.rand(ncls) + 0.5
    if kind == "softmax":
        loss = F.cross_entropy(z, lab, weight=wts if weighted else None)
        probs = F.softmax(z, dim=1)
    elif kind == "binary":
        zz = z.reshape(-1)
        loss = F.binary_cross_entropy_with_logits(
            zz, lab.float(), weight=wts[lab] if weighted else None)
        p = torch.sigmoid(zz)
        probs = torch.stack([1 - p, p], dim=1)
    else:
        tg = (torch.rand(B, C) < 0.4).float()
        loss = F.binary_cross_entropy_with_logits(
            z, tg, weight=wts.expand(B, C) if weighted else None)
        probs = torch.sigmoid(z)
        put(name + ".targets", tg)
    loss.backward()
    put(name + ".shape", [B, D, len(hidden)] + hidden + [C])
    put(name + ".x", x)
    put(name + ".labels", lab)
    put(name + ".weights", wts if weighted else [])
    put(name + ".params", torch.cat([p.detach().reshape(-1) for p in params]))
    put(name + ".probs", probs)
    put(name + ".loss", [loss.item()])
    put(name + ".dx", x.grad)
    put(name + ".dparams", torch.cat([p.grad.reshape(-1) for p in params]))


mlp_case("softmax0", 4, 6, [], "relu", 3, "softmax", False)
mlp_case("softmax2", 4, 6, [5, 4], "relu", 3, "softmax", True)
mlp_case("softmax1t", 5, 4, [7], "tanh", 4, "softmax", True)
mlp_case("binary0", 6, 5, [], "relu", 2, "binary", True)
mlp_case("binary1", 6, 5, [3], "tanh", 2, "binary", False)
mlp_case("multi0", 4, 5, [], "relu", 3, "multi", False)
mlp_case("multi1", 4, 5, [4], "tanh", 3, "multi", True)

# ---- optimizers: 7 parameters in two blocks (decay on the first 5 only) ----
NSTEP = 5
p0 = torch.randn(7)
grads = [torch.randn(7) for _ in range(NSTEP)]
put("opt.p0", p0)
put("opt.grads", torch.stack(grads))


def run_opt(name, make, clip=None, sched=None):
    a = p0[:5].clone().requires_grad_(True)
    b = p0[5:].clone().requires_grad_(True)
    opt = make([a, b])
    lr_s = torch.optim.lr_scheduler.LambdaLR(opt, sched) if sched else None
    traj = []
    for k in range(NSTEP):
        a.grad = grads[k][:5].clone()
        b.grad = grads[k][5:].clone()
        if clip:
            torch.nn.utils.clip_grad_norm_([a, b], clip)
        opt.step()
        if lr_s:
            lr_s.step()
        traj.append(torch.cat([a.detach(), b.detach()]))
    put("opt.%s" % name, torch.stack(traj))


def groups(params, wd):
    return [{"params": [params[0]], "weight_decay": wd},
            {"params": [params[1]], "weight_decay": 0.0}]


def warm_linear(s):  # warm-up 2 steps, linear decay to 0 at step 6
    return (s + 1) / 2.0 if s < 2 else max(0.0, (6 - s) / (6 - 2))


run_opt("sgd", lambda p: torch.optim.SGD(groups(p, 0.01), lr=0.1, momentum=0.9))
run_opt("sgd_nesterov",
        lambda p: torch.optim.SGD(groups(p, 0.01), lr=0.1, momentum=0.9, nesterov=True))
run_opt("adam", lambda p: torch.optim.Adam(groups(p, 0.01), lr=0.01))
run_opt("adamw", lambda p: torch.optim.AdamW(groups(p, 0.1), lr=0.01))
run_opt("adam_clip", lambda p: torch.optim.Adam(groups(p, 0.0), lr=0.01), clip=0.5)
run_opt("adamw_sched", lambda p: torch.optim.AdamW(groups(p, 0.1), lr=0.05), sched=warm_linear)
run_opt("sgd_sched", lambda p: torch.optim.SGD(groups(p, 0.0), lr=0.2, momentum=0.5),
        sched=warm_linear)

# ---- lazy sparse Adam on a 6 x 3 table: only the touched rows move ----
V, Dm = 6, 3
table0 = torch.randn(V, Dm)
rows = [[1, 3], [3, 4, 5], [2], [1, 5]]
put("sparse.table0", table0)
t = table0.clone().requires_grad_(True)
opt = torch.optim.SparseAdam([t], lr=0.05)
for k, rr in enumerate(rows):
    g = torch.randn(len(rr), Dm)
    put("sparse.rows%d" % k, rr)
    put("sparse.grad%d" % k, g)
    t.grad = torch.sparse_coo_tensor(torch.tensor([rr]), g, (V, Dm))
    opt.step()
    put("sparse.after%d" % k, t.detach())

path = sys.argv[1] if len(sys.argv) > 1 else __file__.rsplit("/", 1)[0] + "/layers_fixtures.txt"
write(path, "layers.py")
