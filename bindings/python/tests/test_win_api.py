# SPDX-License-Identifier: MIT
"""The calls issue 18 adds for Windows programs, through the bindings: execute and cache
protections, reserving at an address and top-down, the region type, and ReadProcessMemory /
WriteProcessMemory-style copies (Process.read_memory / write_memory) that fault pages in on the
target's side, paged out or not."""
import pytest

import umm
from umm import Prot, RegionType

PAGE = 4096


def err(ei):
    return ei.value.name


def test_prot_strings_round_trip():
    for text in ("none", "r", "rw", "x", "rx", "rwx", "rw+guard", "rx+nocache", "rw+writecombine"):
        assert Prot(umm.parse_prot(text)).text == text
    assert umm.parse_prot("rwx") == Prot.READ | Prot.WRITE | Prot.EXEC
    with pytest.raises(ValueError):
        umm.parse_prot("rw+fast")


def test_exec_and_cache_attributes_reported(system, proc):
    r = proc.reserve("64K")
    r.commit(0, PAGE, prot="rx")
    r.commit(PAGE, PAGE, prot="rw+nocache")
    r.commit(2 * PAGE, PAGE, prot="x")
    assert r.query(0).prot == Prot.READ | Prot.EXEC
    assert r.query(PAGE).prot == Prot.READ | Prot.WRITE | Prot.NOCACHE
    assert r.read(0, 4) == b"\0" * 4
    r.write(PAGE, b"nc")
    assert r.read(PAGE, 2) == b"nc"
    with pytest.raises(umm.AccessViolation):  # PAGE_EXECUTE: no data access
        r.read(2 * PAGE, 1)
    with pytest.raises(umm.UmmError) as ei:
        r.protect(0, PAGE, "rw+nocache+writecombine")
    assert err(ei) == "UMM_E_INVAL"
    with pytest.raises(umm.UmmError) as ei:
        r.protect(0, PAGE, "none+nocache")
    assert err(ei) == "UMM_E_INVAL"
    assert r.protect(PAGE, PAGE, "r") == Prot.READ | Prot.WRITE | Prot.NOCACHE
    system.check()


def test_commit_sets_protection_of_committed_pages(system, proc):
    r = proc.reserve("64K")
    r.commit(0, 4 * PAGE, prot="rw")
    r.write(0, b"keep")
    r.commit(0, PAGE, prot="r")  # Windows' VirtualAlloc(MEM_COMMIT): the new protection
    assert r.query(0).prot == Prot.READ
    assert r.read(0, 4) == b"keep"
    r.commit(0, 4 * PAGE)  # prot None (-1): committed pages keep theirs
    assert r.query(0).prot == Prot.READ


def test_reserve_at_and_region_type(system, proc):
    a = proc.reserve("128K", top_down=True)
    addr = a.address
    a.release()
    b = proc.reserve("64K", address=addr)
    assert b.address == addr
    with pytest.raises(umm.UmmError) as ei:
        proc.reserve("64K", address=addr)
    assert err(ei) == "UMM_E_BUSY"
    with pytest.raises(umm.UmmError) as ei:
        proc.reserve("64K", address=addr + PAGE)
    assert err(ei) == "UMM_E_ALIGN"
    assert b.query().type == RegionType.PRIVATE
    sec = system.section("64K")
    v = sec.map(proc, prot="r")
    assert v.query().type == RegionType.MAPPED
    with pytest.raises(umm.UmmError) as ei:  # above what the view was mapped with
        v.protect(0, PAGE, "rw")
    assert err(ei) == "UMM_E_INVAL"
    v.release()
    sec.close()


def test_process_copies_fault_pages_in():
    with umm.System(ram="4M", pagefile="16M", workers=False) as s:
        a, b = s.process(), s.process()
        src = a.reserve("1M")
        src.commit()
        for i in range(64):
            src.write(i * PAGE, bytes([i + 1]) * 16)
        a.empty_working_set()
        s.flush_modified()
        s.standby_purge()
        before = s.stats()
        data = a.read_memory(src.address + 10, 64 * PAGE)
        assert all(data[i * PAGE - 10 + PAGE] == i + 2 for i in range(63))
        assert data[-1] == 0  # the 65th page was never written: demand-zero
        after = s.stats()
        assert after.faults_hard > before.faults_hard
        dst = b.reserve("64K")
        dst.commit()
        assert b.write_memory(dst.address + PAGE - 2, b"across") == 6
        assert dst.read(PAGE - 2, 6) == b"across"
        src.protect(PAGE, PAGE, "none")
        with pytest.raises(umm.UmmError) as ei:
            a.read_memory(src.address, 2 * PAGE)
        assert err(ei) == "UMM_E_ACCESS"
        with pytest.raises(umm.UmmError) as ei:
            b.read_memory(src.address, 1)  # a's address, not b's
        assert err(ei) == "UMM_E_NOT_RESERVED"
        src.protect(2 * PAGE, PAGE, "rw+guard")
        with pytest.raises(umm.UmmError) as ei:
            a.write_memory(src.address + 2 * PAGE, b"x")
        assert err(ei) == "UMM_E_ACCESS"
        assert src.query(2 * PAGE).prot == Prot.READ | Prot.WRITE | Prot.GUARD  # still armed
        s.check()


def test_partial_views_share_frames(system, proc):
    sec = system.section("256K")
    whole = sec.map(proc)
    for i in range(4):
        whole.write(i * 65536, bytes([0x40 + i]))
    part = sec.map(proc, prot="r", offset="128K", size="64K")
    assert part.read(0, 1) == b"\x42"
    assert part.query().size == 65536
    hole = proc.reserve("64K")
    addr = hole.address
    hole.release()
    last = sec.map(proc, offset="192K", address=addr)
    assert last.address == addr
    last.write(5, b"z")
    assert whole.read(3 * 65536 + 5, 1) == b"z"
    with pytest.raises(umm.UmmError) as ei:
        sec.map(proc, offset=4096)
    assert err(ei) == "UMM_E_ALIGN"
    with pytest.raises(umm.UmmError) as ei:
        sec.map(proc, offset="192K", size="128K")
    assert err(ei) == "UMM_E_RANGE"
    for r in (whole, part, last):
        r.release()
    sec.close()
    system.check()
