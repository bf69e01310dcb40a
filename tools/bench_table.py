#!/usr/bin/python3
"""Renders build/bench/results.json (make bench) as the Markdown tables of
docs/performance.md: python3 tools/bench_table.py [results.json]"""
import json
import sys


def value(v, unit):
    if v is None:
        return "n/a"
    if unit == "ns":
        return f"{v / 1000:.2f} µs" if v >= 10000 else f"{v:.0f} ns"
    if unit == "1/s":
        return f"{v / 1e6:.2f} M/s" if v >= 1e6 else f"{v / 1e3:.1f} k/s"
    if unit == "GB/s":
        return f"{v:.2f} GB/s"
    if unit in ("%", "MB"):
        return f"{v:.2f} {unit}"
    return f"{v:.3g} {unit}"


def size(b):
    if b == 0:
        return ""
    if b >= 1 << 20:
        return f"{b >> 20} MiB"
    if b >= 1024:
        return f"{b >> 10} KiB"
    return f"{b} B"


def main():
    doc = json.load(open(sys.argv[1] if len(sys.argv) > 1 else "build/bench/results.json"))
    m = doc["machine"]
    print(f"Machine: {m['cpu']}, {m['cores']} cores, {m['kernel']}; median of {doc['repetitions']} repetitions.\n")
    print("| group | system | size | metric | value |\n|---|---|---|---|---|")
    for r in doc["results"]:
        print(f"| {r['group']} | {r['system']} | {size(r['bytes'])} | {r['metric']} | {value(r['value'], r['unit'])} |")
    print("\n| target | measured | goal | |\n|---|---|---|---|")
    for t in doc["targets"]:
        measured = "n/a" if t["measured"] is None else f"{t['measured']:.3g}"
        print(f"| {t['name'].strip()} | {measured} {t['unit']} | {t['comparison']} {t['target']:g} | {'met' if t['met'] else '**not met**'} |")


if __name__ == "__main__":
    main()
