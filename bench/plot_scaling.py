#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""plot_scaling.py CSV PNG - plot umm-bench's scale_reserve and scale_commit cases
(umm-bench-scaling.csv): demand-zero and trim cost per page against the memory managed.
Needs matplotlib (python3-matplotlib); exits 2 without it."""
import csv
import sys

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("plot_scaling.py: matplotlib is missing (apt-get install python3-matplotlib)")
    sys.exit(2)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    rows = list(csv.DictReader(open(sys.argv[1])))
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 4.0))
    titles = {"reserved": "reserved space grows (64 MiB touched, cluster 1)",
              "committed": "committed + touched memory grows (cluster 16)"}
    for ax, curve in zip(axes, ("reserved", "committed")):
        pts = sorted((int(r["bytes"]) / 2**20, float(r["demand_zero_ns_per_page"]),
                      float(r["trim_ns_per_page"])) for r in rows if r["curve"] == curve)
        if not pts:
            continue
        x = [p[0] for p in pts]
        ax.plot(x, [p[1] for p in pts], "o-", label="demand-zero fault")
        ax.plot(x, [p[2] for p in pts], "s--", label="trim (umm_ws_empty)")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(x)
        ax.set_xticklabels([f"{v/1024:g} GiB" if v >= 1024 else f"{v:g} MiB" for v in x])
        ax.set_xlabel(curve + " memory")
        ax.set_ylabel("ns per page")
        ax.set_title(titles[curve], fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("umm-bench scaling: flat lines = cost independent of size", fontsize=10)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=80)
    return 0


if __name__ == "__main__":
    sys.exit(main())
