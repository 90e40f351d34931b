# SPDX-License-Identifier: MIT
"""Loading libumm and declaring its C functions (the ctypes layer; nothing here is public API).

The library is looked up, in order, and no environment variable is needed:

1. ``$UMM_LIBRARY`` (a path to ``libumm.so``), when set: an override, tried alone;
2. ``libumm.so*`` next to this package (``bindings/python/umm/``);
3. ``../../build/libumm.so`` relative to the package, when the package is the one in a source
   tree built with CMake into ``build/`` (development);
4. the SONAME this package was written for (``libumm.so.0.1``), through the dynamic loader's
   normal search: ``LD_LIBRARY_PATH``, the ``ld.so`` cache, the default directories: the
   installed library (``cmake --install``);
5. ``ctypes.util.find_library("umm")``.

The library's ``umm_version()`` must have the package's MAJOR.MINOR (``umm.__version__``): the
ABI may change between minor versions while MAJOR is 0.

Every C function is declared once, in :data:`FUNCTIONS`, in the style of clang's ``cindex.py``:
``(name, argtypes, restype, errcheck)`` rows registered in a loop by :func:`register_functions`.
Functions that return an ``umm_error_t`` get :func:`check_error` as ``errcheck``: a non-zero result
raises :class:`UmmError`. Adding a header (``umm_hv.h``) means adding its rows to the table (and its
structures below); a row whose symbol the loaded library lacks becomes a stub that raises
:class:`UmmError` ``UMM_E_NOT_SUPPORTED`` when called, so the package can run ahead of the library.

The ``Structure`` classes mirror the C structs field for field (same order, same C types); the tests
compare every offset and size against the compiler's. The statistics structs (``Stats``,
``ProcessStats``) list no fields here: the library describes them (``umm_stats_field``, generated
from the field lists of include/umm.h) and they are built from that description at import, each
offset and the size checked against what the library reports.
"""

import collections
import ctypes
import ctypes.util
import glob
import itertools
import os

from ._version import __version__

from ctypes import (POINTER, c_char, c_char_p, c_double, c_int, c_size_t, c_uint, c_uint64,
                    c_void_p)

__all__ = ["lib", "UmmError", "FUNCTIONS", "Config", "RegionInfo", "Exception_", "StatField",
           "Stats", "ProcessStats", "FieldInfo", "NOTIFY_FN", "library_path"]

# ------------------------------------------------------------------------------------------------
# constants from umm.h
# ------------------------------------------------------------------------------------------------
UMM_OK = 0
UMM_E_INVAL = 1
PROT_NONE, PROT_READ, PROT_WRITE, PROT_GUARD = 0x0, 0x1, 0x2, 0x8
PROT_EXEC, PROT_NOCACHE, PROT_WRITECOMBINE = 0x4, 0x10, 0x20
PROT_WRITECOPY = 0x80  # copy-on-write section views (Section.map(copy=True))
RESERVE_TOP_DOWN = 0x2
REGION_TYPE_NONE, REGION_TYPE_PRIVATE, REGION_TYPE_MAPPED = 0, 1, 2
EXC_EXECUTE = 8  # umm_exception_t.is_write of an instruction fetch
CFG_PAGEFILE_DIRECT, CFG_NO_WORKERS, CFG_PAGEFILE_BUFFERED, CFG_FILE_BUFFERED = 0x1, 0x2, 0x8, 0x10
TRIM_AGING, TRIM_FIFO, TRIM_CLOCK = 0, 1, 2
RESERVE_GRANULARITY = 64 << 10
WS_HARD_MAX = 0x1
MEM_WRITE_WATCH, WRITE_WATCH_RESET = 0x1, 0x1
SEC_RESERVE = 0x1  # UMM_SEC_RESERVE
SECTION_NAME_MAX = 255
WS_DEFAULT_MIN, WS_DEFAULT_MAX = 50, 345
REGION_FREE, REGION_RESERVED, REGION_COMMITTED = 0, 1, 2
NOTIFY_LOW_MEMORY, NOTIFY_HIGH_MEMORY = 0, 1
EXC_GUARD_PAGE, EXC_ACCESS_VIOLATION, EXC_IN_PAGE_ERROR = 1, 2, 3

# Defaults of UMM_CONFIG_INIT.
CONFIG_DEFAULTS = dict(ram_bytes=64 << 20, page_size=4096, cluster_pages=16, pagefile_path=None,
                       pagefile_bytes=0, vma_budget=16384, pagefile_max_bytes=0, flags=0,
                       balance_interval_ms=1000, low_memory_bytes=0, high_memory_bytes=0,
                       trim_policy=TRIM_AGING)


# ------------------------------------------------------------------------------------------------
# structures (field order and types exactly as in include/umm.h)
# ------------------------------------------------------------------------------------------------
class StoreConfig(ctypes.Structure):
    """umm_store_config_t"""
    _fields_ = [
        ("kind", c_uint),
        ("bytes", c_size_t),
        ("max_bytes", c_size_t),
        ("path", c_char_p),
        ("address", c_char_p),
        ("prefix", c_char_p),
        ("user", c_char_p),
        ("password", c_char_p),
        ("timeout_ms", c_uint),
    ]


class StoreStats(ctypes.Structure):
    """umm_store_stats_t"""
    _fields_ = [("kind", ctypes.c_char * 16), ("name", ctypes.c_char * 40)] + [
        (n, c_uint64) for n in (
            "slots", "used", "clusters_written", "clusters_read", "pages_written", "pages_read",
            "bytes_written", "bytes_read", "write_errors", "read_errors", "pages_lost",
            "keys_deleted", "command_retries", "redirects", "reconnects")]


STORE_PAGEFILE, STORE_REDIS = 0, 1
STORES_MAX = 16


class Config(ctypes.Structure):
    """umm_config_t"""
    _fields_ = [
        ("ram_bytes", c_size_t),
        ("page_size", c_size_t),
        ("cluster_pages", c_uint),
        ("pagefile_path", c_char_p),
        ("pagefile_bytes", c_size_t),
        ("vma_budget", c_uint),
        ("pagefile_max_bytes", c_size_t),
        ("flags", c_uint),
        ("balance_interval_ms", c_uint),
        ("low_memory_bytes", c_size_t),
        ("high_memory_bytes", c_size_t),
        ("trim_policy", c_uint),
        ("stores", ctypes.POINTER(StoreConfig)),
        ("nstores", c_uint),
    ]


class RegionInfo(ctypes.Structure):
    """umm_region_info_t"""
    _fields_ = [
        ("base", c_void_p),
        ("size", c_size_t),
        ("allocation_base", c_void_p),
        ("allocation_size", c_size_t),
        ("allocation_prot", c_int),
        ("state", c_int),  # umm_region_state_t
        ("prot", c_int),
        ("resident_pages", c_size_t),
        ("type", c_int),  # umm_region_type_t
    ]


class Exception_(ctypes.Structure):
    """umm_exception_t (only mirrored: Python never runs as an exception handler, see System)."""
    _fields_ = [
        ("code", c_int),  # umm_exception_code_t
        ("address", c_void_p),
        ("is_write", c_int),
        ("error", c_int),
        ("process", c_void_p),
        ("os_error", c_int),
    ]


class Mdl(ctypes.Structure):
    """umm_mdl_t: the pages umm_probe_and_lock pinned."""
    _fields_ = [
        ("process", c_void_p),
        ("address", c_void_p),
        ("bytes", c_size_t),
        ("access", c_int),
        ("internal_", c_void_p),
    ]


class PageInfo(ctypes.Structure):
    """umm_page_info_t"""
    _fields_ = [
        ("address", c_void_p),
        ("valid", ctypes.c_uint8),
        ("locked", ctypes.c_uint8),
        ("shared", ctypes.c_uint8),
        ("share_count", ctypes.c_uint8),
        ("priority", ctypes.c_uint8),
        ("committed", ctypes.c_uint8),
        ("pinned", ctypes.c_uint8),
        ("resident", ctypes.c_uint8),
        ("prot", c_int),
        ("working_set", c_void_p),
    ]


class SectionInfo(ctypes.Structure):
    """umm_section_info_t"""
    _fields_ = [("bytes", c_size_t), ("prot", c_int), ("flags", ctypes.c_uint),
                ("committed_bytes", c_size_t)]


class Range(ctypes.Structure):
    """umm_range_t"""
    _fields_ = [("address", c_void_p), ("bytes", c_size_t)]


class StatField(ctypes.Structure):
    """umm_stat_field_t: one field of umm_stats_t or umm_process_stats_t, as umm_stats_field
    describes it."""
    _fields_ = [
        ("name", c_char_p),
        ("doc", c_char_p),
        ("offset", c_size_t),
        ("kind", c_char),  # b"G", b"C", b"R" or b"A"
    ]


# The statistics structs are declared here without fields (ctypes' incomplete types), so that the
# prototype table can name them; the library itself describes their fields (umm_stats_field), and
# complete_stats_struct() gives them their _fields_ once it is loaded (below).
class Stats(ctypes.Structure):
    """umm_stats_t (fields from umm_stats_field(0, i))"""


class ProcessStats(ctypes.Structure):
    """umm_process_stats_t (fields from umm_stats_field(1, i))"""


# umm_stat_field_t.kind -> (the word for it, as docs/api.md's tables write it; its ctypes type)
STAT_KINDS = {b"G": ("gauge", c_uint64), b"C": ("counter", c_uint64), b"R": ("rate", c_double),
              b"A": ("array of 8", c_uint64 * 8)}

# A statistics field as Python sees it: name, kind (a word of STAT_KINDS), doc (its meaning, from
# include/umm.h) and offset (offsetof in the C struct).
FieldInfo = collections.namedtuple("FieldInfo", "name kind doc offset")


# C name -> structure, used by the layout test (and by umm_hv.h's structures when they come).
STRUCTS = {"umm_config_t": Config, "umm_store_config_t": StoreConfig,
           "umm_store_stats_t": StoreStats, "umm_region_info_t": RegionInfo, "umm_exception_t": Exception_,
           "umm_mdl_t": Mdl, "umm_page_info_t": PageInfo,
           "umm_range_t": Range, "umm_section_info_t": SectionInfo,
           "umm_stat_field_t": StatField, "umm_stats_t": Stats,
           "umm_process_stats_t": ProcessStats}

# void (*umm_notify_fn)(umm_notification_t *n, int signaled, void *ctx)
NOTIFY_FN = ctypes.CFUNCTYPE(None, c_void_p, c_int, c_void_p)


# ------------------------------------------------------------------------------------------------
# errors
# ------------------------------------------------------------------------------------------------
class UmmError(Exception):
    """A umm call returned an ``umm_error_t`` other than ``UMM_OK``.

    ``code`` is the number, ``name`` its name (``"UMM_E_COMMIT_LIMIT"``), ``message`` the text of
    ``umm_strerror``, ``function`` the C function that failed (or None) and, for an error the
    kernel caused (``UMM_E_OS``, ``UMM_E_IO``, ``UMM_E_VMA_LIMIT``, ``UMM_E_BUSY``), ``errno`` the
    errno behind it (``umm_last_os_error``; else None)."""

    _OS_CODES = {"UMM_E_OS", "UMM_E_IO", "UMM_E_VMA_LIMIT", "UMM_E_BUSY"}

    def __init__(self, code, function=None, detail=None):
        self.code = int(code)
        self.function = function
        self.detail = detail
        self.errno = None
        try:
            name = lib.umm_error_name(self.code)
            message = lib.umm_strerror(self.code)
        except Exception:  # library not loaded (should not happen)
            name, message = None, None
        self.name = name.decode() if name else "UMM_E_%d" % self.code
        self.message = message.decode() if message else "unknown error"
        if self.name in self._OS_CODES and function is not None:
            try:
                self.errno = int(lib.umm_last_os_error()) or None
            except Exception:
                self.errno = None
        super().__init__(self.code, self.name, self.message)

    def __str__(self):
        s = "%s (%d): %s" % (self.name, self.code, self.message)
        if self.function:
            s = "%s: %s" % (self.function, s)
        if self.errno:
            s += " [errno %d: %s]" % (self.errno, os.strerror(self.errno))
        if self.detail:
            s += " [%s]" % self.detail
        return s

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, str(self))


class InvalidArgument(UmmError, ValueError):
    """``UMM_E_INVAL``: an argument umm refuses. It is a ``ValueError`` too, so code that catches
    ValueError for bad input catches it; when the bindings found the problem themselves, ``detail``
    names the argument ("priority: 8 is outside [0, 7]")."""

    def __init__(self, detail=None, function=None):
        super().__init__(UMM_E_INVAL, function, detail)


def check_error(result, func, args):
    """errcheck for functions returning umm_error_t."""
    if result == UMM_E_INVAL:
        raise InvalidArgument(function=getattr(func, "__name__", None))
    if result != UMM_OK:
        raise UmmError(result, getattr(func, "__name__", None))
    return result


# ------------------------------------------------------------------------------------------------
# the prototype table: (name, argtypes, restype, errcheck)
# ------------------------------------------------------------------------------------------------
_vp = c_void_p
_E = check_error
FUNCTIONS = [
    # errors, version
    ("umm_strerror", [c_int], c_char_p, None),
    ("umm_error_name", [c_int], c_char_p, None),
    ("umm_version", [], c_char_p, None),
    ("umm_last_os_error", [], c_int, None),
    # systems and processes
    ("umm_system_create", [POINTER(Config), POINTER(_vp)], c_int, _E),
    ("umm_system_destroy", [_vp], None, None),
    ("umm_process_create", [_vp, POINTER(_vp)], c_int, _E),
    ("umm_process_destroy", [_vp], None, None),
    # virtual memory
    ("umm_reserve", [_vp, c_size_t, c_int, POINTER(_vp)], c_int, _E),
    ("umm_reserve_aligned", [_vp, c_size_t, c_size_t, c_int, POINTER(_vp)], c_int, _E),
    ("umm_reserve_at", [_vp, _vp, c_size_t, c_int, c_uint, POINTER(_vp)], c_int, _E),
    ("umm_process_read", [_vp, _vp, _vp, c_size_t, POINTER(c_size_t)], c_int, _E),
    ("umm_process_write", [_vp, _vp, _vp, c_size_t, POINTER(c_size_t)], c_int, _E),
    ("umm_commit", [_vp, _vp, c_size_t, c_int], c_int, _E),
    ("umm_decommit", [_vp, _vp, c_size_t], c_int, _E),
    ("umm_release", [_vp, _vp], c_int, _E),
    ("umm_protect", [_vp, _vp, c_size_t, c_int, POINTER(c_int)], c_int, _E),
    ("umm_query", [_vp, _vp, POINTER(RegionInfo)], c_int, _E),
    # sections (shared memory)
    ("umm_section_create", [_vp, c_size_t, POINTER(_vp)], c_int, _E),
    ("umm_section_map", [_vp, _vp, c_int, POINTER(_vp)], c_int, _E),
    ("umm_section_map_view", [_vp, _vp, c_size_t, c_size_t, _vp, c_int, POINTER(_vp)], c_int, _E),
    ("umm_section_close", [_vp], c_int, _E),
    ("umm_section_create_file", [_vp, c_int, c_uint64, c_int, POINTER(_vp)], c_int, _E),
    ("umm_section_create_file_ex", [_vp, c_int, c_uint64, c_int, ctypes.c_char_p, POINTER(_vp)], c_int, _E),
    ("umm_view_flush", [_vp, _vp, c_size_t], c_int, _E),
    ("umm_section_create_ex", [_vp, c_size_t, c_int, c_uint, ctypes.c_char_p, POINTER(_vp)], c_int, _E),
    ("umm_section_open", [_vp, ctypes.c_char_p, POINTER(_vp)], c_int, _E),
    ("umm_section_query", [_vp, POINTER(SectionInfo)], c_int, _E),
    # working sets
    ("umm_reserve_ex", [_vp, c_size_t, c_size_t, c_int, c_uint, POINTER(_vp)], c_int, _E),
    ("umm_write_watch_get", [_vp, _vp, c_size_t, c_uint, POINTER(_vp), POINTER(c_size_t),
                             POINTER(c_size_t)], c_int, _E),
    ("umm_write_watch_reset", [_vp, _vp, c_size_t], c_int, _E),
    ("umm_query_pages", [_vp, POINTER(PageInfo), c_size_t], c_int, _E),
    ("umm_prefetch", [_vp, POINTER(Range), c_size_t], c_int, _E),
    ("umm_offer", [_vp, _vp, c_size_t, c_uint], c_int, _E),
    ("umm_reclaim", [_vp, _vp, c_size_t, POINTER(c_int)], c_int, _E),
    ("umm_discard", [_vp, _vp, c_size_t], c_int, _E),
    ("umm_lock", [_vp, _vp, c_size_t], c_int, _E),
    ("umm_unlock", [_vp, _vp, c_size_t], c_int, _E),
    ("umm_probe_and_lock", [_vp, _vp, c_size_t, c_int, POINTER(Mdl)], c_int, _E),
    ("umm_unlock_pages", [POINTER(Mdl)], c_int, _E),
    ("umm_io_read", [_vp, c_int, _vp, c_size_t, ctypes.c_int64, POINTER(c_size_t)], c_int, None),
    ("umm_io_write", [_vp, c_int, _vp, c_size_t, ctypes.c_int64, POINTER(c_size_t)], c_int, None),
    ("umm_ws_trim", [_vp, c_size_t], c_int, _E),
    ("umm_ws_empty", [_vp], c_int, _E),
    ("umm_ws_set_limits", [_vp, c_size_t, c_size_t, c_uint], c_int, _E),
    ("umm_ws_get_limits", [_vp, POINTER(c_size_t), POINTER(c_size_t), POINTER(c_uint)], c_int, _E),
    ("umm_process_set_priority", [_vp, c_uint], c_int, _E),
    ("umm_standby_purge", [_vp, c_uint, POINTER(c_uint64)], c_int, _E),
    ("umm_balance", [_vp], c_int, _E),
    ("umm_flush_modified", [_vp], c_int, _E),
    # notifications
    ("umm_notification_create", [_vp, c_int, NOTIFY_FN, _vp, POINTER(_vp)], c_int, _E),
    ("umm_notification_fd", [_vp], c_int, None),  # an fd, not an error code
    ("umm_notification_query", [_vp, POINTER(c_int)], c_int, _E),
    ("umm_notification_destroy", [_vp], None, None),
    # exceptions: declared for completeness; the bindings never install a Python handler (it
    # would re-enter the interpreter at the faulting instruction), see umm.System docs.
    ("umm_set_exception_handler", [_vp, _vp, _vp], c_int, _E),
    # statistics, checks
    ("umm_stats_get", [_vp, POINTER(Stats)], c_int, _E),
    ("umm_process_stats_get", [_vp, POINTER(ProcessStats)], c_int, _E),
    ("umm_store_stats_get", [_vp, c_uint, POINTER(StoreStats)], c_int, _E),
    ("umm_stats_field", [c_uint, c_uint, POINTER(c_size_t)], POINTER(StatField), None),
    ("umm_check", [_vp], c_int, _E),
    # failure points
    ("umm_failpoint_enable", [c_char_p, c_double, c_uint], c_int, _E),
    ("umm_failpoint_disable", [c_char_p], c_int, _E),
    ("umm_failpoint_seed", [c_uint64], c_int, _E),
    ("umm_failpoint_check", [c_char_p, POINTER(c_int)], c_int, _E),
    ("umm_failpoint_failures", [c_char_p, POINTER(c_uint64)], c_int, _E),
    ("umm_failpoint_name", [c_uint], c_char_p, None),
    # umm_hv.h goes here, e.g.:
    # ("umm_hv_host_create", [POINTER(HvConfig), POINTER(_vp)], c_int, _E),
]


def _missing(name):
    def stub(*args):
        raise UmmError(14, name, "symbol %s is not in the loaded libumm" % name)  # NOT_SUPPORTED
    stub.__name__ = name
    return stub


def register_functions(library, table):
    """Give each function of `table` its prototype; attach a stub for symbols the library lacks."""
    for name, argtypes, restype, errcheck in table:
        try:
            func = getattr(library, name)
        except AttributeError:
            setattr(library, name, _missing(name))
            continue
        func.argtypes = argtypes
        func.restype = restype
        if errcheck is not None:
            func.errcheck = errcheck


# ------------------------------------------------------------------------------------------------
# finding and loading the library
# ------------------------------------------------------------------------------------------------
def soname():
    """The SONAME of the libumm this package matches: libumm.so.MAJOR.MINOR while MAJOR is 0,
    then libumm.so.MAJOR (CMakeLists.txt, UMM_SOVERSION)."""
    major, minor = (int(x) for x in __version__.split(".")[:2])
    return "libumm.so.%d.%d" % (major, minor) if major == 0 else "libumm.so.%d" % major


def _candidates():
    env = os.environ.get("UMM_LIBRARY")
    if env:
        yield env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    for path in sorted(glob.glob(os.path.join(here, "libumm.so*"))):
        yield path
    built = os.path.normpath(os.path.join(here, "..", "..", "..", "build", "libumm.so"))
    if os.path.exists(built):
        yield built
    yield soname()  # a bare name: dlopen searches as the loader does
    found = ctypes.util.find_library("umm")
    if found:
        yield found


def _matches_package(library):
    """The library's MAJOR.MINOR is the package's."""
    library.umm_version.restype = c_char_p
    found = library.umm_version().decode().split(".")[:2]
    return found == __version__.split(".")[:2], ".".join(found)


def _load():
    tried = []
    for path in _candidates():
        try:
            library = ctypes.CDLL(path)
        except OSError as e:
            tried.append("%s: %s" % (path, e))
            continue
        ok, found = _matches_package(library)
        if ok:
            return library, path
        tried.append("%s: version %s, this package is %s" % (path, found, __version__))
    raise ImportError("umm: no usable libumm (install it with `cmake --install`, add its "
                      "directory to LD_LIBRARY_PATH for a non-default prefix, or set UMM_LIBRARY); "
                      "tried: " + ("; ".join(tried) or "nothing"))


lib, library_path = _load()
register_functions(lib, FUNCTIONS)


# ------------------------------------------------------------------------------------------------
# the statistics structs, as the library describes them
# ------------------------------------------------------------------------------------------------
def stats_fields(which):
    """The fields of umm_stats_t (which 0) or umm_process_stats_t (which 1), in order, as
    FieldInfo tuples, and the struct's size: what umm_stats_field reports."""
    size = c_size_t()
    fields = []
    for i in itertools.count():
        try:
            f = lib.umm_stats_field(which, i, ctypes.byref(size))
        except UmmError:  # the stub standing in for a library without umm_stats_field
            raise ImportError("umm: %s does not describe its statistics (no umm_stats_field); "
                              "rebuild it" % library_path) from None
        if not f:
            return fields, size.value
        f = f.contents
        name = f.name.decode()
        if f.kind not in STAT_KINDS:
            raise ImportError("umm: statistics field %s has a kind these bindings do not know: %r"
                              % (name, f.kind))
        fields.append(FieldInfo(name, STAT_KINDS[f.kind][0], f.doc.decode(), f.offset))


def complete_stats_struct(struct, cname, fields, size):
    """Give `struct` (declared without fields) one field per FieldInfo of `fields`, then check
    that ctypes puts each at the offset the library reported, and the struct's size. ImportError
    when they disagree: reading statistics through a wrong layout would give wrong numbers."""
    ctype_of = dict(STAT_KINDS.values())
    struct._fields_ = [(f.name, ctype_of[f.kind]) for f in fields]
    struct.described_fields = tuple(fields)
    for f in fields:
        ours = getattr(struct, f.name).offset
        if ours != f.offset:
            raise ImportError("umm: %s.%s is at offset %d in the library but at %d in the ctypes "
                              "mirror built from its description" % (cname, f.name, f.offset, ours))
    if ctypes.sizeof(struct) != size:
        raise ImportError("umm: sizeof(%s) is %d in the library but %d in the ctypes mirror built "
                          "from its description" % (cname, size, ctypes.sizeof(struct)))


complete_stats_struct(Stats, "umm_stats_t", *stats_fields(0))
complete_stats_struct(ProcessStats, "umm_process_stats_t", *stats_fields(1))


# ------------------------------------------------------------------------------------------------
# the signal stack: umm's SIGSEGV handler is installed with SA_ONSTACK, so it runs on the thread's
# alternate signal stack when there is one. Python's faulthandler (pytest enables it) installs a
# small one for the main thread, and umm's fault path can need more than that (the hypervisor's
# lz4 compression on the faulting thread alone takes ~20 KiB: LZ4_compress_default keeps its 16 KiB
# state on the stack), overflowing it into the heap. ensure_signal_stack() replaces a too-small
# alternate stack of the calling thread with a larger one (never freed); System and Host call it.
# Set UMM_PY_KEEP_SIGALTSTACK=1 to leave the signal stack alone.
# ------------------------------------------------------------------------------------------------
SIGNAL_STACK_BYTES = 256 << 10
_SS_ONSTACK, _SS_DISABLE = 1, 2


class _StackT(ctypes.Structure):
    _fields_ = [("ss_sp", c_void_p), ("ss_flags", c_int), ("ss_size", c_size_t)]


_libc = ctypes.CDLL(None, use_errno=True)
_signal_stacks = []  # alternate stacks we installed: they must outlive every thread using them


def ensure_signal_stack(min_bytes=SIGNAL_STACK_BYTES):
    """If the calling thread has an alternate signal stack smaller than min_bytes, replace it with
    one of min_bytes. Returns True when it installed one. A thread without an alternate stack is
    left alone (the handler then runs on the thread's own stack)."""
    if os.environ.get("UMM_PY_KEEP_SIGALTSTACK"):
        return False
    cur = _StackT()
    if _libc.sigaltstack(None, ctypes.byref(cur)) != 0:
        return False
    if cur.ss_flags & (_SS_DISABLE | _SS_ONSTACK) or cur.ss_size >= min_bytes:
        return False
    buf = ctypes.create_string_buffer(min_bytes)
    new = _StackT(ctypes.cast(buf, c_void_p), 0, min_bytes)
    if _libc.sigaltstack(ctypes.byref(new), None) != 0:
        return False
    _signal_stacks.append(buf)
    return True


def error_names():
    """{code: name} for every umm_error_t the library knows."""
    names, code = {}, 0
    while True:
        n = lib.umm_error_name(code)
        if not n:
            return names
        names[code] = n.decode()
        code += 1
