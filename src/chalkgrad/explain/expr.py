"""Small expression trees: one formula, printed three ways and evaluated.

A worked step shows a formula (``δ_o1 = ∂E/∂out_o1 · ∂out_o1/∂net_o1``), the same
formula with the numbers put in, and the value. Writing the formula once as a tree
gives all three: ``text()`` prints symbols, ``text(values)`` prints the numbers in
their place, ``tex()`` prints LaTeX, and ``evaluate(values)`` recomputes the value,
which is how a solution checks itself and how the as-displayed carry mode re-does
the arithmetic with rounded intermediates.

Nodes: :class:`Sym` (a named quantity), :class:`Num` (a literal), :class:`Add`,
:class:`Sub`, :class:`Mul`, :class:`Div`, :class:`Pow`, :class:`Call` (σ, tanh, exp,
ln, √, ...), :class:`Neg`. Build them with the helpers at the bottom (``sym``,
``num``, ``add``...) or with Python operators on nodes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = [
    "Expr", "Sym", "Num", "Add", "Sub", "Mul", "Div", "Pow", "Call", "Neg",
    "sym", "num", "add", "mul", "fmt_number", "tex_name", "decimals_of",
]

# Binding strength, for parentheses: a child weaker than its parent gets them.
_ADD, _MUL, _POW, _ATOM = 1, 2, 3, 4

_GREEK = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\epsilon", "η": r"\eta",
    "θ": r"\theta", "λ": r"\lambda", "μ": r"\mu", "σ": r"\sigma", "ρ": r"\rho", "τ": r"\tau",
    "Δ": r"\Delta", "Σ": r"\Sigma", "ŷ": r"\hat{y}", "∂": r"\partial", "∇": r"\nabla",
    "σ²": r"\sigma^{2}", "x̂": r"\hat{x}", "m̂": r"\hat{m}", "v̂": r"\hat{v}",
}


def _greek(ch: str) -> str | None:
    """LaTeX for a Greek letter (φ → \\phi, Ω → \\Omega), from its Unicode name; None for other characters."""
    import unicodedata

    if ch in _GREEK:
        return _GREEK[ch]
    try:
        name = unicodedata.name(ch)
    except (TypeError, ValueError):
        return None
    if not name.startswith("GREEK ") or " LETTER " not in name:
        return None
    letter = name.split(" LETTER ")[1].split()[0].lower()
    if letter in ("omicron",):
        return "o"
    return "\\" + (letter.capitalize() if "CAPITAL" in name else letter)


def decimals_of(value: float) -> int:
    """How many decimals a number is written with (0.35 → 2, 3 → 0, 1e-08 → 8)."""
    text = repr(float(value))
    if "e" in text:
        mantissa, exp = text.split("e")
        return max(0, len(mantissa.split(".")[1]) - int(exp)) if "." in mantissa else max(0, -int(exp))
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def fmt_number(value: float, precision: int | None) -> str:
    """A number as a person writes it: integers plain, others rounded to ``precision`` decimals.

    Trailing zeros are dropped (0.05, not 0.050000; 3, not 3.000000; 0.9 for 0.9000000000000001);
    a number too small to show at ``precision`` decimals switches to scientific notation.
    Below 1e-12 a value is taken for the rounding noise of a zero and printed as 0, unless more
    than 12 decimals are asked for. ``precision=None`` prints the shortest exact repr.
    """
    v = float(value)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if abs(v) < 1e-12 and (precision is None or precision <= 12):
        v = 0.0  # rounding noise of an exact zero (0.2 + 0.1 − 0.3); asked for more digits, it shows as 5.55e−17
    if v == int(v) and abs(v) < 1e15:
        return str(int(v)).replace("-", "−")
    short = repr(v)
    if precision is None or ("e" not in short and len(short.split(".")[1]) <= precision):
        s = short  # 0.05 stays 0.05 (not 0.050000): the number as the problem writes it
    elif v != 0 and (abs(v) < max(0.5 * 10.0 ** -precision, 1e-12) or abs(v) >= 1e9):  # 0.000... or tiny
        mantissa, exponent = f"{v:.{min(precision, 15)}e}".split("e")  # no digits past a double's
        s = _strip_zeros(mantissa) + "e" + exponent
    else:
        s = _strip_zeros(f"{v:.{precision}f}")  # 0.9000000000000001 → 0.9, as a person writes it
    return s.replace("-", "−")


def _strip_zeros(s: str) -> str:
    return s.rstrip("0").rstrip(".") if "." in s else s


def tex_name(name: str) -> str:
    """A quantity name in LaTeX: ``net_h1`` → ``\\mathrm{net}_{h1}``, ``w5`` → ``w_{5}``, ``δ_o1`` → ``\\delta_{o1}``.

    ``∂E/∂w5`` becomes a fraction of partials; a trailing ``⁺`` (an updated value) a superscript +.
    """
    if name.startswith("∂²") and "/∂" in name:  # ∂²f/∂x² or ∂²f/∂x∂y
        top, bottom = name[2:].split("/∂", 1)
        parts = [p.rstrip("²") for p in bottom.split("∂")]
        if len(parts) == 1:
            below = r"\partial " + tex_name(parts[0]) + "^{2}"
        else:
            below = " ".join(r"\partial " + tex_name(p) for p in parts)
        return r"\frac{\partial^{2} " + tex_name(top) + "}{" + below + "}"
    if name.startswith("∂") and "/∂" in name:
        top, bottom = name[1:].split("/∂", 1)
        return r"\frac{\partial " + tex_name(top) + r"}{\partial " + tex_name(bottom) + "}"
    suffix = ""
    if name.endswith("⁺"):
        name, suffix = name[:-1], "^{+}"
    if "_" in name:
        head, sub = name.split("_", 1)
    else:
        m = re.fullmatch(r"([^\d]+?)(\d+)", name)
        head, sub = (m.group(1), m.group(2)) if m else (name, "")
    layer = re.fullmatch(r"(.+?)\[(\d+)\]", head)  # textbook layer superscripts: z[1] → z^{[1]}
    if layer:
        head_tex = tex_name(layer.group(1)) + "^{[" + layer.group(2) + "]}"
        return head_tex + ("_{" + sub + "}" if sub else "") + suffix
    head_tex = _GREEK.get(head, None)
    if head_tex is None and any(_greek(c) for c in head):  # Δw → \Delta w, φ → \phi
        head_tex = "".join(_greek(c) + " " if _greek(c) else c for c in head).strip()
    if head_tex is None:
        head_tex = head if len(head) == 1 else r"\mathrm{" + head + "}"
    if "^" in head_tex and (sub or suffix):  # σ² with a subscript and ⁺: {\sigma^{2}}_{B}^{+}
        head_tex = "{" + head_tex + "}"
    sub_tex = "".join(_greek(c) + " " if _greek(c) else c for c in sub).replace("_", ",").strip()
    return head_tex + ("_{" + sub_tex + "}" if sub else "") + suffix


def _tex_number(value: float, precision: int | None) -> str:
    s = fmt_number(value, precision).replace("−", "-")
    if "e" in s:
        mant, exp = s.split("e")
        s = mant + r"\times 10^{" + str(int(exp)) + "}"
    return s.replace("∞", r"\infty")


class Expr:
    """Base class of formula nodes."""

    prec = _ATOM

    def text(self, values: dict | None = None, precision: int | None = 6) -> str:
        raise NotImplementedError

    def tex(self, values: dict | None = None, precision: int | None = 6) -> str:
        raise NotImplementedError

    def evaluate(self, values: dict) -> float:
        raise NotImplementedError

    def symbols(self) -> list[str]:
        """Names this formula reads, in order of first appearance."""
        out: list[str] = []
        for child in getattr(self, "children", ()):
            for s in child.symbols():
                if s not in out:
                    out.append(s)
        return out

    # operators, so formulas read like maths
    def __add__(self, other):
        return Add([self, _lift(other)])

    def __sub__(self, other):
        return Sub(self, _lift(other))

    def __mul__(self, other):
        return Mul([self, _lift(other)])

    def __truediv__(self, other):
        return Div(self, _lift(other))

    def __pow__(self, other):
        return Pow(self, _lift(other))

    def __neg__(self):
        return Neg(self)


def _lift(x) -> Expr:
    return x if isinstance(x, Expr) else Num(x)


def _wrap(child: Expr, parent_prec: int, text: str, tex: bool = False, strict: bool = False) -> str:
    weaker = child.prec < parent_prec or (strict and child.prec == parent_prec)
    if weaker:
        return (r"\left(" + text + r"\right)") if tex else "(" + text + ")"
    return text


@dataclass(eq=False)
class Sym(Expr):
    """A named quantity; prints its name, or its value when ``values`` has it."""

    name: str

    def text(self, values=None, precision=6):
        if values is not None and self.name in values:
            return fmt_number(values[self.name], precision)
        return self.name

    def tex(self, values=None, precision=6):
        if values is not None and self.name in values:
            return _tex_number(values[self.name], precision)
        return tex_name(self.name)

    def evaluate(self, values):
        return float(values[self.name])

    def symbols(self):
        return [self.name]

    @property
    def prec(self):  # a negative number put in its place needs parentheses in a product
        return _ATOM


@dataclass(eq=False)
class Num(Expr):
    """A literal constant (a learning rate, 1, ½...)."""

    value: float
    label: str | None = None  # e.g. "½" printed instead of 0.5

    def text(self, values=None, precision=6):
        return self.label or fmt_number(self.value, None if float(self.value).is_integer() else precision)

    def tex(self, values=None, precision=6):
        if self.label == "½":
            return r"\tfrac{1}{2}"
        return _tex_number(self.value, None if float(self.value).is_integer() else precision)

    def evaluate(self, values):
        return float(self.value)

    def symbols(self):
        return []


def _num_text(node: Expr, values, precision, tex: bool) -> tuple[str, bool]:
    """Text of a node, and whether it printed as a negative number (which needs parentheses in products)."""
    s = node.tex(values, precision) if tex else node.text(values, precision)
    return s, s.startswith("−") or s.startswith("-")


@dataclass(eq=False)
class Add(Expr):
    terms: list

    prec = _ADD

    @property
    def children(self):
        return self.terms

    def _render(self, values, precision, tex):
        parts = []
        for i, t in enumerate(self.terms):
            s, negative = _num_text(t, values, precision, tex)
            s = _wrap(t, _ADD, s, tex)
            if i and negative and t.prec == _ATOM:
                s = (r"\left(" + s + r"\right)") if tex else "(" + s + ")"
            parts.append(s)
        return " + ".join(parts)

    def text(self, values=None, precision=6):
        return self._render(values, precision, False)

    def tex(self, values=None, precision=6):
        return self._render(values, precision, True)

    def evaluate(self, values):
        return math.fsum(t.evaluate(values) for t in self.terms)


@dataclass(eq=False)
class Sub(Expr):
    a: Expr
    b: Expr

    prec = _ADD

    @property
    def children(self):
        return [self.a, self.b]

    def _render(self, values, precision, tex):
        sa = self.a.tex(values, precision) if tex else self.a.text(values, precision)
        sb, negative = _num_text(self.b, values, precision, tex)
        sb = _wrap(self.b, _ADD, sb, tex, strict=True)
        if negative and self.b.prec == _ATOM:
            sb = (r"\left(" + sb + r"\right)") if tex else "(" + sb + ")"
        return f"{_wrap(self.a, _ADD, sa, tex)} {'-' if tex else '−'} {sb}"

    def text(self, values=None, precision=6):
        return self._render(values, precision, False)

    def tex(self, values=None, precision=6):
        return self._render(values, precision, True)

    def evaluate(self, values):
        return self.a.evaluate(values) - self.b.evaluate(values)


@dataclass(eq=False)
class Mul(Expr):
    factors: list

    prec = _MUL

    @property
    def children(self):
        return self.factors

    def _render(self, values, precision, tex):
        parts = []
        for f in self.factors:
            s, negative = _num_text(f, values, precision, tex)
            s = _wrap(f, _MUL, s, tex)
            if negative and f.prec == _ATOM:  # (−0.5)·x, never −0.5·x, so the sign is not misread
                s = (r"\left(" + s + r"\right)") if tex else "(" + s + ")"
            parts.append(s)
        return (r" \cdot " if tex else "·").join(parts)

    def text(self, values=None, precision=6):
        return self._render(values, precision, False)

    def tex(self, values=None, precision=6):
        return self._render(values, precision, True)

    def evaluate(self, values):
        out = 1.0
        for f in self.factors:
            out *= f.evaluate(values)
        return out


@dataclass(eq=False)
class Div(Expr):
    a: Expr
    b: Expr

    prec = _MUL

    @property
    def children(self):
        return [self.a, self.b]

    def text(self, values=None, precision=6):
        sa = _wrap(self.a, _MUL, self.a.text(values, precision), False)
        sb, negative = _num_text(self.b, values, precision, False)
        sb = _wrap(self.b, _MUL, sb, False, strict=True)
        if negative and self.b.prec == _ATOM:
            sb = "(" + sb + ")"
        return f"{sa}/{sb}"

    def tex(self, values=None, precision=6):
        return r"\frac{" + self.a.tex(values, precision) + "}{" + self.b.tex(values, precision) + "}"

    def evaluate(self, values):
        return self.a.evaluate(values) / self.b.evaluate(values)


_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


@dataclass(eq=False)
class Pow(Expr):
    base: Expr
    exponent: Expr

    prec = _POW

    @property
    def children(self):
        return [self.base, self.exponent]

    def text(self, values=None, precision=6):
        sb, negative = _num_text(self.base, values, precision, False)
        sb = _wrap(self.base, _POW, sb, False, strict=True)
        if negative and self.base.prec == _ATOM:  # (−2)², not −2²; compound bases are wrapped already
            sb = "(" + sb + ")"
        if isinstance(self.exponent, Num) and float(self.exponent.value).is_integer():
            return sb + str(int(self.exponent.value)).translate(_SUPERSCRIPTS)
        return f"{sb}^{_wrap(self.exponent, _ATOM, self.exponent.text(values, precision), False)}"

    def tex(self, values=None, precision=6):
        sb, negative = _num_text(self.base, values, precision, True)
        sb = _wrap(self.base, _POW, sb, True, strict=True)
        if negative and self.base.prec == _ATOM:
            sb = r"\left(" + sb + r"\right)"
        return sb + "^{" + self.exponent.tex(values, precision) + "}"

    def evaluate(self, values):
        return self.base.evaluate(values) ** self.exponent.evaluate(values)


@dataclass(eq=False)
class Neg(Expr):
    x: Expr

    prec = _MUL

    @property
    def children(self):
        return [self.x]

    def text(self, values=None, precision=6):
        s, negative = _num_text(self.x, values, precision, False)
        s = _wrap(self.x, _MUL, s, False)
        return "−" + ("(" + s + ")" if negative else s)

    def tex(self, values=None, precision=6):
        s, negative = _num_text(self.x, values, precision, True)
        s = _wrap(self.x, _MUL, s, True)
        return "-" + (r"\left(" + s + r"\right)" if negative else s)

    def evaluate(self, values):
        return -self.x.evaluate(values)


#: name -> (text format, tex format, function)
_FUNCS = {
    "σ": ("σ({})", r"\sigma\left({}\right)", lambda v: 1.0 / (1.0 + math.exp(-v)) if v >= 0
          else math.exp(v) / (1.0 + math.exp(v))),
    "tanh": ("tanh({})", r"\tanh\left({}\right)", math.tanh),
    "exp": ("e^({})", r"e^{{{}}}", math.exp),
    "ln": ("ln({})", r"\ln\left({}\right)", math.log),
    "sqrt": ("√({})", r"\sqrt{{{}}}", math.sqrt),
    "max0": ("max(0, {})", r"\max\left(0, {}\right)", lambda v: max(0.0, v)),
    "abs": ("|{}|", r"\left|{}\right|", abs),
    "step": ("[{} > 0]", r"\left[{} > 0\right]", lambda v: 1.0 if v > 0 else 0.0),
    "sign": ("sign({})", r"\operatorname{{sign}}\left({}\right)", lambda v: float((v > 0) - (v < 0))),
    "floor": ("⌊{}⌋", r"\left\lfloor {} \right\rfloor", math.floor),
    "ceil": ("⌈{}⌉", r"\left\lceil {} \right\rceil", math.ceil),
}


@dataclass(eq=False)
class Call(Expr):
    """A named function of one argument: σ, tanh, exp, ln, sqrt, max0 (ReLU), abs, step, floor, ceil."""

    fn: str
    x: Expr

    @property
    def children(self):
        return [self.x]

    def text(self, values=None, precision=6):
        return _FUNCS[self.fn][0].format(self.x.text(values, precision))

    def tex(self, values=None, precision=6):
        return _FUNCS[self.fn][1].format(self.x.tex(values, precision))

    def evaluate(self, values):
        return float(_FUNCS[self.fn][2](self.x.evaluate(values)))


# ----------------------------------------------------------------------------- builders
def sym(name: str) -> Sym:
    return Sym(name)


def num(value: float, label: str | None = None) -> Num:
    return Num(value, label)


def add(*terms) -> Expr:
    terms = [_lift(t) for t in terms]
    return terms[0] if len(terms) == 1 else Add(terms)


def mul(*factors) -> Expr:
    factors = [_lift(f) for f in factors]
    return factors[0] if len(factors) == 1 else Mul(factors)
