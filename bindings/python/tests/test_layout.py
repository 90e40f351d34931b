"""The ctypes Structure mirrors match the C structs: every field's offset and every size, as the C
compiler sees include/umm.h (a small C program is compiled with gcc; skipped without gcc)."""
import os
import shutil
import subprocess

import pytest

import umm
from umm import _lib
from conftest import REPO


def _c_layout(tmp_path):
    cc = shutil.which("gcc") or shutil.which("cc")
    if not cc:
        pytest.skip("no C compiler")
    lines = ["#include <stdio.h>", "#include <stddef.h>", "#include \"umm.h\"", "int main(void) {"]
    for cname, st in _lib.STRUCTS.items():
        lines.append('printf("%s sizeof %%zu\\n", sizeof(%s));' % (cname, cname))
        for fname, _ in st._fields_:
            lines.append('printf("%s %s %%zu\\n", offsetof(%s, %s));' % (cname, fname, cname, fname))
    lines += ["return 0; }"]
    src = tmp_path / "layout.c"
    src.write_text("\n".join(lines) + "\n")
    exe = tmp_path / "layout"
    subprocess.run([cc, "-std=c11", "-I", os.path.join(REPO, "include"), str(src), "-o", str(exe)],
                   check=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    return {tuple(line.split()[:2]): int(line.split()[2]) for line in out.splitlines()}


def test_struct_layout_matches_c(tmp_path):
    c = _c_layout(tmp_path)
    for cname, st in _lib.STRUCTS.items():
        assert c[(cname, "sizeof")] == __import__("ctypes").sizeof(st), cname
        for fname, _ in st._fields_:
            assert c[(cname, fname)] == getattr(st, fname).offset, (cname, fname)


def test_every_stats_field_is_an_attribute():
    with umm.System(ram="4M", workers=False) as s:
        st = s.stats()
        d = st.as_dict()
        assert list(d) == [f for f, _ in _lib.Stats._fields_]
        for f in d:
            assert getattr(st, f) == d[f]
        assert len(st.standby_by_priority) == 8
        assert isinstance(st.faults_per_sec, float)
        with s.process() as p:
            ps = p.stats()
            assert list(ps.as_dict()) == [f for f, _ in _lib.ProcessStats._fields_]
            with pytest.raises(AttributeError):
                ps.working_set = 3
            with pytest.raises(AttributeError):
                ps.no_such_counter


def test_error_names_come_from_the_library():
    names = _lib.error_names()
    assert names[0] == "UMM_OK"
    assert names[3] == "UMM_E_COMMIT_LIMIT"
    assert "UMM_E_STATE" in names.values()
    e = umm.UmmError(3, "umm_commit")
    assert (e.code, e.name) == (3, "UMM_E_COMMIT_LIMIT")
    assert e.message == "commit charge would exceed the commit limit"
    assert str(e) == "umm_commit: UMM_E_COMMIT_LIMIT (3): commit charge would exceed the commit limit"
    assert umm.UmmError(999).name == "UMM_E_999"


def test_every_table_row_is_bound():
    for name, argtypes, restype, errcheck in _lib.FUNCTIONS:
        f = getattr(_lib.lib, name)
        assert f.argtypes == argtypes, name
        if errcheck is not None:
            assert f.errcheck is errcheck


def test_missing_symbol_becomes_a_stub():
    class Fake:
        pass
    fake = Fake()
    _lib.register_functions(fake, [("umm_hv_not_there", [], None, None)])
    with pytest.raises(umm.UmmError) as ei:
        fake.umm_hv_not_there()
    assert ei.value.name == "UMM_E_NOT_SUPPORTED"


def test_library_lookup_honours_umm_library():
    assert os.path.samefile(umm.library_path, os.environ.get("UMM_LIBRARY", umm.library_path))
    assert umm.version().count(".") == 2
