#!/usr/bin/env bash
# Compares faultline timeit with python -m timeit on the same interpreter:
# (1) the seed case's statement A (no named temporary, so both run it the
#     same way), (2) the empty statement `pass`, to show the probe's
#     per-iteration overhead.
# usage: bench/timeit_compare.sh [python]   (default /usr/bin/python3)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-/usr/bin/python3}
export PATH="$PATH:/usr/local/go/bin"
go build -o /tmp/faultline-bench ./cmd/faultline
SETUP='import numpy as np; a = np.random.randint(0, 256, 1_000_000, dtype=np.uint8)'
median_of() { # statement -> faultline isolated median in seconds
	/tmp/faultline-bench timeit --python "$PY" -q --no-experiments --no-trace --no-alloc --no-isolated \
		-r 20 --json /tmp/faultline-bench.json -s "$SETUP" "$1" >/dev/null
	"$PY" -c 'import json,sys; r=json.load(open("/tmp/faultline-bench.json")); print(r["results"][0]["time"]["median"])'
}
timeit_of() { # statement -> python -m timeit best-of-5 in seconds
	"$PY" -m timeit -s "$SETUP" "$1" | "$PY" -c '
import sys,re
m=re.search(r"([0-9.]+) (nsec|usec|msec|sec) per loop", sys.stdin.read())
print(float(m.group(1))*{"nsec":1e-9,"usec":1e-6,"msec":1e-3,"sec":1}[m.group(2)])'
}
for stmt in 'a.astype(np.float64) / 255.0' 'pass'; do
	for i in 1 2 3; do
		f=$(median_of "$stmt"); t=$(timeit_of "$stmt")
		"$PY" -c "f,t=$f,$t; print('%-32s faultline median %10.1f ns   python -m timeit %10.1f ns   diff %+8.1f ns (%+.1f%%)' % ('$stmt', f*1e9, t*1e9, (f-t)*1e9, (f/t-1)*100))"
	done
done
