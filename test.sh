#!/usr/bin/env bash
# The test command: installs what the tests need (Debian packages, staticcheck),
# checks formatting and static analysis, then runs every test against real
# processes, allocators, Python/NumPy and Chromium.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$PATH:/usr/local/go/bin"
export PATH="$PATH:$(go env GOPATH)/bin"

need=()
/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1 || need+=(python3-numpy)
# The notebook tests (cmd/faultline TestPythonPackage): the magics in real
# IPython, a notebook run by nbclient and exported by nbconvert; the pytest
# plugin in real pytest, installed by pip from python/ (TestPytestEntryPoint).
for mod in IPython:python3-ipython ipykernel:python3-ipykernel nbclient:python3-nbclient \
	nbconvert:python3-nbconvert nbformat:python3-nbformat pytest:python3-pytest \
	pip:python3-pip setuptools:python3-setuptools wheel:python3-wheel; do
	/usr/bin/python3 -c "import ${mod%%:*}" >/dev/null 2>&1 || need+=("${mod#*:}")
done
# grep -q would stop reading early, and pipefail would count ldconfig's SIGPIPE as a miss.
have_lib() { ldconfig -p 2>/dev/null | grep "$1" >/dev/null; }
have_lib libtcmalloc_minimal.so.4 || need+=(libgoogle-perftools4)
have_lib libjemalloc.so.2 || need+=(libjemalloc2)
have_lib libmimalloc.so.2 || need+=(libmimalloc2.0)
command -v strace >/dev/null || need+=(strace)
command -v gcc >/dev/null || need+=(gcc libc6-dev)
command -v chromium >/dev/null || need+=(chromium)
# hyperfine: the exports are checked against a real run; jq reads them as
# hyperfine users' scripts do.
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v jq >/dev/null || need+=(jq)
if [ ${#need[@]} -gt 0 ]; then
	echo "test.sh: installing ${need[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		echo "test.sh: need root to run: apt-get install -y ${need[*]}" >&2
		exit 1
	fi
	apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
fi
command -v staticcheck >/dev/null || go install honnef.co/go/tools/cmd/staticcheck@v0.7.0
# compare.txtar runs the real benchstat on two exports.
command -v benchstat >/dev/null || go install golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da

unformatted=$(gofmt -l . | grep -v '^testdata/' || true)
if [ -n "$unformatted" ]; then
	echo "test.sh: not gofmt-formatted:" >&2
	echo "$unformatted" >&2
	exit 1
fi
go vet ./...
staticcheck ./...
# The module builds and vets for arm64 too: only the seccomp+ptrace
# fallback tracer is x86-64 code, behind proc.Ptracer.
GOOS=linux GOARCH=arm64 go build ./...
GOOS=linux GOARCH=arm64 go vet ./...
# FAULTLINE_TEST_NEIGHBOURS=N runs the tests with N CPU-bound processes
# beside them, as on a loaded machine: every test must hold there too
# (.ci/run runs the seed and the quick corpus this way).
for _ in $(seq "${FAULTLINE_TEST_NEIGHBOURS:-0}"); do
	sh -c 'while :; do :; done' &
done
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
# -p 1: timing tests compare ratios within one run; running packages in
# parallel on a 2-core machine would only add noise.
go test -count=1 -p 1 -timeout 30m "$@" ./...
# Built without a C compiler (go run on a fresh machine), the native demo
# workload calls glibc through purego instead of cgo: test that engine too.
CGO_ENABLED=0 go test -count=1 -p 1 "$@" ./internal/workload
