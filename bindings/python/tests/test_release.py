# SPDX-License-Identifier: MIT
"""Release hygiene: the license is stated once (LICENSE) and named by every source file's SPDX
line, the version agrees everywhere it is written."""
import os
import re

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
