"""faultline.pytest_plugin's parts that need no measurement: how a callable
becomes code the measured process runs, the saved results' names, the
gate's rules, and the gate itself on saved results (faultline compare,
which measures nothing). cmd/faultline TestPytestPlugin runs the plugin in
real pytest on python/examples/pytest."""

import copy
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

import faultline
from faultline import pytest_plugin as plugin
from helpers import fixture, live


def scale(a, factor=2):
    return a * factor


def keyword_only(a, *, n, m=1):
    return a * n * m


def no_arguments():
    return 1


class Holder:
    @staticmethod
    def make(a):
        return [a]

    def method(self):
        return self


def run_setup(setup, statements, cwd):
    """Exec setup in a fresh namespace of a fresh interpreter (as the probe
    does, sys.path without this directory) and evaluate each statement."""
    prog = textwrap.dedent("""\
        import json, sys
        sys.path = [p for p in sys.path if p not in ("", %r)]
        ns = {"__name__": "__main__"}
        exec(compile(sys.argv[1], "<setup>", "exec"), ns)
        print(json.dumps([repr(eval(s, ns)) for s in json.loads(sys.argv[2])]))
        print(json.dumps(sorted(k for k in ns if k.startswith("__faultline"))))
        """) % os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run([sys.executable, "-c", prog, setup, json.dumps(statements)], cwd=cwd,
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise AssertionError(out.stderr)
    values, leftovers = out.stdout.splitlines()
    return json.loads(values), json.loads(leftovers)


class CallableTest(unittest.TestCase):
    def test_statements(self):
        stmts, setup = plugin.callable_statements(
            ["a.sum()", scale, keyword_only, no_arguments, Holder.make, scale])
        self.assertEqual(stmts, ["a.sum()", "scale(a)", "keyword_only(a, n=n)", "no_arguments()", "Holder.make(a)",
                                 "scale(a)"])
        self.assertEqual(setup.count("scale = __faultline_load("), 1)
        self.assertIn("scale = __faultline_load(", setup)
        self.assertIn("Holder = __faultline_load(", setup)
        self.assertTrue(setup.endswith("del __faultline_load"))
        self.assertEqual(plugin.callable_statements(["x + 1"]), (["x + 1"], None))

    def test_the_measured_process_imports_them(self):
        stmts, setup = plugin.callable_statements([scale, keyword_only, Holder.make])
        with tempfile.TemporaryDirectory() as cwd:
            values, left = run_setup("a = 3; n = 5\n" + setup, stmts, cwd)
        self.assertEqual(values, ["6", "15", "[3]"])
        self.assertEqual(left, [], "the loader is deleted after use")

    def test_a_package_module_and_a_name_twice(self):
        with tempfile.TemporaryDirectory() as root:
            for pkg, body in (("flpkg_one", "def f(a):\n    return a + 1\n"),
                              ("flpkg_two", "from . import helper\ndef f(a):\n    return helper.K * a\n")):
                os.makedirs(os.path.join(root, pkg, "sub"))
                open(os.path.join(root, pkg, "__init__.py"), "w").close()
                open(os.path.join(root, pkg, "sub", "__init__.py"), "w").close()
                with open(os.path.join(root, pkg, "sub", "mod.py"), "w") as f:
                    f.write(body)
                with open(os.path.join(root, pkg, "sub", "helper.py"), "w") as f:
                    f.write("K = 10\n")
            sys.path.insert(0, root)
            try:
                from flpkg_one.sub import mod as one
                from flpkg_two.sub import mod as two
                stmts, setup = plugin.callable_statements([one.f, two.f])
            finally:
                sys.path.remove(root)
                for name in [m for m in sys.modules if m.startswith("flpkg_")]:
                    del sys.modules[name]
            # Two functions named f: each called through its module.
            self.assertEqual(stmts, ["flpkg_one_sub_mod.f(a)", "flpkg_two_sub_mod.f(a)"])
            with tempfile.TemporaryDirectory() as cwd:
                values, _ = run_setup("a = 4\n" + setup, stmts, cwd)
            self.assertEqual(values, ["5", "40"])

    def test_what_cannot_be_imported_is_refused(self):
        def closure(a):
            return a

        cases = [
            (lambda a: a, "candidate B (<lambda>) is a lambda; the code runs in a fresh process"),
            (closure, "is defined inside a function (CallableTest.test_what_cannot_be_imported_is_refused.<locals>.closure)"),
            (Holder().method, "is a method bound to an instance"),
            (42, "candidate B is a int; give code as a string or a function defined at module level"),
        ]
        for fn, want in cases:
            with self.assertRaises(TypeError) as ctx:
                plugin.callable_statements(["x", fn])
            self.assertIn(want, str(ctx.exception))
        ns = {"__name__": "__main__"}
        exec("def f(): pass", ns)
        with self.assertRaisesRegex(TypeError, "defined in __main__"):
            plugin.callable_statements([ns["f"]])

    def test_candidates_by_letter(self):
        fx = plugin.Faultline(node=None, session=None)
        with self.assertRaisesRegex(TypeError, "either positionally or as A=..., B=..., not both"):
            fx.compare("x", A="y")
        with self.assertRaisesRegex(TypeError, "named A, B, C, ... in order; got A, C"):
            fx.compare(A="x", C="y")
        with self.assertRaisesRegex(TypeError, "at least one candidate"):
            fx.compare(setup="x = 1")
        self.assertEqual(fx.python, sys.executable)


class NamesAndRulesTest(unittest.TestCase):
    def test_result_name(self):
        self.assertEqual(plugin.result_name("tests/test_x.py::TestC::test_y[1-2]", 1),
                         "tests-test_x.py--TestC--test_y[1-2].json")
        self.assertEqual(plugin.result_name("test_x.py::test_y[a b/c]", 2), "test_x.py--test_y[a_b-c].2.json")
        long = plugin.result_name("t.py::test_" + "x" * 300, 1)
        self.assertLess(len(long), 230)
        self.assertNotEqual(long, plugin.result_name("t.py::test_" + "x" * 299 + "y", 1))

    def test_default_rules(self):
        with open(fixture("seed.json")) as f:
            doc = json.load(f)
        self.assertEqual(plugin.gate_rules(doc, doc), "faults>+100%,syscalls>+0.5")
        untraced = copy.deepcopy(doc)
        for r in untraced["results"]:
            (r.get("per_iteration") or {}).pop("syscalls", None)
        self.assertEqual(plugin.gate_rules(doc, untraced), "faults>+100%")
        self.assertEqual(plugin.gate_rules(untraced, doc), "faults>+100%")


class GateTest(unittest.TestCase):
    """The gate on saved results: faultline compare --fail-if."""

    def setUp(self):
        live()
        self.dir = tempfile.mkdtemp(prefix="faultline-gate-")
        self.addCleanup(lambda: __import__("shutil").rmtree(self.dir, ignore_errors=True))
        with open(fixture("seed.json")) as f:
            self.doc = json.load(f)

    def write(self, name, doc):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            json.dump(doc, f)
        return path

    def test_pass_and_breach(self):
        old = self.write("old.json", self.doc)
        self.assertEqual(plugin.gate(faultline.find_binary(), old, old, plugin.gate_rules(self.doc, self.doc)), "")
        worse = copy.deepcopy(self.doc)
        for r in worse["results"]:
            if r["candidate"] == "A" and r.get("per_iteration"):
                r["per_iteration"]["minor_faults"] += 1000
        new = self.write("new.json", worse)
        out = plugin.gate(faultline.find_binary(), old, new, "faults>+10%")
        lines = out.splitlines()
        self.assertEqual(len(lines), 1, out)
        self.assertRegex(lines[0], r"^A( \(.*\))? under glibc: faults 0 -> 1,000 per call "
                                   r"\(\+[\d,.]+%\), over faults>\+10%$")

    def test_bad_rules(self):
        old = self.write("old.json", self.doc)
        with self.assertRaisesRegex(faultline.FaultlineError, "^faultline compare: .*time<"):
            plugin.gate(faultline.find_binary(), old, old, "time<+5%")


if __name__ == "__main__":
    unittest.main()
