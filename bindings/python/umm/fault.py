# SPDX-License-Identifier: MIT
"""Fault injection: umm's failure points, switched on and off from Python.

Each point is a named place in libumm ("umm/os/map", "umm/pagefile/read", ...) that can be told
to behave as if the operation behind it had failed, always, at random or once. This module calls
libumm's own control functions (``umm_failpoint_*``), so an unknown name is an error and a seeded
run is reproducible.

    import umm, umm.fault
    with umm.fault.enabled("umm/commit/charge"):
        region.commit()          # raises umm.UmmError, .name == "UMM_E_COMMIT_LIMIT"

See docs/fault-injection.md for what each point does and what the caller sees.
"""

from __future__ import annotations

import contextlib
import ctypes
from typing import Iterator, List, Optional

from . import _lib

__all__ = ["AVAILABLE", "POINTS", "enable", "disable", "enabled", "disable_all", "active", "seed", "fails",
           "failures"]

_l = _lib.lib


def _names():
    out, i = [], 0
    while True:
        n = _l.umm_failpoint_name(i)
        if n is None:
            return out
        out.append(n.decode())
        i += 1


# name -> one line: where it is and what the caller sees
_WHAT = {
    "umm/frame/alloc": "no physical frame for a fault (fault path): in-page error "
                       "UMM_E_NO_FRAMES (SIGBUS / UMM_EXC_IN_PAGE_ERROR)",
    "umm/os/map": "the kernel refuses to map a frame (fault path): in-page error",
    "umm/os/protect": "the kernel refuses an mprotect: trimming falls back to unmapping, "
                      "umm_protect returns an error",
    "umm/os/unmap": "the kernel refuses to unmap: umm_decommit returns an error, "
                    "pages stay committed",
    "umm/os/reserve": "the kernel refuses address space: umm_reserve returns UMM_E_NOMEM",
    "umm/commit/charge": "commit charge refused: umm_commit returns UMM_E_COMMIT_LIMIT",
    "umm/pagefile/open": "paging file cannot be opened: umm_system_create returns UMM_E_IO",
    "umm/pagefile/grow": "paging file cannot grow: commit past the old limit gets "
                         "UMM_E_COMMIT_LIMIT",
    "umm/pagefile/write": "paging-file write fails: umm_flush_modified returns UMM_E_IO, "
                          "pages stay modified",
    "umm/pagefile/read": "paging-file read fails on a hard fault (fault path): in-page "
                         "error UMM_E_IO",
    "umm/file/read": "a file-backed section's read fails on a hard fault: in-page error "
                     "UMM_E_IO; the page stays in the file",
    "umm/file/write": "a file-backed section's write fails: umm_view_flush returns UMM_E_IO, "
                      "the pages stay modified (at the section's end: counted, lost)",
    "umm/os/user_io": "a system call of the I/O helpers (umm_io_read, ...) fails with EIO: "
                      "the helper returns UMM_E_IO, pages it did not reach are unchanged",
    "umm/worker/start": "worker thread cannot start: umm_system_create returns UMM_E_OS",
    "umm/hv/balloon/inflate": "a guest's balloon driver cannot take frames: the balloon "
                              "stays short of its target",
    "umm/hv/balloon/deflate": "a guest's balloon driver cannot give frames back: the balloon "
                              "stays above its target",
    "umm/hv/swap/write": "host swap write fails: the host cannot free a frame; a nested fault "
                         "needing one is an in-page error UMM_E_NO_FRAMES",
    "umm/hv/swap/read": "host swap read fails: touching a host-swapped page is an in-page "
                        "error; the page stays in the swap file",
    "umm/redis/connect": "a Redis store cannot connect: umm_system_create returns "
                         "UMM_E_UNREACHABLE; later operations retry until their timeout",
    "umm/redis/write": "Redis store write fails: umm_flush_modified returns UMM_E_IO, the pages "
                       "stay Modified and are written later",
    "umm/redis/read": "Redis store read fails: in-page error; the page stays in the store",
    "umm/redis/delete": "freed keys are not unlinked (garbage until destroy); at create the "
                        "stale-key cleanup fails: UMM_E_UNREACHABLE",
    "umm/redis/flush": "a Redis store's flush (PING of every master) reports UMM_E_IO",
}

#: Every point libumm has, with what the caller sees when it fails.
POINTS = {name: _WHAT.get(name, "") for name in _names()}

#: False for a libumm built without failure points (UMM_FAILPOINTS=OFF, the Release default):
#: then POINTS is empty and enable() raises UmmError UMM_E_NOT_SUPPORTED.
AVAILABLE = bool(POINTS)

_active = set()


def _check_name(name):
    if not isinstance(name, str) or not name:
        raise ValueError("failure point name must be a non-empty string")
    return name.encode()


def _call(function, name: str, *args: object) -> None:
    """Call umm_failpoint_<function>(name, *args); an unknown name (UMM_E_INVAL) is a ValueError
    that names it."""
    try:
        getattr(_l, "umm_failpoint_" + function)(_check_name(name), *args)
    except _lib.UmmError as e:
        if e.name == "UMM_E_INVAL":
            raise ValueError("no failure point is named %r (see umm.fault.POINTS)" % name) from None
        raise


def enable(name: str, probability: Optional[float] = None, once: bool = False) -> None:
    """Turn failure points on: always, or with `probability` (0 < p <= 1) per check; `once`
    switches a point off after its first failure. `name` is a point of POINTS or a prefix ending
    in '*' ("umm/pagefile/*"). ValueError for an unknown name or a bad probability."""
    _check_name(name)
    p = 1.0 if probability is None else float(probability)
    if not 0.0 < p <= 1.0:
        raise ValueError("probability must be within (0, 1], got %r" % probability)
    _call("enable", name, p, 1 if once else 0)
    _active.add(name)


def disable(name: str) -> None:
    """Turn failure points off. ValueError for an unknown name."""
    _active.discard(name)
    _call("disable", name)


def disable_all() -> None:
    """Turn every point off (nothing to do in a build without failure points)."""
    if AVAILABLE:
        _l.umm_failpoint_disable(b"umm/*")
    _active.clear()


def active() -> List[str]:
    """Names enabled through this module (a one-time point stays listed after it fired)."""
    return sorted(_active)


def seed(value: int) -> None:
    """Seed the random choices: a single-threaded run with the same seed fails the same checks."""
    _l.umm_failpoint_seed(int(value))


def fails(name: str) -> bool:
    """Evaluate the point once, as libumm would (consumes a one-time point!)."""
    out = ctypes.c_int(0)
    _call("check", name, ctypes.byref(out))
    return bool(out.value)


def failures(name: str) -> int:
    """How many checks of the point failed since it was last enabled."""
    out = ctypes.c_uint64(0)
    _call("failures", name, ctypes.byref(out))
    return out.value


@contextlib.contextmanager
def enabled(name: str, probability: Optional[float] = None,
            once: bool = False) -> Iterator[None]:
    """with enabled("umm/pagefile/write"): ...  -- on inside the block, off after it."""
    enable(name, probability=probability, once=once)
    try:
        yield
    finally:
        disable(name)
