"""Runs the CUDA backend's simulator tests (``tests/cuda_sim``) in a subprocess.

numba reads ``NUMBA_ENABLE_CUDASIM`` once, when it is first imported, so the simulator
cannot be switched on inside this process (the Numba CPU backend's tests share it). The
child process runs pytest on ``tests/cuda_sim`` (files named ``sim_*.py``, so this
process never collects them) and its report is shown on failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("numba.cuda")

pytestmark = pytest.mark.cuda

TESTS = Path(__file__).parent


def test_cuda_backend_under_the_simulator():
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    root = TESTS.parent
    env["PYTHONPATH"] = os.pathsep.join(
        [str(root), str(TESTS)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o",
           "python_files=sim_*.py", "-W", "ignore::RuntimeWarning", str(TESTS / "cuda_sim")]
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=900)
    report = proc.stdout[-8000:] + proc.stderr[-4000:]
    assert proc.returncode == 0, f"simulator tests failed:\n{report}"
    assert " passed" in proc.stdout and "skipped" not in proc.stdout.splitlines()[-1], report
