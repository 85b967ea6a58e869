"""How soon a notebook shows the verdict: the seed cell under %%faultline
(default flags) executed by nbclient, N times; for each, the seconds from
the cell's start to the first output message that carries "Verdict:" (the
answer so far, or the final result), and to the cell's end.

    FAULTLINE_BIN=BIN PYTHONPATH=python /usr/bin/python3 bench/notebook_answer.py [N] [FLAGS]

The kernel is this interpreter (it needs ipykernel, nbclient and NumPy:
Debian's python3-ipykernel, python3-nbclient, python3-numpy).
"""

import json
import os
import shutil
import sys
import tempfile
import time

import nbclient
import nbformat

SEED_CELL = """import numpy as np
a = np.random.randint(0, 256, 1_000_000, dtype=np.uint8)
# -- unnamed temporary
a.astype(np.float64) / 255.0
# -- named temporary
t = a.astype(np.float64)
t / 255.0
"""


class Timed(nbclient.NotebookClient):
    """Notes when an output message first says "Verdict:"."""

    def process_message(self, msg, cell, cell_index):
        if self.start is not None and self.verdict is None and "Verdict:" in json.dumps(msg.get("content", {})):
            self.verdict = time.monotonic() - self.start
        return super().process_message(msg, cell, cell_index)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    flags = " ".join(sys.argv[2:])
    tmp = tempfile.mkdtemp(prefix="faultline-nb-")
    try:
        spec = os.path.join(tmp, "jupyter", "kernels", "faultline-bench")
        os.makedirs(spec)
        with open(os.path.join(spec, "kernel.json"), "w") as f:
            json.dump({"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                       "display_name": "faultline bench", "language": "python"}, f)
        os.environ["JUPYTER_PATH"] = os.path.join(tmp, "jupyter")
        for i in range(n):
            nb = nbformat.v4.new_notebook()
            nb.cells = [nbformat.v4.new_code_cell("%load_ext faultline"),
                        nbformat.v4.new_code_cell(("%%faultline " + flags).rstrip() + "\n" + SEED_CELL)]
            c = Timed(nb, kernel_name="faultline-bench", timeout=600, resources={"metadata": {"path": tmp}})
            c.start, c.verdict = None, None
            with c.setup_kernel():
                c.execute_cell(nb.cells[0], 0)
                c.start = time.monotonic()
                c.execute_cell(nb.cells[1], 1)
                whole = time.monotonic() - c.start
            v = "none" if c.verdict is None else f"{c.verdict:.2f} s"
            print(f"run {i + 1}: verdict shown at {v}, cell done at {whole:.2f} s", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
