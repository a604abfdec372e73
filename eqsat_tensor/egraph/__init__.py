"""The e-graph layer: IR <-> egglog bridge, analyses, rule compiler, scheduler, extraction."""
