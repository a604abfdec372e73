"""pytest plugin of the pipeline fuzzer: ``--fuzz-long[=N]`` runs N times more graphs
(default 10) with fresh random seeds. Registered from tests/conftest.py with
``pytest_plugins = ["conftest_fuzz"]``; ``EQSAT_FUZZ_LONG=N`` does the same without it."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--fuzz-long", action="store", nargs="?", const=10, default=0, type=int,
                     metavar="N", help="pipeline fuzzing: N times more graphs (default 10), "
                                       "fresh random seeds")
