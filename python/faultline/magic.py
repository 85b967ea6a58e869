"""The %faultline and %%faultline IPython magics."""

import sys

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class

from . import _run
from ._syntax import SyntaxUsageError, parse_cell, parse_line


@magics_class
class FaultlineMagics(Magics):

    @line_cell_magic
    def faultline(self, line, cell=None):
        """Compare pieces of code with faultline and explain, by experiment,
        why one is slower when memory management is the reason.

        Line magic (candidates separated by ';', or by ';;' when a
        candidate itself holds several statements joined by ';'; faultline's
        flags, if any, end with a lone '--'):

            %faultline -s 'import numpy as np; a = np.ones(10**6)' -- a * 2 ; a + a

        Cell magic (faultline's flags on the first line; setup lines; then
        each candidate after a '# --' line, which may name it):

            %%faultline --budget 30s
            import numpy as np
            a = np.random.randint(0, 256, 1_000_000, dtype=np.uint8)
            # -- unnamed temporary
            a.astype(np.float64) / 255.0
            # -- named temporary
            t = a.astype(np.float64)
            t / 255.0

        Notebook state is NOT shared: faultline runs the code in fresh
        processes of this kernel's interpreter (and under other allocators),
        so the setup must import and build everything the candidates use.
        Each candidate runs as the body of a function called once per
        iteration, so the names it assigns live for one call.

        Flags are faultline timeit's (see `faultline timeit --help`):
        --budget 30s, --configs glibc-tuned,tcmalloc, --no-experiments,
        -s SETUP, -n, -r, --html FILE, ... The magic returns the Result
        (r.findings, r.ratio('A', 'B'), r.to_dict()); in Jupyter it renders
        the verdict, the findings and faultline's full HTML report. Ctrl-C
        (Interrupt kernel) stops faultline and returns its partial result.
        """
        try:
            if cell is None:
                flags, stmts = parse_line(line)
                setup, labels = "", []
            else:
                flags, setup, stmts, labels = parse_cell(line, cell)
        except SyntaxUsageError as e:
            raise UsageError(str(e)) from None
        args = list(flags)
        if setup:
            args += ["-s", setup]
        for label in labels:
            args += ["-l", label]
        args += ["--"] + stmts
        live = _live(self.shell)
        try:
            return _run.timeit(args, html=True, progress=live and live.phase, answer=live and live.answer)
        except _run.Interrupted as e:
            print("faultline: interrupted; its partial result:", file=sys.stderr)
            return e.result


class _Notebook:
    """The answer so far, above what faultline is doing, in one updating
    display that is cleared at the end (the result's own display then
    shows the full report)."""

    def __init__(self):
        from IPython.display import display
        self.lines, self.doing = [], "starting"
        self.handle = display({"text/plain": "faultline: starting"}, raw=True, display_id=True)

    def _show(self):
        text = "\n".join(self.lines + ["faultline: " + self.doing] if self.doing else self.lines)
        self.handle.update({"text/plain": text}, raw=True)

    def phase(self, msg):
        if msg is None:
            self.lines, self.doing = [], ""
        else:
            self.doing = msg
        self._show()

    def answer(self, line):
        self.lines.append(line)
        self._show()


class _Terminal:
    """A carriage-return status line on a terminal, with the answer's lines
    printed above it as they come."""

    def __init__(self):
        self.doing = ""

    def phase(self, msg):
        self.doing = "" if msg is None else "faultline: " + msg[:100]
        sys.stderr.write("\r\033[K" + self.doing)
        sys.stderr.flush()

    def answer(self, line):
        sys.stderr.write("\r\033[K" + line + "\n" + self.doing)
        sys.stderr.flush()


def _live(shell):
    """What faultline is doing and its answer so far: an updating display
    in a notebook, lines on a terminal, nothing when stderr goes
    elsewhere."""
    if type(shell).__name__ == "ZMQInteractiveShell":
        return _Notebook()
    if hasattr(sys.stderr, "isatty") and sys.stderr.isatty():
        return _Terminal()
    return None


def load_ipython_extension(ipython):
    ipython.register_magics(FaultlineMagics)
