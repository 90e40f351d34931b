# SPDX-License-Identifier: MIT
"""The examples in the documentation run as printed: each complete C program (a ```c block with a
main) is compiled against this tree's headers and the loaded libumm and run; when a ```text block
follows it, its output must be exactly that. Each ```python block that imports umm runs in a
subprocess."""
import os
import re
import shutil
import subprocess
import sys

import pytest

import umm
from conftest import REPO, child_env

DOCS = ["docs/fault-injection.md"]


def blocks(path):
    """(language, code, following text block or None) for each fenced block of a Markdown file."""
    text = open(os.path.join(REPO, path)).read()
    found = re.findall(r"```(\w+)\n(.*?)```", text, re.S)
    out = []
    for k, (lang, code) in enumerate(found):
        after = found[k + 1][1] if k + 1 < len(found) and found[k + 1][0] == "text" else None
        out.append((lang, code, after))
    return out


def c_programs():
    return [pytest.param(path, code, after, id="%s-c%d" % (path, k))
            for path in DOCS for k, (lang, code, after) in enumerate(blocks(path))
            if lang == "c" and "int main" in code]


def python_snippets():
    return [pytest.param(path, code, id="%s-py%d" % (path, k))
            for path in DOCS for k, (lang, code, _) in enumerate(blocks(path))
            if lang == "python" and "import umm" in code]


@pytest.mark.parametrize("path,code,expected", c_programs())
def test_c_example_compiles_and_runs(tmp_path, path, code, expected):
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler")
    src = tmp_path / "example.c"
    src.write_text(code)
    libdir = os.path.dirname(os.path.abspath(umm.library_path))
    exe = tmp_path / "example"
    build = subprocess.run([cc, "-std=c11", "-Wall", "-Wextra", "-Werror", str(src),
                            "-I" + os.path.join(REPO, "include"), "-L" + libdir, "-lumm",
                            "-Wl,-rpath," + libdir, "-o", str(exe)],
                           capture_output=True, text=True)
    assert build.returncode == 0, "%s: %s" % (path, build.stderr)
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, "%s: %s" % (path, run.stderr)
    if expected is not None:
        assert run.stdout == expected, "%s: the printed output differs from the program's" % path


@pytest.mark.parametrize("path,code", python_snippets())
def test_python_example_runs(path, code):
    run = subprocess.run([sys.executable, "-c", code], env=child_env(), capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, "%s: %s" % (path, run.stderr[-2000:])
