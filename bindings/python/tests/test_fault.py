"""umm.fault: libfiu failure points from Python, acting on the libfiu instance libumm uses."""
import glob
import os
import re

import pytest

import umm
import umm.fault as fault
from conftest import PAGE, REPO


def test_points_match_the_sources():
    """Every "umm/..." failure-point name in mm/ and hv/ (passed to UMM_FAILPOINT directly or kept
    in a variable, as the paging file and the host swap file do) is in POINTS, and POINTS has no
    others."""
    names = set()
    for top in ("mm", "hv"):
        for path in glob.glob(os.path.join(REPO, top, "*.c")) + \
                glob.glob(os.path.join(REPO, top, "*", "*.c")):
            if os.sep + "demo" + os.sep in path:
                continue
            names |= set(re.findall(r'"(umm/[a-z0-9_/]+)"', open(path).read()))
    if not names:
        pytest.skip("sources not found")
    assert names == set(fault.POINTS)
    assert all(isinstance(v, str) and v for v in fault.POINTS.values())


def test_enable_disable_api():
    assert not fault.fails("umm/commit/charge")
    fault.enable("umm/commit/charge")
    assert "umm/commit/charge" in fault.active()
    assert fault.fails("umm/commit/charge")
    assert fault.disable("umm/commit/charge")
    assert not fault.fails("umm/commit/charge")
    assert not fault.disable("umm/commit/charge")  # not enabled any more
    with fault.enabled("umm/pagefile/*"):  # libfiu wildcard
        assert fault.fails("umm/pagefile/read") and fault.fails("umm/pagefile/write")
    assert not fault.fails("umm/pagefile/read")
    with pytest.raises(ValueError):
        fault.enable("")
    with pytest.raises(ValueError):
        fault.enable("umm/x", probability=2)
    with pytest.raises(ValueError):
        fault.enable("umm/x", failnum=0)


def test_probability():
    with fault.enabled("umm/test/random", probability=0.5):
        hits = sum(fault.fails("umm/test/random") for _ in range(2000))
    assert 700 < hits < 1300
    with fault.enabled("umm/test/never", probability=0.0):
        assert not any(fault.fails("umm/test/never") for _ in range(100))


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
