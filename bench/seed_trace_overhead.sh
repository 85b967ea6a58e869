#!/usr/bin/env bash
# What faultline's memory-syscall tracer costs the seed case, against the
# same program untraced and under strace's seccomp mode, in interleaved
# rounds (internal/ptrace/ptracebench): faultline-perf is the perf
# tracepoint recorder the trace pass uses where it can (no stops),
# faultline the seccomp+ptrace tracer.
#
# The program runs the seed setup, warms up, then times ITERS calls of one
# candidate from inside (perf_counter, getrusage) and appends
# "tracer ms-per-call faults-per-call" to a log. The in-process figures
# matter more than the whole-process times: B's faults per call are
# bimodal from one process to the next (about 808 or 1319, depending on
# the heap's placement against 2 MiB boundaries), and the whole-process
# medians of a few rounds mostly show which mode each tracer happened to
# get. The summary therefore compares tracers within each fault mode.
#
#   bench/seed_trace_overhead.sh [python] [A|B] [iters] [ptracebench flags]
#   e.g. bench/seed_trace_overhead.sh /usr/bin/python3 B 300 -rounds 15
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-/usr/bin/python3}
CAND=${2:-B}
ITERS=${3:-300}
shift $(( $# > 3 ? 3 : $# ))
export PATH="$PATH:/usr/local/go/bin"
"$PY" -c 'import numpy' 2>/dev/null || { echo "seed_trace_overhead.sh: $PY has no NumPy (apt-get install python3-numpy)" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/faultline-seed-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/ptracebench" ./internal/ptrace/ptracebench
cat >"$dir/seed.py" <<PY
import os, resource, sys, time
import numpy as np
a = np.random.randint(0, 256, 1_000_000, dtype=np.uint8)
# As in faultline's probe, each statement is a function body, so B's
# named temporary dies at the end of every call.
def A():
    a.astype(np.float64) / 255.0
def B():
    t = a.astype(np.float64); t / 255.0
f = {"A": A, "B": B}["$CAND"]
for _ in range(20):
    f()
r0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
t0 = time.perf_counter()
for _ in range($ITERS):
    f()
t1 = time.perf_counter()
r1 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
with open("$dir/calls.log", "a") as log:
    log.write("%s %.6f %.1f\n" % (os.environ.get("TRACEBENCH_TRACER", "?"), (t1 - t0) / $ITERS * 1e3, (r1 - r0) / $ITERS))
PY
"$dir/ptracebench" -rounds 11 -warmup 1 -perf "$@" -- "$PY" "$dir/seed.py"
echo
echo "candidate $CAND, time per call measured inside the process, by tracer and fault mode:"
"$PY" - "$dir/calls.log" <<'PY'
import collections, statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
by = collections.defaultdict(list)
for tracer, ms, flt in rows:
    by[(round(float(flt), -1), tracer)].append(float(ms))
modes = sorted({m for m, _ in by})
for m in modes:
    base = by.get((m, "none"))
    for tracer in ("none", "faultline-perf", "faultline", "faultline-ptrace", "strace-seccomp"):
        v = by.get((m, tracer))
        if not v:
            continue
        rel = "" if not base or tracer == "none" else "  %+5.1f%% vs none" % ((statistics.median(v) / statistics.median(base) - 1) * 100)
        print("  ~%5.0f faults/call  %-16s n=%2d  median %.3f ms/call%s" % (m, tracer, len(v), statistics.median(v), rel))
PY
