#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""plot_overcommit.py CSV PNG - plot umm-bench's hv_overcommit case (umm-bench-overcommit.csv):
pages written per second by all guests against the overcommit factor, with and without
ballooning and page sharing. Needs matplotlib (python3-matplotlib); exits 2 without it."""
import csv
import sys

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("plot_overcommit.py: matplotlib is missing (apt-get install python3-matplotlib)")
    sys.exit(2)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    rows = list(csv.DictReader(open(sys.argv[1])))
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for mode, style in (("with", "o-"), ("without", "s--")):
        pts = sorted((float(r["overcommit"]), float(r["pages_per_s"]) / 1e3)
                     for r in rows if r["mode"] == mode)
        if pts:
            label = ("sharing + ballooning" if mode == "with"
                     else "no sharing, no balloon (compression + host swap only)")
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=label)
    ax.set_xlabel("overcommit (guest RAM promised / host RAM)")
    ax.set_ylabel("guest pages written, thousands/s (3 guests)")
    ax.set_title("umm-bench hv_overcommit: 3 guests, host RAM 64 MiB")
    ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=80)
    return 0


if __name__ == "__main__":
    sys.exit(main())
