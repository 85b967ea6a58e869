"""Assertions for a library's tests, on the numbers faultline measures
nearly deterministically (page faults and memory syscalls per call, the
causes it names), never on times, which move with the machine."""

from .result import format_seconds


def assert_memory(result, candidate, *, max_faults_per_call=None, max_syscalls_per_call=None,
                  no_cause=(), config=None):
    """Fail with one message listing every limit candidate broke.

        r = faultline.compare(setup, "f(a)", budget=20, no_experiments=True)
        assert_memory(r, "A", max_faults_per_call=50, max_syscalls_per_call={"brk": 0},
                      no_cause="heap-trim-refault")
    """
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
    causes = (no_cause,) if isinstance(no_cause, str) else tuple(no_cause)
    for f in result.findings:
        if f.cause in causes and f.candidate == name:
            problems.append(f"finding {f.cause}: {f.summary}")
    if problems:
        t = result.time(name, config)
        head = f"faultline: {name} ({label}) under {where}, {format_seconds(t)} per call:"
        raise AssertionError("\n  ".join([head] + problems))
