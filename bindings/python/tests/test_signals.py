# SPDX-License-Identifier: MIT
"""umm's SIGSEGV handler next to Python's faulthandler (pytest enables faulthandler before umm is
loaded, so umm chains to it): ordinary managed-memory faults are resolved by umm; a real access
violation reaches faulthandler; an in-page error raises SIGBUS. The crashing cases run in a
subprocess."""
import faulthandler
import signal
import subprocess
import textwrap

import umm
from conftest import child_env

PY = "/usr/bin/python3"


def run_child(code):
    return subprocess.run([PY, "-X", "faulthandler", "-c", textwrap.dedent(code)], env=child_env(),
                          capture_output=True, text=True, timeout=60)


def test_managed_memory_works_with_faulthandler():
    assert faulthandler.is_enabled()
    with umm.System(ram="4M", workers=False) as s, s.process() as p:
        r = p.reserve("64K")
        r.commit()
        mv = memoryview(r)
        assert mv[0] == 0 and mv[4095] == 0  # read fault: demand-zero
        mv[8192] = 42
        assert mv[8192] == 42
        assert s.stats().faults_demand_zero >= 2
        mv.release()
    assert faulthandler.is_enabled()


def test_access_violation_reaches_faulthandler():
    res = run_child("""
        import umm
        s = umm.System(ram="4M", workers=False)
        r = s.process().reserve("64K")     # reserved, never committed
        print("touching", flush=True)
        memoryview(r)[0]
        print("survived", flush=True)
    """)
    assert "touching" in res.stdout and "survived" not in res.stdout
    assert res.returncode == -signal.SIGSEGV, res.stderr
    assert "Fatal Python error: Segmentation fault" in res.stderr


def test_in_page_error_is_sigbus():
    res = run_child("""
        import umm, umm.fault
        s = umm.System(ram="4M", workers=False)
        r = s.process().reserve("64K")
        r.commit()
        umm.fault.enable("umm/frame/alloc")
        print("touching", flush=True)
        memoryview(r)[0] = 1
        print("survived", flush=True)
    """)
    assert "touching" in res.stdout and "survived" not in res.stdout
    assert res.returncode == -signal.SIGBUS, res.stderr
    assert "Fatal Python error: Bus error" in res.stderr


def test_child_without_faults_exits_cleanly():
    res = run_child("""
        import umm
        with umm.System(ram="4M") as s, s.process() as p:
            r = p.reserve("64K"); r.commit(); memoryview(r)[0] = 5; print(r.read(0, 1))
    """)
    assert res.returncode == 0, res.stderr
    assert "b'\\x05'" in res.stdout
