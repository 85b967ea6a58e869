"""Where the tests find things: the repository, its report fixtures, and
whether faultline may be run (the Go test that drives these sets
FAULTLINE_BIN and FAULTLINE_PYTHON_LIVE=1)."""

import os
import unittest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(REPO, "internal", "report", "testdata")


def fixture(name):
    return os.path.join(FIXTURES, name)


def live():
    """Skip unless faultline may run real measurements here."""
    if os.environ.get("FAULTLINE_PYTHON_LIVE") != "1" or not os.environ.get("FAULTLINE_BIN"):
        raise unittest.SkipTest("set FAULTLINE_BIN and FAULTLINE_PYTHON_LIVE=1 to run faultline "
                                "(go test ./cmd/faultline -run TestPythonPackage does)")
