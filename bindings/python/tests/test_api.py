# SPDX-License-Identifier: MIT
"""Every binding of umm.System / Process / Region / Notification and their error paths."""
import select

import pytest

import umm
from umm import Prot, RegionState
from conftest import PAGE

GRAN = umm.RESERVE_GRANULARITY


def err(excinfo):
    return excinfo.value.name


# ------------------------------------------------------------------------------------------------
# sizes and protections
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,value", [("4096", 4096), ("512K", 512 << 10), ("64M", 64 << 20),
                                        ("1G", 1 << 30), ("2m", 2 << 20), ("64MiB", 64 << 20),
                                        (" 8 K ", 8192), (12288, 12288), (0, 0)])
def test_parse_size(text, value):
    assert umm.parse_size(text) == value


@pytest.mark.parametrize("bad", ["", "12Q", "1.5G", "-4K", "M", "64 M B x"])
def test_parse_size_bad_strings(bad):
    with pytest.raises(ValueError):
        umm.parse_size(bad)


@pytest.mark.parametrize("bad", [None, 1.5, True, b"4K", [4096]])
def test_parse_size_bad_types(bad):
    with pytest.raises(TypeError):
        umm.parse_size(bad)


def test_parse_size_negative():
    with pytest.raises(ValueError):
        umm.parse_size(-1)


@pytest.mark.parametrize("text,bits", [("none", 0), ("r", 1), ("rw", 3), ("RW", 3),
                                       ("r+guard", 9), ("rw+guard", 11), ("none+guard", 8),
                                       (3, 3), (Prot.READ, 1)])
def test_parse_prot(text, bits):
    assert umm.parse_prot(text) == bits


@pytest.mark.parametrize("bad", ["wx", "w", "xr", "+guard", "rw+gaurd", ""])
def test_parse_prot_bad(bad):
    with pytest.raises(ValueError):
        umm.parse_prot(bad)


def test_prot_text():
    assert Prot(3).text == "rw" and Prot(1).text == "r" and Prot(0).text == "none"
    assert Prot(11).text == "rw+guard"


# ------------------------------------------------------------------------------------------------
# systems
# ------------------------------------------------------------------------------------------------
def test_system_defaults_and_close():
    s = umm.System()
    assert s.config.ram_bytes == 64 << 20 and s.config.pagefile_bytes == 0
    st = s.stats()
    assert st.total_frames == (64 << 20) // PAGE
    assert st.page_size == PAGE and st.commit_limit == st.total_frames
    assert st.vma_budget == 16384
    s.close()
    s.close()  # idempotent
    assert s.closed
    with pytest.raises(umm.UmmError) as ei:
        s.stats()
    assert err(ei) == "UMM_E_STATE"
    with pytest.raises(umm.UmmError):
        s.check()


def test_system_options():
    with umm.System(ram="16M", pagefile="32M", pagefile_max="64M", page_size="4K",
                    cluster_pages=4, vma_budget=1024, balance_interval_ms=50, trim_policy="fifo",
                    low_memory="1M", high_memory="2M", workers=False) as s:
        st = s.stats()
        assert st.total_frames == 4096
        assert st.pagefile_slots == 8192 and st.pagefile_max_slots == 16384
        assert st.vma_budget == 1024
        assert st.low_memory_pages == 256 and st.high_memory_pages == 512
        assert st.commit_limit > st.total_frames
        assert s.config.cluster_pages == 4 and s.config.trim_policy == 1


def test_pagefile_forms(tmp_path):
    path = tmp_path / "pagefile.sys"
    with umm.System(ram="4M", pagefile=path, workers=False) as s:  # a path: 2 x RAM
        assert s.stats().pagefile_slots == 2 * 1024
        assert path.exists()
    assert not path.exists()  # umm unlinks its named paging file
    with umm.System(ram="4M", pagefile={"size": "8M", "max": "16M", "path": str(path)},
                    workers=False) as s:
        st = s.stats()
        assert (st.pagefile_slots, st.pagefile_max_slots) == (2048, 4096)
    with umm.System(ram="4M", pagefile=8 << 20, pagefile_path=str(path), direct=True,
                    workers=False) as s:
        assert s.stats().pagefile_slots == 2048
    with pytest.raises(ValueError):
        umm.System(ram="4M", pagefile={"sise": "8M"})


@pytest.mark.parametrize("policy,value", [("aging", 0), ("fifo", 1), ("clock", 2), ("CLOCK", 2)])
def test_trim_policy_strings(policy, value):
    with umm.System(ram="4M", pagefile="8M", trim_policy=policy, workers=False) as s:
        assert s.config.trim_policy == value
        with s.process() as p:
            r = p.reserve("1M")
            r.commit()
            r.view()[::PAGE] = b"x" * (r.size // PAGE)
            for _ in range(3):
                s.balance()
            s.check()


def test_trim_policy_bad():
    with pytest.raises(ValueError):
        umm.System(ram="4M", trim_policy="lru")
    with pytest.raises(umm.UmmError) as ei:
        umm.System(ram="4M", trim_policy=7)
    assert err(ei) == "UMM_E_INVAL"


@pytest.mark.parametrize("kwargs", [dict(ram=0), dict(ram="1000"), dict(page_size=1000),
                                    dict(cluster_pages=0), dict(cluster_pages=1000),
                                    dict(vma_budget=10), dict(pagefile=1000)])
def test_system_invalid_config(kwargs):
    with pytest.raises(umm.UmmError) as ei:
        umm.System(**{"ram": "4M", **kwargs})
    assert err(ei) == "UMM_E_INVAL"


def test_system_bad_size_string():
    with pytest.raises(ValueError):
        umm.System(ram="lots")
    with pytest.raises(TypeError):
        umm.System(ram=4.5)


def test_balance_flush_purge_check(system):
    system.balance()
    assert system.stats().balancer_passes == 1
    with pytest.raises(umm.UmmError) as ei:
        system.flush_modified()  # no paging file
    assert err(ei) == "UMM_E_NOT_SUPPORTED"
    assert system.standby_purge() == 0
    assert system.standby_purge(max_priority=3) == 0
    with pytest.raises(umm.UmmError) as ei:
        system.standby_purge(max_priority=8)
    assert err(ei) == "UMM_E_INVAL"
    assert system.check() is True


def test_standby_purge_counts():
    with umm.System(ram="8M", pagefile="16M", workers=False) as s, s.process() as p:
        r = p.reserve("1M")
        r.commit()
        r.view()[::PAGE] = b"y" * 256
        p.empty_working_set()
        s.flush_modified()
        st = s.stats()
        assert st.modified == 0 and st.standby >= 256
        assert st.standby_by_priority[5] >= 256  # default priority 5
        assert s.standby_purge(4) == 0  # priority 5 pages are not <= 4
        assert s.standby_purge() == st.standby
        assert s.stats().standby == 0
        assert r.read(0, 1) == b"y"  # back from the paging file
        assert s.stats().faults_hard >= 1


# ------------------------------------------------------------------------------------------------
# processes
# ------------------------------------------------------------------------------------------------
def test_process_lifecycle(system):
    p = system.process()
    assert system.stats().processes == 1
    r = p.reserve("64K")
    r.commit()
    assert system.stats().committed == 16
    p.close()
    assert system.stats().processes == 0 and system.stats().committed == 0
    assert r.released
    with pytest.raises(umm.UmmError) as ei:
        r.commit()
    assert err(ei) == "UMM_E_STATE"
    with pytest.raises(umm.UmmError):
        p.stats()
    p.close()


def test_system_close_invalidates_children():
    s = umm.System(ram="4M", workers=False)
    p = s.process()
    r = p.reserve("64K")
    n = s.notification("low")
    s.close()
    assert p.closed and n.closed and r.released
    p.close()
    n.close()  # no double free: the system destroyed them


def test_ws_limits_trim_empty(system, proc):
    assert proc.ws_limits == (umm.WS_DEFAULT_MIN, umm.WS_DEFAULT_MAX, False)
    proc.set_ws_limits(20, 100)
    assert proc.ws_limits == (20, 100, False)
    r = proc.reserve("1M")
    r.commit()
    r.view()[::PAGE] = b"z" * 256
    assert proc.stats().working_set == 256
    proc.trim(10)
    assert proc.stats().working_set == 246
    proc.set_ws_limits(16, 64, hard=True)
    assert proc.ws_limits == (16, 64, True)
    assert proc.stats().working_set <= 64
    proc.empty_working_set()
    assert proc.stats().working_set == 0
    assert r.read(0, 1) == b"z" and r.read(255 * PAGE, 1) == b"z"
    ps = proc.stats()
    assert (ps.ws_min, ps.ws_max) == (16, 64)
    assert ps.pages_trimmed >= 256
    system.check()


def test_ws_limits_errors(system, proc):
    with pytest.raises(umm.UmmError) as ei:
        proc.set_ws_limits(10, 5)
    assert err(ei) == "UMM_E_INVAL"
    with pytest.raises(umm.UmmError) as ei:
        proc.set_ws_limits(0, 0)
    assert err(ei) == "UMM_E_INVAL"
    with pytest.raises(umm.UmmError) as ei:
        proc.set_ws_limits(10 ** 6, 10 ** 6)
    assert err(ei) == "UMM_E_NO_FRAMES"


def test_priority(system, proc):
    for p in range(8):
        proc.set_priority(p)
    with pytest.raises(umm.UmmError) as ei:
        proc.set_priority(8)
    assert err(ei) == "UMM_E_INVAL"
    with pytest.raises(ValueError):
        proc.set_priority(-1)


# ------------------------------------------------------------------------------------------------
# regions
# ------------------------------------------------------------------------------------------------
def test_reserve_commit_query(system, proc):
    r = proc.reserve(5000)
    assert r.size == GRAN and r.address % GRAN == 0 and len(r) == GRAN
    info = r.query()
    assert info.state == RegionState.RESERVED and info.base == r.address
    assert info.allocation_base == r.address and info.allocation_size == GRAN
    assert info.allocation_prot == Prot.READ | Prot.WRITE
    r.commit(PAGE, 2 * PAGE)
    info = r.query(PAGE)
    assert (info.state, info.size, info.prot, info.resident_pages) == (
        RegionState.COMMITTED, 2 * PAGE, Prot(3), 0)
    assert r.query(3 * PAGE).state == RegionState.RESERVED
    assert system.stats().committed == 2
    r.commit(PAGE, 2 * PAGE)  # already committed: not charged again
    assert system.stats().committed == 2
    r.write(PAGE, b"abc")
    assert r.query(PAGE).resident_pages >= 1
    r.decommit(PAGE, PAGE)
    assert system.stats().committed == 1
    assert r.query(PAGE).state == RegionState.RESERVED
    assert proc.query(r.address + 2 * PAGE).state == RegionState.COMMITTED
    r.release()
    with pytest.raises(umm.UmmError) as ei:
        proc.query(r.address)
    assert ei.value.name == "UMM_E_NOT_RESERVED"
    assert system.stats().committed == 0


def test_reserve_aligned_and_prot(system, proc):
    r = proc.reserve("64K", alignment="1M")
    assert r.address % (1 << 20) == 0
    ro = proc.reserve("64K", prot="r")
    ro.commit()
    assert ro.query().prot == Prot.READ
    assert ro.read(0, 4) == b"\0" * 4
    with pytest.raises(umm.AccessViolation) as ei:
        ro.write(0, b"x")
    assert err(ei) == "UMM_E_ACCESS"
    r.commit(0, PAGE, prot="r")
    assert r.query().prot == Prot.READ


def test_protect(system, proc):
    r = proc.reserve("64K")
    r.commit()
    r.write(0, b"data")
    assert r.protect(0, PAGE, "r") == Prot(3)
    assert r.read(0, 4) == b"data"
    with pytest.raises(umm.AccessViolation):
        r.write(0, b"x")
    assert r.protect(0, PAGE, "none") == Prot.READ
    with pytest.raises(umm.AccessViolation) as ei:
        r.read(0, 1)
    assert err(ei) == "UMM_E_ACCESS"
    assert r.protect(0, PAGE, Prot.READ | Prot.WRITE) == Prot.NONE
    assert r.read(0, 4) == b"data"
    # guard page: one-shot, like PAGE_GUARD
    assert r.protect(PAGE, PAGE, "rw+guard") == Prot(3)
    assert r.query(PAGE).prot == Prot(11)
    with pytest.raises(umm.GuardPageViolation):
        r.read(PAGE, 1)
    assert r.query(PAGE).prot == Prot(3)
    assert r.read(PAGE, 1) == b"\0"


def test_read_write_memoryview(system, proc):
    r = proc.reserve("128K")
    r.commit()
    mv = memoryview(r)
    assert mv.format == "B" and not mv.readonly and mv.nbytes == r.size
    mv[100:105] = b"hello"
    assert r.read(100, 5) == b"hello"
    assert r.write(200, bytearray(b"world")) == 5
    assert bytes(mv[200:205]) == b"world"
    assert r[100] == ord("h") and bytes(r[200:205]) == b"world"
    r[300] = 7
    assert mv[300] == 7
    assert r.view(100, 5).tobytes() == b"hello"
    big = bytes(range(256)) * 64
    r.write(PAGE * 3, big)
    assert r.read(PAGE * 3, len(big)) == big
    assert system.stats().faults_demand_zero >= 5
    del mv
    with pytest.raises(ValueError):
        r.read(r.size - 2, 4)
    with pytest.raises(ValueError):
        r.write(-1, b"x")


def test_region_context_manager(system, proc):
    with proc.reserve("64K") as r:
        r.commit()
        r.write(0, b"x")
    assert r.released and system.stats().committed == 0


def test_region_errors(system, proc):
    r = proc.reserve("128K")
    with pytest.raises(umm.UmmError) as ei:
        r.commit(100, PAGE)  # unaligned
    assert err(ei) == "UMM_E_ALIGN"
    with pytest.raises(umm.UmmError) as ei:
        r.commit(r.size - PAGE, 2 * PAGE)  # crosses the end
    assert err(ei) == "UMM_E_RANGE"
    with pytest.raises(umm.UmmError) as ei:
        r.commit(0, 0)
    assert err(ei) == "UMM_E_RANGE"
    with pytest.raises(umm.UmmError) as ei:
        r.commit(0, PAGE, prot=0x40)  # bad prot bits
    assert err(ei) == "UMM_E_INVAL"
    with pytest.raises(ValueError):
        r.commit(0, PAGE, prot="wx")
    with pytest.raises(ValueError):
        r.commit(r.size + PAGE)  # outside the region (checked in Python)
    with pytest.raises(umm.UmmError) as ei:
        r.protect(0, PAGE, "r")  # not committed
    assert err(ei) == "UMM_E_NOT_COMMITTED"
    with pytest.raises(umm.AccessViolation) as ei:
        r.read(0, 1)  # reserved, not committed: checked before touching
    assert err(ei) == "UMM_E_NOT_COMMITTED"
    assert ei.value.address == r.address
    with pytest.raises(umm.UmmError) as ei:
        proc.reserve(0)
    assert err(ei) == "UMM_E_RANGE"
    with pytest.raises(umm.UmmError) as ei:
        proc.reserve("64K", prot=0x40)
    assert err(ei) == "UMM_E_INVAL"
    with pytest.raises(umm.UmmError) as ei:
        proc.reserve("64K", alignment=3 * GRAN)
    assert err(ei) == "UMM_E_ALIGN"
    with pytest.raises(ValueError):
        proc.reserve("big")
    with pytest.raises(TypeError):
        umm.Region()


def test_double_release(system, proc):
    r = proc.reserve("64K")
    addr = r.address
    r.release()
    with pytest.raises(umm.UmmError) as ei:
        r.release()
    assert err(ei) == "UMM_E_NOT_RESERVED"
    with pytest.raises(umm.UmmError) as ei:  # and the C library says the same
        proc.release(addr)
    assert err(ei) == "UMM_E_NOT_RESERVED"
    with pytest.raises(umm.UmmError) as ei:
        r.commit()
    assert err(ei) == "UMM_E_STATE"


def test_release_not_base(system, proc):
    r = proc.reserve("128K")
    with pytest.raises(umm.UmmError) as ei:
        proc.release(r.address + GRAN)
    assert err(ei) == "UMM_E_INVAL"


def test_foreign_address(system, proc):
    other = system.process()
    r = proc.reserve("64K")
    with pytest.raises(umm.UmmError) as ei:
        other.commit(r.address, PAGE)
    assert err(ei) == "UMM_E_NOT_RESERVED"
    with pytest.raises(umm.UmmError) as ei:
        other.release(r.address)
    assert err(ei) == "UMM_E_NOT_RESERVED"
    with pytest.raises(umm.UmmError) as ei:
        other.decommit(r.address, PAGE)
    assert err(ei) == "UMM_E_NOT_RESERVED"
    with pytest.raises(umm.UmmError) as ei:
        other.query(r.address)
    assert err(ei) == "UMM_E_NOT_RESERVED"
    with pytest.raises(umm.UmmError) as ei:  # not umm's at all
        proc.commit(id(ei) & ~(PAGE - 1), PAGE)
    assert err(ei) == "UMM_E_NOT_RESERVED"
    other.close()


def test_commit_limit(system, proc):
    r = proc.reserve("16M")
    before = system.stats().committed
    with pytest.raises(umm.UmmError) as ei:
        r.commit()  # 16 MiB > 8 MiB of RAM and no paging file
    assert err(ei) == "UMM_E_COMMIT_LIMIT"
    assert system.stats().committed == before
    r.commit(0, "4M")
    assert system.stats().committed == 1024
    assert proc.stats().committed == 1024
    system.check()


# ------------------------------------------------------------------------------------------------
# notifications
# ------------------------------------------------------------------------------------------------
def _readable(fd):
    return bool(select.select([fd], [], [], 0)[0])


def test_notifications_low_and_high(system, proc):
    seen = []
    low = system.notification("low", callback=lambda n, on: seen.append(("low", on)))
    high = system.notification("high")
    assert not low.signaled and high.signaled
    assert not _readable(low.fd) and _readable(high.fd)
    r = proc.reserve("8M")
    r.commit(0, 2000 * PAGE)
    r.view(0, 2000 * PAGE)[::PAGE] = b"\1" * 2000  # fill RAM
    system.balance()  # no paging file: nothing to trim; evaluates the notifications
    st = system.stats()
    assert st.low_memory == 1 and st.available < st.low_memory_pages
    assert low.signaled and _readable(low.fd)
    assert not high.signaled and not _readable(high.fd)
    assert seen == [("low", True)]
    r.release()
    system.balance()
    assert not low.signaled and high.signaled
    assert seen == [("low", True), ("low", False)]
    assert low.callback_errors == []
    low.close()
    high.close()
    low.close()
    with pytest.raises(umm.UmmError):
        low.signaled


def test_notification_errors(system):
    with pytest.raises(ValueError):
        system.notification("medium")

    def bad(n, on):
        raise RuntimeError("boom")
    with system.notification("high", callback=bad) as n, system.process() as p:
        r = p.reserve("8M")
        r.commit(0, 2000 * PAGE)
        r.view(0, 2000 * PAGE)[::PAGE] = b"\1" * 2000
        system.balance()  # high -> not signaled: the callback raises, the error is kept
        assert len(n.callback_errors) == 1 and isinstance(n.callback_errors[0], RuntimeError)
    assert n.closed


def test_release_with_exported_buffer_is_a_buffer_error(system, proc):
    """Releasing a region (or closing its process or system) while a memoryview of it is alive
    raises BufferError and changes nothing, as mmap.close() does; the crash this prevents is the
    next access through the view."""
    r = proc.reserve("64K")
    r.commit()
    r.write(0, b"kept")
    mv = memoryview(r)
    part = mv[PAGE:2 * PAGE]
    del mv  # the slice still holds the export
    with pytest.raises(BufferError, match="exported buffers"):
        r.release()
    with pytest.raises(BufferError):
        with r:
            pass
    with pytest.raises(BufferError):
        proc.close()
    with pytest.raises(BufferError):
        system.close()
    assert not r.released and not proc.closed and not system.closed
    assert system.stats().committed == 16  # nothing changed
    part[0] = 7
    assert r.read(0, 4) == b"kept" and r.read(PAGE, 1) == b"\x07"
    part.release()
    r.release()  # the last export is gone
    assert r.released and system.stats().committed == 0


def test_release_after_views_are_gone(system, proc):
    r = proc.reserve("64K")
    r.commit()
    v = r.view(0, PAGE)
    v[0] = 1
    del v
    r.release()
    assert system.stats().committed == 0
