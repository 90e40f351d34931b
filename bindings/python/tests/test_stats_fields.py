# SPDX-License-Identifier: MIT
"""The statistics fields are declared once, in include/umm.h (UMM_STATS_FIELDS,
UMM_PROCESS_STATS_FIELDS), and the library describes them at run time (umm_stats_field). These
tests hold everything else to that description: the tables of docs/api.md, the ctypes structs the
bindings build from it, and the values Python reads, compared with what a C program reads."""
import ctypes
import difflib
import os
import re
import shutil
import subprocess

import pytest

import umm
from umm import _lib
from conftest import PAGE, REPO

API_MD = os.path.join(REPO, "docs", "api.md")

# (C struct, `which` of umm_stats_field, Python view)
STRUCTS = [("umm_stats_t", 0, umm.Stats), ("umm_process_stats_t", 1, umm.ProcessStats)]
STRUCT_IDS = [cname for cname, _, _ in STRUCTS]

CTYPE_OF_KIND = {"gauge": ctypes.c_uint64, "counter": ctypes.c_uint64, "rate": ctypes.c_double,
                 "array of 8": ctypes.c_uint64 * 8}


# ------------------------------------------------------------------------------------------------
# docs/api.md
# ------------------------------------------------------------------------------------------------
def table_row(field):
    """A field's row in docs/api.md: | `name` | kind | meaning |"""
    return "| `%s` | %s | %s |" % (field.name, field.kind, field.doc.replace("|", r"\|"))


def expected_table(which):
    fields, _ = _lib.stats_fields(which)
    return ["| Field | Kind | Meaning |", "|---|---|---|"] + [table_row(f) for f in fields]


def normalized(line):
    """A table line with each cell stripped, so that only the cells' text is compared."""
    cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return "| %s |" % " | ".join(c.strip() for c in cells)


def documented_tables(text):
    """{struct name: the lines of its table} for each table of the Statistics section of
    docs/api.md; a table is introduced by a line "`umm_..._t` (...):" and an empty line."""
    section = re.search(r"^## Statistics$(.*?)(?=^## )", text, re.S | re.M)
    if section is None:
        return {}
    found = re.findall(r"^`(umm_\w+_t)` \(.*\):\n\n((?:\|.*\n)+)", section.group(1), re.M)
    return {cname: table.splitlines() for cname, table in found}


def table_mismatch(text, cname, which):
    """None when the docs text has the table of `cname` exactly as the library describes the
    fields; else a message with a diff and the table to paste."""
    expected = expected_table(which)
    paste = "docs/api.md's table of %s should read:\n\n%s\n" % (cname, "\n".join(expected))
    documented = documented_tables(text).get(cname)
    if documented is None:
        return ("docs/api.md's Statistics section has no table introduced by \"`%s` (...):\".\n%s"
                % (cname, paste))
    ours, theirs = [normalized(l) for l in documented], [normalized(l) for l in expected]
    if ours == theirs:
        return None
    diff = difflib.unified_diff(ours, theirs, "docs/api.md", "umm_stats_field", lineterm="", n=1)
    return "docs/api.md's table of %s differs from the library's fields:\n%s\n\n%s" % (
        cname, "\n".join(diff), paste)


@pytest.mark.parametrize("cname,which,view", STRUCTS, ids=STRUCT_IDS)
def test_docs_table_is_the_field_list(cname, which, view):
    with open(API_MD) as f:
        message = table_mismatch(f.read(), cname, which)
    if message:
        pytest.fail(message, pytrace=False)


def _doctored(text, old, new):
    assert text.count(old) == 1, old
    return text.replace(old, new)


@pytest.mark.parametrize("change", ["missing", "extra", "reordered", "meaning", "kind", "caption"])
def test_docs_check_sees_every_kind_of_difference(change):
    with open(API_MD) as f:
        text = f.read()
    fields, _ = _lib.stats_fields(0)
    first, second = table_row(fields[0]) + "\n", table_row(fields[1]) + "\n"
    doctored = {
        "missing": lambda: _doctored(text, second, ""),
        "extra": lambda: _doctored(text, second, second + "| `spare` | counter | unused |\n"),
        "reordered": lambda: _doctored(text, first + second, second + first),
        "meaning": lambda: _doctored(text, second, second.replace(fields[1].doc,
                                                                  fields[1].doc + " (pages)")),
        "kind": lambda: _doctored(text, second, second.replace("| gauge |", "| counter |")),
        "caption": lambda: _doctored(text, "`umm_stats_t` (the system):", "The system:"),
    }[change]()
    assert table_mismatch(text, "umm_stats_t", 0) is None
    message = table_mismatch(doctored, "umm_stats_t", 0)
    assert message and table_row(fields[-1]) in message  # the table to paste is printed whole
    assert table_mismatch(doctored, "umm_process_stats_t", 1) is None


# ------------------------------------------------------------------------------------------------
# the ctypes structs
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cname,which,view", STRUCTS, ids=STRUCT_IDS)
def test_struct_is_built_from_the_library_description(cname, which, view):
    fields, size = _lib.stats_fields(which)
    struct = view._struct
    assert fields and ctypes.sizeof(struct) == size
    assert [name for name, _ in struct._fields_] == [f.name for f in fields]
    for (name, ctype), f in zip(struct._fields_, fields):
        assert getattr(struct, name).offset == f.offset, name
        assert ctype is CTYPE_OF_KIND[f.kind], name
    assert list(view.FIELDS.values()) == fields
    assert view.fields() == list(view.FIELDS)


def test_stats_field_past_the_end_and_bad_which():
    size = ctypes.c_size_t(1)
    n = len(_lib.stats_fields(0)[0])
    assert not _lib.lib.umm_stats_field(0, n, ctypes.byref(size))
    assert size.value == ctypes.sizeof(_lib.Stats)
    assert not _lib.lib.umm_stats_field(2, 0, ctypes.byref(size))
    assert size.value == 0
    assert _lib.lib.umm_stats_field(1, 0, None).contents.name == b"working_set"


def test_a_layout_the_library_disagrees_with_is_an_import_error():
    fields, size = _lib.stats_fields(1)
    moved = [fields[0], fields[1]._replace(offset=fields[1].offset + 8)] + fields[2:]
    with pytest.raises(ImportError, match=r"umm_process_stats_t\.working_set_peak is at offset 16 "
                                          r"in the library but at 8"):
        _lib.complete_stats_struct(type("T", (ctypes.Structure,), {}), "umm_process_stats_t",
                                   moved, size)
    with pytest.raises(ImportError, match=r"sizeof\(umm_process_stats_t\) is %d" % (size + 8)):
        _lib.complete_stats_struct(type("T", (ctypes.Structure,), {}), "umm_process_stats_t",
                                   fields, size + 8)


def test_views_describe_their_fields():
    assert umm.Stats.FIELDS["faults_hard"].kind == "counter"
    assert umm.Stats.FIELDS["faults_per_sec"].kind == "rate"
    assert umm.Stats.FIELDS["standby_by_priority"].kind == "array of 8"
    assert umm.Stats.FIELDS["page_size"].doc == "bytes per page"
    assert umm.ProcessStats.FIELDS["working_set"].doc == "valid pages of the process"
    with pytest.raises(TypeError):
        umm.Stats.FIELDS["page_size"] = None
    with umm.System(ram="4M", workers=False) as s:
        st = s.stats()
        assert st.FIELDS is umm.Stats.FIELDS and "FIELDS" in dir(st)


# ------------------------------------------------------------------------------------------------
# the values: what Python reads is what C reads
# ------------------------------------------------------------------------------------------------
# A helper library that reads the statistics as a C program does (through the compiler's view of
# umm.h's structs) and prints every field. It gets umm_stats_get and umm_process_stats_get as
# pointers from Python, so it calls the very library the bindings loaded.
DUMP_C = r"""
#include <stdio.h>
#include "umm.h"

#define PUT(...) n += (size_t)snprintf(n < cap ? out + n : NULL, n < cap ? cap - n : 0, __VA_ARGS__)
#define U64_(name, doc) PUT(#name " %llu\n", (unsigned long long)s.name);
#define F64_(name, doc) PUT(#name " %.17g\n", s.name);
#define A8_(name, doc)                                                                             \
    for (int k = 0; k < 8; k++)                                                                    \
        PUT(#name "[%d] %llu\n", k, (unsigned long long)s.name[k]);

size_t dump_system(int (*get)(umm_system_t *, umm_stats_t *), umm_system_t *sys, char *out,
                   size_t cap)
{
    umm_stats_t s;
    size_t n = 0;
    if (get(sys, &s) != UMM_OK)
        return 0;
    UMM_STATS_FIELDS(U64_, U64_, F64_, A8_)
    return n;
}

size_t dump_process(int (*get)(umm_process_t *, umm_process_stats_t *), umm_process_t *proc,
                    char *out, size_t cap)
{
    umm_process_stats_t s;
    size_t n = 0;
    if (get(proc, &s) != UMM_OK)
        return 0;
    UMM_PROCESS_STATS_FIELDS(U64_, U64_)
    return n;
}
"""


@pytest.fixture(scope="module")
def c_dump(tmp_path_factory):
    cc = shutil.which("gcc") or shutil.which("cc")
    if not cc:
        pytest.skip("no C compiler")
    tmp = tmp_path_factory.mktemp("stats_dump")
    src, so = tmp / "dump.c", tmp / "dump.so"
    src.write_text(DUMP_C)
    subprocess.run([cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
                    "-I", os.path.join(REPO, "include"), str(src), "-o", str(so)], check=True)
    helper = ctypes.CDLL(str(so))
    for fn in (helper.dump_system, helper.dump_process):
        fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
        fn.restype = ctypes.c_size_t

    def dump(fn, getter, handle, view):
        """{field or field[k]: value} as the C helper prints them."""
        buf = ctypes.create_string_buffer(1 << 16)
        n = fn(ctypes.cast(getter, ctypes.c_void_p), handle, buf, len(buf))
        assert 0 < n < len(buf)
        values = {}
        for line in buf.value.decode().splitlines():
            key, text = line.split()
            kind = view.FIELDS[key.split("[")[0]].kind
            values[key] = float(text) if kind == "rate" else int(text)
        return values

    return {"system": lambda sys: dump(helper.dump_system, _lib.lib.umm_stats_get,
                                       sys._handle(), umm.Stats),
            "process": lambda proc: dump(helper.dump_process, _lib.lib.umm_process_stats_get,
                                         proc._handle(), umm.ProcessStats)}


def flattened(view):
    """{field or field[k]: value} of a Python statistics snapshot."""
    out = {}
    for name, value in view.as_dict().items():
        if isinstance(value, tuple):
            out.update(("%s[%d]" % (name, k), v) for k, v in enumerate(value))
        else:
            out[name] = value
    return out


def test_python_reads_what_c_reads(c_dump):
    # A known sequence, without workers: 256 demand-zero faults; all pages trimmed and written;
    # half read back by soft faults, the other half (Standby purged) by hard faults with
    # read-ahead; 64 pages trimmed again to Standby at priority 5; one balance pass.
    with umm.System(ram="4M", pagefile="16M", workers=False) as system:
        proc = system.process()
        proc.set_priority(5)
        region = proc.reserve("1M")
        region.commit()
        pages = region.size // PAGE
        for i in range(pages):
            region[i * PAGE] = i % 251 + 1
        proc.empty_working_set()
        system.flush_modified()
        for i in range(pages // 2):
            assert region[i * PAGE] == i % 251 + 1
        system.standby_purge()
        for i in range(pages // 2, pages):
            assert region[i * PAGE] == i % 251 + 1
        proc.trim(64)
        system.flush_modified()
        system.balance()

        st, ps = system.stats(), proc.stats()
        assert st.faults_demand_zero == ps.faults_demand_zero == pages
        assert st.pages_output == pages and st.pages_input == pages // 2
        assert st.faults_hard >= 1 and st.faults_hard + st.faults_transition == pages
        assert st.pages_trimmed == ps.pages_trimmed == pages + 64
        assert st.standby_by_priority[5] == st.standby == 64
        assert st.balancer_passes == 1

        assert c_dump["system"](system) == flattened(st)
        assert c_dump["process"](proc) == flattened(ps)
