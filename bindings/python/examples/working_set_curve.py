#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Working-set curve: page-fault rate and run time against the RAM budget.

A process has a working set of WS MiB (default 64) in one committed region, backed by a paging
file. For each RAM budget (default 8..96 MiB) and each access pattern

  seq      a cyclic sweep over every page, in order (LRU's worst case),
  uniform  pages drawn uniformly at random,
  zipf     pages drawn from a Zipf(s) distribution over a random permutation of the pages
           (a few hot pages, a long cold tail; our own sampler: inverse CDF + bisect),

it makes ACCESSES page accesses through a memoryview of the region, touching one byte per page
per access (a read, or with probability --write-frac a write), and reports per access:
soft faults (faults_transition: the frame was still on Standby/Modified), hard faults
(faults_hard: read from the paging file on the faulting thread), pages read (pages_input,
including read-ahead), pages written (pages_output) and the run time. The first full pass that
fills the region (demand-zero faults) is not measured, nor is one warm-up trace.

Determinism: the system runs WITHOUT worker threads (workers=False) and the script calls
system.balance() every --balance-every accesses: the balance-set manager (aging, trimming,
the modified-page writer) then runs at the same points of the same trace on every run, so two
runs give the same fault counts (up to aging, which umm gates on wall time: balance_interval_ms
is set to 1 ms so every pass further apart than 0.5 ms ages). With workers on, the balancer
would run every interval of wall time, i.e. at points that depend on Python's speed.
Use --workers to see that variant.

    /usr/bin/python3 working_set_curve.py                 # full size (~2-3 minutes on 2 cores)
    /usr/bin/python3 working_set_curve.py --tiny          # seconds
    /usr/bin/python3 working_set_curve.py --ws 32 --budgets 8,16,24,32,40 --patterns zipf

Writes OUT/working_set_curve.txt (the table), .csv and .png.
"""
import argparse
import bisect
import csv
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # bindings/python, for running from a checkout
import umm  # noqa: E402
import umm.plot  # noqa: E402

PAGE = 4096
MIB = 1 << 20


# ------------------------------------------------------------------------------------------------
# traces
# ------------------------------------------------------------------------------------------------
class Zipf:
    """Sample ranks 0..n-1 with P(k) proportional to 1/(k+1)^s (inverse CDF, bisect)."""

    def __init__(self, n, s, rng):
        self.rng = rng
        acc, cdf = 0.0, []
        for k in range(n):
            acc += 1.0 / (k + 1) ** s
            cdf.append(acc)
        self.cdf = [c / acc for c in cdf]

    def sample(self):
        return bisect.bisect_left(self.cdf, self.rng.random())


def make_trace(pattern, npages, accesses, rng, zipf_s):
    if pattern == "seq":
        return [i % npages for i in range(accesses)]
    if pattern == "uniform":
        return [rng.randrange(npages) for _ in range(accesses)]
    if pattern == "zipf":
        z = Zipf(npages, zipf_s, rng)
        perm = list(range(npages))
        rng.shuffle(perm)  # hot pages scattered over the region, not clustered at its start
        return [perm[z.sample()] for _ in range(accesses)]
    raise ValueError("unknown pattern %r" % pattern)


# ------------------------------------------------------------------------------------------------
# one run
# ------------------------------------------------------------------------------------------------
def run(budget_mib, pattern, args):
    npages = args.ws * MIB // PAGE
    rng = random.Random(args.seed)
    trace = make_trace(pattern, npages, args.accesses, rng, args.zipf_s)
    writes = [rng.random() < args.write_frac for _ in range(args.accesses)]
    expect = bytearray(npages)
    with umm.System(ram="%dM" % budget_mib, pagefile="%dM" % (2 * args.ws + 16),
                    workers=args.workers, balance_interval_ms=1,
                    cluster_pages=args.cluster) as system, system.process() as proc:
        region = proc.reserve(npages * PAGE)
        region.commit()
        mv = memoryview(region)
        every = args.balance_every
        for i in range(npages):  # fill: every page gets non-zero content (else trims drop it)
            mv[i * PAGE] = expect[i] = (i % 251) + 1
            if not args.workers and i % every == every - 1:
                system.balance()

        def play(tr, wr):
            for n, (p, w) in enumerate(zip(tr, wr)):
                off = p * PAGE
                if w:
                    v = (mv[off] % 255) + 1
                    mv[off] = v
                    expect[p] = v
                else:
                    mv[off]
                if not args.workers and n % every == every - 1:
                    system.balance()

        warm = min(len(trace), npages)
        play(trace[:warm], writes[:warm])  # warm-up: reach the steady state
        s0 = system.stats()
        t0 = time.perf_counter()
        play(trace, writes)
        elapsed = time.perf_counter() - t0
        s1 = system.stats()
        bad = sum(1 for i in range(npages) if mv[i * PAGE] != expect[i])
        mv.release()
        if bad:
            raise SystemExit("DATA ERROR: %d pages differ (budget %d, %s)" % (bad, budget_mib,
                                                                              pattern))
        system.check()
    d = {k: getattr(s1, k) - getattr(s0, k) for k in
         ("faults_transition", "faults_hard", "pages_input", "pages_output", "faults_total",
          "balancer_trimmed", "pages_trimmed")}
    a = float(args.accesses)
    return dict(pattern=pattern, ram_mib=budget_mib, accesses=args.accesses,
                soft_per_acc=d["faults_transition"] / a, hard_per_acc=d["faults_hard"] / a,
                in_per_acc=d["pages_input"] / a, out_per_acc=d["pages_output"] / a,
                seconds=elapsed, us_per_acc=elapsed * 1e6 / a,
                hard_per_sec=d["faults_hard"] / elapsed,
                soft_per_sec=d["faults_transition"] / elapsed,
                trimmed=d["pages_trimmed"], balancer_trimmed=d["balancer_trimmed"])


# ------------------------------------------------------------------------------------------------
# output
# ------------------------------------------------------------------------------------------------
COLUMNS = [("pattern", "%-8s"), ("ram_mib", "%7d"), ("soft_per_acc", "%12.4f"),
           ("hard_per_acc", "%12.4f"), ("in_per_acc", "%10.4f"), ("out_per_acc", "%11.4f"),
           ("us_per_acc", "%10.2f"), ("seconds", "%8.2f")]


def table(rows, columns=COLUMNS):
    """A fixed-width text table: a header, a rule, one line per row."""
    cells = [[fmt % r[name] for name, fmt in columns] for r in rows]
    widths = [max([len(name)] + [len(c[k]) for c in cells]) for k, (name, _) in
              enumerate(columns)]
    line = lambda vals: "  ".join(v.ljust(w) if k == 0 else v.rjust(w)
                                  for k, (v, w) in enumerate(zip(vals, widths)))
    out = [line([n for n, _ in columns]), "-" * (sum(widths) + 2 * (len(widths) - 1))]
    out += [line([c.strip() for c in row]) for row in cells]
    return "\n".join(out)


def plot(rows, args, path):
    plt = umm.plot.pyplot(os.path.splitext(path)[0] + ".csv")
    if plt is None:
        return False
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    for pat, color in zip(args.patterns, ("tab:blue", "tab:orange", "tab:green")):
        rs = [r for r in rows if r["pattern"] == pat]
        x = [r["ram_mib"] for r in rs]
        axes[0].plot(x, [r["hard_per_acc"] for r in rs], "o-", color=color, label=pat + " hard")
        axes[0].plot(x, [r["in_per_acc"] for r in rs], "x:", color=color,
                     label=pat + " pages in")
        axes[1].plot(x, [r["soft_per_acc"] for r in rs], "o-", color=color, label=pat)
        axes[2].plot(x, [r["us_per_acc"] for r in rs], "o-", color=color, label=pat)
    for ax, title in zip(axes, ("hard faults / pages read per access",
                                "soft (transition) faults per access",
                                "run time per access (us)")):
        ax.axvline(args.ws, color="grey", ls="--", lw=1)
        ax.set_xlabel("RAM budget (MiB); dashed: working set %d MiB" % args.ws)
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    axes[1].legend(fontsize=7)
    axes[2].set_yscale("log")
    fig.suptitle("umm working-set curve: %d accesses per point, cluster %d, write fraction %.2f"
                 % (args.accesses, args.cluster, args.write_frac), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=args.dpi)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tiny", action="store_true", help="seconds-long run (8 MiB working set)")
    ap.add_argument("--ws", type=int, default=64, help="working set, MiB")
    ap.add_argument("--budgets", default=None, help="RAM budgets, MiB, comma-separated")
    ap.add_argument("--patterns", default="seq,uniform,zipf")
    ap.add_argument("--accesses", type=int, default=None, help="measured accesses per point")
    ap.add_argument("--write-frac", type=float, default=0.25)
    ap.add_argument("--zipf-s", type=float, default=1.0)
    ap.add_argument("--cluster", type=int, default=16, help="fault-in cluster, pages (umm: 16)")
    ap.add_argument("--balance-every", type=int, default=1024)
    ap.add_argument("--workers", action="store_true", help="umm worker threads on (not "
                    "deterministic: the balancer then runs on wall time)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=".")
    ap.add_argument("--dpi", type=int, default=80)
    args = ap.parse_args(argv)
    if args.tiny:
        args.ws = 8
        args.budgets = args.budgets or "2,4,6,8,10,12"
        args.accesses = args.accesses or 8000
        args.balance_every = min(args.balance_every, 256)
    budgets = [int(b) for b in (args.budgets or "8,16,24,32,40,48,56,64,72,80,96").split(",")]
    args.patterns = args.patterns.split(",")
    args.accesses = args.accesses or 8 * args.ws * MIB // PAGE
    os.makedirs(args.out, exist_ok=True)
    rows = []
    t0 = time.time()
    for pat in args.patterns:
        for b in budgets:
            rows.append(run(b, pat, args))
            print("  %-8s %3d MiB: %.1fs" % (pat, b, rows[-1]["seconds"]), file=sys.stderr)
    text = table(rows)
    print(text)
    base = os.path.join(args.out, "working_set_curve")
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
