# SPDX-License-Identifier: MIT
"""umm.fault: umm's failure points from Python."""
import glob
import os
import re

import pytest

import umm
import umm.fault as fault
from conftest import PAGE, REPO


def test_points_match_the_sources():
    """Every failure point declared in mm/failpoint.h is in POINTS with a description, and
    every id the sources check is declared there."""
    header = open(os.path.join(REPO, "mm", "failpoint.h")).read()
    declared = dict(re.findall(r'X\(([A-Z0-9_]+), "(umm/[a-z0-9_/]+)"\)', header))
    if not declared:
        pytest.skip("sources not found")
    assert set(declared.values()) == set(fault.POINTS)
    assert all(isinstance(v, str) and v for v in fault.POINTS.values())
    used = set()
    for top in ("mm", "hv"):
        for path in glob.glob(os.path.join(REPO, top, "**", "*.c"), recursive=True):
            used |= set(re.findall(r"UMM_FAILPOINT\(([A-Z0-9_]+)\)", open(path).read()))
            used |= set(re.findall(r"UMM_FP_([A-Z0-9_]+)", open(path).read()))
    used -= {"COUNT_", "NAME_", "ENUM_"}  # the X-macro helpers
    assert used == set(declared)  # every point is checked somewhere


def test_enable_disable_api():
    assert not fault.fails("umm/commit/charge")
    fault.enable("umm/commit/charge")
    assert "umm/commit/charge" in fault.active()
    assert fault.fails("umm/commit/charge")
    fault.disable("umm/commit/charge")
    assert not fault.fails("umm/commit/charge")
    with fault.enabled("umm/pagefile/*"):  # a prefix
        assert fault.fails("umm/pagefile/read") and fault.fails("umm/pagefile/write")
    assert not fault.fails("umm/pagefile/read")
    with pytest.raises(ValueError):
        fault.enable("")
    with pytest.raises(ValueError):
        fault.enable("umm/commit/charge", probability=2)
    with pytest.raises(ValueError):
        fault.enable("umm/commit/charge", probability=0)
    with pytest.raises(ValueError, match="no failure point"):
        fault.enable("umm/no/such/point")
    with pytest.raises(ValueError, match="no failure point"):
        fault.disable("umm/no/such/point")
    with pytest.raises(ValueError, match="no failure point"):
        fault.enable("umm/nothing/*")
    with pytest.raises(ValueError, match="no failure point"):
        fault.failures("umm/no/such/point")
    with pytest.raises(ValueError, match="no failure point"):
        fault.fails("umm/comit/charge")


def test_probability_and_seed():
    def run():
        fault.seed(42)
        with fault.enabled("umm/os/map", probability=0.5):
            return [fault.fails("umm/os/map") for _ in range(2000)]
    a, b = run(), run()
    assert 700 < sum(a) < 1300
    assert a == b  # the same seed, the same choices


def test_once_and_failures():
    fault.enable("umm/os/unmap", once=True)
    assert fault.fails("umm/os/unmap")
    assert not fault.fails("umm/os/unmap")
    assert fault.failures("umm/os/unmap") == 1
    fault.disable("umm/os/unmap")


def test_commit_charge():
    with umm.System(ram="8M", workers=False) as s, s.process() as p:
        r = p.reserve("1M")
        r.commit(0, PAGE)
        before = s.stats().committed
        with fault.enabled("umm/commit/charge"):
            with pytest.raises(umm.UmmError) as ei:
                r.commit()
            assert ei.value.name == "UMM_E_COMMIT_LIMIT"
            assert s.stats().committed == before
        r.commit()
        assert s.stats().committed == 256
        s.check()


def test_commit_charge_once():
    with umm.System(ram="8M", workers=False) as s, s.process() as p:
        r = p.reserve("1M")
        fault.enable("umm/commit/charge", once=True)
        with pytest.raises(umm.UmmError):
            r.commit(0, PAGE)
        r.commit(0, PAGE)  # the one-time point fired and went off
        assert s.stats().committed == 1


def test_pagefile_write():
    with umm.System(ram="8M", pagefile="32M", workers=False) as s, s.process() as p:
        r = p.reserve("1M")
        r.commit()
        data = bytes(range(256)) * (r.size // 256)
        r.write(0, data)
        p.empty_working_set()
        modified = s.stats().modified
        assert modified == 256
        with fault.enabled("umm/pagefile/write"):
            with pytest.raises(umm.UmmError) as ei:
                s.flush_modified()
            assert ei.value.name == "UMM_E_IO"
            st = s.stats()
            assert st.modified == modified and st.writer_errors >= 1 and st.pages_output == 0
            s.check()
        assert r.read(0, r.size) == data  # soft faults: nothing was lost
        p.empty_working_set()
        s.flush_modified()
        st = s.stats()
        assert st.modified == 0 and st.pages_output >= 256
        s.standby_purge()
        assert r.read(0, r.size) == data  # from the paging file
        s.check()


def test_pagefile_open_and_worker_start():
    with fault.enabled("umm/pagefile/open"):
        with pytest.raises(umm.UmmError) as ei:
            umm.System(ram="4M", pagefile="8M")
        assert ei.value.name == "UMM_E_IO"
        umm.System(ram="4M").close()  # no paging file: not affected
    with fault.enabled("umm/worker/start"):
        with pytest.raises(umm.UmmError) as ei:
            umm.System(ram="4M")
        assert ei.value.name == "UMM_E_OS"
        umm.System(ram="4M", workers=False).close()
    umm.System(ram="4M", pagefile="8M").close()
