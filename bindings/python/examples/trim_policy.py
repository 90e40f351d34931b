#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Trim policies: the balance-set manager's aging vs FIFO vs clock on the same trace.

One process, a working set of WS MiB (default 64) in a system of RAM MiB (default 32: the
working set is twice RAM) with a paging file. The trace is hot/cold: a hot set of HOT_FRAC of the
pages (scattered at random over the region) gets HOT_PROB of the accesses, the rest go uniformly
to the cold pages; with --phases N the hot set moves N-1 times during the trace (a program
changing phase). Every access touches one byte of its page through a memoryview (a write with
probability --write-frac). The SAME trace (same seed) is played under each policy:

  aging  umm's default, Windows' working-set aging: a per-page age from the emulated accessed
         bit, the oldest trimmed first (UMM_TRIM_AGING)
  fifo   the age counts balancer passes since the page came in, accessed or not (UMM_TRIM_FIFO)
  clock  a one-bit clock with second chance, no ages (UMM_TRIM_CLOCK)

Determinism: workers off and system.balance() every --balance-every accesses (default: two
runs, every 512 and every 4096 accesses: how often the balancer looks matters), so the balancer
runs at the same points of the trace under every policy. balance_interval_ms=1: umm ages at a
balance pass only if half a balance interval of wall time has passed since the last aging, so
with passes >= 0.5 ms apart every pass ages. Pages the fault path must reclaim when Free/Standby
run dry between passes are trimmed by the clock whatever the policy ("emergency" column): the
more often balance() runs, the more the policy decides.

    /usr/bin/python3 trim_policy.py           # full size (~1 minute)
    /usr/bin/python3 trim_policy.py --tiny    # seconds
    /usr/bin/python3 trim_policy.py --hot-frac 0.3 --phases 4 --repeats 3

Writes OUT/trim_policy.txt (the table), .csv and .png.
"""
import argparse
import csv
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
import umm  # noqa: E402
import umm.plot  # noqa: E402
from working_set_curve import table  # noqa: E402

PAGE = 4096
MIB = 1 << 20
POLICIES = ("aging", "fifo", "clock")


def make_trace(npages, accesses, args):
    """(pages, writes): the hot set is re-drawn at each phase start."""
    rng = random.Random(args.seed)
    nhot = max(1, int(npages * args.hot_frac))
    per_phase = -(-accesses // args.phases)
    pages, writes = [], []
    for ph in range(args.phases):
        perm = list(range(npages))
        rng.shuffle(perm)
        hot, cold = perm[:nhot], perm[nhot:] or perm
        for _ in range(min(per_phase, accesses - len(pages))):
            if rng.random() < args.hot_prob:
                pages.append(hot[rng.randrange(len(hot))])
            else:
                pages.append(cold[rng.randrange(len(cold))])
            writes.append(rng.random() < args.write_frac)
    return pages, writes


def run(policy, trace, args, rep, every):
    pages, writes = trace
    npages = args.ws * MIB // PAGE
    expect = bytearray(npages)
    with umm.System(ram="%dM" % args.ram, pagefile="%dM" % (2 * args.ws + 16), workers=False,
                    balance_interval_ms=1, trim_policy=policy,
                    cluster_pages=args.cluster) as system, system.process() as proc:
        region = proc.reserve(npages * PAGE)
        region.commit()
        mv = memoryview(region)
        for i in range(npages):
            mv[i * PAGE] = expect[i] = (i % 251) + 1
            if i % every == every - 1:
                system.balance()
        s0 = system.stats()
        t0 = time.perf_counter()
        for n in range(len(pages)):
            off = pages[n] * PAGE
            if writes[n]:
                v = (mv[off] % 255) + 1
                mv[off] = v
                expect[pages[n]] = v
            else:
                mv[off]
            if n % every == every - 1:
                system.balance()
        elapsed = time.perf_counter() - t0
        s1 = system.stats()
        bad = sum(1 for i in range(npages) if mv[i * PAGE] != expect[i])
        del mv
        if bad:
            raise SystemExit("DATA ERROR: %d pages differ under %s" % (bad, policy))
        system.check()
    d = {k: getattr(s1, k) - getattr(s0, k) for k in
         ("faults_hard", "faults_transition", "pages_input", "pages_output", "pages_trimmed",
          "balancer_trimmed", "pages_aged", "balancer_passes")}
    return dict(policy=policy, every=every, run=rep, hard=d["faults_hard"],
                soft=d["faults_transition"],
                pages_in=d["pages_input"], pages_out=d["pages_output"],
                trimmed=d["pages_trimmed"], by_balancer=d["balancer_trimmed"],
                emergency=max(0, d["pages_trimmed"] - d["balancer_trimmed"]),
                aged=d["pages_aged"], seconds=elapsed)


COLUMNS = [("policy", "%-6s"), ("every", "%d"), ("run", "%d"), ("hard", "%d"),
           ("soft", "%d"),
           ("pages_in", "%d"), ("pages_out", "%d"), ("trimmed", "%d"), ("by_balancer", "%d"),
           ("emergency", "%d"), ("aged", "%d"), ("seconds", "%.2f")]


def plot(rows, args, path):
    plt = umm.plot.pyplot(os.path.splitext(path)[0] + ".csv")
    if plt is None:
        return False
    metrics = [("hard", "hard faults"), ("soft", "soft faults"), ("pages_out", "pages written"),
               ("seconds", "run time (s)")]
    fig, axes = plt.subplots(1, len(metrics), figsize=(13, 3.8))
    colors = {"aging": "tab:blue", "fifo": "tab:orange", "clock": "tab:green"}
    policies = [p for p in POLICIES if any(r["policy"] == p for r in rows)]
    width = 0.8 / len(policies)
    for ax, (key, title) in zip(axes, metrics):
        for g, every in enumerate(args.every):
            for k, pol in enumerate(policies):
                vals = [r[key] for r in rows if r["policy"] == pol and r["every"] == every]
                x = g + (k - (len(policies) - 1) / 2) * width
                ax.bar(x, sum(vals) / len(vals), width * 0.95, color=colors[pol],
                       label=pol if g == 0 else None)
                ax.plot([x] * len(vals), vals, "k.", ms=4)  # each repeat
        ax.set_xticks(range(len(args.every)))
        ax.set_xticklabels(["balance every\n%d accesses" % e for e in args.every], fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("trim policies: RAM %d MiB, working set %d MiB, hot %.0f%% of pages gets "
                 "%.0f%% of %d accesses, %d phase(s), cluster %d (dots: repeats)"
                 % (args.ram, args.ws, 100 * args.hot_frac, 100 * args.hot_prob, args.accesses,
                    args.phases, args.cluster), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=args.dpi)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--ram", type=int, default=32, help="MiB")
    ap.add_argument("--ws", type=int, default=64, help="working set, MiB")
    ap.add_argument("--hot-frac", type=float, default=0.25)
    ap.add_argument("--hot-prob", type=float, default=0.9)
    ap.add_argument("--phases", type=int, default=2)
    ap.add_argument("--accesses", type=int, default=None)
    ap.add_argument("--write-frac", type=float, default=0.25)
    ap.add_argument("--cluster", type=int, default=1,
                    help="fault-in cluster, pages (1: no read-ahead, isolates the policy)")
    ap.add_argument("--balance-every", default="512,4096",
                    help="accesses between system.balance() calls; a comma list compares")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--policies", default=",".join(POLICIES))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default=".")
    ap.add_argument("--dpi", type=int, default=80)
    args = ap.parse_args(argv)
    if args.tiny:
        args.ram, args.ws = 4, 8
        args.accesses = args.accesses or 20000
        args.balance_every = "128,1024"
        args.repeats = args.repeats or 1
    args.accesses = args.accesses or 8 * args.ws * MIB // PAGE
    args.repeats = args.repeats or 2
    args.every = [int(e) for e in str(args.balance_every).split(",")]
    os.makedirs(args.out, exist_ok=True)
    trace = make_trace(args.ws * MIB // PAGE, args.accesses, args)
    rows, t0 = [], time.time()
    for every in args.every:
        for rep in range(args.repeats):
            for pol in args.policies.split(","):
                rows.append(run(pol, trace, args, rep, every))
                print("  %s every %d run %d: %.1fs" % (pol, every, rep, rows[-1]["seconds"]),
                      file=sys.stderr)
    text = table(rows, COLUMNS)
    print(text)
    base = os.path.join(args.out, "trim_policy")
    with open(base + ".txt", "w") as f:
        f.write(text + "\n")
    with open(base + ".csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    plotted = plot(rows, args, base + ".png") is not False
    print("wrote %s.{txt,csv%s} in %.0f s" % (base, ",png" if plotted else "", time.time() - t0))


if __name__ == "__main__":
    main()
