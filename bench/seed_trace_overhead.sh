#!/usr/bin/env bash
# What faultline's memory-syscall tracer costs the seed case, against the
# same program untraced and under strace's seccomp mode, in interleaved
# rounds (internal/trace/tracebench). The program runs the seed setup,
# then ITERS iterations of A and of B (3 brk per B iteration), so the
# whole-process time is dominated by the seed's own work.
#
#   bench/seed_trace_overhead.sh [python] [iters] [tracebench flags]
#   e.g. bench/seed_trace_overhead.sh /usr/bin/python3 300 -rounds 15
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-/usr/bin/python3}
ITERS=${2:-300}
shift $(( $# > 2 ? 2 : $# ))
export PATH="$PATH:/usr/local/go/bin"
"$PY" -c 'import numpy' 2>/dev/null || { echo "seed_trace_overhead.sh: $PY has no NumPy (apt-get install python3-numpy)" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/faultline-seed-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/tracebench" ./internal/trace/tracebench
cat >"$dir/seed.py" <<PY
import numpy as np
a = np.random.randint(0, 256, 1_000_000, dtype=np.uint8)
def A():
    a.astype(np.float64) / 255.0
def B():
    t = a.astype(np.float64); t / 255.0
# As in faultline's probe, each statement is a function body, so B's
# named temporary dies at the end of every call.
for _ in range($ITERS):
    A()
for _ in range($ITERS):
    B()
PY
"$dir/tracebench" -rounds 11 -warmup 1 "$@" -- "$PY" "$dir/seed.py"
