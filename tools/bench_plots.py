#!/usr/bin/python3
"""Draws the scaling curves of a make-bench run as PNG files.

  python3 tools/bench_plots.py RESULTS.json OUT_DIR

Reads the `scaling` group (and the `baselines` memcpy figures when present)
and writes latency_vs_size.png, throughput_vs_size.png,
fanout_vs_readers.png and throughput_vs_ring.png into OUT_DIR. Needs
matplotlib (Debian: python3-matplotlib); without it, says so and exits 0.
"""
import json
import re
import sys
from pathlib import Path


def series(results, system_prefix, metric):
    """{label: [(x, y)]} for systems starting with the prefix; x is the size, or the number after '='."""
    out = {}
    for r in results:
        if r["group"] != "scaling" or not r["system"].startswith(system_prefix) or r["metric"] != metric or r["value"] is None:
            continue
        found = re.search(r"=(\d+)$", r["system"])
        x = int(found.group(1)) if found else r["bytes"]
        label = r["system"].split(",")[0]
        out.setdefault(label, []).append((x, r["value"]))
    return {k: sorted(v) for k, v in out.items()}


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench_plots: matplotlib is missing (apt install python3-matplotlib); no plots drawn")
        return 0
    doc = json.loads(Path(sys.argv[1]).read_text())
    results = doc.get("results", [])
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    machine = doc.get("machine", {})
    where = f"{machine.get('cpu', '?')}, {machine.get('cores', '?')} cores"
    sizes = [64, 1024, 16384, 262144, 1 << 20, 4 << 20, 16 << 20]
    size_labels = ["64 B", "1 KiB", "16 KiB", "256 KiB", "1 MiB", "4 MiB", "16 MiB"]

    def figure(name, title, xlabel, ylabel, curves, logx=True, logy=True, size_ticks=False):
        if not any(curves.values()):
            return
        fig, ax = plt.subplots(figsize=(7, 4.2))
        for label, points in curves.items():
            if points:
                ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
        if logx:
            ax.set_xscale("log", base=2)
        if logy:
            ax.set_yscale("log")
        if size_ticks:
            ax.set_xticks(sizes, size_labels)
        ax.set_title(f"{title}\n{where}", fontsize=10)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        print(f"bench_plots: {out / name}")

    latency = {}
    for prefix in ("latency vs size (write+read all)", "latency vs size"):
        for metric in ("p50", "p99"):
            for label, points in series(results, prefix, metric).items():
                if label == prefix:
                    latency[f"{label} {metric}"] = [(x, y / 1000) for x, y in points]
    figure("latency_vs_size.png", "DataBlock one-way latency (ping-pong) against slot size", "slot size", "µs", latency, size_ticks=True)

    throughput = {"DataBlock (memcpy into the slot)": series(results, "throughput vs size", "GB/s").get("throughput vs size", [])}
    memcpy = [(r["bytes"], r["value"]) for r in results if r["group"] == "throughput" and r["system"] == "memcpy into a 64-slot ring"
              and r["metric"] == "GB/s" and r["value"]]
    if memcpy:
        throughput["memcpy into a ring (baseline)"] = sorted(memcpy)
    figure("throughput_vs_size.png", "DataBlock throughput, one producer -> one consumer", "slot size", "GB/s", throughput,
           size_ticks=True)

    fanout = {}
    for prefix in ("fan-out lossless", "1 lossless + latest"):
        for metric in ("p50", "p99"):
            points = series(results, prefix, metric).get(prefix, [])
            fanout[f"{prefix} {metric}"] = [(x, y / 1000) for x, y in points]
    figure("fanout_vs_readers.png", "Fan-out at 10 kHz, 64 B: lossless readers' latency", "readers", "µs", fanout)

    by_ring = series(results, "throughput vs ring", "slots/s")
    ring = {"4 KiB slots, slot by slot": by_ring.get("throughput vs ring", []),
            "64 B slots, runs of 32": by_ring.get("throughput vs ring (64 B", []),
            "raw locked ring, 64 B, runs of 32 (baseline)": by_ring.get("throughput vs ring (raw locked ring)", [])}
    figure("throughput_vs_ring.png", "DataBlock throughput against ring length", "slots in the ring", "slots/s", ring)
    return 0


if __name__ == "__main__":
    sys.exit(main())
