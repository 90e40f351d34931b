# SPDX-License-Identifier: MIT
"""umm: the Windows memory manager as a userspace library -- Python bindings (ctypes).

    import umm
    with umm.System(ram="64M", pagefile="256M") as system:
        proc = system.process()
        region = proc.reserve("1M")
        region.commit()
        memoryview(region)[:5] = b"hello"
        print(region.read(0, 5), system.stats().faults_demand_zero)

Modules: ``umm.core`` (System, Process, Region, Notification, statistics), ``umm.heap`` (the
heap on managed memory: import it at the top of the program, see its docstring), ``umm.fault``
(libfiu failure points), ``umm._lib`` (library loading and the C prototype table). The
hypervisor layer (include/umm_hv.h) is ``umm.hv`` (Host, Guest; its C prototypes are rows added to
``_lib.FUNCTIONS``).
"""

from ._version import __version__
from ._lib import InvalidArgument, UmmError, library_path
from .core import (AccessViolation, GuardPageViolation, Notification, PageInfo, Process,
                   ProcessStats, Prot, StoreStats,
                   Region, RegionInfo, RegionState, RegionType, Section, Stats, System, TRIM_POLICIES,
                   parse_prot,
                   parse_size, version)
from . import _lib as _lib_module
from . import fault  # noqa: F401  (umm.fault)
from . import hv  # noqa: F401  (umm.hv)

# The exceptions are public API: they are named umm.UmmError, umm.AccessViolation, ... wherever
# they show up (tracebacks, repr), not after the private module that defines them.
for _error in (UmmError, InvalidArgument, AccessViolation, GuardPageViolation):
    _error.__module__ = __name__

RESERVE_GRANULARITY = _lib_module.RESERVE_GRANULARITY
WS_DEFAULT_MIN = _lib_module.WS_DEFAULT_MIN
WS_DEFAULT_MAX = _lib_module.WS_DEFAULT_MAX

__all__ = ["__version__", "UmmError", "InvalidArgument", "AccessViolation", "GuardPageViolation", "System", "Process", "Region", "Section",
           "PageInfo",
           "Notification", "Stats", "ProcessStats", "StoreStats", "RegionInfo", "RegionState", "RegionType", "Prot",
           "TRIM_POLICIES", "parse_size", "parse_prot", "version", "library_path",
           "RESERVE_GRANULARITY", "WS_DEFAULT_MIN", "WS_DEFAULT_MAX"]
