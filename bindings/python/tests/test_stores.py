# SPDX-License-Identifier: MIT
"""Backing stores from Python: several paging files, and a Redis server started on a free port
(skipped, saying why, without redis-server or a library built without hiredis)."""
import hashlib
import shutil
import socket
import subprocess
import time

import pytest

import umm
from conftest import PAGE


def pattern(k):
    return hashlib.blake2b(k.to_bytes(8, "little"), digest_size=64).digest() * (PAGE // 64)


def write_read(s, p, npages):
    r = p.reserve(npages * PAGE)
    r.commit()
    mv = memoryview(r)
    for k in range(npages):
        mv[k * PAGE:(k + 1) * PAGE] = pattern(k)
    assert [k for k in range(npages) if mv[k * PAGE:(k + 1) * PAGE] != pattern(k)] == []
    st = s.stats()
    assert st.pages_output > 0 and st.pages_input > 0 and st.read_errors == 0


def test_two_pagefiles_in_the_list():
    stores = [{"kind": "pagefile", "size": "8M"}, {"kind": "pagefile", "size": "8M"}]
    with umm.System(ram="4M", pagefile="8M", stores=stores) as s, s.process() as p:
        assert s.stats().pagefile_slots == 3 * (8 << 20) // PAGE
        write_read(s, p, 3 * (4 << 20) // PAGE)
        per = [s.store_stats(i) for i in range(3)]
        assert [st.name for st in per] == ["pagefile0", "pagefile1", "pagefile2"]
        assert {st.kind for st in per} == {"pagefile"}
        assert sum(st.pages_written for st in per) == s.stats().pages_output
        assert sum(st.bytes_read for st in per) == s.stats().pages_input * PAGE
        assert all(st.pages_written > 0 for st in per)  # the writer took them in turn
        with pytest.raises(umm.UmmError) as e:
            s.store_stats(3)
        assert e.value.name == "UMM_E_NOT_FOUND"


def test_bad_store_lists():
    with pytest.raises(ValueError):
        umm.System(ram="4M", stores=[{"kind": "tape", "size": "8M"}])
    with pytest.raises(ValueError):
        umm.System(ram="4M", stores=[{"kind": "pagefile", "colour": "blue"}])


@pytest.fixture
def redis_port():
    if not shutil.which("redis-server"):
        pytest.skip("redis-server not installed (apt-get install redis-server)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    try:
        for _ in range(500):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.01)
        yield port
    finally:
        proc.kill()
        proc.wait()


def test_redis_store(redis_port):
    stores = [{"kind": "redis", "address": "127.0.0.1:%d" % redis_port, "size": "32M",
               "prefix": "py:test"}]
    try:
        s = umm.System(ram="4M", stores=stores)
    except umm.UmmError as e:
        if e.name == "UMM_E_NOT_SUPPORTED":
            pytest.skip("this libumm was built without hiredis")
        raise
    with s, s.process() as p:
        write_read(s, p, 3 * (4 << 20) // PAGE)
        st = s.store_stats(0)
        assert (st.kind, st.name) == ("redis", "redis0")
        assert st.pages_written == s.stats().pages_output and st.pages_read == s.stats().pages_input
        assert st.read_errors == st.write_errors == st.pages_lost == 0


def test_redis_unreachable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(umm.UmmError) as e:
        umm.System(ram="4M", stores=[{"kind": "redis", "address": "127.0.0.1:%d" % port,
                                      "size": "8M"}])
    assert e.value.name in ("UMM_E_UNREACHABLE", "UMM_E_NOT_SUPPORTED")
