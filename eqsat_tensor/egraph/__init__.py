"""The e-graph layer: graph <-> egglog bridge (``bridge``, ``schema``), analyses
(``analyses/``), the rule compiler (``compiler``), the e-graph session (``engine``), the
budgeted scheduler (``schedule``, ``budget``), extraction (``extract``), constant folding
(``fold``) and ``explain``."""
