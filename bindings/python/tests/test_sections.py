# SPDX-License-Identifier: MIT
"""Sections through the bindings: two views (in two processes) share their bytes; data survives
trimming and paging; releasing views and closing the handle returns the charge."""
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
