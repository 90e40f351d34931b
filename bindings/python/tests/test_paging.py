# SPDX-License-Identifier: MIT
"""Data integrity under paging: 32 MiB through memoryview in a system with 8 MiB of RAM."""
import hashlib
import time

import umm
from conftest import PAGE


def page_pattern(addr, gen=1):
    """4 KiB keyed by the page's address (a misplaced or stale page cannot match)."""
    return hashlib.blake2b(addr.to_bytes(8, "little") + bytes([gen]), digest_size=64).digest() * 64


def test_32mib_through_8mib_of_ram():
    t0 = time.monotonic()
    size = 32 << 20
    with umm.System(ram="8M", pagefile="64M") as s, s.process() as p:
        r = p.reserve(size)
        r.commit()
        mv = memoryview(r)
        npages = size // PAGE
        chunk = 256  # pages per slice assignment
        for first in range(0, npages, chunk):
            data = b"".join(page_pattern(r.address + (first + k) * PAGE) for k in range(chunk))
            mv[first * PAGE:(first + chunk) * PAGE] = data
        st = s.stats()
        assert st.committed >= npages
        assert st.pages_output > 0  # RAM is a quarter of the data: the writer had to write
        p.empty_working_set()
        s.flush_modified()
        assert s.stats().modified == 0
        purged = s.standby_purge()
        assert purged > 0
        before = s.stats()
        bad = [k for k in range(npages)
               if mv[k * PAGE:(k + 1) * PAGE] != page_pattern(r.address + k * PAGE)]
        assert bad == []
        after = s.stats()
        assert after.faults_hard > before.faults_hard
        assert after.pages_input - before.pages_input >= npages - st.total_frames
        assert p.stats().faults_hard > 0
        s.check()
        del mv
    assert time.monotonic() - t0 < 20
