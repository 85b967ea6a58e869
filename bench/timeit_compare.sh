#!/usr/bin/env bash
# Compares faultline timeit with python -m timeit on the same interpreter:
# (1) the seed case's statement A (no named temporary, so both run it the
#     same way), (2) the empty statement `pass`, to show the probe's
#     per-iteration overhead.
# Both tools run alternately, TRIALS times each; per trial the script
# prints faultline's median and python -m timeit's median of its raw
# repeats (-v; the same statistic) and its best-of-repeats (what timeit
# prints), then the median over trials of the difference.
# usage: bench/timeit_compare.sh [python] [trials]   (default /usr/bin/python3, 5)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-/usr/bin/python3}
TRIALS=${2:-5}
export PATH="$PATH:/usr/local/go/bin"
dir=$(mktemp -d "${TMPDIR:-/tmp}/faultline-timeit-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/faultline" ./cmd/faultline
SETUP='import numpy as np; a = np.random.randint(0, 256, 1_000_000, dtype=np.uint8)'
faultline_median() { # statement -> faultline median in seconds
	"$dir/faultline" timeit --python "$PY" -q --no-experiments --no-trace --no-alloc --no-isolated \
		-r 20 --json "$dir/r.json" -s "$SETUP" "$1" >/dev/null
	"$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["results"][0]["time"]["median"])' "$dir/r.json"
}
timeit_median_best() { # statement -> python -m timeit median and best of 20 repeats, seconds per loop
	"$PY" -m timeit -v -r 20 -s "$SETUP" "$1" 2>&1 | "$PY" -c '
import re, statistics, sys
out = sys.stdin.read()
unit = {"nsec": 1e-9, "usec": 1e-6, "msec": 1e-3, "sec": 1}
loops = int(re.search(r"(\d+) loops?, best of", out).group(1))
raw = re.search(r"raw times: (.*)", out).group(1)
ts = [float(v) * unit[u] / loops for v, u in re.findall(r"([0-9.]+) (nsec|usec|msec|sec)", raw)]
print(statistics.median(ts), min(ts))'
}
for stmt in 'a.astype(np.float64) / 255.0' 'pass'; do
	diffs=()
	for i in $(seq "$TRIALS"); do
		f=$(faultline_median "$stmt")
		read -r tm tb < <(timeit_median_best "$stmt")
		line=$("$PY" -c "f,tm,tb=$f,$tm,$tb; print('%-30s faultline median %10.1f ns | timeit median %10.1f ns, best %10.1f ns | diff %+7.1f ns (%+5.1f%%)' % ('$stmt', f*1e9, tm*1e9, tb*1e9, (f-tm)*1e9, (f/tm-1)*100))")
		echo "$line"
		diffs+=("$("$PY" -c "print($f-$tm, $f/$tm-1)")")
	done
	printf '%s\n' "${diffs[@]}" | "$PY" -c '
import statistics, sys
d = [tuple(map(float, l.split())) for l in sys.stdin if l.strip()]
print("%-30s median over %d trials: %+.1f ns (%+.1f%%)\n" % (sys.argv[1], len(d), statistics.median(x for x, _ in d) * 1e9, statistics.median(r for _, r in d) * 100))' "$stmt"
done
