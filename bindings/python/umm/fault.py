"""Fault injection: umm's libfiu failure points, switched on and off from Python.

libumm is built with FIU_ENABLE: each point is a ``fiu_fail("umm/...")`` check. This module calls
libfiu's control functions (fiu_init, fiu_enable, fiu_enable_random, fiu_disable) through ctypes
on ``libfiu.so.0`` -- the same library instance libumm uses: libumm is loaded first (importing
``umm``), which maps libfiu.so.0 as its dependency, and dlopen of the same soname returns that
already-loaded copy, so the table of enabled points is shared.

    import umm, umm.fault
    with umm.fault.enabled("umm/commit/charge"):
        region.commit()          # raises umm.UmmError, .name == "UMM_E_COMMIT_LIMIT"

See docs/fault-injection.md for what each point does and what the caller sees.
"""

import contextlib
import ctypes
import ctypes.util

from . import _lib  # noqa: F401  (loads libumm, and with it libfiu.so.0, first)

__all__ = ["POINTS", "enable", "disable", "enabled", "disable_all", "active", "FIU_ONETIME"]

FIU_ONETIME = 1  # fiu-control.h

# name -> one line: where it is and what the caller sees
POINTS = {
    "umm/frame/alloc": "no physical frame for a fault (fault path): in-page error "
                       "UMM_E_NO_FRAMES (SIGBUS / UMM_EXC_IN_PAGE_ERROR)",
    "umm/os/map": "the kernel refuses to map a frame (fault path): in-page error, "
                  "cause UMM_E_VMA_LIMIT",
    "umm/os/protect": "the kernel refuses an mprotect: trimming falls back to unmapping, "
                      "umm_protect returns UMM_E_VMA_LIMIT",
    "umm/os/unmap": "the kernel refuses to unmap: umm_decommit returns UMM_E_VMA_LIMIT, "
                    "pages stay committed",
    "umm/commit/charge": "commit charge refused: umm_commit returns UMM_E_COMMIT_LIMIT",
    "umm/pagefile/open": "paging file cannot be opened: umm_system_create returns UMM_E_IO",
    "umm/pagefile/grow": "paging file cannot grow: commit past the old limit gets "
                         "UMM_E_COMMIT_LIMIT",
    "umm/pagefile/write": "paging-file write fails: umm_flush_modified returns UMM_E_IO, "
                          "pages stay modified",
    "umm/pagefile/read": "paging-file read fails on a hard fault (fault path): in-page "
                         "error UMM_E_IO",
    "umm/worker/start": "worker thread cannot start: umm_system_create returns UMM_E_OS",
    "umm/hv/balloon/inflate": "a guest's balloon driver cannot take frames: the balloon "
                              "stays short of its target",
    "umm/hv/balloon/deflate": "a guest's balloon driver cannot give frames back: the balloon "
                              "stays above its target",
    "umm/hv/swap/write": "host swap write fails: the host cannot free a frame; a nested fault "
                         "needing one is an in-page error UMM_E_NO_FRAMES",
    "umm/hv/swap/read": "host swap read fails: touching a host-swapped page is an in-page "
                        "error; the page stays in the swap file",
}


def _load_fiu():
    for name in ("libfiu.so.0", ctypes.util.find_library("fiu")):
        if not name:
            continue
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    raise ImportError("umm.fault: libfiu.so.0 not found")


fiu = _load_fiu()
fiu.fiu_init.argtypes = [ctypes.c_uint]
fiu.fiu_init.restype = ctypes.c_int
fiu.fiu_enable.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_uint]
fiu.fiu_enable.restype = ctypes.c_int
fiu.fiu_enable_random.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_uint,
                                  ctypes.c_float]
fiu.fiu_enable_random.restype = ctypes.c_int
fiu.fiu_disable.argtypes = [ctypes.c_char_p]
fiu.fiu_disable.restype = ctypes.c_int
fiu.fiu_fail.argtypes = [ctypes.c_char_p]
fiu.fiu_fail.restype = ctypes.c_int

if fiu.fiu_init(0) != 0:
    raise ImportError("umm.fault: fiu_init failed")

_active = set()


def enable(name, probability=None, once=False, failnum=1):
    """Turn a failure point on: always, or with `probability` (0..1) per check; `once` disables it
    after its first failure (FIU_ONETIME). `failnum` is what fiu_fail returns (must be non-zero).
    Names may end in '*' (libfiu wildcards: "umm/pagefile/*")."""
    if not isinstance(name, str) or not name:
        raise ValueError("failure point name must be a non-empty string")
    if failnum == 0:
        raise ValueError("failnum must be non-zero (fiu_fail returns it)")
    flags = FIU_ONETIME if once else 0
    if probability is None:
        rc = fiu.fiu_enable(name.encode(), int(failnum), None, flags)
    else:
        p = float(probability)
        if not 0.0 <= p <= 1.0:
            raise ValueError("probability must be within [0, 1]")
        rc = fiu.fiu_enable_random(name.encode(), int(failnum), None, flags, p)
    if rc != 0:
        raise RuntimeError("fiu_enable(%r) failed (%d)" % (name, rc))
    _active.add(name)


def disable(name):
    """Turn a failure point off. Returns False if it was not enabled."""
    _active.discard(name)
    return fiu.fiu_disable(name.encode()) == 0


def disable_all():
    """Turn off every point enabled through this module and every point in POINTS."""
    for name in set(_active) | set(POINTS):
        disable(name)


def active():
    """Names enabled through this module (a one-time point stays listed after it fired)."""
    return sorted(_active)


def fails(name):
    """Evaluate the point once, as libumm would (consumes a one-time point!)."""
    return fiu.fiu_fail(name.encode()) != 0


@contextlib.contextmanager
def enabled(name, probability=None, once=False, failnum=1):
    """with enabled("umm/pagefile/write"): ...  -- on inside the block, off after it."""
    enable(name, probability=probability, once=once, failnum=failnum)
    try:
        yield
    finally:
        disable(name)
