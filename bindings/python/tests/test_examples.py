# SPDX-License-Identifier: MIT
"""The experiments in bindings/python/examples/ run (with --tiny, seconds each) and produce their
table and plot: each script in a subprocess writing into a temporary directory."""
import os
import subprocess
import sys

import pytest

from conftest import PKG_ROOT, child_env

EXAMPLES = os.path.join(PKG_ROOT, "examples")

pytest.importorskip("matplotlib")


@pytest.mark.parametrize("script,name,header", [
    ("working_set_curve.py", "working_set_curve", ["pattern", "ram_mib", "soft_per_acc",
                                                   "hard_per_acc", "us_per_acc"]),
    ("trim_policy.py", "trim_policy", ["policy", "every", "hard", "soft", "pages_out",
                                       "seconds"]),
    ("ballooning.py", "ballooning", ["phase", "consumed_MiB", "entitled_pct", "balloon_MiB",
                                     "host_swap_MiB"]),
])
def test_example_runs_tiny(tmp_path, script, name, header):
    p = subprocess.run([sys.executable, os.path.join(EXAMPLES, script), "--tiny", "--out",
                        str(tmp_path)], env=child_env(), capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    first = p.stdout.splitlines()[0].split()
    for col in header:
        assert col in first, (col, first)
    table = tmp_path / (name + ".txt")
    png = tmp_path / (name + ".png")
    csv = tmp_path / (name + ".csv")
    assert table.exists() and csv.exists() and png.exists()
    lines = table.read_text().splitlines()
    assert lines[0].split() == first and len(lines) >= 4
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 1000 < png.stat().st_size < 400_000
    assert "DATA ERROR" not in p.stdout + p.stderr


def test_zipf_sampler():
    sys.path.insert(0, EXAMPLES)
    try:
        import random
        from working_set_curve import Zipf, make_trace
    finally:
        sys.path.remove(EXAMPLES)
    z = Zipf(1000, 1.0, random.Random(1))
    counts = [0] * 1000
    for _ in range(50000):
        counts[z.sample()] += 1
    # P(rank 0) = 1 / H(1000) ~ 0.134; rank 0 about twice rank 1, ten times rank 9
    assert 0.12 < counts[0] / 50000 < 0.15
    assert 1.7 < counts[0] / counts[1] < 2.3
    assert counts[0] > 5 * counts[9]
    assert make_trace("seq", 5, 7, random.Random(1), 1.0) == [0, 1, 2, 3, 4, 0, 1]
    t = make_trace("zipf", 100, 1000, random.Random(2), 1.2)
    assert len(t) == 1000 and all(0 <= p < 100 for p in t)
