#!/usr/bin/env python3
"""The summary's findings line against the findings CSV of the same run: alerts, host pairs and groups, and the
counts by verdict and by severity, each of which must add up to the alerts (informational detections included).

usage: summary_counts.py SUMMARY.txt FINDINGS.csv   (exit 1 on a difference; prints the line checked)
"""
import collections
import csv
import re
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    summary = open(sys.argv[1]).read()
    rows = list(csv.DictReader(open(sys.argv[2], newline="", encoding="utf-8")))
    m = re.search(r"^findings: (\d+) alerts, (\d+) host pairs in (\d+) groups \(noncompliant (\d+), unexpected (\d+), "
                  r"informational (\d+); severity 1: (\d+), 2: (\d+), 3: (\d+)\)$", summary, re.M)
    if not m:
        sys.exit("summary_counts: no findings line of the expected form")
    said = [int(x) for x in m.groups()]
    count = lambda r: int(r["count"].replace(",", ""))
    verdicts, severities = collections.Counter(), collections.Counter()
    for r in rows:
        verdicts[r["verdict"]] += count(r)
        severities[r["severity"]] += count(r)
    total = sum(count(r) for r in rows)
    want = [total, len(rows), said[2], verdicts["noncompliant"], verdicts["unexpected"], verdicts["informational"],
            severities["1"], severities["2"], severities["3"]]
    problems = []
    if said != want:
        problems.append(f"the line says {said}, the CSV {want}")
    if sum(said[3:6]) != said[0] or sum(said[6:9]) != said[0]:
        problems.append("its verdict or severity counts do not add up to its alerts")
    if set(verdicts) - {"noncompliant", "unexpected", "informational"}:
        problems.append(f"the CSV has other verdicts: {sorted(verdicts)}")
    for p in problems:
        print(f"summary_counts: {p}: {m.group(0)}")
    if problems:
        sys.exit(1)
    print(m.group(0))


if __name__ == "__main__":
    main()
