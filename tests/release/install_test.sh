#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The install test (make test-install): install a built tree to a temporary prefix under it, then,
# from that prefix alone, build and run docs/examples with pkg-config (shared and static) and with
# CMake find_package (umm::umm and umm::umm_static), and import the Python package from a venv.
#   tests/release/install_test.sh BUILD_DIR [PYTHON]
# BUILD_DIR is a configured and built umm tree (the Release default); PYTHON (default
# /usr/bin/python3) needs setuptools, wheel and venv (Debian: python3-setuptools, python3-wheel,
# python3-venv). Nothing is fetched from the network (pip --no-index).
set -euo pipefail

build=$(cd "${1:?usage: install_test.sh BUILD_DIR [PYTHON]}" && pwd)
python=${2:-/usr/bin/python3}
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$build/install-test
prefix=$work/prefix
rm -rf "$work"
mkdir -p "$work"
step() { printf '\n--- install test: %s\n' "$*"; }
fail() { echo "install test FAILED: $*" >&2; exit 1; }

step "cmake --install to $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig:$prefix/lib64/pkgconfig:$prefix/share/pkgconfig
pkg-config --exists umm || fail "pkg-config cannot find umm.pc under $prefix"
libdir=$(pkg-config --variable=libdir umm)
examples=$prefix/share/doc/umm/examples
[ -f "$prefix/share/doc/umm/LICENSE" ] || fail "LICENSE is not installed"
[ "$(pkg-config --modversion umm)" = "$(sed -n 's/^#define UMM_VERSION_STRING "\(.*\)"/\1/p' "$src/include/umm.h")" ] ||
  fail "umm.pc's version is not umm.h's"
for prog in umm-demo umm-bench; do
  [ ! -e "$build/$prog" ] || [ -x "$prefix/bin/$prog" ] || fail "$prog is not installed"
done
[ ! -e "$build/umm-demo" ] || [ -f "$prefix/share/umm/plot_demo.py" ] || fail "plot_demo.py is not installed"
if grep -q '^UMM_FAILPOINTS:BOOL=OFF' "$build/CMakeCache.txt"; then
  ! readelf -d "$libdir/libumm.so" | grep -q 'libfiu' || fail "libumm.so needs libfiu with UMM_FAILPOINTS=OFF"
fi
if command -v pandoc >/dev/null; then
  for page in man3/umm.3 man3/umm_reserve.3 man3/umm_hv_host_create.3 man1/umm-demo.1 man1/umm-bench.1; do
    [ -s "$prefix/share/man/$page" ] || fail "man page $page is not installed"
  done
fi

names=(embed_touch commit_limit paging_file guest_balloon heap)
# libjemalloc's initial-exec TLS needs this to be dlopen()ed by the heap (docs/heap.md)
export GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096
run_all() { # dir: run every example built there; none may skip
  for n in "${names[@]}"; do
    echo "+ $1/$n"
    (cd "$work" && "$1/$n") >"$work/run.out" 2>&1 || { cat "$work/run.out"; fail "$1/$n exited with $?"; }
    cat "$work/run.out"
    ! grep -q skipped "$work/run.out" || fail "$1/$n skipped its work"
  done
}

if [ -x "$prefix/bin/umm-demo" ]; then
  step "the installed umm-demo: bad arguments, then a short run with its plot"
  for bad in "--seconds 1x" "--host-mib 64MiB" "--seconds -3"; do
    status=0
    # shellcheck disable=SC2086
    "$prefix/bin/umm-demo" $bad 2>"$work/demo.err" || status=$?
    [ $status -eq 2 ] && grep -q -- "${bad%% *}" "$work/demo.err" ||
      fail "umm-demo $bad: exit status $status, $(cat "$work/demo.err")"
  done
  (cd "$work" && UMM_PYTHON=$python "$prefix/bin/umm-demo" --seconds 1 --host-mib 64 --guest-mib 32 \
     --image-mib 4 >"$work/demo.out" 2>&1) || { cat "$work/demo.out"; fail "umm-demo"; }
  tail -2 "$work/demo.out"
  if "$python" -c 'import matplotlib' 2>/dev/null; then
    [ -s "$work/umm-demo.png" ] || fail "the installed umm-demo wrote no plot"
  fi
fi

step "examples with pkg-config, libumm.so (rpath $libdir)"
mkdir -p "$work/pc-shared" "$work/pc-static"
for n in "${names[@]}"; do
  # shellcheck disable=SC2046 # word splitting of pkg-config's flags is wanted
  cc -std=c11 -Wall -Wextra -Werror "$examples/$n.c" -o "$work/pc-shared/$n" \
     $(pkg-config --cflags --libs umm) -Wl,-rpath,"$libdir"
done
run_all "$work/pc-shared"

step "examples with pkg-config, libumm.a (--static)"
for n in "${names[@]}"; do
  # shellcheck disable=SC2046
  cc -std=c11 -Wall -Wextra -Werror "$examples/$n.c" -o "$work/pc-static/$n" \
     $(pkg-config --cflags umm) "$libdir/libumm.a" $(pkg-config --static --libs umm | sed 's/-lumm//')
  ! readelf -d "$work/pc-static/$n" | grep -q 'libumm' || fail "$n (static) needs libumm.so"
done
run_all "$work/pc-static"

for kind in shared static; do
  step "examples with CMake find_package(umm COMPONENTS $kind)"
  on=OFF; [ $kind = static ] && on=ON
  cmake -S "$examples" -B "$work/cmake-$kind" -DCMAKE_PREFIX_PATH="$prefix" -DUMM_EXAMPLES_STATIC=$on \
        -DCMAKE_BUILD_TYPE=Release >"$work/cmake-$kind.log" || { cat "$work/cmake-$kind.log"; fail "configure"; }
  cmake --build "$work/cmake-$kind" -j2 >>"$work/cmake-$kind.log" || { cat "$work/cmake-$kind.log"; fail "build"; }
  run_all "$work/cmake-$kind"
done
! readelf -d "$work/cmake-static/embed_touch" | grep -q 'libumm' || fail "umm::umm_static linked libumm.so"

step "Python: pip install into a venv (--system-site-packages, offline), import from the prefix"
"$python" -m venv --system-site-packages "$work/venv"
cp -rL "$src/bindings/python" "$work/pysrc" # pip builds in the tree: keep the source tree clean
rm -rf "$work/pysrc/tests" "$work/pysrc/umm.egg-info" "$work/pysrc/build"
"$work/venv/bin/python" -m pip install -q --no-build-isolation --no-index "$work/pysrc" >"$work/pip.log" 2>&1 ||
  { cat "$work/pip.log"; fail "pip install"; }
(cd "$work" && env -u UMM_LIBRARY -u PYTHONPATH LD_LIBRARY_PATH="$libdir" "$work/venv/bin/python" - "$libdir" <<'PY'
import os, sys
import umm
from umm import UmmError
maps = open("/proc/self/maps").read()
assert os.path.join(sys.argv[1], "libumm.so") in maps, "libumm was not loaded from the prefix"
assert "/site-packages/umm/" in umm.__file__.replace(os.sep, "/"), umm.__file__
assert umm.__version__ == umm.version(), (umm.__version__, umm.version())
with umm.System(ram="8M", workers=False) as s:
    r = s.process().reserve("1M")
    r.commit()
    r.write(0, b"installed")
    assert r.read(0, 9) == b"installed"
try:
    umm.System(ram="1x")
except ValueError as e:
    assert "ram" in str(e), e
print("python: umm %s from %s, library %s: ok" % (umm.__version__, os.path.dirname(umm.__file__), umm.library_path))
PY
) || fail "python"

step "passed"
