# SPDX-License-Identifier: MIT
"""umm.hv: the mini-hypervisor of include/umm_hv.h -- a host with its own RAM budget running guests,
each a complete umm system, reclaimed from by page sharing, ballooning and host swapping under a
shares/reservation/limit policy (see docs/hv.md and design.md section 6).

    import umm.hv
    with umm.hv.Host(ram="256M", swap="1G", workers=False) as host:
        g = host.guest(ram="192M", pagefile="256M", shares=2000, name="web", workers=False)
        proc = g.system.process()          # the whole core API inside the guest
        region = proc.reserve("16M"); region.commit()
        memoryview(region)[:5] = b"hello"
        host.share_scan(4096)              # merged frames
        g.balloon_target = 1024            # pages; umm_hv_balloon_set_target
        host.step()                        # one policy/balloon/scan pass (workers=False)
        print(host.stats().state, g.stats().balloon_actual)

This module adds its C prototypes to the single table ``umm._lib.FUNCTIONS`` (and its structures
to ``umm._lib.STRUCTS``, which the layout test compares with gcc) when it is imported.

Ownership: the host owns its guests and a guest owns its umm system. ``Guest.system`` is a
:class:`umm.System` (the core classes, unchanged) whose close() does NOT destroy the C system: only
``Guest.destroy()`` (or ``Host.close()``) does, and then every Python object of that guest (system,
processes, regions) is marked closed/released.
"""

from __future__ import annotations

import ctypes
import os
from typing import List, Optional, Union
from ctypes import POINTER, c_char_p, c_double, c_int, c_size_t, c_uint, c_uint64, c_void_p

from . import _lib
from ._lib import Config, check_error, lib
from .core import (Process, SizeLike, System, _Handle, _StructView, _refuse_if_exported,
                   build_config, parse_size)

__all__ = ["Host", "Guest", "GuestSystem", "HostStats", "GuestStats", "STATES", "state_name",
           "HostConfig", "GuestConfig", "HV_FUNCTIONS", "HV_STRUCTS"]

# ------------------------------------------------------------------------------------------------
# constants from umm_hv.h
# ------------------------------------------------------------------------------------------------
HV_NO_WORKERS, HV_NO_SHARING, HV_SALT_GUESTS, HV_NO_COMPRESSION = 0x1, 0x2, 0x4, 0x8
HV_GUEST_NO_BALLOON, HV_GUEST_SALT = 0x1, 0x2
STATE_HIGH, STATE_CLEAR, STATE_SOFT, STATE_HARD, STATE_LOW = 0, 1, 2, 3, 4
STATES = ("high", "clear", "soft", "hard", "low")  # umm_hv_state_t, by value

# Defaults of UMM_HV_HOST_CONFIG_INIT.
HOST_CONFIG_DEFAULTS = dict(ram_bytes=256 << 20, page_size=4096, swap_path=None,
                            swap_bytes=1 << 30, flags=0, scan_pages=2048, scan_sleep_ms=20,
                            policy_interval_ms=1000, idle_tax_pct=75)


# ------------------------------------------------------------------------------------------------
# structures (field order and types exactly as in include/umm_hv.h)
# ------------------------------------------------------------------------------------------------
class HostConfig(ctypes.Structure):
    """umm_hv_host_config_t"""
    _fields_ = [
        ("ram_bytes", c_size_t),
        ("page_size", c_size_t),
        ("swap_path", c_char_p),
        ("swap_bytes", c_size_t),
        ("flags", c_uint),
        ("scan_pages", c_uint),
        ("scan_sleep_ms", c_uint),
        ("policy_interval_ms", c_uint),
        ("idle_tax_pct", c_uint),
        ("swap_store", ctypes.POINTER(_lib.StoreConfig)),
    ]


class GuestConfig(ctypes.Structure):
    """umm_hv_guest_config_t (embeds umm_config_t)"""
    _fields_ = [
        ("sys", Config),
        ("shares", c_uint),
        ("reservation_bytes", c_size_t),
        ("limit_bytes", c_size_t),
        ("flags", c_uint),
        ("name", c_char_p),
    ]


_GUEST_U64 = """guest_frames granted consumed private_frames shared shared_zero saved
balloon_target balloon_actual balloon_inflated balloon_deflated balloon_deflate_on_pressure
host_swapped compressed swapped_out swapped_in double_paging nested_zero_fill nested_swap_in
nested_cow_break nested_remap active_pct entitlement""".split()


# host reclaim without waste: swap-ins by cause, victims by guest list, drops, policy reversals
_GUEST_RECLAIM_U64 = """swapin_access swapin_writer reads_skipped handed_over victims_free
victims_standby victims_active victims_modified dropped balloon_reversals""".split()


class GuestStatsRaw(ctypes.Structure):
    """umm_hv_guest_stats_t"""
    _fields_ = ([(n, c_uint64) for n in _GUEST_U64] +
                [("shares", c_uint), ("reservation", c_uint64), ("limit", c_uint64)] +
                [(n, c_uint64) for n in _GUEST_RECLAIM_U64])


class HostStatsRaw(ctypes.Structure):
    """umm_hv_host_stats_t"""
    _fields_ = ([("host_frames", c_uint64), ("free_frames", c_uint64),
                 ("state", c_int),  # umm_hv_state_t
                 ("overcommit", c_double)] +
                [(n, c_uint64) for n in
                 "guests shared_frames saved scanned merged cow_breaks".split()] +
                [("scan_pages_per_sec", c_double)] +
                [(n, c_uint64) for n in
                 ("scan_cpu_ns swap_slots swap_used swapped_out swapped_in compressed "
                  "compression_frames compressed_out decompressed policy_passes").split()])


HV_STRUCTS = {"umm_hv_host_config_t": HostConfig, "umm_hv_guest_config_t": GuestConfig,
              "umm_hv_guest_stats_t": GuestStatsRaw, "umm_hv_host_stats_t": HostStatsRaw}

# ------------------------------------------------------------------------------------------------
# prototypes: rows of the same shape as _lib.FUNCTIONS, appended to it
# ------------------------------------------------------------------------------------------------
_vp = c_void_p
_Err = check_error
HV_FUNCTIONS = [
    ("umm_hv_host_create", [POINTER(HostConfig), POINTER(_vp)], c_int, _Err),
    ("umm_hv_host_destroy", [_vp], None, None),
    ("umm_hv_guest_create", [_vp, POINTER(GuestConfig), POINTER(_vp)], c_int, _Err),
    ("umm_hv_guest_destroy", [_vp], None, None),
    ("umm_hv_guest_system", [_vp], _vp, None),
    ("umm_hv_balloon_set_target", [_vp, c_size_t], c_int, _Err),
    ("umm_hv_balloon_auto", [_vp], c_int, _Err),
    ("umm_hv_guest_set_policy", [_vp, c_uint, c_size_t, c_size_t], c_int, _Err),
    ("umm_hv_host_step", [_vp], c_int, _Err),
    ("umm_hv_share_scan", [_vp, c_size_t, POINTER(c_uint64)], c_int, _Err),
    ("umm_hv_guest_stats", [_vp, POINTER(GuestStatsRaw)], c_int, _Err),
    ("umm_hv_host_stats", [_vp, POINTER(HostStatsRaw)], c_int, _Err),
    ("umm_hv_state_name", [c_int], c_char_p, None),
    ("umm_hv_guest_name", [_vp], c_char_p, None),
]

if not any(row[0] == "umm_hv_host_create" for row in _lib.FUNCTIONS):
    _lib.FUNCTIONS.extend(HV_FUNCTIONS)
_lib.STRUCTS.update(HV_STRUCTS)
_lib.register_functions(lib, HV_FUNCTIONS)


def state_name(state: int) -> str:
    """umm_hv_state_name: "high", "clear", "soft", "hard", "low" ("invalid" outside the enum)."""
    return lib.umm_hv_state_name(int(state)).decode()


def _count(value, what):
    """A non-negative int (pages, shares); ValueError/TypeError otherwise (ctypes would silently
    wrap a negative number into a huge size_t)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("%s must be an int, not %s" % (what, type(value).__name__))
    if value < 0:
        raise ValueError("%s must be >= 0, not %d" % (what, value))
    return value


def _fraction_pct(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("%s must be a number" % what)
    if not 0 <= value <= 0.99:
        raise _lib.InvalidArgument("%s: %r is outside [0, 0.99]" % (what, value))
    return int(round(value * 100))


# ------------------------------------------------------------------------------------------------
# statistics
# ------------------------------------------------------------------------------------------------
class GuestStats(_StructView):
    """umm_hv_guest_stats_t of one guest (pages unless said; shares a plain number)."""
    _struct = GuestStatsRaw
    __slots__ = ()


class HostStats(_StructView):
    """umm_hv_host_stats_t; ``state`` is its name ("high" ... "low"), ``state_code`` the number."""
    _struct = HostStatsRaw
    __slots__ = ()

    def __init__(self, raw: ctypes.Structure) -> None:
        super().__init__(raw)
        self._values["state_code"] = raw.state
        self._values["state"] = state_name(raw.state)


# ------------------------------------------------------------------------------------------------
# host, guests, the guest's system
# ------------------------------------------------------------------------------------------------
class Host(_Handle):
    """A hypervisor host: its RAM budget (a frame pool), a swap file, the sharing scanner and the
    policy. Sizes are ints or strings ("256M").

    swap: host swap size (0 or None: no host swapping); swap_path: a named swap file (default an
    unnamed one in $TMPDIR). workers=False: no host thread, the policy, balloons and scanner run
    only in step() (deterministic). sharing=False: no transparent page sharing. salt=True: no
    sharing across guests. compression=False: no lz4 compression cache before host swapping
    (UMM_HV_NO_COMPRESSION). idle_tax: ESXi's Mem.IdleTax as a fraction (0.75: an idle page costs 4x
    an active one). scan_pages/scan_sleep_ms/policy_interval_ms: as umm_hv_host_config_t (None:
    the C defaults 2048, 20 ms, 1000 ms)."""
    _destroy = "umm_hv_host_destroy"

    def __init__(self, ram: SizeLike = "256M", swap: Optional[SizeLike] = "1G",
                 workers: bool = True, sharing: bool = True, salt: bool = False,
                 scan_pages: Optional[int] = None, scan_sleep_ms: Optional[int] = None,
                 policy_interval_ms: Optional[int] = None, idle_tax: float = 0.75,
                 swap_path: Union[str, os.PathLike, None] = None,
                 page_size: Optional[SizeLike] = None, compression: bool = True) -> None:
        cfg = HostConfig(**{k: v for k, v in HOST_CONFIG_DEFAULTS.items() if k != "swap_path"})
        cfg.ram_bytes = parse_size(ram, "ram")
        cfg.swap_bytes = 0 if swap is None else parse_size(swap, "swap")
        if page_size is not None:
            cfg.page_size = parse_size(page_size, "page_size")
        self._swap_path = None if swap_path is None else os.fsencode(swap_path)
        cfg.swap_path = self._swap_path
        cfg.flags = ((0 if workers else HV_NO_WORKERS) | (0 if sharing else HV_NO_SHARING) |
                     (HV_SALT_GUESTS if salt else 0) | (0 if compression else HV_NO_COMPRESSION))
        if scan_pages is not None:
            cfg.scan_pages = _count(scan_pages, "scan_pages")
        if scan_sleep_ms is not None:
            cfg.scan_sleep_ms = _count(scan_sleep_ms, "scan_sleep_ms")
        if policy_interval_ms is not None:
            cfg.policy_interval_ms = _count(policy_interval_ms, "policy_interval_ms")
        cfg.idle_tax_pct = _fraction_pct(idle_tax, "idle_tax")
        self.config = cfg
        _lib.ensure_signal_stack()
        h = c_void_p()
        lib.umm_hv_host_create(ctypes.byref(cfg), ctypes.byref(h))
        super().__init__(h.value)
        self.page_size = cfg.page_size

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    @property
    def guests(self) -> List[Guest]:
        """The guests still running, in creation order."""
        return list(self._children)

    def guest(self, ram: SizeLike = "192M", pagefile: object = None, shares: int = 1000,
              reservation: SizeLike = 0, limit: Optional[SizeLike] = None, balloon: bool = True,
              salt: bool = False, name: Optional[str] = None, **system_config: object) -> Guest:
        """Create a guest. ram is its "physical" memory; pagefile and **system_config are
        umm.System's arguments for the guest's own umm system (workers=False, trim_policy=...,
        cluster_pages=...). shares (0 = 1000), reservation, limit (None: its RAM) are the ESXi
        policy knobs; balloon=False: no balloon driver; salt=True: it shares only with itself.
        UmmError UMM_E_COMMIT_LIMIT when the host could never back it (RAM + swap) or cannot
        honour the reservation."""
        return Guest(self, ram=ram, pagefile=pagefile, shares=shares, reservation=reservation,
                     limit=limit, balloon=balloon, salt=salt, name=name, **system_config)

    def step(self, count: int = 1) -> None:
        """`count` host passes now on this thread (policy, balloon steps, one sharing scan pass,
        host swapping if needed): umm_hv_host_step. Needed with workers=False."""
        for _ in range(_count(count, "count")):
            lib.umm_hv_host_step(self._handle())

    def share_scan(self, pages: int) -> int:
        """Scan up to `pages` guest frames for sharing now; returns the number merged (0 with
        sharing=False)."""
        merged = c_uint64()
        lib.umm_hv_share_scan(self._handle(), _count(pages, "pages"), ctypes.byref(merged))
        return merged.value

    def stats(self) -> HostStats:
        raw = HostStatsRaw()
        lib.umm_hv_host_stats(self._handle(), ctypes.byref(raw))
        return HostStats(raw)

    def close(self) -> None:
        """Destroy the host and every guest still running (their Python objects become closed).
        BufferError, changing nothing, while a memoryview of a guest's region is alive."""
        if self._h is not None:
            for g in self._children:
                g._refuse_if_exported()
        super().close()

    def __repr__(self):
        state = "closed" if self.closed else "0x%x" % self._h
        return "<umm.hv.Host %s ram=%d swap=%d guests=%d>" % (
            state, self.config.ram_bytes, self.config.swap_bytes, len(self._children))


class GuestSystem(System):
    """The umm system inside a guest: a umm.System in every respect except ownership -- close()
    releases nothing (the guest owns the C system; use Guest.destroy()), and the object becomes
    closed when its guest is destroyed."""

    def __init__(self, guest: Guest, handle: int, config: Config,
                 pagefile_path: Optional[bytes]) -> None:
        _Handle.__init__(self, handle)
        self.guest = guest  # keeps the guest (and its host) alive while the system is in use
        self.config = config
        self._pagefile_path = pagefile_path
        self.page_size = config.page_size

    def close(self) -> None:
        """A no-op: the guest's system lives until Guest.destroy() / Host.close()."""
        return None

    def __del__(self):
        pass

    def __repr__(self):
        state = "closed" if self.closed else "0x%x" % self._h
        return "<umm.hv.GuestSystem %s ram=%d>" % (state, self.config.ram_bytes)


class Guest(_Handle):
    """A guest of a Host (made by Host.guest()). ``system`` is its umm system; the balloon and the
    policy knobs are properties and methods; destroy() (or a with block) ends it."""
    _destroy = "umm_hv_guest_destroy"

    def __init__(self, host: Host, ram: SizeLike = "192M", pagefile: object = None,
                 shares: int = 1000, reservation: SizeLike = 0, limit: Optional[SizeLike] = None,
                 balloon: bool = True, salt: bool = False, name: Optional[str] = None,
                 **system_config: object) -> None:
        unknown = set(system_config) - _SYSTEM_KEYS
        if unknown:
            raise TypeError("guest(): unexpected keyword arguments %s" % sorted(unknown))
        sys_cfg, pf_path = build_config(ram=ram, pagefile=pagefile, **system_config)
        cfg = GuestConfig()
        cfg.sys = sys_cfg
        cfg.shares = _count(shares, "shares")
        cfg.reservation_bytes = parse_size(reservation, "reservation")
        cfg.limit_bytes = 0 if limit is None else parse_size(limit, "limit")
        cfg.flags = (0 if balloon else HV_GUEST_NO_BALLOON) | (HV_GUEST_SALT if salt else 0)
        self._name = None if name is None else str(name).encode()
        cfg.name = self._name
        self.config = cfg
        self.host = host
        h = c_void_p()
        lib.umm_hv_guest_create(host._handle(), ctypes.byref(cfg), ctypes.byref(h))
        super().__init__(h.value)
        sys_h = lib.umm_hv_guest_system(h.value)
        self.system = GuestSystem(self, sys_h, cfg.sys, pf_path)
        self._children.append(self.system)
        host._children.append(self)

    # ---- lifetime ----
    def destroy(self) -> None:
        """umm_hv_guest_destroy: its processes, frames and swap slots go; the host and the other
        guests are unaffected. Idempotent. BufferError, changing nothing, while a memoryview of
        one of its regions is alive."""
        if self._h is not None:
            self._refuse_if_exported()
        if self._h is not None:
            try:
                self.host._children.remove(self)
            except ValueError:
                pass
        super().close()

    close = destroy

    def _refuse_if_exported(self):
        if not self.system.closed:
            _refuse_if_exported([r for p in self.system._children if isinstance(p, Process)
                                 for r in p.regions], "destroy the guest")

    # ---- names ----
    @property
    def name(self) -> Optional[str]:
        """The guest's name (umm_hv_guest_name; "guest" when none was given)."""
        return lib.umm_hv_guest_name(self._handle()).decode()

    # ---- balloon ----
    @property
    def balloon_target(self) -> int:
        """Balloon target in guest pages. Setting it calls umm_hv_balloon_set_target (UmmError
        UMM_E_RANGE beyond the guest's RAM, UMM_E_NOT_SUPPORTED without a balloon) and takes the
        target out of the policy's hands until balloon_auto()."""
        return self.stats().balloon_target

    @balloon_target.setter
    def balloon_target(self, pages: int) -> None:
        lib.umm_hv_balloon_set_target(self._handle(), _count(pages, "balloon target"))

    @property
    def balloon_actual(self) -> int:
        """Pages the balloon holds now."""
        return self.stats().balloon_actual

    def balloon_auto(self) -> None:
        """Give the balloon target back to the host's policy."""
        lib.umm_hv_balloon_auto(self._handle())

    # ---- policy ----
    def set_policy(self, shares: int = 1000, reservation: SizeLike = 0,
                   limit: Optional[SizeLike] = None) -> None:
        """ESXi's knobs: shares (0 = 1000), reservation and limit (sizes; limit None = its RAM).
        UMM_E_INVAL when limit < reservation, UMM_E_COMMIT_LIMIT for a reservation the host
        cannot honour."""
        lib.umm_hv_guest_set_policy(self._handle(), _count(shares, "shares"),
                                    parse_size(reservation, "reservation"),
                                    0 if limit is None else parse_size(limit, "limit"))

    def stats(self) -> GuestStats:
        raw = GuestStatsRaw()
        lib.umm_hv_guest_stats(self._handle(), ctypes.byref(raw))
        return GuestStats(raw)

    def __repr__(self):
        if self.closed:
            return "<umm.hv.Guest destroyed>"
        return "<umm.hv.Guest %r 0x%x ram=%d>" % (self.name, self._h, self.config.sys.ram_bytes)


_SYSTEM_KEYS = {"page_size", "cluster_pages", "vma_budget", "pagefile_max", "workers",
                "balance_interval_ms", "trim_policy", "low_memory", "high_memory",
                "pagefile_path", "direct"}
