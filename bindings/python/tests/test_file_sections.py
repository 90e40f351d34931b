# SPDX-License-Identifier: MIT
"""File-backed sections through the bindings: views in two processes read the file, writes reach
it after Region.flush() and after the section's end (checked with plain reads of the file),
read-only sections refuse write views, and no commit is charged."""
import os
import random
import time

import pytest

import umm


def _file(tmp_path, size, seed):
    data = bytearray(random.Random(seed).randbytes(size))
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    return path, data


def test_two_processes_write_flush_and_close(tmp_path):
    path, ref = _file(tmp_path, 8 << 20, 1)  # 4x the RAM
    with umm.System(ram="2M", pagefile="8M", workers=False) as s:
        before = s.stats().committed
        sec = umm.Section.from_file(s, path)
        assert s.stats().committed == before
        a, b = s.process(), s.process()
        va, vb = sec.map(a), sec.map(b)
        mva, mvb = memoryview(va), memoryview(vb)
        assert mva[:len(ref)] == ref
        rng = random.Random(2)
        for _ in range(3000):
            off = rng.randrange(len(ref) - 8)
            word = rng.randbytes(8)
            (mva if rng.random() < 0.5 else mvb)[off:off + 8] = word
            ref[off:off + 8] = word
        va.flush()
        assert path.read_bytes() == ref
        assert s.stats().pages_output > 0
        s.check()
        mva[100:104] = b"tail"
        ref[100:104] = b"tail"
        del mva, mvb
        va.release()
        vb.release()
        sec.close()  # the section's end writes what flush did not see
        assert path.read_bytes() == ref
        s.check()


def test_read_only_file_and_flush_of_part(tmp_path):
    path, ref = _file(tmp_path, 3 * 4096 + 10, 3)
    with umm.System(ram="4M", pagefile="8M", workers=False) as s:
        p = s.process()
        with open(path, "rb") as f:
            sec = umm.Section.from_file(s, f, prot="r")
        with pytest.raises(umm.UmmError) as e:
            sec.map(p, prot="rw")
        assert e.value.name == "UMM_E_ACCESS"
        v = sec.map(p, prot="r")
        assert bytes(memoryview(v)[:len(ref)]) == bytes(ref)
        assert bytes(memoryview(v)[len(ref):4 * 4096]) == bytes(4 * 4096 - len(ref))
        v.flush()  # nothing modified: a no-op
        v.release()
        sec.close()
        with pytest.raises(umm.UmmError) as e:
            umm.Section.from_file(s, path, size=1 << 20, prot="r")  # cannot grow a read-only file
        assert e.value.name == "UMM_E_RANGE"
        fd = os.open(path, os.O_RDWR)
        sec = umm.Section.from_file(s, fd)
        os.close(fd)  # umm keeps its own descriptor
        v = sec.map(p)
        memoryview(v)[4096:4100] = b"abcd"
        v.flush(4096, 4096)
        assert path.read_bytes()[4096:4100] == b"abcd"
        assert os.path.getsize(path) == len(ref)
        v.release()
        sec.close()
        with pytest.raises(TypeError):
            umm.Section.from_file(s, 1.5)


@pytest.mark.parametrize("file_direct", [True, False])
def test_sequential_read_with_and_without_direct_read_ahead(tmp_path, file_direct):
    """A sequential scan of a file 4x the RAM reads every byte right, with the O_DIRECT
    read-ahead threads (where the file system takes O_DIRECT) and with file_direct=False. The
    first window starts the stream; the scan goes on once the threads have read ahead of it, so
    it meets their pages however the threads are scheduled (within 10 s)."""
    path, ref = _file(tmp_path, 8 << 20, 5)
    with umm.System(ram="2M", pagefile="8M", file_direct=file_direct) as s:
        v = umm.Section.from_file(s, path, prot="r").map(s.process(), prot="r")
        mv = memoryview(v)
        assert mv[:1 << 16] == ref[:1 << 16]
        deadline = time.monotonic() + 10
        while (file_direct and s.stats().file_direct_refused == 0 and s.stats().file_reads_direct == 0
               and time.monotonic() < deadline):
            time.sleep(0.001)
        for off in range(0, len(ref), 1 << 16):
            assert mv[off:off + (1 << 16)] == ref[off:off + (1 << 16)]
        st = s.stats()
        del mv
        if not file_direct:
            assert st.file_reads_direct == 0 and st.file_direct_refused == 0
        elif st.file_direct_refused == 0:  # O_DIRECT taken: the threads read ahead of the scan
            assert st.file_reads_direct > 0
        s.check()
