#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""plot_swap.py CSV PNG - plot umm-bench's swap case (umm-bench-swap.csv): per pattern and RAM
ratio, umm's time and disk bytes read and written as ratios to the kernel's swap in the same run
(1.0 = as fast / as much as the kernel). Needs matplotlib (python3-matplotlib); exits 2 without it."""
import csv
import sys

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("plot_swap.py: matplotlib is missing (apt-get install python3-matplotlib)")
    sys.exit(2)


def ratio(a, b):
    a, b = float(a), float(b)
    return a / b if b > 0 else float("nan")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    rows = list(csv.DictReader(open(sys.argv[1])))
    patterns = list(dict.fromkeys(r["pattern"] for r in rows))
    ratios = sorted({int(r["ram_ratio"]) for r in rows})
    metrics = (("time", "umm_s", "kernel_s"), ("disk read", "umm_read_mib", "kernel_read_mib"),
               ("disk written", "umm_written_mib", "kernel_written_mib"))
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), sharey=False)
    width = 0.8 / max(1, len(ratios))
    for ax, (title, u, k) in zip(axes, metrics):
        for j, rr in enumerate(ratios):
            ys = []
            for p in patterns:
                m = [r for r in rows if r["pattern"] == p and int(r["ram_ratio"]) == rr]
                ys.append(ratio(m[0][u], m[0][k]) if m else float("nan"))
            xs = [i + (j - (len(ratios) - 1) / 2) * width for i in range(len(patterns))]
            ax.bar(xs, ys, width, label="data = %dx RAM" % rr)
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.set_xticks(range(len(patterns)))
        ax.set_xticklabels(patterns)
        ax.set_title("%s: umm / kernel swap" % title)
        ax.set_ylabel("ratio (lower is better)")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=100)
    return 0


if __name__ == "__main__":
    sys.exit(main())
