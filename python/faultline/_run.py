"""Running the faultline binary: finding it, passing flags, reading its
result back. The measurement, the statistics and the diagnosis all happen in
the binary; this module only starts it and reads the JSON it writes."""

import datetime
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

from .result import Result, SchemaError, load


class FaultlineError(Exception):
    """faultline refused or failed; the message is what it said."""

    def __init__(self, message, exit_code=None, result=None):
        super().__init__(message)
        self.exit_code = exit_code
        self.result = result

    def _render_traceback_(self):
        # IPython shows this instead of a traceback through this package:
        # the user's error is in their code or flags, not here.
        return [f"{type(self).__name__}: {self}"]


class BinaryNotFound(FaultlineError):
    pass


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped faultline; result is what it measured before (partial)."""

    def __init__(self, result):
        super().__init__("interrupted: faultline stopped and kept its partial result")
        self.result = result


def find_binary():
    """FAULTLINE_BIN, else the binary that installed this package, else
    faultline on PATH."""
    env = os.environ.get("FAULTLINE_BIN")
    if env:
        if not (os.path.isfile(env) and os.access(env, os.X_OK)):
            raise BinaryNotFound(f"FAULTLINE_BIN={env} is not an executable file: point it at the faultline binary")
        return env
    try:
        from . import _installed
        if os.path.isfile(_installed.BINARY) and os.access(_installed.BINARY, os.X_OK):
            return _installed.BINARY
    except ImportError:
        pass
    found = shutil.which("faultline")
    if found:
        return found
    raise BinaryNotFound("the faultline binary was not found: put it on PATH, set FAULTLINE_BIN=/path/to/faultline, "
                         "or install this package with `faultline python --install`")


def flag_args(flags):
    """Keyword arguments as faultline flags: budget=20 -> --budget 20s,
    no_experiments=True -> --no-experiments, n=10 -> -n 10; a list repeats
    the flag; False and None leave it out."""
    args = []
    for key, value in flags.items():
        name = ("-" if len(key) == 1 else "--") + key.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            args.append(name)
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            if isinstance(v, datetime.timedelta):
                v = f"{v.total_seconds():g}s"
            elif key in ("budget", "sample_time") and isinstance(v, (int, float)):
                v = f"{v:g}s"
            args += [name, str(v)]
    return args


def _output_flag(args, name):
    """The value of --name among the flags in args (the last one, as
    faultline reads it; a lone "--" ends the flags)."""
    value = None
    for i, a in enumerate(args):
        if a == "--":
            break
        if a == name and i + 1 < len(args):
            value = args[i + 1]
        elif a.startswith(name + "="):
            value = a[len(name) + 1:]
    return value


def timeit(args, *, python=None, html=False, progress=None, answer=None):
    """Run `faultline timeit --python PYTHON --json TMP [--html TMP] ARGS`
    and return its Result. A KeyboardInterrupt stops faultline with SIGINT,
    waits for it to stop its targets and write its partial result, and
    raises Interrupted carrying that result."""
    args = list(args)
    ours = []
    if _output_flag(args, "--python") is None:
        # The code runs where the caller runs: the kernel's interpreter.
        ours += ["--python", python or sys.executable]
    tmp = tempfile.mkdtemp(prefix="faultline-")
    try:
        json_path = _output_flag(args, "--json")
        if json_path in ("-", "/dev/stdout"):
            raise FaultlineError("--json - writes the result to standard output; give a file, "
                                 "or leave --json out (the result is returned)", 2)
        if json_path is None:
            json_path = os.path.join(tmp, "result.json")
            ours += ["--json", json_path]
        html_path = _output_flag(args, "--html")
        if html and html_path is None:
            html_path = os.path.join(tmp, "report.html")
            ours += ["--html", html_path]
        return _invoke(find_binary(), ["timeit"] + ours + args, json_path, html_path, progress, answer)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _invoke(binary, args, json_path, html_path, progress, answer=None):
    env = dict(os.environ, FAULTLINE_PHASE_LOG="1", NO_COLOR="1")
    try:
        proc = subprocess.Popen([binary] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, text=True, errors="replace",
                                **_own_group())
    except OSError as e:
        raise BinaryNotFound(f"cannot run {binary}: {e.strerror}") from None
    out, err = [], []

    def read_err():
        for line in proc.stderr:
            if line.startswith("phase: "):
                if progress:
                    progress(line[len("phase: "):].rstrip("\n"))
            elif line.startswith("answer: "):
                # The answer so far (the verdict, its cause, a fix once
                # verified), before the measurement ends.
                if answer:
                    answer(line[len("answer: "):].rstrip("\n"))
            else:
                err.append(line)

    threads = [threading.Thread(target=lambda: out.extend(proc.stdout), daemon=True),
               threading.Thread(target=read_err, daemon=True)]
    for t in threads:
        t.start()
    interrupted = _wait(proc)
    for t in threads:
        t.join()
    if progress:
        progress(None)
    return _outcome(proc.returncode, "".join(out), "".join(err), json_path, html_path, interrupted)


def _own_group():
    # Its own process group: a terminal's Ctrl-C reaches Python only, which
    # then stops faultline once, in order (_wait).
    if sys.version_info >= (3, 11):
        return {"process_group": 0}
    return {"preexec_fn": os.setpgrp}


def _wait(proc):
    """Wait for faultline; on Ctrl-C send it SIGINT and keep waiting, so its
    targets die and it writes what it measured. A second Ctrl-C kills it."""
    interrupted = False
    while True:
        try:
            proc.wait()
            return interrupted
        except KeyboardInterrupt:
            if interrupted:
                proc.kill()
            else:
                interrupted = True
                proc.send_signal(signal.SIGINT)


def error_message(err, code):
    """faultline's own one-line error first, then what the target printed
    before it (a traceback), so the message reads from its cause."""
    lines = err.strip("\n").splitlines()
    heads = [i for i, l in enumerate(lines) if l.startswith("faultline: ")]
    if not heads:
        return "\n".join(lines) or f"faultline exited with code {code}"
    head = lines[heads[-1]][len("faultline: "):]
    rest = lines[:heads[-1]] + lines[heads[-1] + 1:]
    return "\n".join([head] + rest)


def _outcome(code, out, err, json_path, html_path, interrupted):
    message = error_message(err, code)
    result = None
    if os.path.exists(json_path):
        try:
            result = load(json_path)
        except (OSError, ValueError, SchemaError) as e:
            if code in (0, 1, 3):
                raise FaultlineError(f"cannot read faultline's result {json_path}: {e}", code) from None
        if result is not None:
            result.text = out
            if html_path and os.path.exists(html_path):
                with open(html_path, encoding="utf-8") as f:
                    result.html = f.read()
    if code == 2:
        # Bad usage or a SyntaxError/exception in the code: faultline said
        # what (and printed the target's traceback first).
        raise FaultlineError(message, code)
    if result is None:
        raise FaultlineError(message, code)
    if code == 3 or interrupted:
        raise Interrupted(result)
    if code == 4:
        raise FaultlineError(message, code, result)
    return result
