#!/usr/bin/env bash
# Reproduces the native allocation pass's figures in docs/benchmarks.md:
# what uprobes on the allocator's API cost a malloc-heavy program
# (testdata/c/churn.c: N x malloc(64)+free, several million calls per
# second untraced), and what the pass's bound (NativeMaxCalls, after which
# the probes are removed) leaves of it.
#
#   bench/native_overhead.sh [N...]      default: 10000 100000 1000000
#
# For each N: the untraced run's time (faultline's timing pass, median),
# the native pass's wall time and overhead, and the calls it recorded, from
# faultline run's JSON. Run as root (uprobes need CAP_PERFMON).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
dir=$(mktemp -d "${TMPDIR:-/tmp}/faultline-native-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
gcc -O2 -I testdata/c -o "$dir/churn" testdata/c/churn.c
go build -o "$dir/faultline" ./cmd/faultline
for n in "${@:-10000 100000 1000000}"; do
	for m in $n; do
		"$dir/faultline" run -q --no-trace --no-experiments --runs 5 -w 1 --json "$dir/r.json" "$dir/churn $m" >/dev/null
		python3 - "$dir/r.json" "$m" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
run = r["results"][0]
na = run["per_iteration"].get("native_allocations", {})
p = [p for p in r["passes"] if p["name"] == "native"][0]
print(f"N={sys.argv[2]:>8}  untraced {run['time']['median']*1e3:8.2f} ms  native pass {p['seconds']:6.2f} s  "
      f"overhead {p.get('overhead', 0):7.1f}x  calls {na.get('calls', 0):>9.0f}  frees {na.get('frees', 0):>9.0f}  "
      f"truncated {na.get('truncated', False)}  [{p['note']}]")
PY
	done
done
