"""The faultline/v1 result document (docs/json-schema.md) as Python objects.

Nothing here measures or diagnoses: every number is read from the JSON that
the faultline binary wrote, so a Result says exactly what the terminal and
HTML reports say.
"""

import copy
import html
import json
import shlex

SCHEMA = "faultline/v1"
SWEEP_SCHEMA = "faultline-sweep/v1"
# The calls a trace pass counts per iteration (docs/json-schema.md,
# per_iteration.syscalls).
MEMORY_SYSCALLS = ("brk", "mmap", "munmap", "mremap", "madvise")


class SchemaError(ValueError):
    """The document is not a faultline/v1 result."""


def load(path):
    """Read a saved result (faultline ... --json FILE)."""
    with open(path, encoding="utf-8") as f:
        return Result(json.load(f))


def format_seconds(s):
    """A duration with three significant digits, as faultline prints it."""
    if s is None:
        return "?"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if abs(s) >= scale or unit == "ns":
            v = s / scale
            if v >= 100:
                return f"{v:.0f} {unit}"
            if v >= 10:
                return f"{v:.1f} {unit}"
            return f"{v:.2f} {unit}"
    return f"{s} s"


class Ratio(float):
    """time(other) / time(base): how many times slower `other` is.

    low and high bound its 95% interval and p is the Mann-Whitney p-value,
    when faultline compared the two directly (None otherwise).
    """

    def __new__(cls, value, low=None, high=None, p=None, significant=None):
        r = super().__new__(cls, value)
        r.low, r.high, r.p, r.significant = low, high, p, significant
        return r

    def __repr__(self):
        s = f"{float(self):.3g}x"
        if self.low is not None and self.high is not None:
            s += f" [{self.low:.3g}, {self.high:.3g}]"
        if self.p is not None:
            s += f" p={self.p:.2g}"
        return s


class Finding:
    """One entry of the diagnosis: a cause, its evidence and its fixes."""

    def __init__(self, doc):
        self._doc = doc
        self.cause = doc.get("cause", "")
        self.summary = doc.get("summary", "")
        self.candidate = doc.get("candidate", "")
        self.config = doc.get("config", "")
        self.explains = doc.get("explains", 0.0)
        self.confidence = doc.get("confidence", "")
        self.evidence = doc.get("evidence") or []
        self.fixes = doc.get("fixes") or []
        # A tax finding is about what memory management costs every
        # candidate, not about the gap between them.
        self.tax = bool(doc.get("tax"))

    @property
    def verified_fixes(self):
        return [f for f in self.fixes if f.get("verified")]

    def to_dict(self):
        return copy.deepcopy(self._doc)

    def __repr__(self):
        return f"<Finding {self.cause} ({self.candidate}, {self.config}): {self.summary}>"


class Result:
    """A faultline/v1 result: what was compared, the times, the findings.

    text and html hold faultline's own terminal and HTML reports of it when
    they were asked for; the rest is read from the JSON document.
    """

    def __init__(self, doc, text="", html=""):
        if not isinstance(doc, dict):
            raise SchemaError("a faultline result is a JSON object")
        schema = doc.get("schema")
        if schema == SWEEP_SCHEMA:
            raise SchemaError("this is a sweep (faultline-sweep/v1): read each point's result from "
                              "doc['points'][i]['result'], or open the sweep's HTML report")
        if schema != SCHEMA:
            raise SchemaError(f"schema {schema!r}: this package reads {SCHEMA} results only")
        self._doc = doc
        self.text = text
        self.html = html
        self.kind = doc.get("kind", "")
        self.partial = bool(doc.get("partial"))
        self.interrupted = doc.get("interrupted", "")
        self.candidates = doc.get("candidates") or []
        self.configs = doc.get("configs") or []
        self.findings = [Finding(f) for f in doc.get("findings") or []]
        self.notes = doc.get("notes") or []
        # What memory management costs each candidate (docs/json-schema.md,
        # "taxes"), as faultline measured it.
        self.taxes = copy.deepcopy(doc.get("taxes") or [])
        # The answer faultline decided and stored (docs/json-schema.md,
        # "verdict"): answer is "slower", "equivalent" or "inconclusive".
        # None for a result that compared nothing, or one saved before
        # verdicts were stored.
        self.answer = copy.deepcopy(doc.get("verdict"))

    # --- lookups ---------------------------------------------------------

    @property
    def baseline_config(self):
        return self.configs[0]["name"] if self.configs else ""

    @property
    def primary_mode(self):
        """The mode the headline table reads: interleaved rounds for timeit,
        one process per run for run."""
        modes = [r.get("mode") for r in self._doc.get("results") or []]
        for m in ("interleaved", "process"):
            if m in modes:
                return m
        return modes[0] if modes else ""

    def user_candidates(self):
        """The candidates the user gave (not the code fixes faultline added)."""
        return [c for c in self.candidates if not c.get("fix_of")]

    def candidate(self, key):
        """The candidate named key ('A'), or labelled key."""
        for c in self.candidates:
            if c.get("name") == key:
                return c
        for c in self.candidates:
            if key in (c.get("label"), c.get("statement")):
                return c
        names = ", ".join(f"{c['name']} ({c.get('label', '')})" for c in self.candidates)
        raise KeyError(f"no candidate {key!r}; the candidates are {names}")

    def run(self, candidate, config=None, mode=None):
        """The results[] entry of candidate under config (default: the
        baseline configuration) in mode (default: the primary mode)."""
        name = self.candidate(candidate)["name"]
        config = config or self.baseline_config
        mode = mode or self.primary_mode
        for r in self._doc.get("results") or []:
            if r.get("candidate") == name and r.get("config") == config and r.get("mode") == mode:
                return r
        raise KeyError(f"no {mode} run of {name} under {config}")

    def time(self, candidate, config=None, mode=None):
        """Median seconds per call."""
        return (self.run(candidate, config, mode).get("time") or {}).get("median")

    def faults_per_call(self, candidate, config=None, mode=None):
        """Minor page faults per call, from the timing pass (nearly
        deterministic, unlike time: fit for a CI gate)."""
        return (self.run(candidate, config, mode).get("per_iteration") or {}).get("minor_faults", 0.0)

    def syscalls_per_call(self, candidate, call, config=None):
        """Memory syscalls (brk, mmap, munmap, mremap, madvise) per call,
        from the trace pass; None when no trace pass ran."""
        per = self.run(candidate, config).get("per_iteration") or {}
        sc = per.get("syscalls")
        if sc is None:
            return None
        return sc.get(call, 0)

    def memory_syscalls_per_call(self, candidate, config=None):
        """All memory syscalls per call (brk + mmap + munmap + mremap +
        madvise, the sum `faultline compare` calls syscalls), from the trace
        pass; None when no trace pass ran."""
        per = self.run(candidate, config).get("per_iteration") or {}
        sc = per.get("syscalls")
        if sc is None:
            return None
        return sum(sc.get(call) or 0 for call in MEMORY_SYSCALLS)

    @property
    def cause(self):
        """The leading finding's cause ("heap-trim-refault"), or None when
        faultline found none: assert r.cause is None."""
        return self.findings[0].cause if self.findings else None

    def comparison(self, other, config=None, mode=None):
        name = self.candidate(other)["name"]
        config = config or self.baseline_config
        mode = mode or self.primary_mode
        for c in self._doc.get("comparisons") or []:
            if c.get("other") == name and c.get("config") == config and c.get("mode") == mode:
                return c
        return None

    def ratio(self, base, other, config=None, mode=None):
        """time(other) / time(base) from faultline's comparisons: 2.0 means
        other is twice as slow. A Ratio: a float with low, high and p when
        faultline compared the pair directly."""
        b, o = self.candidate(base)["name"], self.candidate(other)["name"]
        if b == o:
            return Ratio(1.0)
        cb, co = self.comparison(b, config, mode), self.comparison(o, config, mode)
        if co is not None and co.get("baseline") == b:
            return Ratio(co["ratio"], co.get("low"), co.get("high"), co.get("p"), co.get("significant"))
        if cb is not None and cb.get("baseline") == o:
            inv = lambda x: 1 / x if x else None  # noqa: E731
            return Ratio(1 / cb["ratio"], inv(cb.get("high")), inv(cb.get("low")), cb.get("p"), cb.get("significant"))
        if cb is not None and co is not None:
            # Both against a third candidate: the ratio of ratios, without
            # an interval of its own.
            return Ratio(co["ratio"] / cb["ratio"])
        raise KeyError(f"faultline compared neither {b} nor {o} with the other under "
                       f"{config or self.baseline_config} ({mode or self.primary_mode})")

    def causes(self):
        return [f.cause for f in self.findings]

    def to_dict(self):
        """The JSON document, as faultline wrote it."""
        return copy.deepcopy(self._doc)

    # --- assertions --------------------------------------------------------

    def assert_memory(self, candidate, **limits):
        """faultline.testing.assert_memory on this result:
        r.assert_memory("A", max_faults_per_call=64, max_syscalls_per_call={"brk": 0})."""
        __tracebackhide__ = True  # pytest: the failure is the caller's line
        from .testing import assert_memory
        assert_memory(self, candidate, **limits)

    def assert_no_cause(self, *causes, candidate=None):
        """Fail with one line per finding naming one of causes (any cause
        when none is given), for candidate (a name or label; any when
        None): r.assert_no_cause("heap-trim-refault")."""
        __tracebackhide__ = True
        from .testing import assert_no_cause
        assert_no_cause(self, *causes, candidate=candidate)

    # --- renderings --------------------------------------------------------

    def summary(self):
        """The verdict, each user candidate's memory counts per call and the
        findings, as lines of text: what a failed test shows of a result."""
        lines = [", ".join(f"{c['name']} = {c.get('label', '')}" for c in self.user_candidates())]
        lines += self.verdict()
        for c in self.user_candidates():
            try:
                r = self.run(c["name"])
            except KeyError:
                continue
            per = r.get("per_iteration") or {}
            counts = [f"{per.get('minor_faults', 0):,.1f} minor faults"]
            sc = per.get("syscalls")
            if sc is None:
                counts.append("memory syscalls not traced")
            else:
                counts += [f"{sc[call]:g} {call}" for call in MEMORY_SYSCALLS if sc.get(call)]
                if not any(sc.get(call) for call in MEMORY_SYSCALLS):
                    counts.append("no memory syscalls")
            lines.append(f"{c['name']} under {self.baseline_config}: " + ", ".join(counts) + " per call")
        for f in self.findings:
            lines.append(f"finding {f.cause} ({f.candidate or 'every candidate'}, {f.config}, "
                         f"{f.confidence} confidence): {f.summary}")
        if not self.findings and not self.partial:
            lines.append("no findings")
        return "\n".join(lines)

    def verdict(self):
        """The stored answer first, as the report's verdict line says it,
        then one line per user candidate against the reference, as the
        stored comparisons read. Nothing here is computed: faultline decided
        every figure (docs/json-schema.md, "verdict" and "comparisons")."""
        lines = []
        if self.partial:
            lines.append("partial result: " + (self.interrupted or "interrupted") + " (what was measured is kept)")
        v = self.answer
        if v and v.get("answer") == "slower":
            lines.append(f"Verdict: {v['slow']} is {v['ratio']:.3g}x slower than {v['fast']} "
                         f"(95% interval {v.get('low', 0):.3g}-{v.get('high', 0):.3g}x, decided by {v.get('decided_by') or 'time'})")
        elif v and v.get("answer") == "equivalent":
            lines.append(f"Verdict: no difference larger than ±{100 * (v.get('margin') or 0):.0f}% between the candidates")
        elif v:
            lines.append(f"Verdict: inconclusive ({v.get('slow')}/{v.get('fast')} {v.get('ratio', 0):.3g}x)")
        if self.findings and self.findings[0].tax:
            lead = self.findings[0]
            lines.append(f"Memory: {lead.cause} ({lead.confidence} confidence): {lead.summary}")
        elif len(self.user_candidates()) == 1 and len(self.taxes) == 1:
            lines.append("Memory: " + self.taxes[0].get("summary", ""))
        users = self.user_candidates()
        base = self._baseline_candidate()
        # The reference first, then the others against it.
        users = sorted(users, key=lambda c: c["name"] != base)
        for c in users:
            try:
                r = self.run(c["name"])
            except KeyError:
                lines.append(f"{c['name']}: not measured")
                continue
            if r.get("status") not in (None, "ok"):
                lines.append(f"{c['name']} failed: {r.get('error', r.get('status'))}")
                continue
            t = format_seconds((r.get("time") or {}).get("median"))
            if base is None or c["name"] == base:
                if len(users) > 1:
                    lines.append(f"{c['name']} is the reference: {t} per call")
                else:
                    lines.append(f"{c['name']}: {t} per call")
                continue
            cmp = self.comparison(c["name"])
            if cmp is None:
                lines.append(f"{c['name']}: {t} per call")
                continue
            answer = cmp.get("verdict") or ("slower" if cmp.get("significant") else "inconclusive")
            if answer in ("slower", "faster"):
                ratio, low, high = cmp["ratio"], cmp["low"], cmp["high"]
                if answer == "faster":
                    # Said the other way round, as is its interval.
                    ratio, low, high = 1 / ratio, 1 / high, 1 / low
                lines.append(f"{c['name']} is {ratio:.3g}x {answer} than {base} "
                             f"({t} per call, 95% interval {low:.3g}-{high:.3g}x, p={cmp['p']:.2g}, "
                             f"decided by {cmp.get('decided_by') or 'time'})")
            elif answer == "equivalent":
                lines.append(f"{c['name']} and {base}: no difference larger than "
                             f"±{100 * (cmp.get('margin') or 0):.0f}% ({t} per call)")
            else:
                settle = f"; about {cmp['runs_needed']} runs each would settle it" if cmp.get("runs_needed") else ""
                lines.append(f"{c['name']} against {base}: inconclusive ({cmp['ratio']:.3g}x, "
                             f"95% interval {cmp['low']:.3g}-{cmp['high']:.3g}x, p={cmp['p']:.2g}, {t} per call{settle})")
        return lines

    def _baseline_candidate(self):
        for c in self._doc.get("comparisons") or []:
            if c.get("config") == self.baseline_config and c.get("mode") == self.primary_mode:
                return c.get("baseline")
        return None

    def __repr__(self):
        lines = [f"<faultline {self.kind} result: "
                 + ", ".join(f"{c['name']} = {c.get('label', '')}" for c in self.user_candidates())]
        lines += ["  " + v for v in self.verdict()]
        for f in self.findings:
            lines.append(f"  {f.cause} ({f.candidate}, {f.config}): {f.summary}")
        return "\n".join(lines) + ">"

    def __str__(self):
        return self.text or repr(self)

    def _repr_pretty_(self, p, cycle):
        # IPython in a terminal: faultline's own terminal report.
        p.text(self.text.rstrip("\n") if self.text else repr(self))

    def _repr_html_(self):
        return render_html(self)


def fix_line(fx):
    """A fix as a line to copy, and where it goes: the environment
    settings (sorted, as the report prints them), or the rewritten code;
    the prose change when it is neither."""
    env = fx.get("env") or {}
    if env:
        line = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(env.items()))
        return line, ("set it where the program starts (glibc and the dynamic linker read it then, "
                      "so %env in a running kernel is too late): " + line + " python3 app.py")
    if fx.get("code"):
        return fx["code"], ""
    return fx.get("change", ""), ""


def render_html(res):
    """The verdict and findings first, then faultline's full HTML report in
    a sandboxed iframe: the report is a whole page with its own styles and
    Content-Security-Policy, so it goes in srcdoc, isolated from the
    notebook, and sandbox (no allowances) keeps it from running anything."""
    e = html.escape
    out = ['<div class="faultline-result" style="font-family: sans-serif; line-height: 1.4">']
    names = "; ".join(f"<b>{e(c['name'])}</b> <code>{e(c.get('label', ''))}</code>" for c in res.user_candidates())
    out.append(f'<p style="margin: 0.2em 0">faultline {e(res.kind)}: {names}</p>')
    out.append('<div class="faultline-verdict" style="font-size: 1.15em; margin: 0.4em 0">')
    for v in res.verdict():
        out.append(f"<div>{e(v)}</div>")
    out.append("</div>")
    if res.findings:
        out.append('<ol class="faultline-findings" style="margin: 0.4em 0">')
        for f in res.findings:
            share = f" · explains {f.explains:.0%} of the gap" if f.explains else ""
            if f.tax and f.explains:
                share = f" · memory management takes {f.explains:.0%} of the time"
            out.append(f'<li><code style="font-weight: bold">{e(f.cause)}</code> '
                       f"({e(f.candidate)}, {e(f.config)}, {e(f.confidence)} confidence{share}): {e(f.summary)}")
            # The best verified fix; the report below lists them all.
            for fx in f.verified_fixes[:1]:
                sp = f", {fx['speedup']:.3g}x faster" if fx.get("speedup") else ""
                out.append(f"<br>fix (verified under {e(fx.get('config', ''))}{e(sp)}): {e(fx.get('change', ''))}")
                line, where = fix_line(fx)
                out.append(f'<pre class="faultline-fix" style="margin: 0.2em 0; padding: 0.3em; background: #f4f4f4">{e(line)}</pre>')
                if where:
                    out.append(f"<span style=\"color: #666\">{e(where)}</span>")
                if fx.get("peak_rss_bytes") and fx.get("baseline_peak_rss_bytes"):
                    out.append(f"<br>memory: peak RSS {fx['peak_rss_bytes'] / 2**20:.1f} MiB under the fix, "
                               f"{fx['baseline_peak_rss_bytes'] / 2**20:.1f} MiB without")
                if fx.get("remains"):
                    out.append(f"<br>what remains: {e(fx['remains'].get('summary', ''))}")
            out.append("</li>")
        out.append("</ol>")
    elif not res.partial:
        out.append("<p>No findings: no memory-management cause explains a difference.</p>")
    if res.html:
        out.append('<iframe class="faultline-report" sandbox="" title="faultline report" '
                   'style="width: 100%; height: 900px; border: 1px solid #ccc" '
                   f'srcdoc="{e(res.html, quote=True)}"></iframe>')
    out.append("</div>")
    return "\n".join(out)
