"""Assertions for a library's tests, on the numbers faultline measures
nearly deterministically (page faults and memory syscalls per call, the
causes it names), never on times, which move with the machine."""

from .result import format_seconds


def assert_memory(result, candidate, *, max_faults_per_call=None, max_syscalls_per_call=None,
                  no_cause=(), config=None, max_memory_syscalls_per_call=None):
    """Fail with one message listing every limit candidate broke.

        r = faultline.compare(setup, "f(a)", budget=20, no_experiments=True)
        assert_memory(r, "A", max_faults_per_call=50, max_syscalls_per_call={"brk": 0},
                      no_cause="heap-trim-refault")

    max_memory_syscalls_per_call limits their sum (brk, mmap, munmap, mremap
    and madvise), as `faultline compare` sums them.
    """
    __tracebackhide__ = True  # pytest: the failure is the caller's line
    c = result.candidate(candidate)
    name, label = c["name"], c.get("label", "")
    where = config or result.baseline_config
    problems = []
    if max_faults_per_call is not None:
        faults = result.faults_per_call(name, config)
        if faults > max_faults_per_call:
            problems.append(f"{faults:,.1f} minor page faults per call (limit {max_faults_per_call:,})")
    for call, limit in (max_syscalls_per_call or {}).items():
        n = result.syscalls_per_call(name, call, config)
        if n is None:
            problems.append(f"{call} per call unknown: no trace pass ran (leave out --no-trace)")
        elif n > limit:
            problems.append(f"{n:g} {call} calls per call (limit {limit:g})")
    if max_memory_syscalls_per_call is not None:
        n = result.memory_syscalls_per_call(name, config)
        if n is None:
            problems.append("memory syscalls per call unknown: no trace pass ran (leave out --no-trace)")
        elif n > max_memory_syscalls_per_call:
            problems.append(f"{n:g} memory syscalls per call (limit {max_memory_syscalls_per_call:g})")
    causes = (no_cause,) if isinstance(no_cause, str) else tuple(no_cause)
    for f in result.findings:
        if f.cause in causes and f.candidate == name:
            problems.append(f"finding {f.cause}: {f.summary}")
    if problems:
        t = result.time(name, config)
        head = f"faultline: {name} ({label}) under {where}, {format_seconds(t)} per call:"
        raise AssertionError("\n  ".join([head] + problems))


def assert_no_cause(result, *causes, candidate=None):
    """Fail with one line per finding that names one of causes (any cause
    when none is given) for candidate (a name or label; every candidate
    when None; a finding about every candidate, such as a memory tax they
    all pay, counts for each).

        assert_no_cause(r, "heap-trim-refault")          # no candidate refaults its heap
        assert_no_cause(r, candidate="A")                # nothing found against A
    """
    __tracebackhide__ = True  # pytest: the failure is the caller's line
    name = result.candidate(candidate)["name"] if candidate is not None else None
    found = [f for f in result.findings
             if (not causes or f.cause in causes) and (name is None or f.candidate in (name, ""))]
    if found:
        lines = []
        for f in found:
            label = ""
            if f.candidate:
                try:
                    label = f" ({result.candidate(f.candidate).get('label', '')})"
                except KeyError:
                    pass
            who = f"{f.candidate}{label}" if f.candidate else "every candidate"
            lines.append(f"faultline found {f.cause} for {who} under {f.config}: {f.summary}")
        raise AssertionError("\n".join(lines))
