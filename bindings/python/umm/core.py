# SPDX-License-Identifier: MIT
"""Systems, processes, regions, notifications: the Python face of include/umm.h."""
from __future__ import annotations

import collections
import contextlib
import ctypes
import enum
import gc
import os
import re
import threading
import types

from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

from . import _lib
from ._lib import UmmError, lib

#: A size: bytes as an int, or a string such as "4096", "512K", "64M", "1G".
SizeLike = Union[int, str]
#: A protection: a Prot, its int value, or a string ("none", "r", "rw", with "+guard").
ProtLike = Union["Prot", int, str]

__all__ = ["System", "Process", "Region", "Notification", "Stats", "ProcessStats", "RegionInfo",
           "PageInfo",
           "RegionType",
           "Prot", "RegionState", "AccessViolation", "GuardPageViolation", "parse_size",
           "parse_prot", "version", "TRIM_POLICIES"]

_E = {name: code for code, name in _lib.error_names().items()}


def version() -> str:
    """The library's version string, "MAJOR.MINOR.PATCH"."""
    return lib.umm_version().decode()


# ------------------------------------------------------------------------------------------------
# sizes and protections
# ------------------------------------------------------------------------------------------------
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_SIZE_RE = re.compile(r"^\s*(\d+)\s*([KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)


def int_arg(value: int, what: str, lo: int = 0, hi: Optional[int] = None) -> int:
    """An int argument within [lo, hi]: TypeError or ValueError naming it otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("%s: expected an int, got %s" % (what, type(value).__name__))
    if hi is None and value < lo:
        raise _lib.InvalidArgument("%s: %d is less than %d" % (what, value, lo))
    if hi is not None and not lo <= value <= hi:
        raise _lib.InvalidArgument("%s: %d is outside [%d, %d]" % (what, value, lo, hi))
    return value


def parse_size(value: SizeLike, what: str = "size") -> int:
    """Bytes from an int or a string: "4096", "512K", "64M", "1G" (binary units; "64MiB", "64MB"
    mean the same). Raises ValueError/TypeError on anything else or a negative number."""
    if isinstance(value, bool):
        raise TypeError("%s: expected an int or a size string, got a bool" % what)
    if isinstance(value, int):
        if value < 0:
            raise ValueError("%s: negative size %d" % (what, value))
        return value
    if isinstance(value, str):
        m = _SIZE_RE.match(value)
        if not m:
            raise ValueError("%s: bad size %r (use e.g. 4096, '512K', '64M', '1G')" % (what, value))
        return int(m.group(1)) * _UNITS[m.group(2).upper()]
    raise TypeError("%s: expected an int or a size string, got %s" % (what, type(value).__name__))


class Prot(enum.IntFlag):
    """UMM_PROT_*. WRITE implies READ (PAGE_READWRITE); EXEC adds execute (PAGE_EXECUTE_*);
    GUARD, and one of NOCACHE / WRITECOMBINE (recorded and reported back), combine. WRITECOPY:
    a copy-on-write view's page not written yet (PAGE_WRITECOPY; Section.map(copy=True))."""
    NONE = _lib.PROT_NONE
    READ = _lib.PROT_READ
    WRITE = _lib.PROT_WRITE
    EXEC = _lib.PROT_EXEC
    GUARD = _lib.PROT_GUARD
    NOCACHE = _lib.PROT_NOCACHE
    WRITECOMBINE = _lib.PROT_WRITECOMBINE
    WRITECOPY = _lib.PROT_WRITECOPY

    @property
    def text(self) -> str:
        """The string form: "none", "r", "rw", "x", "rx", "rwx", "writecopy", with "+guard",
        "+nocache", "+writecombine" for the modifiers."""
        v = int(self)
        base = "writecopy" if v & _lib.PROT_WRITECOPY else {0: "none", 1: "r", 2: "rw", 3: "rw"}[v & 3]
        if v & _lib.PROT_EXEC:
            base = "x" if base == "none" else base + "x"
        for bit, name in _PROT_MODIFIERS:
            if v & bit:
                base += "+" + name
        return base


_PROT_NAMES = {"none": 0, "noaccess": 0, "r": Prot.READ, "ro": Prot.READ, "readonly": Prot.READ,
               "rw": Prot.READ | Prot.WRITE, "readwrite": Prot.READ | Prot.WRITE,
               "x": Prot.EXEC, "rx": Prot.READ | Prot.EXEC,
               "rwx": Prot.READ | Prot.WRITE | Prot.EXEC, "writecopy": Prot.WRITECOPY}
_PROT_MODIFIERS = ((_lib.PROT_GUARD, "guard"), (_lib.PROT_NOCACHE, "nocache"),
                   (_lib.PROT_WRITECOMBINE, "writecombine"))


def parse_prot(prot: ProtLike) -> Prot:
    """UMM_PROT_* bits from "none", "r", "rw", "x", "rx", "rwx" (each optionally followed by
    "+guard", "+nocache", "+writecombine") or an int (passed as is: the library validates it)."""
    if isinstance(prot, bool):
        raise TypeError("prot: expected a string or an int, got a bool")
    if isinstance(prot, int):
        return int(prot)
    if not isinstance(prot, str):
        raise TypeError("prot: expected a string or an int, got %s" % type(prot).__name__)
    parts = prot.strip().lower().replace(" ", "").split("+")
    mods = dict((name, bit) for bit, name in _PROT_MODIFIERS)
    if parts[0] not in _PROT_NAMES or any(m not in mods for m in parts[1:]):
        raise ValueError("prot: bad protection %r (use 'none', 'r', 'rw', 'x', 'rx', 'rwx', "
                         "optionally '+guard', '+nocache', '+writecombine')" % prot)
    bits = int(_PROT_NAMES[parts[0]])
    for m in parts[1:]:
        bits |= mods[m]
    return bits


TRIM_POLICIES = {"aging": _lib.TRIM_AGING, "fifo": _lib.TRIM_FIFO, "clock": _lib.TRIM_CLOCK}


class RegionState(enum.IntEnum):
    FREE = _lib.REGION_FREE
    RESERVED = _lib.REGION_RESERVED
    COMMITTED = _lib.REGION_COMMITTED


class RegionType(enum.IntEnum):
    """umm_region_type_t: MEM_PRIVATE or MEM_MAPPED (a view of a section); NONE when free."""
    NONE = _lib.REGION_TYPE_NONE
    PRIVATE = _lib.REGION_TYPE_PRIVATE
    MAPPED = _lib.REGION_TYPE_MAPPED


class AccessViolation(UmmError):
    """Region.read/write found that the access would be an access violation (the page is not
    committed, or its protection forbids the access). Raised before touching memory: a real access
    violation from Python code cannot be caught (it goes to the previous SIGSEGV handler)."""

    def __init__(self, code: int, address: int, function: Optional[str] = None) -> None:
        self.address = address
        super().__init__(code, function, "address 0x%x" % address)


class GuardPageViolation(AccessViolation):
    """Region.read/write reached a guard page. As in Windows, the guard is one-shot: it has been
    cleared, and the next access succeeds."""


# ------------------------------------------------------------------------------------------------
# statistics: plain objects with a named attribute per C field
# ------------------------------------------------------------------------------------------------
class _StructView:
    """Snapshot of a ctypes Structure: one attribute per field (arrays become tuples)."""
    _struct = None
    __slots__ = ("_values",)

    def __init__(self, raw):
        values = {}
        for name, ctype in self._struct._fields_:
            v = getattr(raw, name)
            if isinstance(v, ctypes.Array):
                v = tuple(v)
            values[name] = v
        object.__setattr__(self, "_values", values)

    def __getattr__(self, name):
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        raise AttributeError("statistics are read-only")

    def __dir__(self):
        extra = ["FIELDS"] if hasattr(type(self), "FIELDS") else []
        return list(self._values) + ["as_dict", "fields"] + extra

    @classmethod
    def fields(cls) -> List[str]:
        return [name for name, _ in cls._struct._fields_]

    def as_dict(self) -> Dict[str, object]:
        return dict(self._values)

    def __eq__(self, other):
        return type(other) is type(self) and other._values == self._values

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__,
                           ", ".join("%s=%r" % kv for kv in self._values.items()))


def _described(struct):
    """{name: FieldInfo} of a statistics struct, in the C order, read-only."""
    return types.MappingProxyType({f.name: f for f in struct.described_fields})


class Stats(_StructView):
    """umm_stats_t: a snapshot of a system's statistics (pages unless said), named after the
    Windows performance counters. One read-only attribute per field; ``standby_by_priority`` is a
    tuple of 8 (Standby frames per priority).

    ``Stats.FIELDS`` maps each field's name, in the C struct's order, to what the library says of
    it (``umm_stats_field``): a named tuple with ``kind`` ("gauge", "counter", "rate" or
    "array of 8"), ``doc`` (the field's meaning, as include/umm.h declares it) and ``offset``::

        Stats.FIELDS["faults_hard"].doc   # 'hard faults: a page read from the paging file ...'
        {n: f.doc for n, f in Stats.FIELDS.items() if f.kind == "counter"}
    """
    _struct = _lib.Stats
    FIELDS = _described(_lib.Stats)
    __slots__ = ()


class ProcessStats(_StructView):
    """umm_process_stats_t: a snapshot of one process's statistics (pages unless said). One
    read-only attribute per field; ``ProcessStats.FIELDS`` describes each as ``Stats.FIELDS``
    does."""
    _struct = _lib.ProcessStats
    FIELDS = _described(_lib.ProcessStats)
    __slots__ = ()


class StoreStats(_StructView):
    """umm_store_stats_t: one backing store's counters (System.store_stats(index)); kind and name
    are str ("redis", "redis1"), the rest integers (see include/umm.h)."""
    _struct = _lib.StoreStats
    __slots__ = ()

    def __init__(self, raw: "_lib.StoreStats") -> None:
        super().__init__(raw)
        for name in ("kind", "name"):
            self._values[name] = self._values[name].decode()


RegionInfo = collections.namedtuple(
    "RegionInfo", "base size allocation_base allocation_size allocation_prot state prot "
                  "resident_pages type")
RegionInfo.__doc__ = "umm_region_info_t (VirtualQuery's MEMORY_BASIC_INFORMATION)."


# ------------------------------------------------------------------------------------------------
# handles
# ------------------------------------------------------------------------------------------------
class _Handle:
    """An opaque C handle with a destroy function; close() is idempotent and also a context exit.

    A handle owned by another (a process by its system) is invalidated, without calling the
    destroy function, when the owner's destroy already freed it: `_forget()`."""
    _destroy = None  # name of the C destroy function

    def __init__(self, handle):
        self._h = handle
        self._children = []  # handles the C destroy of this one frees too

    @property
    def closed(self) -> bool:
        return self._h is None

    def _handle(self):
        if self._h is None:
            raise UmmError(_E["UMM_E_STATE"], None, "%s is closed" % type(self).__name__)
        return self._h

    def _forget(self):
        for child in self._children:
            child._forget()
        self._children = []
        self._h = None

    def close(self) -> None:
        if self._h is None:
            return
        h = self._h
        for child in self._children:
            child._forget()
        self._children = []
        self._h = None
        getattr(lib, self._destroy)(h)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        # Only top-level objects free themselves when collected: a System (its processes,
        # regions and notifications go with it). A Process or Notification left behind is freed
        # with its system.
        pass


def _exported(obj):
    """Is a buffer of `obj` exported: a memoryview of it (or a slice of one) still alive? Each
    export holds a "managedbuffer" that refers to the exporter; a view released with
    memoryview.release() or collected no longer does."""
    def live():
        return any(type(o).__name__ == "managedbuffer" for o in gc.get_referrers(obj))
    if not live():
        return False
    gc.collect()  # a view kept only by a garbage cycle is not a real user
    return live()


def _refuse_if_exported(regions, what):
    """BufferError, as mmap.close() raises it, when any region still has exported buffers."""
    for r in regions:
        if not r.released and _exported(r):
            raise BufferError("cannot %s: region 0x%x (%d bytes) has exported buffers; release "
                              "them first (memoryview.release() or del)" % (what, r.address, r.size))


def _refuse_if_heap_exported(process, what):
    """BufferError when a heap of `process` (umm.heap) still has exported buffers."""
    for c in process._children:
        if getattr(c, "_has_exports", None) and c._has_exports():
            raise BufferError("cannot %s: a heap of the process has exported buffers; release "
                              "them first" % what)


def _size_or_none(v, what):
    return None if v is None else parse_size(v, what)


def build_config(ram: SizeLike = "64M", pagefile: object = None,
                 page_size: Optional[SizeLike] = None, cluster_pages: Optional[int] = None,
                 vma_budget: Optional[int] = None, pagefile_max: Optional[SizeLike] = None,
                 workers: bool = True, balance_interval_ms: Optional[int] = None,
                 trim_policy: str = "aging", low_memory: Optional[SizeLike] = None,
                 high_memory: Optional[SizeLike] = None,
                 pagefile_path: Union[str, os.PathLike, None] = None,
                 direct: bool = True,
                 stores: Optional[list] = None,
                 file_direct: bool = True) -> Tuple[_lib.Config, Optional[bytes]]:
    """An umm_config_t (``_lib.Config``) from System's keyword arguments, and the encoded
    paging-file path it points to (keep that alive while the C library may read cfg.pagefile_path). Used by
    System and by umm.hv's guests (whose umm_hv_guest_config_t embeds an umm_config_t)."""
    cfg = _lib.Config(**{k: v for k, v in _lib.CONFIG_DEFAULTS.items() if k != "pagefile_path"})
    cfg.ram_bytes = parse_size(ram, "ram")
    if cfg.ram_bytes == 0:
        raise _lib.InvalidArgument("ram: must be more than 0 bytes")
    pf_size, pf_max, pf_path = 0, pagefile_max, pagefile_path
    if isinstance(pagefile, dict):
        unknown = set(pagefile) - {"size", "max", "path", "direct"}
        if unknown:
            raise ValueError("pagefile: unknown keys %s" % sorted(unknown))
        pf_size = parse_size(pagefile.get("size", 2 * cfg.ram_bytes), "pagefile size")
        pf_max = pagefile.get("max", pf_max)
        pf_path = pagefile.get("path", pf_path)
        direct = pagefile.get("direct", direct)
    elif isinstance(pagefile, os.PathLike) or (isinstance(pagefile, str) and "/" in pagefile):
        pf_path, pf_size = os.fspath(pagefile), 2 * cfg.ram_bytes
    elif pagefile is not None:
        pf_size = parse_size(pagefile, "pagefile")
    cfg.pagefile_bytes = pf_size
    if pf_max is not None:
        cfg.pagefile_max_bytes = parse_size(pf_max, "pagefile_max")
    if page_size is not None:
        cfg.page_size = parse_size(page_size, "page_size")
    if cluster_pages is not None:
        cfg.cluster_pages = int(cluster_pages)
    if vma_budget is not None:
        cfg.vma_budget = int(vma_budget)
    if balance_interval_ms is not None:
        cfg.balance_interval_ms = int(balance_interval_ms)
    if low_memory is not None:
        cfg.low_memory_bytes = parse_size(low_memory, "low_memory")
    if high_memory is not None:
        cfg.high_memory_bytes = parse_size(high_memory, "high_memory")
    if isinstance(trim_policy, str):
        if trim_policy.lower() not in TRIM_POLICIES:
            raise ValueError("trim_policy: %r is not one of %s"
                             % (trim_policy, ", ".join(TRIM_POLICIES)))
        cfg.trim_policy = TRIM_POLICIES[trim_policy.lower()]
    else:
        cfg.trim_policy = int(trim_policy)
    path_bytes = os.fsencode(pf_path) if pf_path is not None else None
    cfg.pagefile_path = path_bytes
    cfg.flags = (0 if workers else _lib.CFG_NO_WORKERS) | (
        0 if direct else _lib.CFG_PAGEFILE_BUFFERED) | (0 if file_direct else _lib.CFG_FILE_BUFFERED)
    if stores:
        _set_stores(cfg, stores)
    return cfg, path_bytes


_STORE_KEYS = {"kind", "size", "max", "path", "address", "prefix", "user", "password", "timeout_ms"}


def _set_stores(cfg: _lib.Config, stores: list) -> None:
    """cfg.stores from a list of dicts: {"kind": "pagefile", "size", "max", "path"} or
    {"kind": "redis", "address": "host:port", "size", "prefix", "user", "password",
    "timeout_ms"}. The array and its strings are kept alive on cfg."""
    arr = (_lib.StoreConfig * len(stores))()
    keep = [arr]

    def text(v):
        if v is None:
            return None
        b = os.fsencode(v) if isinstance(v, os.PathLike) else str(v).encode()
        keep.append(b)
        return b
    for i, st in enumerate(stores):
        unknown = set(st) - _STORE_KEYS
        if unknown:
            raise ValueError("stores[%d]: unknown keys %s" % (i, sorted(unknown)))
        kinds = {"pagefile": _lib.STORE_PAGEFILE, "redis": _lib.STORE_REDIS}
        if st.get("kind") not in kinds:
            raise ValueError("stores[%d]: kind must be 'pagefile' or 'redis'" % i)
        e = arr[i]
        e.kind = kinds[st["kind"]]
        e.bytes = parse_size(st.get("size", 2 * cfg.ram_bytes), "stores[%d] size" % i)
        e.max_bytes = parse_size(st.get("max", 0), "stores[%d] max" % i)
        for key in ("path", "address", "prefix", "user", "password"):
            setattr(e, key, text(st.get(key)))
        e.timeout_ms = int(st.get("timeout_ms", 0))
    cfg.stores = arr
    cfg.nstores = len(stores)
    cfg._keep = keep


class System(_Handle):
    """A umm system: physical memory (the frame pool), a paging file and the workers.

    Sizes are ints or strings ("64M", "1G", "512K", "4096").

    pagefile: None or 0 (no paging file); a size; a path (str with a '/' or os.PathLike: a named
    paging file of 2 x RAM); or a dict with keys size, max, path, direct. stores: more backing
    stores (up to 16 with the paging file), a list of dicts: {"kind": "pagefile", "size", "max",
    "path"} or {"kind": "redis", "address": "host:port", "size", "prefix", "user", "password",
    "timeout_ms"} (docs/far-memory.md). direct (default True):
    the paging file bypasses the page cache (O_DIRECT) where its filesystem allows
    (stats.pagefile_direct says whether it does); False sends its I/O through the page cache.
    file_direct (default True): file-backed sections read ahead of a sequential read through a
    view with O_DIRECT reads on I/O threads where the file allows (stats.file_reads_direct,
    file_direct_refused); False: their faults read only through the page cache.

    Exception handlers (umm_set_exception_handler, umm_add_vectored_handler) are deliberately not
    exposed: they run on the faulting thread at the faulting instruction, which from Python is in
    the middle of the interpreter's own C code, holding the GIL (outside umm's SIGSEGV handler on
    x86-64/AArch64 Linux, inside it elsewhere); re-entering the interpreter there is not safe, for
    the reason CPython runs its own signal handlers later. From Python, an access that umm turns
    into an access violation goes to the previous SIGSEGV handler (faulthandler: the process dies
    with a traceback) and an in-page error raises SIGBUS. Region.read()/write() check the pages
    first and raise AccessViolation instead; raw access through memoryview(region) does not.
    """
    _destroy = "umm_system_destroy"

    def __init__(self, ram: SizeLike = "64M", pagefile: object = None,
                 page_size: Optional[SizeLike] = None, cluster_pages: Optional[int] = None,
                 vma_budget: Optional[int] = None, pagefile_max: Optional[SizeLike] = None,
                 workers: bool = True, balance_interval_ms: Optional[int] = None,
                 trim_policy: str = "aging", low_memory: Optional[SizeLike] = None,
                 high_memory: Optional[SizeLike] = None,
                 pagefile_path: Union[str, os.PathLike, None] = None,
                 direct: bool = True, stores: Optional[list] = None,
                 file_direct: bool = True) -> None:
        cfg, self._pagefile_path = build_config(
            ram=ram, pagefile=pagefile, page_size=page_size, cluster_pages=cluster_pages,
            vma_budget=vma_budget, pagefile_max=pagefile_max, workers=workers,
            balance_interval_ms=balance_interval_ms, trim_policy=trim_policy,
            low_memory=low_memory, high_memory=high_memory, pagefile_path=pagefile_path,
            direct=direct, stores=stores, file_direct=file_direct)
        self.config = cfg
        _lib.ensure_signal_stack()
        h = ctypes.c_void_p()
        lib.umm_system_create(ctypes.byref(cfg), ctypes.byref(h))
        super().__init__(h.value)
        self.page_size = cfg.page_size

    def close(self) -> None:
        """Destroy the system with its processes, regions and sections. BufferError, changing
        nothing, while a memoryview of any of its regions is alive."""
        if self._h is not None:
            _refuse_if_exported([r for p in self._children if isinstance(p, Process)
                                 for r in p.regions], "close the system")
            for p in self._children:
                if isinstance(p, Process):
                    _refuse_if_heap_exported(p, "close the system")
        super().close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def section(self, size: SizeLike, protect: ProtLike = "rwx", name: Optional[str] = None,
                reserve: bool = False) -> Section:
        """Create a section: shared memory backed by the paging file; map views of it into
        processes with Section.map(). See Section for the arguments."""
        return Section(self, size, protect=protect, name=name, reserve=reserve)

    def process(self) -> Process:
        """Create a process (an address space) in this system."""
        h = ctypes.c_void_p()
        lib.umm_process_create(self._handle(), ctypes.byref(h))
        p = Process(self, h.value)
        self._children.append(p)
        return p

    def stats(self) -> Stats:
        raw = _lib.Stats()
        lib.umm_stats_get(self._handle(), ctypes.byref(raw))
        return Stats(raw)

    def store_stats(self, index: int = 0) -> StoreStats:
        """The counters of backing store `index` (0: the paging file when there is one, then the
        stores list in order); UmmError UMM_E_NOT_FOUND past the last."""
        raw = _lib.StoreStats()
        lib.umm_store_stats_get(self._handle(), index, ctypes.byref(raw))
        return StoreStats(raw)

    def balance(self) -> None:
        """One pass of the balance-set manager now, on this thread."""
        lib.umm_balance(self._handle())

    def flush_modified(self) -> None:
        """Write every modified page to the paging file (UmmError UMM_E_IO if a write failed:
        those pages stay modified; UMM_E_NOT_SUPPORTED without a paging file)."""
        lib.umm_flush_modified(self._handle())

    def standby_purge(self, max_priority: int = 7) -> int:
        """Empty the Standby lists of priority <= max_priority; returns the number of frames."""
        n = ctypes.c_uint64()
        lib.umm_standby_purge(self._handle(), int_arg(max_priority, "max_priority", hi=7),
                              ctypes.byref(n))
        return n.value

    def check(self) -> None:
        """Verify every internal invariant; raises UmmError (UMM_E_STATE) when one is broken."""
        lib.umm_check(self._handle())
        return True

    def notification(self, kind: str,
                     callback: Optional[Callable[[Notification, bool], None]] = None
                     ) -> Notification:
        """A memory resource notification: kind "low" or "high". callback(notification, signaled)
        runs on a umm worker thread (or in balance()) when the state changes."""
        n = Notification(self, kind, callback)
        self._children.append(n)
        return n

    def __repr__(self):
        state = "closed" if self.closed else "0x%x" % self._h
        return "<umm.System %s ram=%d pagefile=%d>" % (state, self.config.ram_bytes,
                                                       self.config.pagefile_bytes)


def _encode_name(name: Optional[str]) -> Optional[bytes]:
    if name is not None and not isinstance(name, str):
        raise TypeError("name: expected a str or None, got %s" % type(name).__name__)
    return name.encode() if name is not None else None


class Section(_Handle):
    """A section (CreateFileMapping): shared memory in prototype PTEs. close() closes this
    handle; the memory goes when its last handle is closed and its last view released
    (Region.release()).

    `protect` is the section's own protection ("r", "rw", "rx" or "rwx"): a view asking for
    more is refused (UmmError UMM_E_ACCESS). `name` makes it findable with Section.open() from
    any process of the system (unique per system: UMM_E_EXISTS). `reserve` (SEC_RESERVE): the
    pages are reserved, not committed, until Region.commit() on a view commits them."""
    _destroy = "umm_section_close"

    def __init__(self, system: System, size: SizeLike, protect: ProtLike = "rwx",
                 name: Optional[str] = None, reserve: bool = False) -> None:
        h = ctypes.c_void_p()
        nbytes = parse_size(size, "size")
        lib.umm_section_create_ex(system._handle(), nbytes, parse_prot(protect),
                                  _lib.SEC_RESERVE if reserve else 0, _encode_name(name),
                                  ctypes.byref(h))
        self._adopt(system, h.value, nbytes, name)

    def _adopt(self, system: System, handle: int, size: int, name: Optional[str]) -> None:
        super().__init__(handle)
        self.system = system
        self.size = size
        self.name = name
        system._children.append(self)

    @classmethod
    def open(cls, system: System, name: str) -> Section:
        """Open the named section of `system` (OpenFileMapping): another handle to the same
        memory, closed on its own. UmmError UMM_E_NOT_FOUND when no open section has the name."""
        h = ctypes.c_void_p()
        lib.umm_section_open(system._handle(), _encode_name(name), ctypes.byref(h))
        sec = cls.__new__(cls)
        sec._adopt(system, h.value, 0, name)
        sec.size = sec.info()["bytes"]
        return sec

    def info(self) -> Dict[str, Any]:
        """umm_section_query: bytes (whole pages), prot, reserve, committed_bytes."""
        q = _lib.SectionInfo()
        lib.umm_section_query(self._handle(), ctypes.byref(q))
        return {"bytes": q.bytes, "prot": Prot(q.prot), "reserve": bool(q.flags & _lib.SEC_RESERVE),
                "committed_bytes": q.committed_bytes}

    @classmethod
    def from_file(cls, system: System, file: Any, size: SizeLike = 0, prot: ProtLike = "rw",
                  name: Optional[str] = None) -> Section:
        """A file-backed section (CreateFileMapping over a file): its pages are the file's bytes,
        read in by views' faults and written back by the modified page writer, Region.flush()
        and the section's end; no commit is charged. `file`: a path (opened for reading, or for
        reading and writing when `prot` is "rw"), a file object or a descriptor (umm keeps a
        descriptor of its own: the caller's may be closed). `size` 0: the file's size; larger
        grows the file. `prot`: "r" (read-only views only) or "rw". `name`: as for Section()."""
        p = parse_prot(prot)
        if p not in (Prot.READ, Prot.READ | Prot.WRITE):
            raise ValueError("prot must be 'r' or 'rw'")
        opened = None
        if isinstance(file, (str, bytes, os.PathLike)):
            opened = os.open(file, os.O_RDWR if p & Prot.WRITE else os.O_RDONLY)
            fd = opened
        elif isinstance(file, int) and not isinstance(file, bool):
            fd = file
        elif hasattr(file, "fileno"):
            if hasattr(file, "flush"):
                file.flush()  # the file's own buffer first: umm reads the file, not it
            fd = file.fileno()
        else:
            raise TypeError("file must be a path, a file object or a descriptor")
        try:
            h = ctypes.c_void_p()
            lib.umm_section_create_file_ex(system._handle(), fd, parse_size(size, "size"), int(p),
                                           _encode_name(name), ctypes.byref(h))
            nbytes = parse_size(size, "size") or os.fstat(fd).st_size
        finally:
            if opened is not None:
                os.close(opened)
        sec = cls.__new__(cls)
        sec._adopt(system, h.value, nbytes, name)
        return sec

    def map(self, process: Process, prot: ProtLike = "rw", offset: SizeLike = 0, size: SizeLike = 0,
            address: Optional[int] = None, copy: bool = False) -> Region:
        """Map a view into `process`: a Region sharing the section's frames with every other view
        (release it with Region.release()). By default the whole section; `offset` (a multiple
        of 64 KiB) and `size` (0: to the end) map a part, `address` (a multiple of 64 KiB) places
        it (umm_section_map_view). `copy=True`: copy-on-write (FILE_MAP_COPY): reads share, the
        first write to a page gives this view a private copy that nothing else sees; charged
        commit for its size now; `prot` then only says whether it may execute ("rw" or "rwx")."""
        out = ctypes.c_void_p()
        off, nbytes = parse_size(offset, "offset"), parse_size(size, "size")
        p = parse_prot(prot)
        if copy:
            p = _lib.PROT_WRITECOPY | (p & _lib.PROT_EXEC)
        lib.umm_section_map_view(process._handle(), self._handle(), off, nbytes,
                                 ctypes.c_void_p(address or None), p, ctypes.byref(out))
        view = nbytes or self.size - off
        rounded = -(-view // _lib.RESERVE_GRANULARITY) * _lib.RESERVE_GRANULARITY
        r = Region._make(process, out.value, rounded)
        process._children.append(r)
        return r


class Process(_Handle):
    """A umm process: an address space with a working set. Closing it releases its regions."""
    _destroy = "umm_process_destroy"

    def __init__(self, system: System, handle: int) -> None:
        super().__init__(handle)
        self.system = system

    def _forget(self):
        super()._forget()

    def close(self) -> None:
        """Destroy the process and release its regions; BufferError, changing nothing, while a
        memoryview of one of them is alive."""
        if self._h is not None:
            _refuse_if_exported(self.regions, "close the process")
            _refuse_if_heap_exported(self, "close the process")
        if self._h is not None and self.system is not None:
            try:
                self.system._children.remove(self)
            except ValueError:
                pass
        super().close()

    def reserve(self, size: SizeLike, prot: ProtLike = "rw",
                alignment: Optional[SizeLike] = None, write_watch: bool = False,
                address: Optional[int] = None, top_down: bool = False) -> Region:
        """Reserve address space (rounded up to 64 KiB); `prot` is the default for commit().
        write_watch: track the pages written (Region.written_pages, MEM_WRITE_WATCH).
        `address` (a multiple of 64 KiB): exactly there (umm_reserve_at; UmmError UMM_E_BUSY
        when it is in use); `top_down`: MEM_TOP_DOWN."""
        nbytes = parse_size(size, "size")
        p = parse_prot(prot)
        out = ctypes.c_void_p()
        if address is not None or top_down:
            if alignment is not None or write_watch:
                raise ValueError("reserve: address/top_down go without alignment and write_watch")
            lib.umm_reserve_at(self._handle(), ctypes.c_void_p(address or None), nbytes, p,
                               _lib.RESERVE_TOP_DOWN if top_down else 0, ctypes.byref(out))
        else:
            align = _lib.RESERVE_GRANULARITY if alignment is None else parse_size(alignment, "alignment")
            lib.umm_reserve_ex(self._handle(), nbytes, align, p,
                               _lib.MEM_WRITE_WATCH if write_watch else 0, ctypes.byref(out))
        rounded = -(-nbytes // _lib.RESERVE_GRANULARITY) * _lib.RESERVE_GRANULARITY
        r = Region._make(self, out.value, rounded)
        self._children.append(r)
        return r

    # ---- the address-level calls (the C API's shape); Region's methods use these ----
    def commit(self, address: int, size: SizeLike, prot: Optional[ProtLike] = None) -> None:
        """umm_commit: prot None means the reservation's default protection."""
        p = -1 if prot is None else parse_prot(prot)
        lib.umm_commit(self._handle(), ctypes.c_void_p(address), parse_size(size, "size"), p)

    def decommit(self, address: int, size: SizeLike) -> None:
        lib.umm_decommit(self._handle(), ctypes.c_void_p(address), parse_size(size, "size"))

    def protect(self, address: int, size: SizeLike, prot: ProtLike) -> Prot:
        """umm_protect; returns the first page's old Prot."""
        old = ctypes.c_int()
        lib.umm_protect(self._handle(), ctypes.c_void_p(address), parse_size(size, "size"),
                        parse_prot(prot), ctypes.byref(old))
        return Prot(old.value)

    def release(self, address: int) -> None:
        """umm_release of the reservation at `address` (prefer Region.release())."""
        _refuse_if_exported([r for r in self.regions if r.address == address],
                            "release the region")
        lib.umm_release(self._handle(), ctypes.c_void_p(address))
        for r in self.regions:
            if r.address == address:
                r._forget()
                self._children.remove(r)

    @property
    def regions(self) -> List[Region]:
        return [c for c in self._children if isinstance(c, Region)]

    def prefetch(self, ranges: "List[Tuple[int, SizeLike]]") -> None:
        """umm_prefetch (PrefetchVirtualMemory): read the paged-out pages of [(address, size),
        ...] ahead of use, on the worker thread (at once without workers)."""
        ranges = list(ranges)
        arr = (_lib.Range * len(ranges))(*[_lib.Range(a, parse_size(n, "size")) for a, n in ranges])
        lib.umm_prefetch(self._handle(), arr, len(ranges))

    def query_pages(self, addresses: "List[int]") -> "List[PageInfo]":
        """umm_query_pages (QueryWorkingSetEx): a PageInfo per address, in one call."""
        addresses = list(addresses)
        arr = (_lib.PageInfo * len(addresses))()
        for k, a in enumerate(addresses):
            arr[k].address = a
        lib.umm_query_pages(self._handle(), arr, len(addresses))
        return [PageInfo(a, bool(x.valid), bool(x.locked), bool(x.shared), x.share_count,
                         x.priority, bool(x.committed), bool(x.pinned), bool(x.resident),
                         Prot(x.prot), x.working_set == self._h if x.working_set else False)
                for a, x in zip(addresses, arr)]

    def lock(self, address: int, size: SizeLike) -> None:
        """umm_lock (VirtualLock): keep the pages resident until unlock(); at most the
        working-set minimum (set_ws_limits) may be locked (UmmError UMM_E_QUOTA)."""
        lib.umm_lock(self._handle(), ctypes.c_void_p(address), parse_size(size, "size"))

    def unlock(self, address: int, size: SizeLike) -> None:
        """umm_unlock (VirtualUnlock); UmmError UMM_E_NOT_LOCKED if some page was not locked
        (the locked ones are unlocked all the same)."""
        lib.umm_unlock(self._handle(), ctypes.c_void_p(address), parse_size(size, "size"))

    def trim(self, pages: int) -> None:
        """Take up to `pages` pages out of the working set."""
        lib.umm_ws_trim(self._handle(), int_arg(pages, "pages"))

    def empty_working_set(self) -> None:
        lib.umm_ws_empty(self._handle())

    def set_ws_limits(self, min_pages: int, max_pages: int, hard: bool = False) -> None:
        if int_arg(min_pages, "min_pages") > int_arg(max_pages, "max_pages", lo=1):
            raise _lib.InvalidArgument("min_pages: %d is more than max_pages %d"
                                       % (min_pages, max_pages))
        lib.umm_ws_set_limits(self._handle(), min_pages, max_pages, _lib.WS_HARD_MAX if hard else 0)

    @property
    def ws_limits(self) -> Tuple[int, int, bool]:
        """(min_pages, max_pages, hard)"""
        lo, hi, fl = ctypes.c_size_t(), ctypes.c_size_t(), ctypes.c_uint()
        lib.umm_ws_get_limits(self._handle(), ctypes.byref(lo), ctypes.byref(hi),
                              ctypes.byref(fl))
        return lo.value, hi.value, bool(fl.value & _lib.WS_HARD_MAX)

    def set_priority(self, priority: int) -> None:
        """Standby priority 0-7 of this process's pages."""
        lib.umm_process_set_priority(self._handle(), int_arg(priority, "priority", hi=7))

    def stats(self) -> ProcessStats:
        raw = _lib.ProcessStats()
        lib.umm_process_stats_get(self._handle(), ctypes.byref(raw))
        return ProcessStats(raw)

    def read_memory(self, address: int, size: SizeLike) -> bytes:
        """umm_process_read (ReadProcessMemory): `size` bytes at `address` of this process, its
        pages faulted in as needed (never EFAULT). UmmError at the first page that cannot be
        read (not reserved, not committed, no access, a guard page)."""
        n = parse_size(size, "size")
        buf = ctypes.create_string_buffer(n)
        lib.umm_process_read(self._handle(), ctypes.c_void_p(address), buf, n, None)
        return buf.raw

    def write_memory(self, address: int, data: bytes) -> int:
        """umm_process_write (WriteProcessMemory): copy `data` (bytes-like) to `address` of this
        process, its pages faulted in as needed. Returns the bytes written; UmmError at the first
        page that cannot be written."""
        data = bytes(data)
        done = ctypes.c_size_t()
        lib.umm_process_write(self._handle(), ctypes.c_void_p(address), data, len(data),
                              ctypes.byref(done))
        return done.value

    def query(self, address: int) -> RegionInfo:
        """umm_query: the RegionInfo of the run of pages at `address`. Raises UmmError
        UMM_E_NOT_RESERVED for an address outside this process's reservations."""
        raw = _lib.RegionInfo()
        lib.umm_query(self._handle(), ctypes.c_void_p(address), ctypes.byref(raw))
        return _region_info(raw)

    def __repr__(self):
        return "<umm.Process %s>" % ("closed" if self.closed else "0x%x" % self._h)


PageInfo = collections.namedtuple(
    "PageInfo", "address valid locked shared share_count priority committed pinned resident "
                "prot in_working_set")
PageInfo.__doc__ = ("umm_page_info_t (QueryWorkingSetEx's attributes); in_working_set: in this "
                    "process's working set.")


def _region_info(raw):
    return RegionInfo(raw.base or 0, raw.size, raw.allocation_base or 0, raw.allocation_size,
                      Prot(raw.allocation_prot), RegionState(raw.state), Prot(raw.prot),
                      raw.resident_pages, RegionType(raw.type))


# ------------------------------------------------------------------------------------------------
# regions: a reservation, and a buffer over it
# ------------------------------------------------------------------------------------------------
def _io_target(file, file_offset, writing):
    """(fd, offset for umm_io_*, the file object whose position to move afterwards or None)."""
    if isinstance(file, bool):
        raise TypeError("file: expected a file object, a socket or an int fd")
    if isinstance(file, int):
        return file, -1 if file_offset is None else int(file_offset), None
    fd = file.fileno()
    if file_offset is not None:
        return fd, int(file_offset), None
    seekable = getattr(file, "seekable", None)
    if seekable is not None and seekable():
        if writing or hasattr(file, "peek"):
            flush = getattr(file, "flush", None)
            if flush is not None:
                flush()  # buffered writes reach the descriptor before ours
        return fd, file.tell(), file  # the object's position: buffered reads are honoured
    return fd, -1, None


def _io_error(rc, fn, done, address):
    name = _lib.error_names().get(rc, "")
    if name == "UMM_E_OS":
        err = lib.umm_last_os_error()
        e = OSError(err, os.strerror(err))
        e.bytes_done = done
        return e
    if name == "UMM_E_GUARD":
        return GuardPageViolation(rc, address, fn)
    if name in ("UMM_E_ACCESS", "UMM_E_NOT_COMMITTED"):
        return AccessViolation(rc, address, fn)
    return UmmError(rc, fn, "%d bytes moved" % done)


class _Byte(ctypes.Union):
    # A one-byte union: ctypes exports arrays of it with the buffer format "B" (simple types
    # export "<B", which memoryview can neither index nor assign to).
    _fields_ = [("value", ctypes.c_ubyte)]


_region_types = {}
_region_types_lock = threading.Lock()


class Region:
    """A reservation in a process's address space, and a writable buffer over it.

    ``memoryview(region)`` is a writable byte view (format "B") of the whole reservation: reads
    and writes through it are ordinary loads and stores that go through umm's fault path, exactly
    like C code. Touching a page that is not committed (or that its protection forbids) is a real
    access violation: umm passes it to the previous SIGSEGV handler (faulthandler: the process
    dies). read() and write() check the pages first and raise AccessViolation instead.

    Implementation: each Region is an instance of a ctypes array type of its length (created with
    from_address at the reservation's base), so Python 3.11's memoryview() can take its buffer;
    the view keeps the Region alive while it exists. Do not use a view after release().
    """

    @classmethod
    def _make(cls, process, address, size):
        with _region_types_lock:
            t = _region_types.get(size)
            if t is None:
                t = type("Region", (Region, _Byte * size), {"__module__": __name__})
                _region_types[size] = t
        r = t.from_address(address)
        r.process = process
        r.address = address
        r.size = size
        r.released = False
        return r

    def __init__(self, *a: object, **kw: object) -> None:
        raise TypeError("regions are made by Process.reserve()")

    # ---- lifetime ----
    def _forget(self):
        self.released = True

    def _proc(self):
        if self.released:
            raise UmmError(_E["UMM_E_STATE"], None, "region 0x%x was released" % self.address)
        return self.process._handle()

    def release(self) -> None:
        """Release the reservation (its pages, frames and charge). Raises BufferError, changing
        nothing, while a memoryview of the region is alive (as mmap.close() does), and UmmError
        on a second release (UMM_E_NOT_RESERVED, as umm_release reports it)."""
        if self.released:
            raise UmmError(_E["UMM_E_NOT_RESERVED"], "umm_release",
                           "region 0x%x already released" % self.address)
        _refuse_if_exported([self], "release the region")
        lib.umm_release(self.process._handle(), ctypes.c_void_p(self.address))
        self.released = True
        try:
            self.process._children.remove(self)
        except ValueError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if not self.released and not self.process.closed:
            self.release()
        return False

    def flush(self, offset: int = 0, size: Optional[SizeLike] = None) -> None:
        """FlushViewOfFile: write the modified pages of [offset, offset+size) (default: to the
        end) of a view of a file-backed section to its file (nothing for a paging-file
        section). UmmError UMM_E_IO when a write failed: those pages stay modified."""
        addr, n = self._addr(offset, size)
        if size is None:
            n = 0  # to the end of the view's section pages, not of the 64 KiB reservation
        lib.umm_view_flush(self._proc(), addr, n)

    # ---- addresses ----
    def _addr(self, offset, size=None, what="offset"):
        if isinstance(offset, bool) or not isinstance(offset, int):
            raise TypeError("%s must be an int" % what)
        if offset < 0 or offset > self.size:
            raise ValueError("%s %d outside the region (size %d)" % (what, offset, self.size))
        if size is None:
            size = self.size - offset
        size = parse_size(size, "size")
        return ctypes.c_void_p(self.address + offset), size

    def commit(self, offset: int = 0, size: Optional[SizeLike] = None,
               prot: Optional[ProtLike] = None) -> None:
        """Commit [offset, offset+size) (default: to the end); prot None: the reservation's."""
        addr, n = self._addr(offset, size)
        self._proc()
        self.process.commit(addr.value, n, prot)

    def decommit(self, offset: int = 0, size: Optional[SizeLike] = None) -> None:
        """Decommit [offset, offset+size) (default: to the end)."""
        addr, n = self._addr(offset, size)
        self._proc()
        self.process.decommit(addr.value, n)

    def protect(self, offset: int, size: SizeLike, prot: ProtLike) -> Prot:
        """Change the protection of committed pages; returns the first page's old Prot."""
        addr, n = self._addr(offset, size)
        self._proc()
        return self.process.protect(addr.value, n, prot)

    def query(self, offset: int = 0) -> RegionInfo:
        """RegionInfo of the run of pages that starts at the page containing offset."""
        addr, _ = self._addr(offset)
        self._proc()
        return self.process.query(addr.value)

    # ---- data ----
    def _check_access(self, offset, n, write):
        """Raise AccessViolation/GuardPageViolation if touching [offset, offset+n) would be one."""
        proc = self._proc()
        what = "Region.write" if write else "Region.read"
        int_arg(offset, "offset", hi=self.size)
        int_arg(n, "data length" if write else "n")
        if offset + n > self.size:
            raise ValueError("%s: [%d, %d) goes past the end of the region (size %d)"
                             % ("data" if write else "n", offset, offset + n, self.size))
        pos, end = self.address + offset, self.address + offset + n
        raw = _lib.RegionInfo()
        while pos < end:
            lib.umm_query(proc, ctypes.c_void_p(pos), ctypes.byref(raw))
            run_end = (raw.base or 0) + raw.size
            if raw.state != _lib.REGION_COMMITTED:
                raise AccessViolation(_E["UMM_E_NOT_COMMITTED"], pos, what)
            if raw.prot & _lib.PROT_GUARD:
                page = pos - pos % self.process.system.page_size
                lib.umm_protect(proc, ctypes.c_void_p(page), 1, raw.prot & ~_lib.PROT_GUARD, None)
                raise GuardPageViolation(_E["UMM_E_ACCESS"], pos, what)
            writable = raw.prot & (_lib.PROT_WRITE | _lib.PROT_WRITECOPY)  # a copy is made
            if not (raw.prot & _lib.PROT_READ or writable) or (write and not writable):
                raise AccessViolation(_E["UMM_E_ACCESS"], pos, what)
            pos = max(run_end, pos + 1)

    def read(self, offset: int, n: int) -> bytes:
        """n bytes at offset (AccessViolation if a page is not committed or not readable)."""
        self._check_access(offset, n, False)
        return ctypes.string_at(self.address + offset, n)

    def write(self, offset: int, data: bytes) -> int:
        """Store data (any bytes-like object) at offset; returns the number of bytes."""
        try:
            src = memoryview(data).cast("B")
        except TypeError:
            raise TypeError("data: expected a bytes-like object, got %s"
                            % type(data).__name__) from None
        self._check_access(offset, src.nbytes, True)
        memoryview(self)[offset:offset + src.nbytes] = src
        return src.nbytes

    def view(self, offset: int = 0, size: Optional[int] = None) -> memoryview:
        """memoryview(region)[offset:offset+size] (raw access, no checks)."""
        end = self.size if size is None else offset + size
        return memoryview(self)[offset:end]

    # ---- locked pages, pinning and I/O (the kernel never takes umm's page faults) ----
    def lock(self, offset: int = 0, size: Optional[SizeLike] = None) -> None:
        """Lock [offset, offset+size) resident (VirtualLock): see Process.lock."""
        addr, n = self._addr(offset, size)
        self._proc()
        self.process.lock(addr.value, n)

    def unlock(self, offset: int = 0, size: Optional[SizeLike] = None) -> None:
        addr, n = self._addr(offset, size)
        self._proc()
        self.process.unlock(addr.value, n)

    @contextlib.contextmanager
    def locked(self, offset: int = 0, size: Optional[SizeLike] = None) -> "Iterator[Region]":
        """``with region.locked(): ...``: the pages stay resident (and mapped: the kernel may use
        them directly, e.g. os.readv into a memoryview) until the block ends."""
        self.lock(offset, size)
        try:
            yield self
        finally:
            if not self.released and not self.process.closed:
                self.unlock(offset, size)

    @contextlib.contextmanager
    def pinned(self, offset: int = 0, size: Optional[SizeLike] = None, write: bool = True) -> "Iterator[Region]":
        """Probe and lock (the MDL model) for the duration of the block: the pages are resident,
        mapped for writing (write=True: the I/O stores into them) or reading, and pinned."""
        addr, n = self._addr(offset, size)
        mdl = _lib.Mdl()
        lib.umm_probe_and_lock(self._proc(), addr, n, _lib.PROT_WRITE if write else _lib.PROT_READ,
                               ctypes.byref(mdl))
        try:
            yield self
        finally:
            lib.umm_unlock_pages(ctypes.byref(mdl))

    def prefetch(self, offset: int = 0, size: Optional[SizeLike] = None) -> None:
        """Read [offset, offset+size) ahead of use if it is paged out (Process.prefetch)."""
        addr, n = self._addr(offset, size)
        self._proc()
        self.process.prefetch([(addr.value, n)])

    def offer(self, offset: int = 0, size: Optional[SizeLike] = None, priority: int = 0) -> None:
        """OfferVirtualMemory (MEM_RESET with priority 0): the contents may be discarded instead
        of ever being written to the paging file, lowest priority first."""
        addr, n = self._addr(offset, size)
        lib.umm_offer(self._proc(), addr, n, int(priority))

    def reclaim(self, offset: int = 0, size: Optional[SizeLike] = None) -> bool:
        """ReclaimVirtualMemory (MEM_RESET_UNDO): True if every offered page kept its contents,
        False if some were discarded (they read as zeros)."""
        addr, n = self._addr(offset, size)
        lost = ctypes.c_int()
        lib.umm_reclaim(self._proc(), addr, n, ctypes.byref(lost))
        return not lost.value

    def discard(self, offset: int = 0, size: Optional[SizeLike] = None) -> None:
        """DiscardVirtualMemory: drop the contents now (they read as zeros; the charge stays)."""
        addr, n = self._addr(offset, size)
        lib.umm_discard(self._proc(), addr, n)

    def written_pages(self, offset: int = 0, size: Optional[SizeLike] = None, reset: bool = False) -> List[int]:
        """Offsets of the pages written since they were committed or the watch was reset
        (GetWriteWatch; the region must be reserved with write_watch=True). reset=True resets
        the ones returned, atomically."""
        addr, n = self._addr(offset, size)
        page = self.process.system.page_size
        cap = (n + addr.value % page + page - 1) // page
        out = (ctypes.c_void_p * max(cap, 1))()
        count = ctypes.c_size_t(cap)
        lib.umm_write_watch_get(self._proc(), addr, n, _lib.WRITE_WATCH_RESET if reset else 0, out,
                                ctypes.byref(count), None)
        return [out[k] - self.address for k in range(count.value)]

    def reset_write_watch(self, offset: int = 0, size: Optional[SizeLike] = None) -> None:
        """ResetWriteWatch: every page of the range counts as unwritten again."""
        addr, n = self._addr(offset, size)
        lib.umm_write_watch_reset(self._proc(), addr, n)

    def query_pages(self, offset: int = 0, size: Optional[SizeLike] = None) -> "List[PageInfo]":
        """PageInfo of every page of [offset, offset+size) (QueryWorkingSetEx)."""
        addr, n = self._addr(offset, size)
        page = self.process.system.page_size
        first = addr.value - addr.value % page
        self._proc()
        return self.process.query_pages(range(first, addr.value + n, page))

    def readinto(self, file: Any, offset: int = 0, size: Optional[SizeLike] = None, file_offset: Optional[int] = None) -> int:
        """Read from `file` into [offset, offset+size) of the region and return the count: all of
        it, or less only at end of file (never silently short). `file`: a file object (read at
        its position, which then moves; buffered data is honoured), a socket, or an int fd (read
        at its position). file_offset: read there instead (pread), leaving positions alone.
        Pages untouched, trimmed or paged out are faulted in first; AccessViolation /
        GuardPageViolation (the guard stays armed) before any byte moves; OSError for the
        kernel's errors, with .bytes_done."""
        return self._io("umm_io_read", file, offset, size, file_offset)

    def write_to(self, file: Any, offset: int = 0, size: Optional[SizeLike] = None, file_offset: Optional[int] = None) -> int:
        """Write [offset, offset+size) of the region to `file` (as readinto) and return the count,
        always all of it unless an error is raised."""
        return self._io("umm_io_write", file, offset, size, file_offset)

    def _io(self, fn, file, offset, size, file_offset):
        addr, n = self._addr(offset, size)
        proc = self._proc()
        fd, off, moved = _io_target(file, file_offset, fn == "umm_io_write")
        done = ctypes.c_size_t()
        rc = getattr(lib, fn)(proc, fd, addr, n, off, ctypes.byref(done))
        if moved is not None:
            moved.seek(off + done.value)
        if rc != _lib.UMM_OK:
            raise _io_error(rc, fn, done.value, addr.value)
        return done.value

    # ctypes arrays index to _Byte objects; make the region index and slice like bytes.
    def __getitem__(self, key):
        return memoryview(self)[key]

    def __setitem__(self, key, value):
        memoryview(self)[key] = value

    def __len__(self) -> int:
        return self.size

    def __bool__(self):
        return True

    def __iter__(self):
        raise TypeError("iterate over region.read(...) or memoryview(region) instead")

    def __repr__(self):
        return "<umm.Region 0x%x size=%d%s>" % (self.address, self.size,
                                                " released" if self.released else "")


# ------------------------------------------------------------------------------------------------
# notifications
# ------------------------------------------------------------------------------------------------
_NOTIFY_KINDS = {"low": _lib.NOTIFY_LOW_MEMORY, "high": _lib.NOTIFY_HIGH_MEMORY}


class Notification(_Handle):
    """A memory resource notification (CreateMemoryResourceNotification).

    .fd is an eventfd readable exactly while the notification is signaled (select/poll it);
    .signaled asks the library. The callback, if any, is called as callback(notification, bool)
    on a umm worker thread (or inside System.balance()); an exception it raises is stored in
    .callback_errors (it cannot propagate into the C library)."""
    _destroy = "umm_notification_destroy"

    def __init__(self, system: System, kind: str,
                 callback: Optional[Callable[[Notification, bool], None]] = None) -> None:
        if kind not in _NOTIFY_KINDS:
            raise ValueError("notification kind must be 'low' or 'high', not %r" % (kind,))
        self.system = system
        self.kind = kind
        self.callback = callback
        self.callback_errors = []
        self._thunk = _lib.NOTIFY_FN(self._on_change) if callback else _lib.NOTIFY_FN()
        h = ctypes.c_void_p()
        lib.umm_notification_create(system._handle(), _NOTIFY_KINDS[kind], self._thunk, None,
                                    ctypes.byref(h))
        super().__init__(h.value)

    def _on_change(self, handle, signaled, ctx):
        try:
            self.callback(self, bool(signaled))
        except BaseException as e:  # never let it unwind into C
            self.callback_errors.append(e)

    def close(self) -> None:
        if self._h is not None:
            try:
                self.system._children.remove(self)
            except ValueError:
                pass
        super().close()

    @property
    def fd(self) -> int:
        return lib.umm_notification_fd(self._handle())

    @property
    def signaled(self) -> bool:
        s = ctypes.c_int()
        lib.umm_notification_query(self._handle(), ctypes.byref(s))
        return bool(s.value)

    def __repr__(self):
        return "<umm.Notification %s %s>" % (self.kind, "closed" if self.closed else "open")
