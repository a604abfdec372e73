"""The e-graph layer: graph <-> egglog bridge (``bridge``, ``schema``), analyses
(``analyses/``), the rule compiler (``compiler``), the e-graph session (``engine``), the
saturation ``runner`` (Runner, StopReason, per-iteration reports) executing a ``schedule``
under a ``budget``, the shared ``pipeline`` (fold, compile, insert, run, snapshot),
extraction (``extract``), constant folding (``fold``), ``result`` (OptimizeResult) and
``explain``."""
