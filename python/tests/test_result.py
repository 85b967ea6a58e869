import html
import json
import unittest

import faultline
from faultline.testing import assert_memory
from helpers import fixture


class SeedResultTest(unittest.TestCase):
    """internal/report/testdata/seed.json: the NumPy case, as the Go
    renderers' own fixture has it."""

    @classmethod
    def setUpClass(cls):
        cls.r = faultline.load(fixture("seed.json"))
        with open(fixture("seed.json")) as f:
            cls.doc = json.load(f)

    def test_findings(self):
        self.assertEqual(self.r.findings[0].cause, "heap-trim-refault")
        self.assertEqual(self.r.findings[0].candidate, "B")
        self.assertEqual(self.r.causes(), [f["cause"] for f in self.doc["findings"]])

    def test_ratio_from_comparisons(self):
        cmp = next(c for c in self.doc["comparisons"]
                   if c["config"] == "glibc" and c["mode"] == "interleaved" and c["other"] == "B")
        ab = self.r.ratio("A", "B")
        self.assertEqual(float(ab), cmp["ratio"])
        self.assertEqual((ab.low, ab.high, ab.p), (cmp["low"], cmp["high"], cmp["p"]))
        ba = self.r.ratio("B", "A")
        self.assertAlmostEqual(float(ba) * float(ab), 1.0)
        self.assertAlmostEqual(ba.high, 1 / cmp["low"])
        # By label as well as by name.
        self.assertEqual(float(self.r.ratio(self.r.candidate("A")["label"], "B")), cmp["ratio"])
        with self.assertRaisesRegex(KeyError, "no candidate 'Z'"):
            self.r.ratio("A", "Z")

    def test_to_dict_is_the_document(self):
        self.assertEqual(self.r.to_dict(), self.doc)
        self.r.to_dict()["findings"].clear()
        self.assertTrue(self.r.findings and self.r.to_dict()["findings"])

    def test_repr_and_verdict(self):
        text = repr(self.r)
        self.assertIn("B is ", text)
        self.assertIn("slower than A", text)
        self.assertIn("heap-trim-refault (B, glibc)", text)
        self.assertEqual(str(self.r), text)  # no terminal report captured

    def test_html(self):
        self.r.html = "<!DOCTYPE html><html><body><p class=\"x\">report & 'plots'</p></body></html>"
        page = self.r._repr_html_()
        self.assertIn('class="faultline-verdict"', page)
        self.assertIn("<code style=\"font-weight: bold\">heap-trim-refault</code>", page)
        self.assertIn('sandbox=""', page)
        self.assertIn('srcdoc="' + html.escape(self.r.html, quote=True) + '"', page)
        self.assertLess(page.index("faultline-verdict"), page.index("<iframe"))

    def test_html_fix_is_a_line_to_copy(self):
        # The best verified fix as the environment line to paste, the
        # stored settings and nothing else, in a block of its own.
        page = self.r._repr_html_()
        env = self.doc["findings"][0]["fixes"][0]["env"]
        line = " ".join(f"{k}={v}" for k, v in sorted(env.items()))
        self.assertIn(f'<pre class="faultline-fix" style="margin: 0.2em 0; padding: 0.3em; background: #f4f4f4">{html.escape(line)}</pre>', page)
        # A code fix is its code.
        code = self.doc["findings"][1]["fixes"][0]
        self.assertEqual(faultline.result.fix_line(code), (code["code"], ""))

    def test_assert_memory(self):
        assert_memory(self.r, "A", max_faults_per_call=10, no_cause="heap-trim-refault")
        with self.assertRaises(AssertionError) as ctx:
            assert_memory(self.r, "B", max_faults_per_call=10, max_syscalls_per_call={"brk": 0},
                          no_cause=["heap-trim-refault"])
        msg = str(ctx.exception)
        self.assertTrue(msg.startswith("faultline: B ("), msg)
        self.assertIn("minor page faults per call (limit 10)", msg)
        self.assertIn("brk calls per call (limit 0)", msg)
        self.assertIn("finding heap-trim-refault: ", msg)


class OtherResultsTest(unittest.TestCase):
    def test_equivalent(self):
        r = faultline.load(fixture("nodiff.json"))
        self.assertIn("no difference larger than ±2%", "\n".join(r.verdict()))
        self.assertEqual(r.answer["answer"], "equivalent")
        self.assertEqual(r.answer["margin"], 0.02)

    def test_stored_answer(self):
        r = faultline.load(fixture("seed.json"))
        self.assertEqual((r.answer["answer"], r.answer["slow"], r.answer["fast"]), ("slower", "B", "A"))
        self.assertEqual(r.answer["decided_by"], "time")

    def test_run_with_failures(self):
        r = faultline.load(fixture("run.json"))
        self.assertEqual(r.kind, "run")
        self.assertEqual(r.primary_mode, "process")
        self.assertTrue(r.verdict())

    def test_refuses_other_documents(self):
        with self.assertRaisesRegex(faultline.SchemaError, "sweep"):
            faultline.load(fixture("sweep.json"))
        with self.assertRaisesRegex(faultline.SchemaError, "faultline/v1 results only"):
            faultline.Result({"schema": "faultline/v9"})


if __name__ == "__main__":
    unittest.main()


class TaxResultTest(unittest.TestCase):
    """A result whose tax finding leads: the verdict and the notebook's
    summary name it, as stored, with the fix's memory cost."""

    doc = {
        "schema": "faultline/v1", "kind": "timeit",
        "candidates": [{"name": "A", "label": "a", "statement": "a"}, {"name": "B", "label": "b", "statement": "b"}],
        "configs": [{"name": "glibc", "status": "ok"}, {"name": "tcmalloc", "status": "ok"}],
        "results": [], "comparisons": [],
        "verdict": {"answer": "equivalent", "margin": 0.09, "n": [10, 10]},
        "taxes": [{"candidate": "A", "config": "glibc", "best": "tcmalloc", "seconds": 0.004, "best_seconds": 0.0015,
                   "ratio": 2.7, "faults": 1319, "best_faults": 0, "paid": True, "causes": ["heap-trim-refault"],
                   "summary": "memory management costs A 2.7x"}],
        "findings": [{"cause": "heap-trim-refault", "tax": True, "summary": "Both candidates pay 2.7x to memory management",
                      "config": "glibc", "explains": 0.63, "confidence": "high", "evidence": [],
                      "fixes": [{"kind": "env", "change": "use tcmalloc", "verified": True, "config": "tcmalloc",
                                 "speedup": 2.7, "peak_rss_bytes": 94371840, "baseline_peak_rss_bytes": 86077440}]}],
    }

    def test_verdict_names_the_tax(self):
        r = faultline.Result(self.doc)
        self.assertTrue(r.findings[0].tax)
        self.assertEqual(r.taxes[0]["causes"], ["heap-trim-refault"])
        v = r.verdict()
        self.assertIn("Memory: heap-trim-refault (high confidence): Both candidates pay 2.7x", v[1])

    def test_html_says_share_of_time_and_memory(self):
        page = faultline.Result(self.doc)._repr_html_()
        self.assertIn("memory management takes 63% of the time", page)
        self.assertNotIn("of the gap", page)
        self.assertIn("peak RSS 90.0 MiB under the fix, 82.1 MiB without", page)


class AccessorsTest(unittest.TestCase):
    """What the pytest plugin's assertions read (docs/pytest.md)."""

    @classmethod
    def setUpClass(cls):
        cls.r = faultline.load(fixture("seed.json"))

    def test_memory_syscalls_per_call(self):
        sc = self.r.run("B")["per_iteration"]["syscalls"]
        self.assertEqual(self.r.memory_syscalls_per_call("B"),
                         sum(sc.get(k, 0) for k in ("brk", "mmap", "munmap", "mremap", "madvise")))
        self.assertGreaterEqual(self.r.memory_syscalls_per_call("B"), 3)
        # Not traced under an experiment's configuration.
        self.assertIsNone(self.r.memory_syscalls_per_call("B", config="tcmalloc"))

    def test_cause(self):
        self.assertEqual(self.r.cause, "heap-trim-refault")
        self.assertIsNone(faultline.load(fixture("nodiff.json")).cause)

    def test_assert_no_cause(self):
        self.r.assert_no_cause("no-such-cause")
        with self.assertRaises(AssertionError) as ctx:
            self.r.assert_no_cause("heap-trim-refault")
        msg = str(ctx.exception)
        self.assertTrue(msg.startswith("faultline found heap-trim-refault for B (t = a.astype(np.float64); "
                                       "t / 255.0) under glibc: glibc gives B's"), msg)
        self.assertEqual(len(msg.splitlines()), 1)
        with self.assertRaises(AssertionError) as ctx:
            self.r.assert_no_cause(candidate="B")
        self.assertEqual(len(str(ctx.exception).splitlines()),
                         len([f for f in self.r.findings if f.candidate == "B"]))
        self.r.assert_no_cause("heap-trim-refault", candidate="A")
        # A finding about every candidate (a tax they all pay) counts for each.
        tax = faultline.Result(TaxResultTest.doc)
        with self.assertRaisesRegex(AssertionError, "for every candidate under glibc: Both candidates pay"):
            tax.assert_no_cause("heap-trim-refault", candidate="A")

    def test_assert_memory_on_the_sum(self):
        self.r.assert_memory("A", max_memory_syscalls_per_call=1)
        with self.assertRaisesRegex(AssertionError, r"\d+ memory syscalls per call \(limit 1\)"):
            self.r.assert_memory("B", max_memory_syscalls_per_call=1)

    def test_summary(self):
        text = self.r.summary()
        self.assertIn("A under glibc: 1.0 minor faults, 1 madvise per call", text)
        self.assertRegex(text, r"B under glibc: 1,319\.2 minor faults, 3 brk.* per call")
        self.assertIn("finding heap-trim-refault (B, glibc, high confidence): ", text)
        self.assertEqual(text.splitlines()[1], self.r.verdict()[0])
