#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, the nlpipe authors
"""dates.py - a sequence-to-sequence task with a known answer: dates written
in many styles and three languages (English, French, German), each with its
ISO 8601 form, one pair a line: `source<TAB>YYYY-MM-DD`.

    python3 examples/seq2seq/dates.py --pairs 20000 --seed 1 > train.tsv
    python3 examples/seq2seq/dates.py --pairs 1000 --seed 2 > test.tsv

The same seed gives the same lines (Python's own random generator; no other
package).  Dates are uniform between 1900-01-01 and 2099-12-31."""
import argparse
import datetime
import random
import sys

MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July",
           "August", "September", "October", "November", "December"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet",
           "août", "septembre", "octobre", "novembre", "décembre"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli",
           "August", "September", "Oktober", "November", "Dezember"],
}
DAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    "de": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
}


def ordinal(n):
    if 10 <= n % 100 <= 20:
        return "%dth" % n
    return "%d%s" % (n, {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th"))


def styles(d):
    """Every way this generator writes d (a datetime.date)."""
    y, m, dd = d.year, d.month, d.day
    en, fr, de = MONTHS["en"][m - 1], MONTHS["fr"][m - 1], MONTHS["de"][m - 1]
    wd = d.weekday()
    return [
        "%s %d, %d" % (en, dd, y),
        "%s %s, %d" % (en, ordinal(dd), y),
        "%d %s %d" % (dd, en, y),
        "%s %d %s %d" % (DAYS["en"][wd], dd, en, y),
        "%s, %s %d, %d" % (DAYS["en"][wd], en, dd, y),
        "%s %d %d" % (en[:3], dd, y),
        "%d %s %d" % (dd, en[:3].upper(), y),
        "the %s of %s %d" % (ordinal(dd), en, y),
        "%02d/%02d/%d" % (m, dd, y),
        "%d/%d/%d" % (m, dd, y),
        "%d.%d.%d" % (dd, m, y),
        "%02d.%02d.%d" % (dd, m, y),
        "%d-%02d-%02d" % (y, m, dd),
        "%d%02d%02d" % (y, m, dd),
        "%d %s %d" % (dd, fr, y),
        "le %s %d %s %d" % (DAYS["fr"][wd], dd, fr, y),
        "%s %s %d" % ("1er" if dd == 1 else str(dd), fr, y),
        "%d. %s %d" % (dd, de, y),
        "%s, %d. %s %d" % (DAYS["de"][wd], dd, de, y),
        "%d.%s %d" % (dd, de[:3], y),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=20000, help="lines to write")
    ap.add_argument("--seed", type=int, default=1, help="seed of the draws")
    a = ap.parse_args()
    if a.pairs < 0:
        ap.error("--pairs must be 0 or more")
    r = random.Random(a.seed)
    start = datetime.date(1900, 1, 1).toordinal()
    end = datetime.date(2099, 12, 31).toordinal()
    out = sys.stdout
    for _ in range(a.pairs):
        d = datetime.date.fromordinal(r.randint(start, end))
        s = r.choice(styles(d))
        out.write("%s\t%s\n" % (s, d.isoformat()))


if __name__ == "__main__":
    main()
