"""A worked solution as data: steps grouped in sections.

A :class:`Step` is one quantity: its name (``net_h1``, ``∂E/∂w5``), its formula as an
expression tree (see :mod:`.expr`), and its value as computed by the library's own
forward pass, backward pass or optimizer. Given quantities (inputs, weights, targets)
are steps without a formula.

A :class:`Solution` knows every value by name, so it can

* check itself (:meth:`Solution.verify`): each formula, evaluated on the values it
  names, must give the value the library computed;
* redo the arithmetic as a person does by hand (:meth:`Solution.carried`): in
  ``'displayed'`` carry mode every intermediate is rounded to the shown precision
  before it is used, and the quantities whose rounded answer changes are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..errors import KeyNameError
from .expr import Expr, Sym, fmt_number

__all__ = ["Step", "Section", "Solution", "CarryDifference"]


@dataclass
class Step:
    """One quantity of a worked solution.

    ``formula`` is None for given values. ``note`` is a short remark printed after the
    value (for example ``"ReLU: net ≤ 0"``). ``answer`` marks the quantities a problem
    asks for (blanked in problem-only mode, listed in the answer key).
    """

    name: str
    value: float
    formula: Expr | None = None
    note: str = ""
    answer: bool = False
    hidden: bool = False  # used by later formulas but not printed (e.g. a layer's k, s, p, stated in its intro)


@dataclass
class Section:
    title: str
    steps: list = field(default_factory=list)
    intro: str = ""  # a sentence stating the rule or convention used in this section

    def given(self, name: str, value: float, note: str = "") -> Step:
        step = Step(name, float(value), None, note)
        self.steps.append(step)
        return step

    def derive(self, name: str, formula: Expr, value: float, note: str = "", answer: bool = False) -> Step:
        step = Step(name, float(value), formula, note, answer)
        self.steps.append(step)
        return step


@dataclass
class CarryDifference:
    """A quantity whose rounded answer differs between exact and as-displayed carrying."""

    name: str
    exact: float
    displayed: float


@dataclass
class Solution:
    title: str
    sections: list = field(default_factory=list)
    conventions: list = field(default_factory=list)  # sentences printed under the title
    carry: str = "exact"
    differences: list = field(default_factory=list)
    mismatches: list = field(default_factory=list)  # (name, expected, computed) from a problem's expected answers
    rename: object = None  # set by rename_quantities: old name -> new name

    def __str__(self) -> str:
        """The worked solution as plain text (``print(solution)``); ``render`` gives the other formats."""
        from .render import render

        return render(self)

    def _repr_markdown_(self) -> str:  # Jupyter shows the solution with its formulas typeset
        from .render import render

        return render(self, format="md")

    def section(self, title: str, intro: str = "") -> Section:
        sec = Section(title, [], intro)
        self.sections.append(sec)
        return sec

    def steps(self):
        for sec in self.sections:
            yield from sec.steps

    def values(self) -> dict:
        """Every quantity's value by name (a later step with the same name wins)."""
        return {s.name: s.value for s in self.steps()}

    def __getitem__(self, name: str) -> float:
        for s in reversed(list(self.steps())):
            if s.name == name:
                return s.value
        raise KeyNameError(f"no quantity named {name!r} in this solution")

    def verify(self, rtol: float = 1e-9, atol: float = 1e-12) -> None:
        """Check that every formula, evaluated on the values it names, gives the library's value."""
        known: dict = {}
        for s in self.steps():
            if s.formula is not None:
                missing = [n for n in s.formula.symbols() if n not in known]
                if missing:
                    raise AssertionError(f"step {s.name}: its formula uses {missing}, which no earlier step defines")
                recomputed = s.formula.evaluate(known)
                if abs(recomputed - s.value) > atol + rtol * abs(s.value):
                    raise AssertionError(
                        f"step {s.name}: the formula {s.formula.text()} gives {recomputed!r}, "
                        f"the library computed {s.value!r}"
                    )
            known[s.name] = s.value

    def carried(self, mode: str, precision: int) -> Solution:
        """This solution with values carried ``'exact'`` (as computed) or ``'displayed'`` (rounded at each step)."""
        if mode == "exact":
            return self
        if mode != "displayed":
            from ..errors import ConfigError

            raise ConfigError(f"carry mode must be 'exact' or 'displayed', got {mode!r}")
        known: dict = {}
        sections, diffs = [], []
        for sec in self.sections:
            new_steps = []
            for s in sec.steps:
                if s.formula is None:
                    value = s.value  # given values are used as given
                else:
                    try:
                        value = _round(s.formula.evaluate(known), precision)
                    except (ArithmeticError, ValueError) as e:  # a rounded 0 in a denominator, log(0)...
                        from ..errors import ConfigError

                        raise ConfigError(f"carry displayed: {s.name} cannot be computed from the values "
                                          f"rounded to {precision} decimals ({e}); use more decimals or "
                                          "exact carrying") from None
                    if value != _round(s.value, precision):
                        diffs.append(CarryDifference(s.name, s.value, value))
                known[s.name] = value
                new_steps.append(replace(s, value=value))
            sections.append(Section(sec.title, new_steps, sec.intro))
        return Solution(self.title, sections, list(self.conventions), "displayed", diffs, list(self.mismatches))


def rename_quantities(solution: Solution, mapping: dict) -> None:
    """Rename quantities everywhere (step names and the symbols of every formula), in place.

    ``mapping`` maps base names (``net_h1`` → ``z[1]_1``); derivative names ``∂A/∂B`` and updated
    values ``A⁺`` are renamed through their parts.
    """

    def rn(name: str) -> str:
        if name in mapping:
            return mapping[name]
        if name.endswith("⁺"):
            return rn(name[:-1]) + "⁺"
        if name.startswith("∂") and "/∂" in name:
            top, bottom = name[1:].split("/∂", 1)
            return f"∂{rn(top)}/∂{rn(bottom)}"
        return name

    def walk(node):
        if isinstance(node, Sym):
            node.name = rn(node.name)
        for child in getattr(node, "children", ()):
            walk(child)

    for step in solution.steps():
        step.name = rn(step.name)
        if step.formula is not None:
            walk(step.formula)
    solution.rename = rn  # so answers stated with the old names (a problem's expected:) still find them


def _round(value: float, precision: int) -> float:
    """The value as printed (fmt_number also turns rounding noise around zero into 0)."""
    return float(fmt_number(value, precision).replace("−", "-")) if abs(value) != float("inf") else value
