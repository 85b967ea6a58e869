"""faultline from Python: the %faultline / %%faultline IPython magics and
compare() for scripts and tests. Both drive the faultline binary
(FAULTLINE_BIN, the binary that installed this package, or faultline on
PATH) and read the faultline/v1 JSON result it writes; nothing is measured
or diagnosed here.

    %load_ext faultline
    r = faultline.compare("import numpy as np; a = np.ones(10**6, np.uint8)",
                          "a.astype(np.float64) / 255.0",
                          "t = a.astype(np.float64); t / 255.0", budget=30)
    r.findings[0].cause, r.ratio("A", "B")
"""

from ._run import BinaryNotFound, FaultlineError, Interrupted, find_binary
from .result import Finding, Ratio, Result, SchemaError, load
from .testing import assert_memory

__all__ = ["compare", "load", "Result", "Finding", "Ratio", "FaultlineError", "BinaryNotFound",
           "Interrupted", "SchemaError", "assert_memory", "find_binary", "load_ipython_extension"]


def compare(setup, *statements, labels=None, python=None, html=False, progress=None, answer=None, **flags):
    """Run `faultline timeit` on statements after setup and return the Result.

    setup is code (or a list of code) run once in each fresh process; every
    statement runs as the body of a function called once per iteration.
    Keyword flags are faultline timeit's: budget=30 (seconds) or "30s",
    configs="glibc-tuned,tcmalloc", no_experiments=True, n=10, ...;
    python defaults to this interpreter; html=True keeps the HTML report in
    result.html. progress(msg) receives what faultline is doing (None at
    the end), answer(line) each line of the answer so far as it comes (the
    verdict and its cause once the baseline is traced, a fix once
    verified). Raises FaultlineError on bad usage or an error in the code,
    Interrupted (a KeyboardInterrupt, with .result) on Ctrl-C."""
    if not statements:
        raise FaultlineError("compare needs at least one statement", 2)
    args = []
    for s in [setup] if isinstance(setup, str) else (setup or []):
        args += ["-s", s]
    for label in labels or []:
        args += ["-l", label]
    from ._run import flag_args, timeit
    args += flag_args(flags) + ["--"] + list(statements)
    return timeit(args, python=python, html=html, progress=progress, answer=answer)


def load_ipython_extension(ipython):
    """%load_ext faultline"""
    from .magic import load_ipython_extension as load_ext
    load_ext(ipython)
