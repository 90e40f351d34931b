# SPDX-License-Identifier: MIT
"""A program's I/O on managed memory: readinto/write_to on files, fds, pipes and sockets into and
from pages that are untouched, trimmed, paged out; errors before any byte moves; locked pages;
BufferError for views; the heap as a Python object (loaded with no environment variable set by
the user: umm.heap restarts the interpreter with the tunable it needs)."""
import os
import socket
import threading

import pytest

import subprocess
import sys
import textwrap

import umm
from conftest import PAGE, child_env

N = 96 * PAGE


@pytest.fixture
def paging():
    with umm.System(ram="8M", pagefile="32M", workers=False) as s:
        with s.process() as p:
            yield s, p


def page_out(system, proc, paged_out=True):
    proc.empty_working_set()
    system.flush_modified()
    if paged_out:
        system.standby_purge()
    assert proc.stats().working_set == 0


def test_plain_os_readv_into_paged_out_memory_fails(paging, tmp_path):
    """Why the helpers exist: the kernel does not take umm's faults."""
    system, proc = paging
    r = proc.reserve(N)
    r.commit()
    r.write(0, b"x" * N)
    page_out(system, proc)
    path = tmp_path / "f"
    path.write_bytes(os.urandom(N))
    fd = os.open(path, os.O_RDONLY)
    try:
        with pytest.raises(OSError) as e:
            os.preadv(fd, [r.view(0, N)], 0)
        assert e.value.errno == 14  # EFAULT
    finally:
        os.close(fd)


@pytest.mark.parametrize("state", ["untouched", "trimmed", "paged_out"])
def test_readinto_and_write_to_files(paging, tmp_path, state):
    system, proc = paging
    r = proc.reserve(N)
    r.commit()
    if state != "untouched":
        r.write(0, bytes(range(256)) * (N // 256))
        page_out(system, proc, paged_out=state == "paged_out")
    data = os.urandom(N - 1000)
    path = tmp_path / "in"
    path.write_bytes(data)
    with open(path, "rb") as f:
        f.read(10)  # a buffered reader that read ahead: its position is what counts
        n = r.readinto(f, offset=5)
        assert n == len(data) - 10  # end of file: the count
        assert f.tell() == len(data) and f.read() == b""
    assert r.read(5, n) == data[10:]
    page_out(system, proc)
    out = tmp_path / "out"
    with open(out, "wb") as f:
        f.write(b"head")
        assert r.write_to(f, offset=5, size=n) == n
    assert out.read_bytes() == b"head" + data[10:]
    fd = os.open(out, os.O_RDWR)
    try:  # an int fd, and pread/pwrite at file_offset
        page_out(system, proc)
        assert r.readinto(fd, offset=0, size=PAGE, file_offset=4) == PAGE
        assert r.read(0, PAGE) == data[10:10 + PAGE]
        assert os.lseek(fd, 0, os.SEEK_CUR) == 0
    finally:
        os.close(fd)
    system.check()
    assert system.stats().pinned_frames == 0


def test_sockets_and_pipes(paging):
    system, proc = paging
    r = proc.reserve(N)
    r.commit()
    payload = os.urandom(N)
    r.write(0, payload)
    page_out(system, proc)
    a, b = socket.socketpair()
    got = bytearray()

    def drain():
        while len(got) < N:
            chunk = b.recv(65536)
            if not chunk:
                break
            got.extend(chunk)
    t = threading.Thread(target=drain)
    t.start()
    assert r.write_to(a) == N
    t.join()
    assert bytes(got) == payload
    # and back in, through a socket, into paged-out pages: all of it, not one recv's worth
    page_out(system, proc)
    t = threading.Thread(target=lambda: b.sendall(payload[::-1]))
    t.start()
    assert r.readinto(a) == N
    t.join()
    assert r.read(0, N) == payload[::-1]
    a.close()
    b.close()
    rfd, wfd = os.pipe()
    page_out(system, proc)
    t = threading.Thread(target=lambda: (os.write(wfd, b"pipe" * 1000), os.close(wfd)))
    t.start()
    assert r.readinto(rfd) == 4000  # the writer closed: end of file
    t.join()
    os.close(rfd)
    assert r.read(0, 4000) == b"pipe" * 1000


def test_errors_before_any_byte(paging, tmp_path):
    system, proc = paging
    r = proc.reserve(N)
    r.commit(0, 64 * PAGE)
    r.write(0, b"k" * 64 * PAGE)
    path = tmp_path / "f"
    path.write_bytes(b"z" * N)
    with open(path, "rb+") as f:
        with pytest.raises(umm.AccessViolation):  # runs past the committed pages
            r.readinto(f, offset=60 * PAGE, size=8 * PAGE)
        assert f.tell() == 0
        r.protect(8 * PAGE, PAGE, "rw+guard")
        with pytest.raises(umm.GuardPageViolation):
            r.readinto(f, offset=0, size=16 * PAGE)
        with pytest.raises(umm.GuardPageViolation):
            r.write_to(f, offset=0, size=16 * PAGE)
        assert r.query(8 * PAGE).prot == umm.Prot.READ | umm.Prot.WRITE | umm.Prot.GUARD
        r.protect(8 * PAGE, PAGE, "r")
        with pytest.raises(umm.AccessViolation):
            r.readinto(f, offset=0, size=16 * PAGE)
        assert f.tell() == 0
        assert r.write_to(f, offset=0, size=16 * PAGE) == 16 * PAGE  # reading from r-o is fine
    assert r.read(0, 64 * PAGE) == b"k" * 64 * PAGE
    assert path.read_bytes() == b"k" * 16 * PAGE + b"z" * (N - 16 * PAGE)
    with pytest.raises(OSError) as e:
        r.readinto(12345, size=PAGE)
    assert e.value.errno == 9 and e.value.bytes_done == 0  # EBADF


def test_locked_region(paging):
    system, proc = paging
    r = proc.reserve(N)
    r.commit()
    r.write(0, b"L" * N)
    with pytest.raises(umm.UmmError) as e:
        with r.locked():  # 96 pages, the minimum is 50
            pass
    assert e.value.name == "UMM_E_QUOTA"
    proc.set_ws_limits(100, 345)
    with r.locked(0, 32 * PAGE):
        assert system.stats().locked_pages == 32 and proc.stats().locked_pages == 32
        proc.empty_working_set()
        system.flush_modified()
        system.standby_purge()
        faults = proc.stats().faults_total
        os_view = r.view(0, 32 * PAGE)
        assert bytes(os_view[:4]) == b"LLLL"
        # the kernel can use locked pages directly
        rfd, wfd = os.pipe()
        os.write(wfd, b"direct")
        assert os.readv(rfd, [os_view[100:106]]) == 6
        os.close(rfd)
        os.close(wfd)
        del os_view
        assert proc.stats().faults_total == faults
    assert system.stats().locked_pages == 0
    proc.empty_working_set()
    assert proc.stats().working_set == 0
    assert r.read(100, 6) == b"direct"


def test_pinned(paging):
    system, proc = paging
    r = proc.reserve(N)
    r.commit()
    page_out(system, proc)
    with r.pinned(0, 20 * PAGE, write=True):
        assert system.stats().pinned_frames == 20
        proc.empty_working_set()
        assert r.query().resident_pages >= 20
    assert system.stats().pinned_frames == 0


def test_view_release_with_exported_buffer_is_a_buffer_error(paging):
    system, proc = paging
    sec = system.section("64K")
    v = sec.map(proc)
    mv = memoryview(v)
    mv[0] = 9
    with pytest.raises(BufferError):
        v.release()
    assert not v.released
    assert mv[0] == 9
    mv.release()
    v.release()
    sec.close()


HEAP_SCRIPT = textwrap.dedent("""
    import os, sys
    import umm, umm.heap     # no GLIBC_TUNABLES set by the user: umm.heap gets what it needs
    assert umm.heap.load_error() is None
    with umm.System(ram="64M", pagefile="128M", workers=False) as s:
        p = s.process()
        with umm.heap.Heap(p) as h:
            sizes = (1, 100, 5000, 1 << 20)
            ptrs = [h.alloc(n) for n in sizes]
            for n, a in zip(sizes, ptrs):
                assert h.usable_size(a) >= n and h.owns(a)
                assert p.query(a).state == umm.RegionState.COMMITTED
            buf = h.buffer(ptrs[2], 5000)
            buf[:] = b"q" * 5000
            for close in (h.close, p.close, s.close):  # nothing changes while it is exported
                try:
                    close()
                    raise SystemExit("close with an exported buffer did not raise")
                except BufferError:
                    pass
            assert not h.closed and not p.closed and not s.closed
            del buf
            st = h.stats()
            assert st.allocated >= (1 << 20) + 5000 and st.reservations >= 1, st
            z = h.alloc(4096, zero=True)
            assert bytes(h.buffer(z, 4096)) == bytes(4096)
            a = h.alloc(64, align=4096)
            assert a % 4096 == 0
            a = h.realloc(a, 100000)
            assert h.usable_size(a) >= 100000
            for q in ptrs + [z, a]:
                h.free(q)
            h.purge()
        assert h.closed
        assert s.stats().committed == 0, s.stats().committed
    print("heap ok", os.environ.get("UMM_HEAP_REEXECED"))
""")


def test_heap_object_loads_without_environment(tmp_path):
    """The heap as a Python object, in a program started with no GLIBC_TUNABLES (a subprocess:
    the restart umm.heap may do needs a program of its own, not pytest's captured one)."""
    script = tmp_path / "heap_demo.py"
    script.write_text(HEAP_SCRIPT)
    env = child_env()
    env.pop("GLIBC_TUNABLES", None)
    env.pop("UMM_HEAP_REEXECED", None)
    out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("heap ok")
    # refused where a restart is not wanted: a clear ImportError, nothing else
    env["UMM_HEAP_NO_REEXEC"] = "1"
    out = subprocess.run([sys.executable, "-c", "import umm.heap"], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode != 0 and "static TLS" in out.stderr


def test_write_watch_and_query_pages(paging):
    system, proc = paging
    r = proc.reserve("1M", write_watch=True)
    r.commit()
    n = r.size // PAGE
    assert r.written_pages() == []
    written = {3, 4, 100, 200, 255}
    for i in written:
        r[i * PAGE + 7] = 1
    _ = r.read(50 * PAGE, 10)  # reads do not count
    page_out(system, proc)
    assert r.written_pages() == [i * PAGE for i in sorted(written)]
    assert r.written_pages(reset=True) == [i * PAGE for i in sorted(written)]
    assert r.written_pages() == []
    r[7 * PAGE] = 1
    assert r.written_pages(0, 64 * PAGE) == [7 * PAGE]
    r.reset_write_watch()
    assert r.written_pages() == []
    plain = proc.reserve("64K")
    plain.commit()
    with pytest.raises(umm.UmmError):
        plain.written_pages()
    proc.set_ws_limits(100, 345)
    r.lock(0, PAGE)
    info = r.query_pages(0, 3 * PAGE)
    assert len(info) == 3 and info[0].valid and info[0].locked and info[0].in_working_set
    assert info[0].prot == umm.Prot.READ | umm.Prot.WRITE and info[0].committed
    assert not info[2].locked
    r.unlock(0, PAGE)
    assert n == 256


def test_prefetch(paging):
    system, proc = paging
    r = proc.reserve("4M")
    r.commit()
    r.write(0, b"p" * r.size)
    page_out(system, proc)
    r.prefetch(0, "1M")  # no workers: done on return
    hard = proc.stats().faults_hard
    assert r.read(0, 1 << 20) == b"p" * (1 << 20)
    assert proc.stats().faults_hard == hard
    assert not proc.query_pages([r.address + (2 << 20)])[0].resident


def test_offer_reclaim_discard(paging):
    system, proc = paging
    r = proc.reserve("1M")
    r.commit()
    r.write(0, b"o" * r.size)
    out0 = system.stats().pages_output
    r.offer(0, "512K", priority=0)
    proc.empty_working_set()
    system.flush_modified()
    assert system.stats().pages_output - out0 == 128  # the other half only
    assert r.reclaim(0, "512K") is True
    assert r.read(0, 4) == b"oooo"
    r.offer(0, "512K")
    system.standby_purge(0)
    assert r.reclaim(0, "512K") is False
    assert r.read(0, 4) == bytes(4)
    r.discard(512 * 1024)
    assert r.read(512 * 1024, 4) == bytes(4)
    with pytest.raises(ValueError):
        r.offer(-1)
