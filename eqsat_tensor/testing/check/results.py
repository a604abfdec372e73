"""What ``check_rules`` returns: ``Counterexample``, ``RuleResult`` and ``CheckReport``.

Verdicts are ``sound``, ``unsound`` (the right side gives a wrong value: a NaN, inf or
zero the left side does not have, or no correct digits where the left side has them, or
a bit difference for a ``[strict]`` rule), ``accuracy-losing`` (the right side is worse
than the left by more than ``accuracy_ulps`` against the mpmath oracle on a region of
inputs) and ``skipped`` (no input satisfies the guard, or an op is unknown).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...rulelang.ast import Rule

VERDICTS = ("sound", "unsound", "accuracy-losing", "skipped")


def fmt_value(v: Any) -> str:
    """A value as a user would type it: ``-1.0``, ``[0.0, -0.0]``, ``(0, 1)``."""
    if isinstance(v, np.ndarray):
        if v.ndim == 0:
            return repr(float(v)) if v.dtype.kind == "f" else repr(v.item())
        return repr(v.tolist())
    if isinstance(v, (np.floating, float)):
        return repr(float(v))
    return repr(v)


@dataclass
class Counterexample:
    """A shrunk input on which the right side of a rule is wrong (or loses accuracy)."""

    values: dict[str, Any]  # variable -> ndarray (tensor) or attribute value
    dtype: str
    lhs: str  # the instantiated left side, as text
    rhs: str
    lhs_value: np.ndarray | None
    rhs_value: np.ndarray | None
    index: tuple[int, ...] | None  # the first bad element (None for a scalar result)
    exact: float | None  # the left side's correctly rounded exact value there
    reason: str

    @property
    def inputs(self) -> str:
        """``x = -1.0, y = 0.0``."""
        return ", ".join(f"{k} = {fmt_value(v)}" for k, v in self.values.items())

    def __str__(self) -> str:
        lines = [f"{self.inputs}   ({self.dtype})"]
        if self.lhs_value is not None:
            lines.append(f"left   {self.lhs} = {fmt_value(self.lhs_value)}")
        if self.rhs_value is not None:
            lines.append(f"right  {self.rhs} = {fmt_value(self.rhs_value)}")
        if self.index is not None and self.lhs_value is not None and self.lhs_value.ndim:
            lines.append(f"at index {self.index}")
        if self.exact is not None:
            lines.append(f"exact  {self.exact!r}")
        lines.append(self.reason)
        return "\n".join(lines)


@dataclass
class RuleResult:
    """The verdict on one rule, in one direction, under one IEEE mode and tier."""

    name: str
    rule: Rule
    direction: str  # "=>" (left to right) or "<=" (the reverse of a bidirectional rule)
    ieee: str  # the mode checked: "finite" or "strict"
    tier: str = "finite"  # strict | finite | fast | stability: what the rule claims
    samples: int = 0  # input elements (or whole instances) checked
    max_ulps: float = 0.0  # largest error of the right side seen, in ulps
    checked_exact: int = 0  # elements judged against the oracle
    ill_typed: int = 0  # instances whose right side fails shape inference (never fires)
    verdict: str = "sound"
    reason: str = ""
    region: str = ""  # accuracy-losing: where, as "x in [a, b], y in [c, d]"
    counterexample: Counterexample | None = None
    cached: bool = False

    @property
    def ok(self) -> bool:
        """Neither unsound nor accuracy-losing."""
        return self.verdict in ("sound", "skipped")

    @property
    def label(self) -> str:
        """``name``, with the direction and mode when they are not the plain ones."""
        label = self.name if self.direction == "=>" else f"{self.name} (reverse)"
        return label if self.ieee == "finite" else f"{label} [{self.ieee}]"

    def __str__(self) -> str:
        head = f"{self.label}: {self.verdict} [{self.tier}] ({self.samples} samples"
        head += f", max {self.max_ulps:.3g} ulps)" if self.samples else ")"
        if self.reason:
            head += f": {self.reason}"
        if self.counterexample is not None:
            head += "\n" + "\n".join("    " + s for s in str(self.counterexample).splitlines())
        return head


@dataclass
class CheckReport:
    """Results of ``check_rules``, one ``RuleResult`` per rule, direction and mode."""

    results: list[RuleResult] = field(default_factory=list)
    ieee: str = "finite"
    examples: int = 0
    seed: int | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when no rule is unsound or accuracy-losing."""
        return all(r.ok for r in self.results)

    @property
    def unsound(self) -> list[RuleResult]:
        """The unsound results."""
        return [r for r in self.results if r.verdict == "unsound"]

    @property
    def accuracy_losing(self) -> list[RuleResult]:
        """The accuracy-losing results."""
        return [r for r in self.results if r.verdict == "accuracy-losing"]

    @property
    def skipped(self) -> list[RuleResult]:
        """The skipped results."""
        return [r for r in self.results if r.verdict == "skipped"]

    def __iter__(self):
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, name: str) -> RuleResult:
        """The first result for the rule called ``name``."""
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(name)

    def __str__(self) -> str:
        lines = [f"check_rules: {len(self.results)} checks, {len(self.unsound)} unsound, "
                 f"{len(self.accuracy_losing)} accuracy-losing, {len(self.skipped)} skipped "
                 f"(ieee={self.ieee}, examples={self.examples})"]
        lines += [str(r) for r in self.results if r.verdict != "sound"]
        return "\n".join(lines)
