"""The magics in the real IPython, running the real faultline: the seed
case as a cell, the line magic, a SyntaxError, a missing binary, Ctrl-C."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import unittest
import uuid

import faultline
from helpers import REPO, live

SEED_CELL = """import numpy as np
a = np.random.randint(0, 256, 1_000_000, dtype=np.uint8)
# -- unnamed temporary
a.astype(np.float64) / 255.0
# -- named temporary
t = a.astype(np.float64)
t / 255.0
"""


def shell():
    from IPython.core.interactiveshell import InteractiveShell
    sh = InteractiveShell.instance()
    if "faultline" not in sh.extension_manager.loaded:
        sh.run_line_magic("load_ext", "faultline")
    return sh


class MagicTest(unittest.TestCase):
    def setUp(self):
        live()
        self.sh = shell()

    def test_seed_cell(self):
        r = self.sh.run_cell_magic("faultline", "--budget 30s --configs glibc-tuned", SEED_CELL)
        self.assertIsInstance(r, faultline.Result)
        self.assertEqual(r.findings[0].cause, "heap-trim-refault", repr(r))
        self.assertEqual(r.findings[0].candidate, "B")
        self.assertEqual([c["label"] for c in r.user_candidates()], ["unnamed temporary", "named temporary"])
        self.assertGreater(r.ratio("A", "B").low, 1, "B is not significantly slower: " + repr(r))
        self.assertEqual(r.to_dict()["setup"], "import numpy as np\na = np.random.randint(0, 256, 1_000_000, dtype=np.uint8)")
        # The cell ran in this interpreter, in fresh processes.
        self.assertEqual(r.to_dict()["host"]["python"], sys.executable)
        self.assertNotIn("a", self.sh.user_ns)
        # The full reports came back: the HTML in the sandboxed iframe,
        # the terminal one for terminals.
        page = r._repr_html_()
        self.assertIn('sandbox=""', page)
        self.assertIn("Content-Security-Policy", r.html)
        self.assertIn("heap-trim-refault", r.text)

    def test_line_magic(self):
        res = self.sh.run_cell("%faultline --budget 10s --no-experiments --no-isolated "
                               "-s 'import numpy as np; a = np.ones(1000)' -- a.sum() ; a.mean()")
        self.assertTrue(res.success, res.error_in_exec)
        r = res.result
        self.assertEqual([c["statement"] for c in r.user_candidates()], ["a.sum()", "a.mean()"])
        self.assertEqual([c["name"] for c in r.configs], ["glibc"])
        self.assertIsInstance(float(r.ratio("A", "B")), float)

    def test_one_statement(self):
        # One statement is a use of its own: what memory management costs
        # it. sum() of a list allocates nothing, so the counts leave
        # nothing to explain and no experiment runs.
        res = self.sh.run_cell("%faultline --budget 20s -s 'x = list(range(1000))' -- sum(x)")
        self.assertTrue(res.success, res.error_in_exec)
        r = res.result
        self.assertEqual([c["statement"] for c in r.user_candidates()], ["sum(x)"])
        self.assertEqual(len(r.taxes), 1)
        self.assertFalse(r.taxes[0]["paid"])
        self.assertIn("Memory: no memory-management cost above", "\n".join(r.verdict()))
        self.assertEqual([c["name"] for c in r.configs], ["glibc"])

    def test_syntax_error_cell(self):
        res = self.sh.run_cell("%%faultline --budget 10s\nimport numpy as np\n# -- ok\nnp.ones(3)\n# -- broken\nx = = 1\n")
        err = res.error_in_exec
        self.assertIsInstance(err, faultline.FaultlineError)
        self.assertEqual(err.exit_code, 2)
        first, *rest = str(err).splitlines()
        self.assertEqual(first, "candidate B failed: SyntaxError: invalid syntax")
        self.assertIn('  File "<candidate B>", line 1', rest)
        # IPython shows the one message, not a traceback through the package.
        self.assertEqual(err._render_traceback_(), ["FaultlineError: " + str(err)])

    def test_usage_errors_before_running(self):
        res = self.sh.run_cell("%faultline --budget 10s a.sum() ; a.mean()")
        self.assertEqual(type(res.error_in_exec).__name__, "UsageError")
        self.assertIn("lone '--'", str(res.error_in_exec))
        res = self.sh.run_cell("%faultline --budget -5s -- 1 ; 2")
        self.assertIsInstance(res.error_in_exec, faultline.FaultlineError)
        self.assertEqual(res.error_in_exec.exit_code, 2)


class MissingBinaryTest(unittest.TestCase):
    def test_missing_binary(self):
        # The repository's copy has no recorded binary; with no faultline on
        # PATH and FAULTLINE_BIN unset, the magic says how to get one.
        env = {k: v for k, v in os.environ.items() if k != "FAULTLINE_BIN"}
        env.update(PATH="/nonexistent", PYTHONPATH=os.path.join(REPO, "python"))
        src = textwrap.dedent("""
            from IPython.core.interactiveshell import InteractiveShell
            sh = InteractiveShell.instance()
            sh.run_line_magic("load_ext", "faultline")
            res = sh.run_cell("%faultline 1 ; 2")
            print(type(res.error_in_exec).__name__ + ": " + str(res.error_in_exec))
        """)
        out = subprocess.run([sys.executable, "-c", src], env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("BinaryNotFound: the faultline binary was not found: put it on PATH, set FAULTLINE_BIN", out.stdout)
        env["FAULTLINE_BIN"] = "/nonexistent/faultline"
        out = subprocess.run([sys.executable, "-c", src], env=env, capture_output=True, text=True, timeout=120)
        self.assertIn("BinaryNotFound: FAULTLINE_BIN=/nonexistent/faultline is not an executable file", out.stdout)


def marked(token):
    """pid -> command line of the live processes whose environment holds token."""
    found = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if token.encode() not in f.read():
                    continue
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                found[int(pid)] = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
    return found


class InterruptTest(unittest.TestCase):
    def test_ctrl_c_stops_faultline_and_returns_the_partial_result(self):
        live()
        token = "FAULTLINE_INTERRUPT_TEST=" + uuid.uuid4().hex
        env = dict(os.environ, FAULTLINE_INTERRUPT_TEST=token.split("=", 1)[1])
        src = textwrap.dedent("""
            import json, signal, sys
            # As in an interactive IPython, whatever the test runner's parent ignores.
            signal.signal(signal.SIGINT, signal.default_int_handler)
            from IPython.core.interactiveshell import InteractiveShell
            sh = InteractiveShell.instance()
            sh.run_line_magic("load_ext", "faultline")
            r = sh.run_cell_magic("faultline", "--budget 120s", sys.argv[1])
            print(json.dumps({"type": type(r).__name__, "partial": r.partial,
                              "interrupted": r.interrupted, "verdict": r.verdict()}))
        """)
        p = subprocess.Popen([sys.executable, "-c", src, SEED_CELL], env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            # Interrupt once the probe is measuring (its process carries the token).
            deadline = time.monotonic() + 120
            while not any("probe.py" in c for c in marked(token).values()):
                if p.poll() is not None:
                    out, err = p.communicate()
                    self.fail(f"the magic ended before it was interrupted: {out} {err}")
                self.assertLess(time.monotonic(), deadline, "faultline never started its probe")
                time.sleep(0.2)
            time.sleep(1.5)
            p.send_signal(signal.SIGINT)
            out, err = p.communicate(timeout=60)
        finally:
            p.kill()
        self.assertEqual(p.returncode, 0, err)
        self.assertIn("faultline: interrupted; its partial result:", err)
        got = json.loads(out.strip().splitlines()[-1])
        self.assertEqual(got["type"], "Result")
        self.assertTrue(got["partial"], got)
        self.assertTrue(got["interrupted"], got)
        self.assertTrue(got["verdict"][0].startswith("partial result: "), got)
        # faultline and every target it started are gone.
        deadline = time.monotonic() + 10
        while marked(token) and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(marked(token), {})


if __name__ == "__main__":
    unittest.main()
