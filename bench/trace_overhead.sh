#!/usr/bin/env bash
# Reproduces docs/benchmarks-trace.md: what faultline's memory-syscall
# tracer costs a system-call storm, against the same program untraced and
# under strace's seccomp mode, in interleaved rounds.
#
#   bench/trace_overhead.sh [ptracebench flags]     e.g. -rounds 25 -ptrace
#
# The workload is testdata/c/mmapstress.c: 20,000 mmap+munmap of 4 KiB and
# 300,000 getppid. Output: one Go-benchmark line per run (benchstat reads
# it: benchstat -col /tracer FILE), then medians with 95% confidence
# intervals and the overhead ratio. Needs gcc, strace and Go; run as root
# or as any user allowed to ptrace its own children.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
for tool in gcc strace go; do
	command -v "$tool" >/dev/null || { echo "trace_overhead.sh: $tool not installed" >&2; exit 1; }
done
dir=$(mktemp -d "${TMPDIR:-/tmp}/faultline-trace-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
gcc -O2 -I testdata/c -o "$dir/mmapstress" testdata/c/mmapstress.c
go build -o "$dir/ptracebench" ./internal/ptrace/ptracebench
"$dir/ptracebench" -rounds 15 -warmup 2 "$@" -- "$dir/mmapstress"
