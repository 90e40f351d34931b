# SPDX-License-Identifier: MIT
"""Sections through the bindings: two views (in two processes) share their bytes; data survives
trimming and paging; releasing views and closing the handle returns the charge."""
import pytest

import umm


def test_two_views_share_bytes_and_survive_paging():
    with umm.System(ram="8M", pagefile="64M", workers=False) as s:
        before = s.stats().committed
        a, b = s.process(), s.process()
        sec = s.section("16M")
        assert s.stats().committed == before + 4096
        va, vb = sec.map(a), sec.map(b, prot="r")
        mva, mvb = memoryview(va), memoryview(vb)
        for i in range(0, 16 << 20, 4096):
            mva[i:i + 8] = (i // 4096 + 1).to_bytes(8, "little")
        assert all(int.from_bytes(mvb[i:i + 8], "little") == i // 4096 + 1
                   for i in range(0, 16 << 20, 4096))
        a.empty_working_set()
        b.empty_working_set()
        s.flush_modified()
        s.standby_purge()
        assert all(int.from_bytes(mva[i:i + 8], "little") == i // 4096 + 1
                   for i in range(0, 16 << 20, 4096))
        assert s.stats().faults_hard > 0
        s.check()
        with __import__("pytest").raises(umm.UmmError) as e:
            a.decommit(va.address, 4096)
        assert e.value.name == "UMM_E_ACCESS"
        del mva, mvb
        va.release()
        sec.close()
        vb.release()
        assert s.stats().committed == before
        s.check()


def test_section_protection_name_and_reserve():
    import pytest
    with umm.System(ram="8M", pagefile="16M", workers=False) as s:
        a, b = s.process(), s.process()
        before = s.stats().committed
        ro = umm.Section(s, "64K", protect="r", name="ro-sec")
        with pytest.raises(umm.UmmError) as e:
            ro.map(a, prot="rw")
        assert e.value.name == "UMM_E_ACCESS"
        with pytest.raises(umm.UmmError) as e:
            s.section("64K", name="ro-sec")
        assert e.value.name == "UMM_E_EXISTS"
        with pytest.raises(umm.UmmError) as e:
            umm.Section.open(s, "no-such")
        assert e.value.name == "UMM_E_NOT_FOUND"
        other = umm.Section.open(s, "ro-sec")  # as another program of the machine would
        assert other.size == 64 << 10 and other.info()["prot"] == umm.Prot.READ
        v = other.map(b, prot="r")
        assert bytes(memoryview(v)[:4]) == b"\0\0\0\0"
        v.release()
        ro.close()
        other.close()

        res = s.section("1M", protect="rw", name="lazy", reserve=True)
        assert s.stats().committed == before  # reserved: nothing charged
        assert res.info() == {"bytes": 1 << 20, "prot": umm.Prot.READ | umm.Prot.WRITE,
                              "reserve": True, "committed_bytes": 0}
        w = res.map(a)
        r = umm.Section.open(s, "lazy").map(b, prot="r")
        assert w.query(0).state == umm.RegionState.RESERVED
        w.commit(4096, 8192)  # through one view: committed in both, charged now
        assert s.stats().committed == before + 2
        assert r.query(4096).state == umm.RegionState.COMMITTED
        memoryview(w)[4096:4101] = b"hello"
        assert bytes(memoryview(r)[4096:4101]) == b"hello"
        with pytest.raises(umm.UmmError) as e:
            w.decommit(4096, 4096)
        assert e.value.name == "UMM_E_ACCESS"
        s.check()
def test_protect_view_page_writecopy():
    """Region.protect(..., "writecopy") on an ordinary view (VirtualProtect(PAGE_WRITECOPY)):
    charged when protected, the first write copies, the section keeps its bytes."""
    with umm.System(ram="4M", pagefile="32M", workers=False) as s:
        p = s.process()
        sec = s.section("1M")
        rw = sec.map(p)
        ro = sec.map(p, prot="r")
        rw.write(0, b"shared" * 100)
        before = s.stats().committed
        assert rw.protect(0, 8192, "writecopy").text == "rw"
        assert s.stats().committed == before + 2
        assert umm.Prot(p.query(rw.address).prot).text == "writecopy"
        rw.write(0, b"mine!!")
        assert rw.read(0, 6) == b"mine!!" and ro.read(0, 6) == b"shared"
        assert umm.Prot(p.query(rw.address).prot).text == "rw"
        assert p.stats().faults_copy_on_write == 1
        private = p.reserve("64K")
        private.commit(0, 4096)
        with pytest.raises(umm.UmmError) as e:
            private.protect(0, 4096, "writecopy")  # views only
        assert e.value.name == "UMM_E_INVAL"
        private.release()
        s.check()
        rw.release()
        assert s.stats().committed == before
        ro.release()
        sec.close()


def test_copy_on_write_view_keeps_its_writes():
    """Section.map(copy=True): reads share; writes stay in this view (not the section, not the
    other view) through paging; region info says writecopy until a page is written; releasing
    the view gives back its charge."""
    with umm.System(ram="4M", pagefile="32M", workers=False) as s:
        p = s.process()
        sec = s.section("1M")
        rw = sec.map(p)
        rw.write(0, b"shared" * 100)
        before = s.stats().committed
        cow = sec.map(p, copy=True)
        assert s.stats().committed == before + 256
        assert cow.read(0, 6) == b"shared"
        assert umm.Prot(p.query(cow.address).prot).text == "writecopy"
        cow.write(0, b"mine!!")
        cow.write(8192, b"second")
        assert rw.read(0, 6) == b"shared" and rw.read(8192, 6) == bytes(6)
        assert umm.Prot(p.query(cow.address).prot).text == "rw"
        assert umm.Prot(p.query(cow.address + 4096).prot).text == "writecopy"
        assert p.stats().faults_copy_on_write == 2
        p.empty_working_set()
        s.flush_modified()
        s.standby_purge()
        assert cow.read(0, 6) == b"mine!!" and cow.read(8192, 6) == b"second"
        assert cow.read(6, 6) == b"shared"  # the rest of page 0 was copied
        assert rw.read(0, 6) == b"shared"
        s.check()
        cow.release()
        assert s.stats().committed == before
        s.check()
        rw.release()
        sec.close()
