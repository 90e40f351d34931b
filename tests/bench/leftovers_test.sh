#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# umm-bench's swap case turns a swapfile on and makes a memory cgroup: neither may outlive a run.
#   tests/bench/leftovers_test.sh UMM_BENCH
# 1. SIGTERM during the case: the run removes its swapfile, cgroup and scratch directory, then
#    dies of the signal.
# 2. SIGKILL during the case leaves them (checked, so that step 3 has something to find); the
#    next run removes them before its own case, and its own at exit.
# Needs root, a memory cgroup and a filesystem that can swap to a file: skipped (77) otherwise.
set -euo pipefail

bench=${1:?usage: leftovers_test.sh UMM_BENCH}
[ "$(id -u)" = 0 ] || { echo "skipped: not root"; exit 77; }
work=$(mktemp -d "$PWD/leftovers.XXXXXX")
export TMPDIR=$work
pids=()
# Whatever the outcome, the machine keeps no swapfile and no cgroup of this test.
cleanup() {
  awk -v w="$work/" 'index($1, w) == 1 {print $1}' /proc/swaps | xargs -r -n1 swapoff || true
  for p in "${pids[@]}"; do rmdir $(cgroup_of "$p") 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "leftovers test FAILED: $*" >&2; exit 1; }

swap_on() { grep -q "^$work/" /proc/swaps; }
scratch_dirs() { find "$work" -maxdepth 1 -name 'umm-bench-*' | wc -l; }
cgroup_of() { ls -d /sys/fs/cgroup/umm-bench-swap-"$1" /sys/fs/cgroup/memory/umm-bench-swap-"$1" 2>/dev/null || true; }

# Starts a long swap case in the background, in $work; returns once its swapfile is on.
start_case() {
  UMM_SWAP_CASES=random:2 "$bench" --case swap --mib 64 --reps 3 >"$work/run.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 600); do
    swap_on && return 0
    grep -q "swap: skipped" "$work/run.log" && { cat "$work/run.log"; exit 77; }
    kill -0 "$pid" 2>/dev/null || { cat "$work/run.log"; fail "the run ended before its swapfile was on"; }
    sleep 0.05
  done
  fail "no swapfile of the run in /proc/swaps after 30 s"
}

# 1. an interrupted run cleans up
start_case
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
[ "$status" = 143 ] || fail "a run sent SIGTERM exited with $status, not 143 (killed by the signal)"
swap_on && fail "SIGTERM left the swapfile on"
[ "$(scratch_dirs)" = 0 ] || fail "SIGTERM left the scratch directory"
[ -z "$(cgroup_of "$pid")" ] || fail "SIGTERM left the cgroup $(cgroup_of "$pid")"

# 2. a killed run cannot; 3. the next one removes what it left
start_case
kill -KILL "$pid"
wait "$pid" || true
swap_on || fail "SIGKILL left no swapfile: the check below would prove nothing"
[ -n "$(cgroup_of "$pid")" ] || fail "SIGKILL left no cgroup: the check below would prove nothing"
UMM_SWAP_CASES=sequential:2 "$bench" --case swap --mib 4 --reps 1 >"$work/next.log" 2>&1 || true
grep -q "left by umm-bench $pid" "$work/next.log" || { cat "$work/next.log"; fail "the next run did not report what it removed"; }
swap_on && fail "the next run left the killed run's swapfile on"
[ "$(scratch_dirs)" = 0 ] || fail "a scratch directory remains after the next run"
[ -z "$(cgroup_of "$pid")" ] || fail "the killed run's cgroup remains after the next run"
echo "leftovers test passed"
