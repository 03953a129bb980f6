#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
"""nlpipe's recurrent encoder against PyTorch 1.13, interleaved (A B A B ...):
forward+backward (and forward only) tokens/s of one LSTM/GRU/RNN layer stack,
median over rounds, with the ratio.  Not a test.

  /usr/bin/python3 bench/encoder_compare.py BUILDDIR [--rounds 5] [--cell lstm]
      [-E 128] [-H 128] [-B 32] [-T 200] [--bi] [--threads 1] [--forward]

BUILDDIR holds bench/encoder_speed (make -C BUILDDIR bench/encoder_speed).
Both sides: 1 thread unless --threads; PyTorch with set_flush_denormal(True)
and OMP_WAIT_POLICY=PASSIVE; nlpipe with OPENBLAS_NUM_THREADS=1 and, for
--threads N > 1, N batch shards.  Also prints tokens per CPU second, which
stays meaningful on a loaded machine.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("builddir")
ap.add_argument("--rounds", type=int, default=5)
ap.add_argument("--cell", default="lstm")
ap.add_argument("-E", default="128")
ap.add_argument("-H", default="128")
ap.add_argument("-B", default="32")
ap.add_argument("-T", default="200")
ap.add_argument("--bi", action="store_true")
ap.add_argument("--forward", action="store_true")
ap.add_argument("--threads", type=int, default=1)
a = ap.parse_args()

here = os.path.dirname(os.path.abspath(sys.argv[0]))
ours = [os.path.join(a.builddir, "bench", "encoder_speed"), "-c", a.cell, "-E", a.E, "-H", a.H,
        "-B", a.B, "-T", a.T, "-r", "3", "-j", str(a.threads)]
torch = ["/usr/bin/python3", os.path.join(here, "encoder_speed.py"), "--cell", a.cell, "-E", a.E,
         "-H", a.H, "-B", a.B, "-T", a.T, "-r", "3", "--threads", str(a.threads)]
if a.bi:
    ours.append("-b")
    torch.append("--bi")
if a.forward:
    ours.append("-f")
    torch.append("--forward")
env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_WAIT_POLICY="PASSIVE")
pat = re.compile(r"(\d+) tokens/s.*?(\d+) tokens per CPU second")
res = {"nlpipe": ([], []), "torch": ([], [])}
for r in range(a.rounds):
    for name, cmd in (("nlpipe", ours), ("torch", torch)):
        out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
        m = pat.search(out)
        res[name][0].append(float(m.group(1)))
        res[name][1].append(float(m.group(2)))
        print("round %d %-6s %s" % (r + 1, name, out.strip()), flush=True)
med = {k: (statistics.median(v[0]), statistics.median(v[1])) for k, v in res.items()}
what = "%s E%s H%s B%s T%s %s %s, %d thread(s)" % (
    a.cell, a.E, a.H, a.B, a.T, "bi" if a.bi else "uni",
    "forward" if a.forward else "forward+backward", a.threads)
print("%s: nlpipe %.0f tok/s, torch %.0f tok/s, ratio %.2f (per CPU second: %.0f vs %.0f, "
      "ratio %.2f); medians of %d interleaved rounds" %
      (what, med["nlpipe"][0], med["torch"][0], med["nlpipe"][0] / med["torch"][0],
       med["nlpipe"][1], med["torch"][1], med["nlpipe"][1] / med["torch"][1], a.rounds))
