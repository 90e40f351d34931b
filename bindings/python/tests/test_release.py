# SPDX-License-Identifier: MIT
"""Release hygiene: the license is stated once (LICENSE) and named by every source file's SPDX
line; the version agrees everywhere it is written; the public API is typed, its errors are
importable from umm and a bad argument is a ValueError or TypeError that names it; matplotlib is
optional."""
import os
import re

import pytest

import umm
from conftest import REPO

SOURCE = re.compile(r".*\.(c|h|py|cmake|in|toml|sh)$|^(CMakeLists\.txt|Makefile|run)$")
SKIP_DIRS = {".git", "__pycache__"}


def _sources():
    for root, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith("build")
                   and not d.endswith(".egg-info")]
        for f in files:
            if SOURCE.match(f):
                yield os.path.join(root, f)


def test_license_is_mit():
    with open(os.path.join(REPO, "LICENSE")) as f:
        assert f.readline().strip() == "MIT License"


def test_every_source_file_has_an_spdx_line():
    missing = []
    for path in _sources():
        with open(path, errors="replace") as f:
            head = [f.readline() for _ in range(2)]
        if not any("SPDX-License-Identifier: MIT" in line for line in head):
            missing.append(os.path.relpath(path, REPO))
    assert not missing, "no SPDX line in the first two lines of: %s" % ", ".join(sorted(missing))


def _header_version():
    with open(os.path.join(REPO, "include", "umm.h")) as f:
        text = f.read()
    parts = [re.search(r"#define UMM_VERSION_%s (\d+)" % p, text).group(1)
             for p in ("MAJOR", "MINOR", "PATCH")]
    string = re.search(r'#define UMM_VERSION_STRING "([^"]+)"', text).group(1)
    return ".".join(parts), string


def test_version_agrees_everywhere():
    from_parts, string = _header_version()
    assert from_parts == string == umm.__version__ == umm.version()


def test_python_metadata_names_the_license():
    with open(os.path.join(REPO, "bindings", "python", "pyproject.toml")) as f:
        text = f.read()
    assert 'license = {text = "MIT"}' in text
    assert "License :: OSI Approved :: MIT License" in text


def test_public_errors_are_importable_from_umm():
    from umm import AccessViolation, GuardPageViolation, InvalidArgument, UmmError
    assert issubclass(GuardPageViolation, AccessViolation)
    assert issubclass(AccessViolation, UmmError)
    assert issubclass(InvalidArgument, UmmError) and issubclass(InvalidArgument, ValueError)
    assert umm._lib.UMM_E_INVAL == {n: c for c, n in umm._lib.error_names().items()}["UMM_E_INVAL"]
    assert UmmError.__module__ == "umm"


def test_an_invalid_argument_from_the_library_is_a_value_error():
    with pytest.raises(ValueError) as ei:
        umm.System(ram="1000")  # umm_system_create: not a whole number of pages
    assert isinstance(ei.value, umm.UmmError) and ei.value.name == "UMM_E_INVAL"
    assert ei.value.function == "umm_system_create"


def test_library_soname_matches_the_package():
    assert umm._lib.soname() == "libumm.so.%s.%s" % tuple(umm.__version__.split(".")[:2])


def _public_functions():
    import inspect
    import umm.fault
    import umm.hv
    for mod in (umm.core, umm.hv, umm.fault):
        for name, obj in vars(mod).items():
            if name.startswith("_"):
                continue
            if inspect.isfunction(obj) and obj.__module__ == mod.__name__:
                yield "%s.%s" % (mod.__name__, name), obj
            elif inspect.isclass(obj) and obj.__module__ == mod.__name__:
                for attr, member in vars(obj).items():
                    if isinstance(member, property):
                        member = member.fget
                    if inspect.isfunction(member) and (not attr.startswith("_") or attr == "__init__"):
                        yield "%s.%s.%s" % (mod.__name__, name, attr), member


def test_public_api_has_type_hints():
    import typing
    missing = [name for name, fn in _public_functions()
               if "return" not in typing.get_type_hints(fn)]
    assert not missing, "no return annotation: %s" % ", ".join(missing)


def test_package_is_marked_typed():
    assert os.path.exists(os.path.join(os.path.dirname(umm.__file__), "py.typed"))


def test_example_without_matplotlib_writes_csv_and_says_how_to_plot(tmp_path):
    import subprocess
    import sys
    from conftest import PKG_ROOT, child_env
    blocker = tmp_path / "block" / "matplotlib"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('blocked by the test')\n")
    env = child_env()
    env["PYTHONPATH"] = str(tmp_path / "block") + os.pathsep + env["PYTHONPATH"]
    out = tmp_path / "out"
    p = subprocess.run([sys.executable, os.path.join(PKG_ROOT, "examples", "working_set_curve.py"),
                        "--tiny", "--out", str(out)], env=env, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "plot skipped: matplotlib is not installed" in p.stdout
    assert (out / "working_set_curve.csv").exists()
    assert not (out / "working_set_curve.png").exists()


@pytest.mark.parametrize("call,error,named", [
    (lambda p, r: p.reserve("1x"), ValueError, "size"),
    (lambda p, r: p.reserve(1.5), TypeError, "size"),
    (lambda p, r: p.reserve("1M", prot="rwz"), ValueError, "prot"),
    (lambda p, r: r.read(-1, 4), ValueError, "offset"),
    (lambda p, r: r.read(0, 1 << 30), ValueError, "n"),
    (lambda p, r: r.write(0, "text"), TypeError, "data"),
    (lambda p, r: p.trim(-1), ValueError, "pages"),
    (lambda p, r: p.trim("x"), TypeError, "pages"),
    (lambda p, r: p.set_priority(8), ValueError, "priority"),
    (lambda p, r: p.system.standby_purge(-1), ValueError, "max_priority"),
    (lambda p, r: p.set_ws_limits(10, 5), ValueError, "min_pages"),
    (lambda p, r: p.system.notification("mid"), ValueError, "kind"),
])
def test_bad_arguments_raise_errors_that_name_them(call, error, named):
    with umm.System(ram="8M", workers=False) as system:
        proc = system.process()
        region = proc.reserve("64K")
        region.commit()
        with pytest.raises(error, match=named):
            call(proc, region)
        region.write(0, b"kept")  # nothing was lost or changed by the bad call
        assert region.read(0, 4) == b"kept"


@pytest.mark.parametrize("make,named", [
    (lambda: umm.System(ram=0), "ram"),
    (lambda: umm.System(ram="8M", trim_policy="lru"), "trim_policy"),
])
def test_bad_system_arguments_name_them(make, named):
    with pytest.raises(ValueError, match=named):
        make()
