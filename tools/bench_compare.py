#!/usr/bin/python3
"""Compares two make-bench runs on one machine: the effect of a change.

  python3 tools/bench_compare.py BEFORE.json AFTER.json [--group G] [--threshold PCT]

One row per figure in both runs: before, after, after/before, and whether
that is better or worse (latencies: lower is better; rates: higher). Rows
within --threshold percent (default 5: run-to-run noise on a shared
machine) are marked '~'. Then the targets of both runs side by side.
Figures from different machines are not comparable: the machine lines say
which machine each run was on.
"""
import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_table import size, value  # noqa: E402  (one way of printing figures)

LOWER_IS_BETTER = {"ns", "%", "MB", "slots"}


def load(path):
    doc = json.loads(Path(path).read_text())
    figures = {(r["group"], r["system"], r["bytes"], r["metric"]): r for r in doc.get("results", [])}
    targets = {t["name"]: t for t in doc.get("targets", [])}
    return doc, figures, targets


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--group", help="only this group (latency, throughput, python, ...)")
    parser.add_argument("--threshold", type=float, default=5.0, help="percent of change counted as noise (default 5)")
    args = parser.parse_args()
    (doc_a, before, targets_a), (doc_b, after, targets_b) = load(args.before), load(args.after)
    for name, doc in (("before", doc_a), ("after", doc_b)):
        m = doc.get("machine", {})
        print(f"{name:6}: {m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('kernel', '?')}")
    if doc_a.get("machine", {}).get("cpu") != doc_b.get("machine", {}).get("cpu"):
        print("warning: the runs were made on different CPUs; ratios mix the change with the machine")
    print()
    print(f"| group | system | size | metric | before | after | after/before | |")
    print(f"|---|---|---|---|---|---|---|---|")
    better = worse = 0
    for key in sorted(set(before) & set(after)):
        group, system, nbytes, metric = key
        if args.group and group != args.group:
            continue
        a, b = before[key]["value"], after[key]["value"]
        unit = after[key]["unit"]
        if a in (None, 0) or b is None:
            verdict, ratio = "", "n/a"
        else:
            r = b / a
            ratio = f"{r:.3f}"
            if abs(r - 1) * 100 <= args.threshold:
                verdict = "~"
            elif (r < 1) == (unit in LOWER_IS_BETTER):
                verdict, better = "better", better + 1
            else:
                verdict, worse = "worse", worse + 1
        print(f"| {group} | {system} | {size(nbytes)} | {metric} | {value(a, unit)} | {value(b, unit)} | {ratio} | {verdict} |")
    only = sorted(set(before) ^ set(after))
    if only:
        print(f"\n{len(only)} figure(s) in one run only (a group not run, or a case added).")
    print(f"\n{better} better, {worse} worse beyond {args.threshold:g} %.\n")
    print("| target | before | after | |")
    print("|---|---|---|---|")
    for name in [n for n in targets_b if n in targets_a]:
        ta, tb = targets_a[name], targets_b[name]
        fmt = lambda t: "n/a" if t["measured"] is None else f"{t['measured']:.3g} {t['unit']} ({'met' if t['met'] else 'not met'})"
        change = "" if ta["met"] == tb["met"] else ("now met" if tb["met"] else "NO LONGER MET")
        print(f"| {name.strip()} | {fmt(ta)} | {fmt(tb)} | {change} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
