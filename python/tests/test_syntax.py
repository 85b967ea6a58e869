import unittest

from faultline import _run
from faultline._syntax import SyntaxUsageError, parse_cell, parse_line, split_statements

SEED_CELL = """import numpy as np
a = np.random.randint(0, 256, 1_000_000, dtype=np.uint8)
# -- unnamed temporary
a.astype(np.float64) / 255.0
#-- named
t = a.astype(np.float64)
t / 255.0

# ----- a comment, not a separator
"""


class CellTest(unittest.TestCase):
    def test_setup_candidates_labels(self):
        flags, setup, stmts, labels = parse_cell("--budget 30s -s 'x = 1'", SEED_CELL)
        self.assertEqual(flags, ["--budget", "30s", "-s", "x = 1"])
        self.assertEqual(setup, "import numpy as np\na = np.random.randint(0, 256, 1_000_000, dtype=np.uint8)")
        self.assertEqual(stmts, ["a.astype(np.float64) / 255.0",
                                 "t = a.astype(np.float64)\nt / 255.0\n\n# ----- a comment, not a separator"])
        self.assertEqual(labels, ["unnamed temporary", "named"])

    def test_no_labels(self):
        _, _, stmts, labels = parse_cell("", "# --\nf()\n# --\ng()\n")
        self.assertEqual((stmts, labels), (["f()", "g()"], []))

    def test_errors(self):
        with self.assertRaisesRegex(SyntaxUsageError, "needs a '# --' line"):
            parse_cell("", "f()\ng()\n")
        with self.assertRaisesRegex(SyntaxUsageError, "line 3 .* starts a candidate with no code"):
            parse_cell("", "# --\nf()\n# -- empty\n\n")
        with self.assertRaisesRegex(SyntaxUsageError, "leave out -l"):
            parse_cell("-l x", "# -- a\nf()\n")
        with self.assertRaisesRegex(SyntaxUsageError, "cannot split"):
            parse_cell("-s 'unclosed", "# --\nf()\n")


class LineTest(unittest.TestCase):
    def test_plain(self):
        self.assertEqual(parse_line(" a.sum() ; a.mean() "), ([], ["a.sum()", "a.mean()"]))

    def test_flags_end_at_double_dash(self):
        flags, stmts = parse_line("--budget 20s -s 'import numpy as np; a = np.ones(9)' -- a * 2 ; a + a")
        self.assertEqual(flags, ["--budget", "20s", "-s", "import numpy as np; a = np.ones(9)"])
        self.assertEqual(stmts, ["a * 2", "a + a"])

    def test_double_semicolon_keeps_statements_whole(self):
        _, stmts = parse_line("a.astype(float) / 255.0 ;; t = a.astype(float); t / 255.0")
        self.assertEqual(stmts, ["a.astype(float) / 255.0", "t = a.astype(float); t / 255.0"])

    def test_semicolon_in_string(self):
        self.assertEqual(split_statements("s.split(';') ; s.split(',')"), ["s.split(';') ", " s.split(',')"])

    def test_errors(self):
        with self.assertRaisesRegex(SyntaxUsageError, "lone '--'"):
            parse_line("--budget 20s a.sum() ; a.mean()")
        with self.assertRaisesRegex(SyntaxUsageError, "no statements"):
            parse_line("--budget 20s --")
        with self.assertRaisesRegex(SyntaxUsageError, "empty statement"):
            parse_line("f() ; ; g()")


class FlagsTest(unittest.TestCase):
    def test_flag_args(self):
        self.assertEqual(_run.flag_args({"budget": 20, "no_experiments": True, "no_trace": False,
                                         "configs": "glibc-tuned,tcmalloc", "n": 10, "config": ["x:A=1", "y:B=2"],
                                         "sample_time": 0.05, "repeat": None}),
                         ["--budget", "20s", "--no-experiments", "--configs", "glibc-tuned,tcmalloc",
                          "-n", "10", "--config", "x:A=1", "--config", "y:B=2", "--sample-time", "0.05s"])

    def test_error_message_leads_with_faultline_line(self):
        err = 'Traceback:\n  File "<candidate B>", line 1\nNameError: x\nfaultline: candidate B failed: NameError: x\n'
        self.assertEqual(_run.error_message(err, 2).splitlines()[0], "candidate B failed: NameError: x")



class ReadmeTest(unittest.TestCase):
    def test_readme_line_magic_is_the_seed(self):
        import os
        from helpers import REPO
        with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
            line = next(s.strip() for s in f if s.strip().startswith("%faultline "))
        flags, stmts = parse_line(line[len("%faultline "):])
        self.assertEqual(flags, ["-s", "import numpy as np; a = np.random.randint(0, 256, 1_000_000, dtype=np.uint8)"])
        self.assertEqual(stmts, ["a.astype(np.float64) / 255.0", "t = a.astype(np.float64); t / 255.0"])


if __name__ == "__main__":
    unittest.main()
