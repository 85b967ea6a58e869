"""A notebook that uses the cell magic, executed headless with nbclient in
a kernel of this interpreter, exported with nbconvert and opened in headless
Chromium: the verdict is in the saved notebook and on the rendered page."""

import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

from helpers import live
from test_ipython import SEED_CELL


def artifact_dir():
    # Where CI keeps what a person should look at (as the Go report tests).
    d = os.environ.get("FAULTLINE_ARTIFACTS") or os.path.join(tempfile.gettempdir(), "faultline-report-artifacts")
    os.makedirs(d, exist_ok=True)
    return d


def find_chromium():
    for name in (os.environ.get("FAULTLINE_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def pixels(png_path):
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB(A) PNG, the
    kind Chromium writes; the standard library has no PNG reader."""
    with open(png_path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and color in (2, 6) and interlace == 0, (depth, color, interlace)
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride = zlib.decompress(idat), width * bpp
    prev, rows, i = bytearray(stride), [], 0
    for _ in range(height):
        ftype, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        if ftype == 2:
            line = bytearray((x + y) & 255 for x, y in zip(line, prev))
        elif ftype:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b, c = prev[x], prev[x - bpp] if x >= bpp else 0
                if ftype == 1:
                    line[x] = (line[x] + a) & 255
                elif ftype == 3:
                    line[x] = (line[x] + (a + b) // 2) & 255
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, bpp)])
        prev = line
    return width, height, rows


def iframe_ink(png_path):
    """The share of inked pixels inside the report's iframe: from the first
    row its grey border (#ccc) crosses to the last (or the page's end)."""
    width, _, rows = pixels(png_path)
    border = [y for y, r in enumerate(rows) if sum(1 for p in r if p == (0xcc, 0xcc, 0xcc)) > width // 2]
    assert border, "no iframe border on the page"
    end = border[-1] - 1 if border[-1] - border[0] > 10 else len(rows)
    inside = rows[border[0] + 2:end]
    inked = sum(1 for r in inside for p in r[width // 10:-width // 10] if min(p) < 0xf0)
    return inked / max(1, len(inside) * (width - 2 * (width // 10)))


class NotebookTest(unittest.TestCase):
    def test_notebook_renders_the_verdict(self):
        live()
        import nbclient
        import nbformat
        from nbconvert import HTMLExporter

        tmp = tempfile.mkdtemp(prefix="faultline-notebook-")
        self.addCleanup(shutil.rmtree, tmp, True)
        # A kernel of this interpreter (the one the package is installed
        # in), found through a JUPYTER_PATH of our own.
        spec = os.path.join(tmp, "jupyter", "kernels", "faultline-test")
        os.makedirs(spec)
        with open(os.path.join(spec, "kernel.json"), "w") as f:
            json.dump({"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                       "display_name": "faultline test", "language": "python"}, f)
        os.environ["JUPYTER_PATH"] = os.path.join(tmp, "jupyter")

        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell("%load_ext faultline"),
                    nbformat.v4.new_code_cell("%%faultline --budget 30s --configs glibc-tuned\n" + SEED_CELL),
                    nbformat.v4.new_code_cell("r = _\nr.findings[0].cause")]
        class Watched(nbclient.NotebookClient):
            # The answer so far arrives as display updates while the cell
            # runs, before the result is shown.
            answers = []

            def process_message(self, msg, cell, cell_index):
                if msg.get("msg_type") == "update_display_data":
                    text = msg["content"].get("data", {}).get("text/plain", "")
                    if "Verdict:" in text:
                        self.answers.append(text)
                return super().process_message(msg, cell, cell_index)

        Watched(nb, kernel_name="faultline-test", timeout=600, resources={"metadata": {"path": tmp}}).execute()
        self.assertTrue(Watched.answers, "no answer shown while the cell ran")
        self.assertIn("Why: heap-trim-refault", Watched.answers[-1])
        nbformat.write(nb, os.path.join(artifact_dir(), "notebook-seed.ipynb"))

        html_out = [o for o in nb.cells[1].outputs if "text/html" in o.get("data", {})]
        self.assertEqual(len(html_out), 1, nb.cells[1].outputs)
        shown = html_out[0]["data"]["text/html"]
        self.assertIn('class="faultline-verdict"', shown)
        self.assertIn("B is ", shown)
        self.assertIn("slower than A", shown)
        self.assertIn('<iframe class="faultline-report" sandbox=""', shown)
        self.assertEqual(nb.cells[2].outputs[0]["data"]["text/plain"], "'heap-trim-refault'")

        body, _ = HTMLExporter().from_notebook_node(nb)
        page = os.path.join(artifact_dir(), "notebook-seed.html")
        with open(page, "w", encoding="utf-8") as f:
            f.write(body)
        browser = find_chromium()
        if browser is None:
            self.fail("no chromium: apt-get install chromium (test.sh does)")
        base = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--hide-scrollbars", "--user-data-dir=" + os.path.join(tmp, "profile"),
                # Chromium puts a sandboxed iframe in a process of its own, and
                # a headless screenshot often misses such frames: keep it in
                # the page's process (what it draws is the same).
                "--disable-features=IsolateSandboxedIframes"]
        dom = subprocess.run(base + ["--dump-dom", "file://" + page], capture_output=True, text=True, timeout=120)
        self.assertEqual(dom.returncode, 0, dom.stderr[-2000:])
        self.assertIn('class="faultline-verdict"', dom.stdout)
        self.assertIn("heap-trim-refault", dom.stdout)
        shot = os.path.join(tmp, "notebook.png")
        run = subprocess.run(base + ["--screenshot=" + shot, "--window-size=1100,2000", "file://" + page],
                             capture_output=True, text=True, timeout=120)
        self.assertTrue(os.path.exists(shot), run.stderr[-2000:])
        kept = os.path.join(artifact_dir(), "notebook-seed.png")
        shutil.copy(shot, kept)
        print(f"\nnotebook screenshot: {kept}", file=sys.stderr)
        # The report (its tables and charts) is drawn inside the iframe.
        self.assertGreater(iframe_ink(shot), 0.02, kept)


if __name__ == "__main__":
    unittest.main()
