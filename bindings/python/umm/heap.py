# SPDX-License-Identifier: MIT
"""The heap on managed memory (include/umm_heap.h, docs/heap.md) as a Python object.

    import umm, umm.heap
    with umm.System(ram="64M", pagefile="256M") as system:
        proc = system.process()
        with umm.heap.Heap(proc) as heap:
            p = heap.alloc(1000)          # an address in umm memory
            heap.usable_size(p)           # >= 1000
            heap.free(p)

**Loading without an environment variable.** The heap is a private jemalloc (``libjemalloc.so.2``
loaded with ``dlopen``), and jemalloc uses initial-exec TLS (2.6 KiB): glibc can give that to a
library loaded after start only from its static-TLS surplus, which is too small by default, so the
``dlopen`` fails ("cannot allocate memory in static TLS block") unless the process started with
``GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096``. The surplus is fixed when the process
starts; nothing can grow it later. So importing ``umm.heap`` loads jemalloc at once and, if that
fails for this reason, re-executes the interpreter with the same command line
(``sys.orig_argv``) and the tunable added to its environment, before the program goes further:
the program starts again from the beginning, once (a marker in the environment stops a loop).
Import ``umm.heap`` at the top of the program, before anything with side effects. Where a restart
is impossible (the interactive interpreter, a script read from stdin) or unwanted
(``UMM_HEAP_NO_REEXEC=1``), the import raises ImportError with the reason instead.
"""

import ctypes
import os
import sys

from ctypes import POINTER, c_char_p, c_int, c_long, c_size_t, c_uint64, c_void_p

from . import _lib
from ._lib import UmmError, lib
from .core import _exported

__all__ = ["Heap", "HeapStats", "load_error"]

_TUNABLE = "glibc.rtld.optional_static_tls"
_MARKER = "UMM_HEAP_REEXECED"


class _HeapStatsRaw(ctypes.Structure):
    """umm_heap_stats_t"""
    _fields_ = [(name, c_uint64) for name in (
        "allocated", "active", "mapped", "committed", "dirty", "muzzy", "retained", "metadata",
        "reserved", "reservations", "arenas")]


_lib.STRUCTS["umm_heap_stats_t"] = _HeapStatsRaw

_vp, _E = c_void_p, _lib.check_error
_lib.register_functions(lib, [
    ("umm_heap_init", [], c_int, None),
    ("umm_heap_load_error", [], c_char_p, None),
    ("umm_heap_create", [_vp, POINTER(_vp)], c_int, _E),
    ("umm_heap_destroy", [_vp], None, None),
    ("umm_heap_malloc", [_vp, c_size_t], _vp, None),
    ("umm_heap_calloc", [_vp, c_size_t, c_size_t], _vp, None),
    ("umm_heap_realloc", [_vp, _vp, c_size_t], _vp, None),
    ("umm_heap_aligned_alloc", [_vp, c_size_t, c_size_t], _vp, None),
    ("umm_heap_free", [_vp, _vp], None, None),
    ("umm_heap_malloc_usable_size", [_vp, _vp], c_size_t, None),
    ("umm_heap_purge", [_vp], c_int, _E),
    ("umm_heap_set_decay", [_vp, c_long], c_int, _E),
    ("umm_heap_stats", [_vp, POINTER(_HeapStatsRaw)], c_int, _E),
    ("umm_heap_owns", [_vp, _vp], c_int, None),
])


def load_error():
    """Why jemalloc could not be loaded, or None once it is."""
    e = lib.umm_heap_load_error()
    return e.decode() if e else None


def _restartable():
    argv = getattr(sys, "orig_argv", None)
    if not argv or sys.flags.interactive or os.environ.get("UMM_HEAP_NO_REEXEC") == "1":
        return False
    script = [a for a in argv[1:] if not a.startswith("-")]
    return bool(argv[1:]) and script != ["-"] and (len(argv) > 1 and argv[-1] != "-")


def _restart_with_tunable():
    """exec the same command line again with the static-TLS tunable (does not return)."""
    env = dict(os.environ)
    tunables = env.get("GLIBC_TUNABLES", "")
    env["GLIBC_TUNABLES"] = (tunables + ":" if tunables else "") + _TUNABLE + "=4096"
    env[_MARKER] = "1"
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, sys.orig_argv, env)


def _ensure_loaded():
    if lib.umm_heap_init() == _lib.UMM_OK:
        return
    why = load_error() or "unknown"
    if ("static TLS" in why and _TUNABLE not in os.environ.get("GLIBC_TUNABLES", "")
            and not os.environ.get(_MARKER) and _restartable()):
        _restart_with_tunable()
    raise ImportError("umm.heap: jemalloc cannot be loaded in this process: " + why)


_ensure_loaded()


class HeapStats:
    """umm_heap_stats_t: bytes (see include/umm_heap.h)."""
    __slots__ = [n for n, _ in _HeapStatsRaw._fields_]

    def __init__(self, raw):
        for n in self.__slots__:
            setattr(self, n, getattr(raw, n))

    def as_dict(self):
        return {n: getattr(self, n) for n in self.__slots__}

    def __repr__(self):
        return "HeapStats(%s)" % ", ".join("%s=%d" % kv for kv in self.as_dict().items())


class Heap:
    """A jemalloc arena whose memory comes from `process`'s umm reservations (commit-charged,
    paged). Allocations are addresses (ints); ``heap.buffer(p, n)`` is a memoryview of one.
    close() (or leaving a ``with`` block) discards every allocation; it raises BufferError while
    a buffer of one is exported, and must come before the process or system is closed."""

    def __init__(self, process):
        h = c_void_p()
        lib.umm_heap_create(process._handle(), ctypes.byref(h))
        self._h = h.value
        self.process = process
        self._buffers = []
        process._children.append(self)

    def _handle(self):
        if self._h is None:
            raise UmmError(15, None, "heap is closed")  # UMM_E_STATE
        return self._h

    @property
    def closed(self):
        return self._h is None

    def _forget(self):
        self.close()  # its process or system is going: the heap must go first

    def _check(self, p, what):
        if p is None:
            raise MemoryError("umm heap: %s failed (commit limit or no memory)" % what)
        return p

    def alloc(self, size, align=None, zero=False):
        """An address of at least `size` bytes (MemoryError when umm refuses memory)."""
        h = self._handle()
        if align is not None:
            return self._check(lib.umm_heap_aligned_alloc(h, int(align), int(size)), "aligned_alloc")
        if zero:
            return self._check(lib.umm_heap_calloc(h, 1, int(size)), "calloc")
        return self._check(lib.umm_heap_malloc(h, int(size)), "malloc")

    def realloc(self, address, size):
        return self._check(lib.umm_heap_realloc(self._handle(), address, int(size)), "realloc")

    def free(self, address):
        lib.umm_heap_free(self._handle(), address)

    def usable_size(self, address):
        return lib.umm_heap_malloc_usable_size(self._handle(), address)

    def owns(self, address):
        return bool(lib.umm_heap_owns(self._handle(), address))

    def buffer(self, address, size):
        """A writable memoryview of `size` bytes at `address` (an allocation of this heap)."""
        if not self.owns(address):
            raise ValueError("0x%x is not in this heap" % address)
        arr = (ctypes.c_ubyte * int(size)).from_address(address)
        self._buffers = [b for b in self._buffers if _exported(b)] + [arr]
        return memoryview(arr).cast("B")

    def purge(self):
        lib.umm_heap_purge(self._handle())

    def set_decay(self, ms):
        lib.umm_heap_set_decay(self._handle(), int(ms))

    def stats(self):
        raw = _HeapStatsRaw()
        lib.umm_heap_stats(self._handle(), ctypes.byref(raw))
        return HeapStats(raw)

    def _has_exports(self):
        return any(_exported(b) for b in self._buffers)

    def close(self):
        """Destroy the heap (every allocation goes). BufferError, changing nothing, while a
        memoryview from buffer() is alive."""
        if self._h is None:
            return
        if self._has_exports():
            raise BufferError("cannot close the heap: a buffer of it is exported; release it "
                              "first (memoryview.release() or del)")
        h, self._h = self._h, None
        try:
            self.process._children.remove(self)
        except ValueError:
            pass
        lib.umm_heap_destroy(h)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self):
        return "<umm.heap.Heap %s>" % ("closed" if self._h is None else "0x%x" % self._h)
