#!/bin/bash
# The seed verdict's wall time: faultline timeit on the seed case with every installed
# configuration, the trace and allocation passes and fix verification, N times in a row, with
# where the time went (per pass, from the result's passes[]) and the findings of each run.
#
#   bash bench/seed_verdict.sh [N] [PYTHON]     (default: 5 runs, /usr/bin/python3)
#
# Runs under flock /tmp/faultline-timing.lock so no other timing job shares the machine.
set -euo pipefail
n=${1:-5}
py=${2:-/usr/bin/python3}
cd "$(dirname "$0")/.."
bin=$(mktemp -d)/faultline
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./cmd/faultline
setup='import numpy as np; a = np.random.randint(0, 256, 1_000_000, dtype=np.uint8)'
walls=()
for i in $(seq 1 "$n"); do
	out=$(dirname "$bin")/seed-$i.json
	flock /tmp/faultline-timing.lock "$bin" timeit -q --python "$py" -s "$setup" \
		'a.astype(np.float64) / 255.0' 't = a.astype(np.float64); t / 255.0' --json "$out" >/dev/null
	line=$("$py" - "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
cat = {}
for p in r["passes"]:
    k = p["name"]
    if k == "timing":
        k = "experiments" if p.get("config") != r["configs"][0]["name"] else p.get("note", "timing")
    cat[k] = cat.get(k, 0) + p["seconds"]
parts = " ".join("%s %.2f" % kv for kv in cat.items())
finds = ", ".join("%s %s %s %s" % (f["cause"], f.get("candidate", ""), f.get("config", ""), f["confidence"]) for f in r["findings"])
print("%.2f | %s | %s" % (r["wall_seconds"], parts, finds))
PY
)
	echo "run $i: $line"
	walls+=("${line%% *}")
done
printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {printf "median wall %.2f s (min %.2f, max %.2f) over %d runs\n", a[int((NR+1)/2)], a[1], a[NR], NR}'
