#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Ballooning: three guests with shares 2:1:1 on an overcommitted host under a changing load.

A host of HOST MiB (default 96) runs guests A, B and C of GUEST MiB each (default 64: 2x
overcommitted), shares 2000:1000:1000, each with its own paging file. Every guest first writes
DATA MiB (default 48) of pages: IMAGE MiB of them (default 8, "the OS image") identical in all
three guests, the rest its own (random bytes: incompressible, so the host's compression cache
stays out of the picture and reclamation is ballooning, sharing and host swapping). Then the load
changes in phases (default 30 ticks each):

  boot      each guest writes its data (spread over the phase)
  idle      nobody touches anything
  A         guest A touches --ops random pages of its data per tick (a quarter of them writes)
  A+B       A and B busy
  A+B+C     all three busy
  B+C       A idle again

One tick = the busy guests' accesses (through a memoryview of each guest's region), then
guest.system.balance() for each guest, then host.step() (one host pass: access sampling, policy,
balloon steps, a sharing scan of --scan pages). Host and guests run WITHOUT worker threads, so
the run is deterministic up to the time-gated aging (see trim_policy.py) and independent of
Python's speed; with workers on, the host's policy would run every policy_interval_ms of wall
time, so a slow Python loop would see many passes per tick and a fast one few.

Each tick samples host.stats() and guest.stats(): consumed host frames, entitlement, balloon
target and actual, active estimate, host-swapped and shared pages. ESXi's rule: under pressure a
guest's entitlement is its share of host memory, where idle memory is taxed (idle_tax 0.75:
an idle page costs 4x an active one). With all three equally busy the entitlements are 2:1:1.

    /usr/bin/python3 ballooning.py            # full size (about a minute)
    /usr/bin/python3 ballooning.py --tiny     # seconds
    /usr/bin/python3 ballooning.py --phases 2 # boot and idle only: the sharing figure
    /usr/bin/python3 ballooning.py --shares 1000,1000,1000 --ticks 40 --idle-tax 0

Writes OUT/ballooning.txt (per-phase table), ballooning.csv (every tick) and ballooning.png.
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
import umm.hv  # noqa: E402
from working_set_curve import table  # noqa: E402

PAGE = 4096
MIB = 1 << 20
NAMES = ("A", "B", "C")
PHASES = [("boot", ""), ("idle", ""), ("A", "A"), ("A+B", "AB"), ("A+B+C", "ABC"),
          ("B+C", "BC")]


def page_bytes(guest, i, image_pages, seed):
    """The initial content of page i of a guest: shared image pages are the same everywhere."""
    key = (seed, "image", i) if i < image_pages else (seed, guest, i)
    return random.Random(repr(key)).randbytes(PAGE)


class Load:
    """One guest's process, region and expected contents (byte 0 of each page is rewritten)."""

    def __init__(self, guest, name, npages, image_pages, seed):
        self.guest, self.name, self.npages = guest, name, npages
        self.image_pages, self.seed = image_pages, seed
        self.proc = guest.system.process()
        self.region = self.proc.reserve(npages * PAGE)
        self.region.commit()
        self.mv = memoryview(self.region)
        self.first = bytearray(npages)
        self.written = 0
        self.rng = random.Random(repr((seed, name, "ops")))

    def write_some(self, n):
        end = min(self.npages, self.written + n)
        for i in range(self.written, end):
            data = page_bytes(self.name, i, self.image_pages, self.seed)
            self.mv[i * PAGE:(i + 1) * PAGE] = data
            self.first[i] = data[0]
        self.written = end

    def touch(self, ops, write_frac=0.25):
        rng, mv, n = self.rng, self.mv, self.written
        for _ in range(ops):
            p = rng.randrange(n)
            if rng.random() < write_frac:
                v = (self.first[p] + 1) & 255
                mv[p * PAGE] = v
                self.first[p] = v
            else:
                mv[p * PAGE]

    def verify(self):
        bad = 0
        for i in range(self.written):
            data = page_bytes(self.name, i, self.image_pages, self.seed)
            page = self.mv[i * PAGE:(i + 1) * PAGE]
            if page[0] != self.first[i] or page[1:] != data[1:]:
                bad += 1
        return bad

    def close(self):
        self.mv.release()


def run(args):
    npages = args.data * MIB // PAGE
    image_pages = args.image * MIB // PAGE
    shares = [int(s) for s in args.shares.split(",")]
    samples = []
    with umm.hv.Host(ram="%dM" % args.host, swap="%dM" % (3 * args.guest), workers=False,
                     scan_pages=args.scan, idle_tax=args.idle_tax) as host:
        loads = []
        for name, sh in zip(NAMES, shares):
            g = host.guest(ram="%dM" % args.guest, pagefile="%dM" % (2 * args.guest),
                           shares=sh, name=name, workers=False, balance_interval_ms=1)
            loads.append(Load(g, name, npages, image_pages, args.seed))
        t_start = time.perf_counter()
        tick = 0
        for phase, busy in PHASES:
            for k in range(args.ticks):
                t0 = time.perf_counter()
                for ld in loads:
                    if phase == "boot":
                        ld.write_some(-(-npages // args.ticks))
                    elif ld.name in busy:
                        ld.touch(args.ops)
                for ld in loads:
                    ld.guest.system.balance()
                host.step()
                hs = host.stats()
                row = dict(tick=tick, phase=phase, seconds=time.perf_counter() - t_start,
                           tick_s=time.perf_counter() - t0, host_free=hs.free_frames,
                           host_state=hs.state, shared_frames=hs.shared_frames, saved=hs.saved,
                           swap_used=hs.swap_used, compressed=hs.compressed,
                           host_frames=hs.host_frames)
                for ld in loads:
                    gs = ld.guest.stats()
                    for key in ("consumed", "entitlement", "balloon_target", "balloon_actual",
                                "active_pct", "host_swapped", "shared", "balloon_reversals"):
                        row["%s_%s" % (ld.name, key)] = getattr(gs, key)
                    row["%s_pages_out" % ld.name] = ld.guest.system.stats().pages_output
                samples.append(row)
                tick += 1
        bad = {ld.name: ld.verify() for ld in loads}
        for ld in loads:
            ld.guest.system.check()
            ld.close()
    if any(bad.values()):
        raise SystemExit("DATA ERROR: pages differ: %r" % bad)
    return samples, shares


def sharing_kept(samples):
    """Sharing under balloon pressure: the most saved during boot and idle (the balloons inflate
    at tick 0 here, before the scanner has merged much, so the peak is the reference), what is
    left 5 ticks after that peak, and at the end of idle."""
    quiet = [s for s in samples if s["phase"] in ("boot", "idle")]
    if not quiet:
        return None
    k = max(range(len(quiet)), key=lambda i: quiet[i]["saved"])
    return quiet[k]["saved"], quiet[min(k + 5, len(quiet) - 1)]["saved"], quiet[-1]["saved"], k


def phase_table(samples, shares):
    """One row per phase: its last tick."""
    rows = []
    tot_sh = float(sum(shares))
    prev = None
    for phase, _ in PHASES:
        last = [s for s in samples if s["phase"] == phase][-1]
        revs = [last["%s_balloon_reversals" % n] - (prev["%s_balloon_reversals" % n] if prev else 0)
                for n in NAMES]
        prev = last
        cons = [last["%s_consumed" % n] for n in NAMES]
        ent = [last["%s_entitlement" % n] for n in NAMES]
        ctot = float(sum(cons)) or 1.0
        etot = float(sum(ent)) or 1.0
        rows.append(dict(
            phase=phase, tick=last["tick"], state=last["host_state"],
            consumed_MiB="/".join("%.1f" % (c * PAGE / MIB) for c in cons),
            consumed_pct="/".join("%.0f" % (100 * c / ctot) for c in cons),
            entitled_pct="/".join("%.0f" % (100 * e / etot) for e in ent),
            shares_pct="/".join("%.0f" % (100 * s / tot_sh) for s in shares),
            balloon_MiB="/".join("%.1f" % (last["%s_balloon_actual" % n] * PAGE / MIB)
                                 for n in NAMES),
            active_pct="/".join("%d" % last["%s_active_pct" % n] for n in NAMES),
            host_swap_MiB="%.1f" % (last["swap_used"] * PAGE / MIB),
            shared_MiB="%.1f" % (last["saved"] * PAGE / MIB),
            reversals="/".join("%d" % r for r in revs),
            free_MiB="%.1f" % (last["host_free"] * PAGE / MIB)))
    return rows


COLUMNS = [("phase", "%s"), ("tick", "%d"), ("state", "%s"), ("consumed_MiB", "%s"),
           ("consumed_pct", "%s"), ("entitled_pct", "%s"), ("shares_pct", "%s"),
           ("balloon_MiB", "%s"), ("active_pct", "%s"), ("host_swap_MiB", "%s"),
           ("shared_MiB", "%s"), ("reversals", "%s"), ("free_MiB", "%s")]


def plot(samples, args, path):
    plt = umm.plot.pyplot(os.path.splitext(path)[0] + ".csv")
    if plt is None:
        return False
    t = [s["tick"] for s in samples]
    mib = PAGE / MIB
    colors = dict(zip(NAMES, ("tab:blue", "tab:orange", "tab:green")))
    fig, axes = plt.subplots(4, 1, figsize=(12, 11), sharex=True)
    for n in NAMES:
        c = colors[n]
        axes[0].plot(t, [s["%s_consumed" % n] * mib for s in samples], color=c,
                     label="%s consumed" % n)
        axes[0].plot(t, [s["%s_entitlement" % n] * mib for s in samples], color=c, ls="--",
                     lw=1, label="%s entitlement" % n)
        axes[1].plot(t, [s["%s_balloon_actual" % n] * mib for s in samples], color=c,
                     label="%s actual" % n)
        axes[1].plot(t, [s["%s_balloon_target" % n] * mib for s in samples], color=c, ls=":",
                     label="%s target" % n)
        axes[3].plot(t, [s["%s_active_pct" % n] for s in samples], color=c, label=n)
    axes[2].plot(t, [s["host_free"] * mib for s in samples], color="k", label="host free")
    axes[2].plot(t, [s["swap_used"] * mib for s in samples], color="tab:red",
                 label="host swap used")
    axes[2].plot(t, [s["saved"] * mib for s in samples], color="tab:purple",
                 label="saved by sharing")
    axes[2].plot(t, [s["compressed"] * mib for s in samples], color="tab:brown", ls=":",
                 label="compressed")
    titles = ["consumed host memory (MiB), dashed: entitlement\n",
              "balloon (MiB): actual, dotted: target", "host (MiB)",
              "active estimate (%)"]
    for ax, title in zip(axes, titles):
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=1, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        for k, (phase, _) in enumerate(PHASES):
            x0 = k * args.ticks
            ax.axvline(x0, color="grey", lw=0.8)
            ax.text(x0 + 0.5, 1.0, phase, fontsize=8, va="bottom", ha="left",
                    transform=ax.get_xaxis_transform())
    axes[3].set_xlabel("tick (busy guests' accesses, guest balance, one host.step())")
    fig.suptitle("ballooning: host %d MiB, guests %d MiB x3 (shares %s), %d MiB written each "
                 "(%d MiB identical)" % (args.host, args.guest, args.shares, args.data,
                                         args.image), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=args.dpi)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--host", type=int, default=96, help="host RAM, MiB")
    ap.add_argument("--guest", type=int, default=64, help="each guest's RAM, MiB")
    ap.add_argument("--data", type=int, default=48, help="MiB each guest writes")
    ap.add_argument("--image", type=int, default=8, help="MiB identical in every guest")
    ap.add_argument("--shares", default="2000,1000,1000")
    ap.add_argument("--ticks", type=int, default=30, help="ticks per phase")
    ap.add_argument("--ops", type=int, default=12000, help="accesses per busy guest per tick")
    ap.add_argument("--scan", type=int, default=2048, help="sharing scan pages per host pass")
    ap.add_argument("--idle-tax", type=float, default=0.75)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--phases", type=int, default=len(PHASES),
                    help="run only the first N phases (2: boot and idle, the sharing figure)")
    ap.add_argument("--out", default=".")
    ap.add_argument("--dpi", type=int, default=80)
    args = ap.parse_args(argv)
    if args.tiny:
        args.host, args.guest, args.data, args.image = 12, 8, 6, 1
        args.ticks, args.ops, args.scan = 6, 300, 512
    del PHASES[args.phases:]
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    samples, shares = run(args)
    rows = phase_table(samples, shares)
    text = table(rows, COLUMNS)
    kept = sharing_kept(samples)
    if kept:
        text += ("\nsharing (balloons inflated from tick 0): %d pages saved at the peak (tick %d), "
                 "%d five ticks later (%.0f %%), %d at the end of idle (%.0f %%)"
                 % (kept[0], kept[3], kept[1], 100.0 * kept[1] / max(kept[0], 1), kept[2],
                    100.0 * kept[2] / max(kept[0], 1)))
    print(text)
    base = os.path.join(args.out, "ballooning")
    with open(base + ".txt", "w") as f:
        f.write(text + "\n")
    with open(base + ".csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(samples[0]))
        w.writeheader()
        w.writerows(samples)
    plotted = plot(samples, args, base + ".png") is not False
    print("wrote %s.{txt,csv%s} in %.0f s" % (base, ",png" if plotted else "", time.time() - t0))


if __name__ == "__main__":
    main()
