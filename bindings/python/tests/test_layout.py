# SPDX-License-Identifier: MIT
"""The ctypes Structure mirrors match the C structs: every field's offset and every size, as the C
compiler sees include/umm.h and include/umm_hv.h (a small C program is compiled with gcc; skipped
without gcc); the same for the hv constants and UMM_HV_HOST_CONFIG_INIT."""
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
    lines = ["#include <stdio.h>", "#include <stddef.h>", "#include \"umm_hv.h\"", "int main(void) {"]
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


def test_core_structs_are_in_the_table():
    for cname in ("umm_config_t", "umm_region_info_t", "umm_exception_t", "umm_stat_field_t",
                  "umm_stats_t", "umm_process_stats_t"):
        assert cname in _lib.STRUCTS


def test_hv_structs_are_in_the_table():
    for cname in ("umm_hv_host_config_t", "umm_hv_guest_config_t", "umm_hv_guest_stats_t",
                  "umm_hv_host_stats_t"):
        assert cname in _lib.STRUCTS
    names = {row[0] for row in _lib.FUNCTIONS}
    header = open(os.path.join(REPO, "include", "umm_hv.h")).read()
    import re
    declared = set(re.findall(r"UMM_API[^;(]*?\b(umm_hv_\w+)\s*\(", header))
    assert declared and declared <= names, declared - names


def test_hv_constants_and_defaults_match_c(tmp_path):
    cc = shutil.which("gcc") or shutil.which("cc")
    if not cc:
        pytest.skip("no C compiler")
    from umm import hv
    consts = {"UMM_HV_NO_WORKERS": hv.HV_NO_WORKERS, "UMM_HV_NO_SHARING": hv.HV_NO_SHARING,
              "UMM_HV_SALT_GUESTS": hv.HV_SALT_GUESTS,
              "UMM_HV_NO_COMPRESSION": hv.HV_NO_COMPRESSION,
              "UMM_HV_GUEST_NO_BALLOON": hv.HV_GUEST_NO_BALLOON,
              "UMM_HV_GUEST_SALT": hv.HV_GUEST_SALT, "UMM_HV_STATE_HIGH": hv.STATE_HIGH,
              "UMM_HV_STATE_LOW": hv.STATE_LOW}
    lines = ["#include <stdio.h>", "#include \"umm_hv.h\"", "int main(void) {",
             "umm_hv_host_config_t d = UMM_HV_HOST_CONFIG_INIT;"]
    for name in consts:
        lines.append('printf("%s %%lld\\n", (long long)(%s));' % (name, name))
    for field in hv.HOST_CONFIG_DEFAULTS:
        if field != "swap_path":
            lines.append('printf("%s %%lld\\n", (long long)d.%s);' % (field, field))
    lines.append('printf("swap_path %d\\n", d.swap_path == NULL); return 0; }')
    src = tmp_path / "consts.c"
    src.write_text("\n".join(lines) + "\n")
    exe = tmp_path / "consts"
    subprocess.run([cc, "-std=c11", "-I", os.path.join(REPO, "include"), str(src), "-o", str(exe)],
                   check=True)
    out = dict(line.split() for line in
               subprocess.run([str(exe)], check=True, capture_output=True, text=True)
               .stdout.splitlines())
    for name, value in consts.items():
        assert int(out[name]) == value, name
    for field, value in hv.HOST_CONFIG_DEFAULTS.items():
        if field == "swap_path":
            assert out[field] == "1" and value is None
        else:
            assert int(out[field]) == value, field
    assert [hv.state_name(i) for i in range(5)] == list(hv.STATES)
    assert hv.state_name(99) == "invalid"


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
