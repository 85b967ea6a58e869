# faultline's Python probe. Embedded in the faultline binary and written to a
# private temporary directory at run time; it needs nothing beyond the
# standard library. It speaks faultline's line protocol (docs/protocol.md):
# commands arrive on FAULTLINE_CTL_FD, records leave on FAULTLINE_FD, so the
# code under test may print freely.
#
# Each statement runs as the body of its own function, called once per
# iteration. Names a statement assigns are therefore local to one iteration
# and released when it ends, exactly as in the function a user is
# benchmarking (python -m timeit instead inlines statements into one loop,
# which keeps a named temporary alive across iterations and hides the
# allocation pattern under study).
import gc
import json
import os
import resource
import sys
import time
import traceback
import urllib.parse

_perf = time.perf_counter_ns
# What samples are timed with: perf_counter, or process_time for
# faultline timeit -p (as python -m timeit -p); set from the job.
_timer = time.perf_counter_ns
_rusage = resource.getrusage
_SELF = resource.RUSAGE_SELF

out_fd = int(os.environ["FAULTLINE_FD"])
ctl = os.fdopen(int(os.environ["FAULTLINE_CTL_FD"]), "r", encoding="utf-8", errors="replace")


def emit(verb, fields=(), text=None):
    line = verb
    for k, v in fields:
        line += " %s=%s" % (k, v)
    if text is not None:
        line += " " + json.dumps(text)
    # One write per record: the tracer recognises markers by their write().
    os.write(out_fd, (line + "\n").encode("utf-8", "replace"))


def user_traceback(exc, filenames):
    # Drop the probe's own frames: show the user only their code.
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename not in filenames:
        tb = tb.tb_next
    if isinstance(exc, SyntaxError):
        return "".join(traceback.format_exception_only(type(exc), exc))
    return "".join(traceback.format_exception(type(exc), exc, tb))


def main():
    spec_path = sys.argv[1]
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    os.unlink(spec_path)
    global _timer
    if spec.get("timer") == "process_time":
        _timer = time.process_time_ns
    sys.argv = ["faultline"]
    emit("hello", [("proto", 1), ("impl", "python"), ("pid", os.getpid()),
                   ("pyver", "%d.%d.%d" % sys.version_info[:3])])

    ns = {"__name__": "__main__", "__builtins__": __builtins__}
    t0 = _perf()
    try:
        exec(compile(spec["setup"] or "pass", "<setup>", "exec"), ns)
    except BaseException as e:  # noqa: B902 - report anything the setup raises
        emit("error", [("phase", "setup")], user_traceback(e, {"<setup>"}))
        return 2
    setup_ns = _perf() - t0

    funcs = {}
    for cand in spec["candidates"]:
        name, stmt = cand["name"], cand["statement"]
        fname = "<candidate %s>" % name
        body = "".join("    " + line + "\n" for line in (stmt or "pass").splitlines()) or "    pass\n"
        src = "def __faultline_candidate():\n" + body + "    pass\n"
        try:
            # Compile the statement alone first so a SyntaxError points at
            # the user's text, not at the wrapper.
            compile(stmt or "pass", fname, "exec")
            code = compile(src, fname, "exec")
            exec(code, ns)
        except BaseException as e:  # noqa: B902
            emit("error", [("cand", name), ("phase", "compile")], user_traceback(e, {fname}))
            return 2
        funcs[name] = (ns.pop("__faultline_candidate"), fname)
        _statements[fname] = stmt or "pass"

    np = sys.modules.get("numpy")
    facts = [("setup_ns", setup_ns)]
    if np is not None:
        facts.append(("numpy", getattr(np, "__version__", "unknown")))
    emit("ready", facts)

    for line in ctl:
        parts = line.split()
        if not parts:
            continue
        cmd, kv = parts[0], dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        if cmd == "quit":
            return 0
        cand = kv.get("cand", "")
        if cmd in ("run", "autorange", "trace", "alloc") and cand not in funcs:
            emit("error", [("cand", cand or "-"), ("phase", "command")], "unknown candidate %r" % cand)
            continue
        try:
            if cmd == "run":
                run(cand, funcs[cand][0], int(kv["loops"]), kv.get("seq", "0"), kv.get("gc") == "1")
            elif cmd == "autorange":
                autorange(cand, funcs[cand][0], int(kv["target_ns"]))
            elif cmd == "trace":
                trace(cand, funcs[cand][0], int(kv["iters"]))
            elif cmd == "alloc":
                alloc(cand, funcs[cand][0], funcs[cand][1], int(kv["iters"]))
            else:
                emit("error", [("phase", "command")], "unknown command %r" % cmd)
        except BaseException as e:  # noqa: B902
            if isinstance(e, KeyboardInterrupt):
                raise
            emit("error", [("cand", cand), ("phase", "run")], user_traceback(e, {funcs[cand][1]}))
            return 1
    return 0


def timed(f, loops, keep_gc, timer=None):
    # As timeit does, keep the cyclic GC out of the timed loop unless asked.
    timer = timer or _timer
    gc_was = gc.isenabled()
    if not keep_gc:
        gc.disable()
    try:
        r0 = _rusage(_SELF)
        w0 = _perf()
        t0 = timer()
        for _ in range(loops):
            f()
        t1 = timer()
        w1 = _perf()
        r1 = _rusage(_SELF)
    finally:
        if gc_was:
            gc.enable()
    return t1 - t0, w1 - w0, r0, r1


def cpu_ns(t0, t1):
    return max(0, round((t1 - t0) * 1e9))


def run(cand, f, loops, seq, keep_gc):
    ns, wall, r0, r1 = timed(f, loops, keep_gc)
    fields = [("cand", cand), ("seq", seq), ("loops", loops), ("ns", ns),
              ("minflt", r1.ru_minflt - r0.ru_minflt), ("majflt", r1.ru_majflt - r0.ru_majflt),
              ("utime", cpu_ns(r0.ru_utime, r1.ru_utime)), ("stime", cpu_ns(r0.ru_stime, r1.ru_stime))]
    if _timer is not _perf:
        # The elapsed time too: faultline sizes samples and its budget by it.
        fields.append(("wall", wall))
    emit("sample", fields)


def autorange(cand, f, target_ns):
    # timeit's sequence: 1, 2, 5, 10, 20, 50, ... until one batch is long enough.
    i = 1
    while True:
        for j in (1, 2, 5):
            loops = i * j
            # Sized by elapsed time whatever the timer, so a statement that
            # waits does not run for ever.
            ns, _, _, _ = timed(f, loops, False, _perf)
            if ns >= target_ns or loops >= 100_000_000:
                emit("range", [("cand", cand), ("loops", loops), ("ns", ns)])
                return
        i *= 10


def trace(cand, f, iters):
    for i in range(iters):
        emit("begin", [("cand", cand), ("iter", i)])
        r0 = _rusage(_SELF)
        t0 = _perf()
        f()
        t1 = _perf()
        r1 = _rusage(_SELF)
        # t0/t1 are CLOCK_MONOTONIC (perf_counter on Linux): faultline's
        # perf recorder attributes the kernel's timestamped samples by them.
        emit("end", [("cand", cand), ("iter", i), ("ns", t1 - t0),
                     ("minflt", r1.ru_minflt - r0.ru_minflt), ("majflt", r1.ru_majflt - r0.ru_majflt),
                     ("t0", t0), ("t1", t1)])
    emit("done", [("cand", cand)])


LARGE = 256 * 1024

# Each candidate's statement by its code's file name, for naming where in
# it a large allocation happens.
_statements = {}


def spec_statement(fname):
    return _statements.get(fname, "")


def alloc(cand, f, fname, iters):
    # tracemalloc sees Python objects and NumPy's data buffers (NumPy reports
    # them in its own domain). Large allocations are found by watching the
    # traced total between bytecodes of the candidate's own frame: a jump of
    # at least 256 KiB is one large allocation (two in the same bytecode are
    # seen as one; documented in docs/measurement.md).
    import tracemalloc

    code = f.__code__
    state = {"last": 0, "large": [], "prev": -1}
    # Where in the statement each instruction is (3.11+: columns too), so a
    # large allocation is named by the expression that made it.
    positions = list(code.co_positions()) if hasattr(code, "co_positions") else []
    stmt_lines = spec_statement(fname).splitlines()

    def where(lasti):
        i = lasti // 2
        if i < 0 or i >= len(positions):
            return ""
        line, end, col, end_col = positions[i]
        if line is None or line < 2 or line - 2 >= len(stmt_lines):
            return ""
        text = stmt_lines[line - 2]
        if col is None or end_col is None or end != line:
            return "%d:%s" % (line - 1, text.strip())
        # 4 columns of the wrapper's indentation; columns count UTF-8 bytes.
        raw = text.encode("utf-8")
        return "%d:%s" % (line - 1, raw[max(0, col - 4):max(0, end_col - 4)].decode("utf-8", "replace"))

    def local(frame, event, arg):
        cur = tracemalloc.get_traced_memory()[0]
        d = cur - state["last"]
        if d >= LARGE:
            # The instruction that just ran made it.
            state["large"].append((d, where(state["prev"])))
        state["last"] = cur
        state["prev"] = frame.f_lasti
        return local

    def glob(frame, event, arg):
        if frame.f_code is code:
            frame.f_trace_opcodes = True
            return local
        return None

    tracemalloc.start()
    count = 0
    total = 0
    peak = 0
    sizes = {}
    sites = {}
    try:
        for _ in range(iters):
            gc.collect()
            base = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            state["last"] = base
            state["large"] = []
            state["prev"] = -1
            sys.settrace(glob)
            try:
                f()
            finally:
                sys.settrace(None)
            _, pk = tracemalloc.get_traced_memory()
            peak = max(peak, pk - base)
            for s, at in state["large"]:
                count += 1
                total += s
                # Round to 4 KiB so equal buffers group together.
                key = (s + 2048) // 4096 * 4096
                sizes[key] = sizes.get(key, 0) + 1
                sites[(key, at)] = sites.get((key, at), 0) + 1
    finally:
        tracemalloc.stop()
    large = ",".join("%dx%d" % (k, v) for k, v in sorted(sizes.items(), reverse=True)) or "-"
    # bytes x count @ where, the where percent-encoded (the record is
    # space-separated).
    at = ",".join("%dx%d@%s" % (k, v, urllib.parse.quote(w, safe=""))
                  for (k, w), v in sorted(sites.items(), key=lambda kv: (-kv[0][0], kv[0][1])) if w) or "-"
    emit("alloc", [("cand", cand), ("iters", iters), ("count", count), ("bytes", total),
                   ("peak", peak), ("large", large), ("sites", at)])
    emit("done", [("cand", cand)])


if __name__ == "__main__":
    try:
        code = main()
    except KeyboardInterrupt:
        code = 130
    sys.stdout.flush()
    os._exit(code)
