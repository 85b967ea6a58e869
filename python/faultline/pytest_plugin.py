"""faultline in pytest: the `faultline` fixture, and a gate that compares
each test's result with a saved one (docs/pytest.md).

    def test_normalise(faultline):
        r = faultline.compare(setup="import numpy as np; a = np.ones(10**6, np.uint8)",
                              A=normalise)            # a module-level function of the test file
        assert r.faults_per_call("A") < 64
        r.assert_no_cause("heap-trim-refault")

    pytest --faultline-save=.faultline          # keep every test's result
    pytest --faultline-compare=.faultline       # fail a test whose counts rose against it

Registered by the pytest11 entry point when the package is installed by pip;
after `faultline python --install` (which writes no entry points) with
`-p faultline.pytest_plugin` or, in the rootdir's conftest.py,
`pytest_plugins = ["faultline.pytest_plugin"]`.

Like the rest of the package it measures nothing: the fixture runs
`faultline timeit` (faultline.compare) and the gate `faultline compare
--fail-if`, so a test fails on exactly what the binary decides.
"""

import inspect
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import types
import warnings

import pytest

from ._run import FaultlineError, error_message, find_binary, flag_args, timeit
from .result import Result, load

# The gate's rules when --faultline-fail-if is not given (docs/pytest.md):
# the counts, which repeat from run to run, and not time, which moves with
# the machine's load and, below, with the process. Faults get room to
# double: with transparent huge pages a large heap block faults in 2 MiB
# pages where it happens to be aligned, and address-space randomisation
# moves that from one process to the next (the seed's t / 255.0 takes 808 or
# 1,319 faults per call, nothing in between, and its time follows: +25% on
# a host where a fault costs 2 us, about +50% where it costs 10 us). A memory
# syscall count does not move at all.
COUNT_RULES = ("faults>+100%", "syscalls>+0.5")

# A callable is loaded in the measured process by this function, defined
# into the setup's namespace after the setup and deleted once used: the
# module is imported by name with the directory that holds its top package
# first on sys.path (as pytest's default "prepend" import mode does), or,
# when that finds another module of that name, loaded from its file.
_LOADER = '''\
def __faultline_load(root, module, path, qualname):
    import importlib, importlib.util, os, sys
    if root and root not in sys.path:
        sys.path.insert(0, root)
    mod = sys.modules.get(module)
    if mod is None:
        try:
            mod = importlib.import_module(module)
        except ImportError:
            mod = None
        if mod is not None and path and os.path.realpath(getattr(mod, "__file__", "") or "") != os.path.realpath(path):
            mod = None
        if mod is None:
            spec = importlib.util.spec_from_file_location(module, path)
            mod = importlib.util.module_from_spec(spec)
            sys.modules[module] = mod
            spec.loader.exec_module(mod)
    obj = mod
    for part in qualname.split(".") if qualname else ():
        obj = getattr(obj, part)
    return obj'''


def pytest_addoption(parser):
    group = parser.getgroup("faultline", "faultline: memory-management benchmarks (docs/pytest.md)")
    group.addoption("--faultline-save", metavar="DIR", default=None,
                    help="write each faultline result of each test to DIR/<test id>.json")
    group.addoption("--faultline-compare", metavar="DIR", default=None,
                    help="gate each faultline result against DIR/<test id>.json (saved by --faultline-save): "
                         "the test fails naming the metric that rose")
    group.addoption("--faultline-fail-if", metavar="RULES", default=None,
                    help=("the gate's rules, as faultline compare --fail-if (default: "
                          f"'{','.join(COUNT_RULES)}'; add time>+N% to gate time too)"
                          ).replace("%", "%%"))  # argparse formats help with %
    group.addoption("--faultline-flags", metavar="FLAGS", default=None,
                    help="faultline timeit flags for every compare, before the test's own (e.g. '--budget 20s'); "
                         "overrides the faultline_flags ini value")
    parser.addini("faultline_flags", "faultline timeit flags for every compare, before the test's own", default="")


def pytest_configure(config):
    config.pluginmanager.register(_Session(config), "faultline-session")


def _session(config):
    return config.pluginmanager.get_plugin("faultline-session")


@pytest.fixture
def faultline(request):
    """Compare statements or module-level callables with faultline, in
    fresh processes of the interpreter pytest runs under:
    faultline.compare(setup=..., A=..., B=...) returns a faultline.Result."""
    return Faultline(request.node, _session(request.config))


class Faultline:
    """The `faultline` fixture. python is the interpreter that runs the
    code (sys.executable, the one pytest runs under); results holds every
    Result the test produced, in order."""

    def __init__(self, node, session):
        self.python = sys.executable
        self.results = []
        self._node = node
        self._session = session

    def compare(self, *candidates, setup=(), labels=None, python=None, **flags):
        """Measure candidates (code strings, or functions defined at module
        level) after setup, and return the faultline.Result.

        Candidates are positional, or keywords named by their letters
        (A=..., B=..., in order): faultline names them A, B, ... A function
        runs as a call; each parameter without a default receives the setup's
        variable of that name (def normalise(a) runs as normalise(a)).
        Other keywords are faultline timeit's flags, as for
        faultline.compare (budget=20, quick=True, no_experiments=True).

        With --faultline-compare the result is gated against the saved one
        first, and the test fails there, in one line per metric that rose.
        """
        __tracebackhide__ = True
        named = sorted(k for k in flags if _is_letter(k))
        if named:
            if candidates:
                raise TypeError("faultline.compare: give the candidates either positionally or as A=..., B=..., not both")
            want = [chr(ord("A") + i) for i in range(len(named))]
            if named != want:
                raise TypeError(f"faultline.compare: candidates are named A, B, C, ... in order; got {', '.join(named)}")
            candidates = tuple(flags.pop(k) for k in named)
        if not candidates:
            raise TypeError("faultline.compare needs at least one candidate: a statement or a module-level function")
        setup = [setup] if isinstance(setup, str) else list(setup or [])
        statements, extra = callable_statements(candidates)
        if extra:
            setup.append(extra)
        # As faultline.compare builds them, with the session's flags
        # (--faultline-flags, faultline_flags) before the test's own:
        # faultline reads the last of a repeated flag, so the test's win.
        args = []
        for s in setup:
            args += ["-s", s]
        for label in labels or []:
            args += ["-l", label]
        args += self._session.flags() + flag_args(flags) + ["--"] + list(statements)
        try:
            result = timeit(args, python=python or self.python)
        except FaultlineError as e:
            # The message is the user's error (their code's traceback, or
            # faultline's line): no traceback through this package.
            raise type(e)(str(e), e.exit_code, e.result) from None
        result = TestResult(result.to_dict(), result.text, result.html)
        self.results.append(result)
        try:
            breaches = self._session.record(self._node, len(self.results), result)
        except FaultlineError as e:
            # faultline compare could not judge (the saved result pairs no
            # candidate of this one): its line, not this package's frames.
            raise type(e)(str(e), e.exit_code) from None
        if breaches:
            pytest.fail(breaches, pytrace=False)
        return result


class TestResult(Result):
    """A Result whose repr is one line: pytest repeats it in every `where`
    of a failed assertion, and shows the result's summary (verdict, counts,
    findings) once, in the test's "faultline result" section."""

    __test__ = False  # not a test class, whatever its name

    def __repr__(self):
        return "<faultline result: " + ", ".join(
            f"{c['name']} = {c.get('label', '')}" for c in self.user_candidates()) + ">"


def _is_letter(key):
    return len(key) == 1 and "A" <= key <= "Z"


def callable_statements(candidates):
    """Each candidate as the code faultline runs, and the setup code that
    binds the callables among them in the measured process (None when there
    are none). Raises TypeError for a callable that process cannot import:
    a lambda, a closure, a bound method, one defined in __main__."""
    __tracebackhide__ = True  # pytest: the refusal is the test's line
    statements, binds = [], []
    where = {}
    for i, c in enumerate(candidates):
        if isinstance(c, str):
            continue
        letter = chr(ord("A") + i)
        if not callable(c):
            raise TypeError(f"faultline.compare: candidate {letter} is a {type(c).__name__}; "
                            "give code as a string or a function defined at module level")
        where[i] = _where(c, letter)
    # A name two modules define (two versions of f) is called through its
    # module, for each of them: flpkg_old.f(a), flpkg_new.f(a).
    owners = {}
    for module, qualname, _, _ in where.values():
        owners.setdefault(qualname.split(".")[0], set()).add(module)
    done = set()
    for i, c in enumerate(candidates):
        if i not in where:
            statements.append(c)
            continue
        module, qualname, path, root = where[i]
        top = qualname.split(".")[0]
        if len(owners[top]) == 1:
            name, target, call = top, top, qualname
        else:
            name, target = re.sub(r"\W", "_", module), ""
            call = f"{name}.{qualname}"
        if name not in done:
            done.add(name)
            binds.append(f"{name} = __faultline_load({root!r}, {module!r}, {path!r}, {target!r})")
        statements.append(f"{call}({_arguments(c)})")
    if not binds:
        return statements, None
    return statements, "\n".join([_LOADER] + binds + ["del __faultline_load"])


def _where(fn, letter):
    """module, qualname, file and sys.path root from which the measured
    process imports fn."""
    __tracebackhide__ = True
    qualname = getattr(fn, "__qualname__", None)
    module = getattr(fn, "__module__", None)
    what = f"faultline.compare: candidate {letter} ({getattr(fn, '__name__', type(fn).__name__)})"
    why = ("the code runs in a fresh process, which imports a function by its module and name: "
           "define it at module level (def f(a): ...) or give the code as a string")
    if not qualname or not module:
        raise TypeError(f"{what} has no module and name to import it by; {why}")
    if "<lambda>" in qualname:
        raise TypeError(f"{what} is a lambda; {why}")
    if "<locals>" in qualname:
        raise TypeError(f"{what} is defined inside a function ({qualname}); {why}")
    owner = getattr(fn, "__self__", None)
    if owner is not None and not isinstance(owner, (types.ModuleType, type)):
        raise TypeError(f"{what} is a method bound to an instance; {why}")
    if module == "__main__":
        raise TypeError(f"{what} is defined in __main__, which the measured process does not run; {why}")
    mod = sys.modules.get(module)
    path = getattr(mod, "__file__", None) or ""
    root = ""
    if path:
        root = os.path.dirname(os.path.abspath(path))
        depth = module.count(".") + (os.path.basename(path).startswith("__init__.") and 1 or 0)
        for _ in range(depth):
            root = os.path.dirname(root)
    return module, qualname, os.path.abspath(path) if path else "", root


def _arguments(fn):
    """The call's arguments: each parameter without a default is given the
    setup's variable of its name."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return ""
    args = []
    for p in sig.parameters.values():
        if p.default is not inspect.Parameter.empty:
            continue
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            args.append(p.name)
        elif p.kind == p.KEYWORD_ONLY:
            args.append(f"{p.name}={p.name}")
    return ", ".join(args)


def result_name(nodeid, index):
    """The file a test's index-th result (from 1) is saved as: the test's
    id with / and :: made file-name safe, .2, .3 ... for later results."""
    name = nodeid.replace("::", "--").replace("/", "-")
    name = re.sub(r"[^\w.\-\[\]=,+@]", "_", name)
    if len(name) > 200:
        import hashlib
        name = name[:180] + "-" + hashlib.sha1(nodeid.encode()).hexdigest()[:12]
    return name + ("" if index == 1 else f".{index}") + ".json"


def gate_rules(old, new):
    """The default rules for old and new (faultline/v1 documents): the
    counts; memory syscalls only when both traced them (a rule on a metric
    one side did not measure cannot pass)."""
    rules = [COUNT_RULES[0]]
    if _traced(old) and _traced(new):
        rules.append(COUNT_RULES[1])
    return ",".join(rules)


def _traced(doc):
    """Whether a trace pass counted every user candidate's memory syscalls
    under the baseline configuration."""
    r = Result(doc)
    try:
        return all(r.memory_syscalls_per_call(c["name"]) is not None for c in r.user_candidates())
    except KeyError:
        return False


def gate(binary, old_path, new_path, rules):
    """Run faultline compare --fail-if rules old new: the breaches, one line
    each ("" when it passes). Raises FaultlineError when it cannot judge."""
    proc = subprocess.run([binary, "compare", "--fail-if", rules, old_path, new_path],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, errors="replace", env=dict(os.environ, NO_COLOR="1"))
    if proc.returncode == 0:
        return ""
    prefix = "faultline: fail-if: "
    lines = [line[len(prefix):] for line in proc.stderr.splitlines() if line.startswith(prefix)]
    if proc.returncode == 5 and lines:
        return "\n".join(lines)
    raise FaultlineError("faultline compare: " + error_message(proc.stderr, proc.returncode), proc.returncode)


class _Session:
    """What the options ask of every result: save it, gate it; and what
    happened, for the terminal summary."""

    def __init__(self, config):
        self.config = config
        opt = config.getoption
        self.save_dir = opt("faultline_save")
        self.compare_dir = opt("faultline_compare")
        self.rules = opt("faultline_fail_if")
        words = opt("faultline_flags")
        if words is None:
            words = config.getini("faultline_flags")
        self._flags = shlex.split(words or "")
        self.saved, self.passed, self.failed, self.missing = [], [], [], []
        self.by_node = {}
        if self.compare_dir and not os.path.isdir(self.compare_dir):
            raise pytest.UsageError(f"--faultline-compare {self.compare_dir}: no such directory; "
                                    "save results there first with --faultline-save")

    def flags(self):
        return list(self._flags)

    def record(self, node, index, result):
        """Gate the index-th result of node against the saved one, then save
        it; the breaches as one line each ("" when none)."""
        self.by_node.setdefault(node.nodeid, []).append(result)
        name = result_name(node.nodeid, index)
        doc = result.to_dict()
        breaches = ""
        with tempfile.TemporaryDirectory(prefix="faultline-pytest-") as tmp:
            new_path = os.path.join(tmp, name)
            _write(new_path, doc)
            if self.compare_dir:
                old_path = os.path.join(self.compare_dir, name)
                if not os.path.exists(old_path):
                    self.missing.append(old_path)
                    warnings.warn(pytest.PytestWarning(
                        f"faultline: no saved result {old_path} for {node.nodeid}: not gated "
                        "(save one with --faultline-save)"), stacklevel=3)  # the test's line
                else:
                    old = load(old_path).to_dict()
                    rules = self.rules or gate_rules(old, doc)
                    breaches = gate(find_binary(), old_path, new_path, rules)
                    if breaches:
                        breaches = f"faultline gate ({rules}) against {old_path}:\n" + breaches
                        self.failed.append(node.nodeid)
                    else:
                        self.passed.append(node.nodeid)
            if self.save_dir:
                os.makedirs(self.save_dir, exist_ok=True)
                path = os.path.join(self.save_dir, name)
                _write(path, doc)
                self.saved.append(path)
        return breaches

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        results = self.by_node.get(item.nodeid)
        if call.when == "teardown":
            self.by_node.pop(item.nodeid, None)
        if report.failed and results and call.when == "call":
            # What faultline measured, beside the failed assertion: the
            # verdict, every candidate's counts and the findings.
            for i, r in enumerate(results, 1):
                title = "faultline result" + (f" {i}" if len(results) > 1 else "")
                report.sections.append((title, r.summary()))

    def pytest_terminal_summary(self, terminalreporter):
        tr = terminalreporter
        if not (self.saved or self.compare_dir):
            return
        if self.compare_dir:
            line = (f"faultline: gated {len(self.passed) + len(self.failed)} results against {self.compare_dir}: "
                    f"{len(self.failed)} regressed")
            if self.missing:
                line += f"; {len(self.missing)} had no saved result (not gated)"
            tr.write_line(line)
        if self.saved:
            tr.write_line(f"faultline: saved {len(self.saved)} results in {self.save_dir}")


def _write(path, doc):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


__all__ = ["Faultline", "TestResult", "faultline", "callable_statements", "gate", "gate_rules", "result_name"]
