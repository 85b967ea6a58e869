#!/bin/bash
# The diagnosis corpus: real-world memory-management slowdowns (bench/corpus/NN_name/), each run
# the way a user runs it, and a scorecard of what faultline's diagnosis said about them.
#
#   bash bench/corpus.sh                  every scenario (about 10-15 minutes on 2 cores)
#   bash bench/corpus.sh --quick          a subset of 7 fast scenarios ("quick": true)
#   bash bench/corpus.sh --only PATTERN   scenarios whose directory name matches PATTERN (grep -E)
#   bash bench/corpus.sh --budget 30s     faultline's --budget per scenario (default 20s)
#   bash bench/corpus.sh --out DIR        keep the result JSON and logs in DIR (default: a temp dir)
#   bash bench/corpus.sh --score-only --out DIR   score the results already in DIR, run nothing
#                                         (a scenario without a result there is "not run", not counted)
#
# It builds faultline from this worktree (go build -o), builds each scenario's programs (gcc,
# go build, rustc) into a temporary directory, runs `faultline run` or `faultline timeit` on it
# with the scenario's environment (for example the user's LD_PRELOAD), one scenario at a time
# under flock /tmp/faultline-timing.lock, writes each result as DIR/NN_name.json, and scores it
# against the scenario's ground truth (scenario.json, "truth" and "expected_fix"):
#
#   primary cause right  the first finding's cause is the ground-truth cause (or one of its
#                        aliases) and is about the ground-truth candidate. For a control (cause
#                        "none") right means no memory cause at medium or high confidence.
#   confident wrong      the first finding, or any finding about the ground-truth candidate under
#                        the baseline configuration, names another cause at medium or high
#                        confidence. Causes listed as "acceptable" (true of the scenario but not
#                        its primary cause), "unexplained" and "config-regression" (about another
#                        configuration) are not counted. For a control, any memory cause at
#                        medium or high confidence.
#                        Where the truth says no allocator is involved ("allocator": false), any
#                        allocator setting proposed for the ground-truth candidate counts too.
#   verified fix         some finding carries a fix marked verified that matches the expected
#                        one: an env fix whose configuration is listed in expected_fix.configs,
#                        or a code fix when expected_fix.code is true. Counted as F/M where M is
#                        the number of scenarios that have such an expected fix (a scenario
#                        whose only fix is a code change faultline cannot run has none).
#
# The last line is always: corpus: R/N primary cause right, W confident wrong, F/M verified fixes
# A scenario whose toolchain is missing (rustc) is reported as skipped and left out of N.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
budget=20s
only=""
quick=0
out=""
score_only=0
while [ $# -gt 0 ]; do
	case "$1" in
	--budget) budget=$2; shift 2 ;;
	--budget=*) budget=${1#*=}; shift ;;
	--only) only=$2; shift 2 ;;
	--only=*) only=${1#*=}; shift ;;
	--quick) quick=1; shift ;;
	--score-only) score_only=1; shift ;;
	--out) out=$2; shift 2 ;;
	--out=*) out=${1#*=}; shift ;;
	-h | --help) sed -n '2,10p' "$0"; exit 0 ;;
	*) echo "corpus.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
done

py=/usr/bin/python3
# Each scenario runs under the machine's timing lock, so that it never
# overlaps another timing-sensitive job; CORPUS_LOCK= (empty) runs without
# it, for a caller that holds the lock already (the test suite).
lock=${CORPUS_LOCK-/tmp/faultline-timing.lock}
locked() {
	if [ -n "$lock" ]; then
		flock "$lock" "$@"
	else
		"$@"
	fi
}
[ -x "$py" ] || { echo "corpus.sh: needs /usr/bin/python3 (Debian python3) to read scenarios and score" >&2; exit 1; }
command -v go >/dev/null || { echo "corpus.sh: needs go to build faultline" >&2; exit 1; }

if [ $score_only = 1 ] && [ -z "$out" ]; then
	echo "corpus.sh: --score-only needs --out DIR" >&2
	exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/faultline-corpus.XXXXXX")
trap 'rm -rf "$work"' EXIT
[ -n "$out" ] || out="$work/results"
mkdir -p "$out"
out=$(cd "$out" && pwd)

# CORPUS_FAULTLINE names a faultline binary to score instead of building
# this worktree's.
fl=${CORPUS_FAULTLINE:-$work/faultline}
if [ $score_only = 0 ] && [ -z "${CORPUS_FAULTLINE:-}" ]; then
	(cd "$repo" && go build -o "$fl" ./cmd/faultline) || { echo "corpus.sh: building faultline failed" >&2; exit 1; }
fi

# scen FIELD DIR: print a field of a scenario as shell words or lines
field() {
	"$py" - "$1" "$2" <<'EOF'
import json, sys
key, path = sys.argv[1], sys.argv[2]
s = json.load(open(path + "/scenario.json"))
if key == "quick":
    print("1" if s.get("quick") else "0")
elif key == "mode":
    print(s["mode"])
elif key == "build":
    for c in s.get("build", []):
        print(c)
elif key == "env":
    for k, v in s.get("env", {}).items():
        print(f"{k}={v}")
elif key == "args":
    # faultline's arguments after the subcommand, NUL-separated
    if s["mode"] == "timeit":
        t = s["timeit"]
        a = ["--python", t["python"]]
        for x in t.get("setup", []):
            a += ["-s", x]
        a += t["statements"]
    else:
        a = []
        for l in s.get("labels", []):
            a += ["-l", l]
        a += s["commands"]
    sys.stdout.write("\0".join(a) + "\0")
EOF
}

scenarios=()
for d in "$here"/corpus/[0-9][0-9]_*/; do
	d=${d%/}
	name=$(basename "$d")
	[ -f "$d/scenario.json" ] || continue
	if [ -n "$only" ] && ! grep -Eq -- "$only" <<<"$name"; then continue; fi
	if [ "$quick" = 1 ] && [ "$(field quick "$d")" != 1 ]; then continue; fi
	scenarios+=("$d")
done
[ ${#scenarios[@]} -gt 0 ] || { echo "corpus.sh: no scenario matches" >&2; exit 2; }

[ $score_only = 1 ] || echo "corpus: ${#scenarios[@]} scenarios, --budget $budget, results in $out" >&2
for d in "${scenarios[@]}"; do
	[ $score_only = 0 ] || break
	name=$(basename "$d")
	b="$work/build/$name"
	mkdir -p "$b"
	cp -r "$d"/. "$b"/
	rm -f "$out/$name.json" "$out/$name.skipped"
	ok=1
	while IFS= read -r cmd; do
		[ -n "$cmd" ] || continue
		tool=${cmd%% *}
		if ! command -v "$tool" >/dev/null; then
			echo "$tool not installed" >"$out/$name.skipped"
			ok=0
			break
		fi
		if ! (cd "$b" && eval "$cmd") >>"$out/$name.log" 2>&1; then
			echo "build failed: $cmd" >"$out/$name.skipped"
			ok=0
			break
		fi
	done < <(field build "$d")
	if [ $ok = 0 ]; then
		echo "corpus: $name skipped ($(cat "$out/$name.skipped"))" >&2
		continue
	fi
	mode=$(field mode "$d")
	mapfile -t envs < <(field env "$d")
	mapfile -d '' -t args < <(field args "$d")
	start=$SECONDS
	(cd "$b" && locked env "${envs[@]}" "$fl" "$mode" -q --no-color --budget "$budget" \
		--json "$out/$name.json" "${args[@]}") >>"$out/$name.log" 2>&1
	rc=$?
	echo "corpus: $name done in $((SECONDS - start)) s (exit $rc)" >&2
done

"$py" - "$score_only" "$out" "${scenarios[@]}" <<'EOF'
import json, os, sys

score_only, out, dirs = sys.argv[1] == "1", sys.argv[2], sys.argv[3:]
STRONG = ("medium", "high")
NEVER_WRONG = {"unexplained", "config-regression"}

def time_of(r, cand, cfg):
    for x in r.get("results") or []:
        if x.get("candidate") == cand and x.get("config") == cfg and x.get("mode") in ("interleaved", "process") and x.get("time"):
            return x["time"].get("median")
    return None

def tunables_of(env):
    out = {}
    for kv in (env or {}).get("GLIBC_TUNABLES", "").split(":"):
        k, _, v = kv.partition("=")
        if v.isdigit():
            out[k.rsplit(".", 1)[-1]] = int(v)
    return out

def held(r, base):
    """The peak held at once and the largest block, from the baseline's
    diagnostic passes (None when nothing measured them)."""
    peak = block = None
    for x in r.get("results") or []:
        if x.get("config") != base:
            continue
        pi = x.get("per_iteration") or {}
        sc, al, nv = pi.get("syscalls"), pi.get("allocations"), pi.get("native_allocations")
        if sc and sc.get("peak_bytes"):
            peak = max(peak or 0, sc["peak_bytes"])
        for s in (sc or {}).get("sizes") or []:
            if s["call"] in ("brk+", "mmap"):
                block = max(block or 0, s["bytes"])
        if al:
            peak = max(peak or 0, al.get("peak_bytes") or 0)
            for s in al.get("large") or []:
                block = max(block or 0, s["bytes"])
        for s in (nv or {}).get("large") or []:
            block = max(block or 0, s["bytes"])
    if peak is not None and block is not None:
        peak = max(peak, block)
    return peak, block

rows = []
R = W = F = N = M = 0
C = O = 0  # findings with a claim, and those claiming more faults than their bytes produce
T = X = 0  # derived tunables, and those above 4x what they must keep
V = Z = 0  # verified fixes, and those without their memory cost
TX = 0  # results a tax every candidate pays leads
for d in dirs:
    name = os.path.basename(d)
    s = json.load(open(os.path.join(d, "scenario.json")))
    truth = s["truth"]
    want = [truth["cause"]] + truth.get("aliases", [])
    ok_causes = set(want) | set(truth.get("acceptable", [])) | NEVER_WRONG
    fix = s.get("expected_fix", {})
    has_fix = bool(fix.get("configs")) or bool(fix.get("code"))
    path = os.path.join(out, name + ".json")
    if not os.path.exists(path):
        why = open(os.path.join(out, name + ".skipped")).read().strip() if os.path.exists(os.path.join(out, name + ".skipped")) else "no result (faultline failed; see " + name + ".log)"
        if os.path.exists(os.path.join(out, name + ".skipped")):
            rows.append((name, truth, False, "skipped", "", "", why))
            continue
        if score_only:
            rows.append((name, truth, False, "not run", "", "", ""))
            continue
        N += 1
        M += has_fix
        rows.append((name, truth, False, "no", "", "-" if not has_fix else "no", why))
        continue
    N += 1
    M += has_fix
    r = json.load(open(path))
    all_fs = r.get("findings") or []
    # A tax every candidate pays leads when it is larger than the gap; the
    # ground truth is about the gap, scored on the findings about it.
    taxed = [f for f in all_fs if f.get("tax")]
    TX += bool(taxed)
    fs = [f for f in all_fs if not f.get("tax")]
    base = (r.get("configs") or [{}])[0].get("name", "glibc")
    first = fs[0] if fs else None
    peak, block = held(r, base)
    envs = [c.get("env") for c in r.get("configs") or [] if c.get("derived")]
    envs += [x.get("env") for f in all_fs for x in f.get("fixes") or [] if x.get("kind") == "env"]
    seen = set()
    for env in envs:
        for k, v in tunables_of(env).items():
            if (k, v) in seen or k not in ("trim_threshold", "top_pad", "mmap_threshold"):
                continue
            seen.add((k, v))
            ref = block if k == "mmap_threshold" else peak
            if not ref:
                continue
            T += 1
            # glibc's own 128 KiB default is never an excess.
            if v > max(4 * ref, 128 << 10) + (64 << 10):
                X += 1
                print(f"corpus: {name}: {k}={v} is above 4x {ref}", file=sys.stderr)
    for f in all_fs:
        for x in f.get("fixes") or []:
            if x.get("verified"):
                V += 1
                Z += not (x.get("peak_rss_bytes") and x.get("baseline_peak_rss_bytes"))
    for f in fs:
        c = f.get("claim")
        if c:
            C += 1
            if c["faults"] > c["max_faults"]:
                O += 1
    if truth["cause"] == "none":
        strong = [f for f in fs if f.get("confidence") in STRONG and f.get("cause") not in NEVER_WRONG]
        right = not strong
        wrong = bool(strong)
    else:
        right = bool(first) and first.get("cause") in want and first.get("candidate") == truth["candidate"]
        wrong = False
        if first and first.get("confidence") in STRONG and first.get("cause") not in ok_causes:
            wrong = True
        for f in fs:
            if (f.get("candidate") == truth["candidate"] and f.get("config", base) in ("", base)
                    and f.get("confidence") in STRONG and f.get("cause") not in ok_causes):
                wrong = True
    # Where no allocator is involved (a file mapping, a fork, a runtime's
    # own mappings), proposing an allocator setting is a wrong answer.
    if truth.get("allocator") is False:
        for f in fs:
            if f.get("candidate") == truth["candidate"] and any(x.get("kind") == "env" for x in f.get("fixes") or []):
                wrong = True
    # A scenario about a tax (one program, or a tax every candidate pays)
    # names the cause the leading tax finding must give, or none.
    tax_truth = truth.get("tax")
    if tax_truth is not None:
        lead = all_fs[0] if all_fs else None
        if tax_truth == "none":
            bad = [f for f in all_fs if f.get("tax") and f.get("confidence") in STRONG]
            bad += [f for f in all_fs if any(x.get("kind") == "env" for x in f.get("fixes") or [])]
            right, wrong = right and not bad, wrong or bool(bad)
        else:
            want_tax = [tax_truth] + truth.get("tax_aliases", [])
            is_tax = bool(lead) and bool(lead.get("tax"))
            right = right and is_tax and lead.get("cause") in want_tax
            wrong = wrong or (is_tax and lead.get("confidence") in STRONG and lead.get("cause") not in want_tax)
            first = lead
    verified = False
    for f in all_fs:
        for x in f.get("fixes") or []:
            if not x.get("verified"):
                continue
            if x.get("kind") == "env" and x.get("config") in fix.get("configs", []):
                verified = True
            if x.get("kind") == "code" and fix.get("code"):
                verified = True
    R += right
    W += wrong
    F += verified and has_fix
    ta, tb = time_of(r, "A", base), time_of(r, "B", base)
    times = f"A {ta*1e3:.3g} ms, B {tb*1e3:.3g} ms" if ta and tb else ""
    rows.append((name, truth, first, "yes" if right else "no", "WRONG" if wrong else "",
                 ("yes" if verified else "no") if has_fix else "-", times))

def cell(f):
    if f is False:
        return "-"
    if not f:
        return "(no finding)"
    return f"{f.get('cause')} / {f.get('candidate')} / {f.get('confidence')}"

w = max(len(r[0]) for r in rows)
print(f"{'scenario':<{w}}  {'ground truth':<28}  {'first finding (cause / candidate / confidence)':<48}  right  conf.wrong  fix  notes")
for name, truth, first, right, wrong, fixed, note in rows:
    t = f"{truth['cause']} / {truth['candidate']}"
    print(f"{name:<{w}}  {t:<28}  {cell(first):<48}  {right:<5}  {wrong:<10}  {fixed:<3}  {note}")
print(f"claims: {C} findings claim faults, {O} claim more than their bytes can produce")
print(f"tunables: {T} derived, {X} above 4x the peak held (the largest block, for mmap_threshold; glibc's 128 KiB default allowed); "
      f"fixes: {V} verified, {Z} without their peak RSS beside the baseline's; a tax leads {TX}")
print(f"corpus: {R}/{N} primary cause right, {W} confident wrong, {F}/{M} verified fixes")
EOF
