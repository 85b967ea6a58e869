"""How soon the answer comes: for each build, back to back, the seconds to
the first verdict line and to its cause ("Why:"), wherever they appear
(the answer so far on stderr, or the final report on stdout), the whole
run's time, the longest silence on stderr (a CI log's view: stdout and
stderr are pipes, not a terminal) and the findings with their confidence.

    /usr/bin/python3 bench/answer_time.py --runs 5 BIN [BIN2 ...] -- ARGS...

ARGS are faultline's (timeit ... or run ...); --json is added. Runs
alternate between the builds; medians are printed per build. Run it
under flock /tmp/faultline-timing.lock so no other timing job shares the
machine.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time


def one(binary, args, tmp):
    out = os.path.join(tmp, "r.json")
    if os.path.exists(out):
        os.remove(out)
    env = dict(os.environ, NO_COLOR="1")
    env.pop("FAULTLINE_PHASE_LOG", None)
    t0 = time.monotonic()
    p = subprocess.Popen([binary] + args + ["--json", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, env=env, text=True)
    seen = {}
    gaps = {"last": t0, "max": 0.0}
    lock = threading.Lock()

    def read(stream, name):
        for line in stream:
            now = time.monotonic()
            with lock:
                if name == "stderr":
                    gaps["max"] = max(gaps["max"], now - gaps["last"])
                    gaps["last"] = now
                for key in ("Verdict:", "Why:", "Fix:"):
                    if key in line and key not in seen:
                        seen[key] = now - t0

    ts = [threading.Thread(target=read, args=(p.stdout, "stdout")),
          threading.Thread(target=read, args=(p.stderr, "stderr"))]
    for t in ts:
        t.start()
    p.wait()
    for t in ts:
        t.join()
    total = time.monotonic() - t0
    gaps["max"] = max(gaps["max"], time.monotonic() - gaps["last"])
    findings = []
    try:
        r = json.load(open(out))
        findings = [(f["cause"], f.get("candidate", ""), f.get("config", ""), f.get("confidence", ""))
                    for f in r.get("findings") or []]
    except (OSError, ValueError):
        pass
    return {"verdict": seen.get("Verdict:"), "why": seen.get("Why:"), "total": total,
            "silence": gaps["max"], "findings": findings, "code": p.returncode}


def main():
    argv = sys.argv[1:]
    runs = 5
    if argv[:1] == ["--runs"]:
        runs, argv = int(argv[1]), argv[2:]
    sep = argv.index("--")
    bins, args = argv[:sep], argv[sep + 1:]
    tmp = tempfile.mkdtemp(prefix="faultline-answer-")
    got = {b: [] for b in bins}
    for i in range(runs):
        for b in bins:
            r = one(b, args, tmp)
            got[b].append(r)
            kept = [f"{c} {cand}@{cfg} {conf}" for c, cand, cfg, conf in r["findings"] if conf in ("high", "medium")]
            print(f"{os.path.basename(os.path.dirname(b)) or b} run {i + 1}: verdict {r['verdict']:.2f} s, "
                  f"cause {r['why']:.2f} s, whole {r['total']:.2f} s, longest stderr silence {r['silence']:.2f} s, "
                  f"exit {r['code']}; {'; '.join(kept)}", flush=True)
    for b in bins:
        rs = got[b]
        med = lambda k: statistics.median(r[k] for r in rs if r[k] is not None)
        print(f"{b}: median verdict {med('verdict'):.2f} s, cause {med('why'):.2f} s, whole {med('total'):.2f} s, "
              f"longest silence {max(r['silence'] for r in rs):.2f} s")


if __name__ == "__main__":
    main()
