# SPDX-License-Identifier: MIT
"""Shared fixtures for the umm binding tests.

Run (as ctest does):
    UMM_LIBRARY=build/libumm.so PYTHONPATH=bindings/python /usr/bin/python3 -m pytest -q bindings/python/tests
"""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PKG_ROOT = os.path.dirname(HERE)  # bindings/python
REPO = os.path.dirname(os.path.dirname(PKG_ROOT))
if PKG_ROOT not in sys.path:
    sys.path.insert(0, PKG_ROOT)

import umm  # noqa: E402
import umm.fault  # noqa: E402

PAGE = 4096


def _drives_failpoints(item):
    """Does this test enable failure points: its module imports umm.fault, its body calls it or
    a failpoint function, or it runs docs/fault-injection.md's examples?"""
    import inspect
    module = inspect.getsource(item.module) if getattr(item, "module", None) else ""
    body = inspect.getsource(item.function) if getattr(item, "function", None) else ""
    return ("import umm.fault" in module or "umm.fault." in body or "failpoint" in body
            or "fault-injection" in item.nodeid)


def pytest_collection_modifyitems(config, items):
    """A libumm without failure points (UMM_FAILPOINTS=OFF): the tests that drive them skip."""
    if umm.fault.AVAILABLE:
        return
    skip = pytest.mark.skip(reason="libumm built without failure points (UMM_FAILPOINTS=OFF)")
    for item in items:
        if _drives_failpoints(item):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _no_failpoints_left():
    """A test that fails halfway must not leave a failure point on for the next one."""
    yield
    umm.fault.disable_all()


@pytest.fixture
def system():
    """A small system without workers (deterministic counters)."""
    with umm.System(ram="8M", workers=False) as s:
        yield s


@pytest.fixture
def proc(system):
    with system.process() as p:
        yield p


def child_env():
    """Environment for a subprocess that imports umm the same way this run does."""
    env = dict(os.environ)
    env["PYTHONPATH"] = PKG_ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("UMM_LIBRARY", umm.library_path)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env
