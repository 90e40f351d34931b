#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Plot umm-demo's time series: per guest consumed host memory, balloon, shared and host-swapped
memory, and the host's free memory. Usage: plot_demo.py umm-demo.csv umm-demo.png"""
import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(path):
    series = defaultdict(lambda: defaultdict(list))
    host = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            g = series[row["guest"]]
            for k, v in row.items():
                if k not in ("guest", "state"):
                    g[k].append(float(v))
            host[int(row["t"])] = float(row["host_free_mib"])
    return series, host


def main(src, dst):
    series, host = load(src)
    fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True)
    panels = [("consumed_mib", "host memory consumed (MiB)"),
              ("balloon_actual_mib", "balloon actual (MiB, dashed: target)"),
              ("shared_mib", "shared pages (MiB)"),
              ("host_swapped_mib", "host-swapped (MiB)")]
    for ax, (key, title) in zip(axes.flat, panels):
        for name, s in series.items():
            line, = ax.plot(s["t"], s[key], label=name)
            if key == "balloon_actual_mib":
                ax.plot(s["t"], s["balloon_target_mib"], "--", color=line.get_color())
        ax.set_title(title)
        ax.grid(alpha=0.3)
    t = sorted(host)
    axes[0][0].plot(t, [host[x] for x in t], ":", color="black", label="host free")
    axes[0][0].legend()
    for ax in axes[1]:
        ax.set_xlabel("seconds")
    fig.suptitle("umm-demo: three guests on an overcommitted host")
    fig.tight_layout()
    fig.savefig(dst, dpi=90)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
