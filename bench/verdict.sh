#!/usr/bin/env bash
# The verdict on slow commands, short budgets and busy machines
# (docs/benchmarks.md, "A verdict that holds"): each scenario runs with the
# default budget, and one line gives its verdict (answer, ratio with its
# interval, the evidence that decided it, the samples) and first finding.
#
#   bash bench/verdict.sh                       every scenario, quiet
#   bash bench/verdict.sh --neighbours 2 seed   the seed with two busy processes beside it
#   bash bench/verdict.sh --repeat 5 seed       five runs of the seed
#   bash bench/verdict.sh --out DIR ...         keep the JSON results in DIR
#
# Scenarios: c20 (64 MiB malloc and free per iteration, 20 iterations),
# c200 (the same, 200 iterations: about 9 s a run), py9 (a Python script
# of about 9 s a run against one of about 2 s), gap125 (a 1.25x gap at
# about 5 s a run), control (the same code twice, about 2 s a run), sweep
# (-P size 1MiB 64MiB --geometric 7), seed (the NumPy case, timeit).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

neighbours=0 repeat=1 out=""
while [ $# -gt 0 ]; do
	case $1 in
	--neighbours) neighbours=$2; shift 2 ;;
	--repeat) repeat=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-*) echo "verdict.sh: unknown flag $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(c20 c200 py9 gap125 control sweep seed)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
[ -n "$out" ] || out=$work/results
mkdir -p "$out"

go build -o "$work/faultline" ./cmd/faultline
gcc -O2 -o "$work/sizes" testdata/c/sizes.c
cp bench/verdict/churn.py "$work/"
fl=$work/faultline

for _ in $(seq "$neighbours"); do
	sh -c 'while :; do :; done' &
done

seed_setup='import numpy as np; a = np.random.randint(0, 256, 1_000_000, dtype=np.uint8)'
run_one() { # name i
	local name=$1 js=$out/$1-$2.json
	local start=$SECONDS
	case $name in
	c20) (cd "$work" && "$fl" run -q --json "$js" './sizes 67108864 20 reuse' './sizes 67108864 20') ;;
	c200) (cd "$work" && "$fl" run -q --json "$js" './sizes 67108864 200 reuse' './sizes 67108864 200') ;;
	py9) (cd "$work" && "$fl" run -q --json "$js" '/usr/bin/python3 churn.py 190 reuse' '/usr/bin/python3 churn.py 190 fresh') ;;
	gap125) (cd "$work" && "$fl" run -q --json "$js" './sizes 67108864 13 reuse 110' './sizes 67108864 13 fresh 110') ;;
	control) (cd "$work" && "$fl" run -q --json "$js" './sizes 67108864 440 reuse' './sizes 67108864 440 reuse 1') ;;
	sweep) (cd "$work" && "$fl" run -q --json "$js" -P size 1MiB 64MiB --geometric 7 './sizes {size} 50 reuse' './sizes {size} 50') ;;
	seed) "$fl" timeit -q --python /usr/bin/python3 --json "$js" -s "$seed_setup" 'a.astype(np.float64) / 255.0' 't = a.astype(np.float64); t / 255.0' ;;
	*) echo "verdict.sh: unknown scenario $name" >&2; return 2 ;;
	esac >/dev/null 2>&1 || true
	local wall=$((SECONDS - start))
	if [ "$name" = sweep ]; then
		jq -r --arg w "$wall" '"sweep  \($w) s  cliffs: " + ([.cliffs[]? | "\(.candidate) \(.metric) \(.below|floor)-\(.above|floor)"] | join("; ")) +
			"  starved: " + ([.points[] | select(.starved) | .text.size] | join(", ")) +
			"  slower at: " + ([.points[] | select(.result.verdict.answer == "slower") | "\(.text.size) \(.result.verdict.ratio*100|round/100)x"] | join(", "))' "$js"
		return
	fi
	jq -r --arg n "$name" --arg w "$wall" '.verdict as $v | (.findings | map(select(.cause != "config-regression" and .cause != "order-effect")) | first) as $f |
		"\($n)  \($w) s  \($v.answer // "none") \($v.slow // "") \(if $v.ratio then ($v.ratio*100|round/100|tostring) + "x [" + ($v.low*100|round/100|tostring) + ", " + ($v.high*100|round/100|tostring) + "]" else "" end) \(if $v.margin then "±" + ($v.margin*100|tostring) + "%" else "" end) by \($v.decided_by // "-") n=\($v.n // [] | map(tostring) | join("/"))  first: \($f.cause // "none") \($f.candidate // "") \($f.confidence // "")"' "$js"
}

for name in "${scenarios[@]}"; do
	for i in $(seq "$repeat"); do
		run_one "$name" "$i"
	done
done
