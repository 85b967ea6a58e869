"""faultline's pytest plugin on the seed case (docs/pytest.md): normalise()
must keep its memory between calls. The limits are counts, which repeat
from run to run on any host, never times."""

from normalise import normalise

SETUP = "import numpy as np; a = np.random.randint(0, 256, 1_000_000, dtype=np.uint8)"


def test_normalise_does_not_refault(faultline):
    # A module-level function runs as normalise(a), `a` from the setup.
    r = faultline.compare(setup=SETUP, A=normalise, quick=True)
    assert r.faults_per_call("A") < 64  # refaulting its 15 MiB is hundreds per call
    assert r.syscalls_per_call("A", "brk") == 0


def test_normalise_memory(faultline):
    r = faultline.compare(setup=SETUP, A=normalise, quick=True)
    r.assert_memory("A", max_faults_per_call=64, max_memory_syscalls_per_call=2,
                    no_cause="heap-trim-refault")


def test_named_temporary_is_the_cause(faultline):
    # Statements, as `faultline timeit` takes them: the question that
    # started faultline, and its answer.
    r = faultline.compare(setup=SETUP,
                          A="a.astype(np.float64) / 255.0",
                          B="t = a.astype(np.float64); t / 255.0", quick=True)
    assert r.cause == "heap-trim-refault"
    assert r.findings[0].candidate == "B"
    r.assert_no_cause(candidate="A")
