"""Accuracy, measured and optimized: error measurement (``measure``), candidate
graphs from one saturated e-graph (``candidates``), regime inference (``regimes``) and
the search that combines them (``search``).

The public names are re-exported here, so ``from eqsat_tensor import
accuracy; accuracy.sample(...)`` and ``from eqsat_tensor.accuracy import
measure_accuracy`` keep working.
"""

from __future__ import annotations

from .measure import (
    OBJECTIVES,
    AccuracyOptReport,
    AccuracyReport,
    Candidate,
    ErrorStats,
    Samples,
    choose,
    evaluate,
    local_error,
    measure_accuracy,
    op_names,
    sample,
)
from .search import accuracy_rules, optimize_accuracy

__all__ = ["Samples", "ErrorStats", "Candidate", "AccuracyReport", "AccuracyOptReport",
           "sample", "measure_accuracy", "local_error", "evaluate", "choose",
           "optimize_accuracy", "accuracy_rules", "op_names", "OBJECTIVES"]
