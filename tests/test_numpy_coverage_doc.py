"""docs/numpy_coverage.md is generated from the dispatch tables and must be current."""

from __future__ import annotations

import pathlib

import numpy as np

from eqsat_tensor.frontend import coverage, numpy_dispatch

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "numpy_coverage.md"


def test_coverage_page_is_current():
    assert DOC.read_text() == coverage.render(), (
        "regenerate with: python -m eqsat_tensor.frontend.coverage > docs/numpy_coverage.md")


def test_coverage_page_lists_every_table_entry():
    text = coverage.render()
    for fn in (np.fmax, np.linalg.norm, np.einsum):
        assert f"`{coverage.public_name(fn)}`" in text
    for name in numpy_dispatch.SCIPY_FUNCTIONS:
        assert f"`scipy.special.{name}`" in text
