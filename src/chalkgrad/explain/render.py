"""Renderers: a :class:`~.steps.Solution` as plain text, Markdown or LaTeX.

Each derived step prints as ``name = formula = formula with numbers = value``; given
values as ``name = value``. Three modes:

* ``'full'``: the worked solution;
* ``'problem'``: the problem only: given values, and a blank for every derived quantity;
* ``'key'``: the answer key: given values and the answers (the steps a problem asks for,
  or every derived value when none is marked).
"""

from __future__ import annotations

from .expr import fmt_number, tex_name
from .steps import Solution

__all__ = ["render", "FORMATS", "MODES"]

FORMATS = ("text", "md", "tex")
MODES = ("full", "problem", "key")


def render(solution: Solution, format: str = "text", precision: int = 6, mode: str = "full") -> str:  # noqa: A002
    """The solution as a string in ``format`` ('text', 'md' or 'tex')."""
    from ..errors import ConfigError

    if format not in FORMATS:
        raise ConfigError(f"render: format must be one of {', '.join(FORMATS)}, got {format!r}")
    if mode not in MODES:
        raise ConfigError(f"render: mode must be one of {', '.join(MODES)}, got {mode!r}")
    if not isinstance(precision, int) or not 0 <= precision <= 17:
        raise ConfigError(f"render: precision must be an integer from 0 to 17, got {precision!r}")
    return {"text": _text, "md": _markdown, "tex": _latex}[format](solution, precision, mode)


def _shown_steps(section, mode, answers_marked=True):
    for s in section.steps:
        if s.hidden:
            continue
        if mode == "key" and s.formula is not None and answers_marked and not s.answer:
            continue
        yield s


def _differences(solution: Solution, precision: int) -> list[str]:
    if solution.carry != "displayed":
        return []
    if not solution.differences:
        return [f"Carrying values rounded to {precision} decimals changes no answer."]
    lines = [f"Carrying values rounded to {precision} decimals (as by hand) changes these answers:"]
    for d in solution.differences:
        lines.append(f"{d.name}: {fmt_number(d.displayed, precision)} as carried, "
                     f"{fmt_number(d.exact, precision)} exactly")
    return lines


# ----------------------------------------------------------------------------- plain text
def _text(solution: Solution, precision: int, mode: str) -> str:
    title = solution.title + {"full": "", "problem": " (problem)", "key": " (answer key)"}[mode]
    lines = [title, "=" * len(title)]
    lines += solution.conventions
    for sec in solution.sections:
        if mode == "key" and not list(_shown_steps(sec, mode, any(s.answer for s in solution.steps()))):
            continue
        lines += ["", sec.title]
        if sec.intro and mode == "full":
            lines.append("  " + sec.intro)
        for s in _shown_steps(sec, mode, any(s.answer for s in solution.steps())):
            lines.append("  " + _text_step(s, precision, mode, solution))
    diffs = _differences(solution, precision) if mode != "problem" else []
    if diffs:
        lines += [""] + diffs
    return "\n".join(lines) + "\n"


def _text_step(s, precision, mode, solution) -> str:
    value = fmt_number(s.value, precision)
    note = f"   ({s.note})" if s.note and (mode == "full" or mode == "key" and s.formula is None) else ""
    if s.formula is None:
        return f"{s.name} = {value}{note}"
    if mode == "problem":
        return f"{s.name} = ________"
    if mode == "key":
        return f"{s.name} = {value}"
    values = _values_before(solution, s)
    symbolic = s.formula.text()
    substituted = s.formula.text(values, precision)
    parts = [s.name, symbolic]
    if substituted != symbolic:
        parts.append(substituted)
    if substituted != value:
        parts.append(value)
    return " = ".join(parts) + note


def _values_before(solution: Solution, step) -> dict:
    """Values of the quantities defined before ``step`` (a name may be redefined later, e.g. after an update)."""
    known: dict = {}
    for s in solution.steps():
        if s is step:
            break
        known[s.name] = s.value
    return known


# ----------------------------------------------------------------------------- Markdown
def _markdown(solution: Solution, precision: int, mode: str) -> str:
    title = solution.title + {"full": "", "problem": " (problem)", "key": " (answer key)"}[mode]
    lines = [f"# {title}", ""]
    for c in solution.conventions:
        lines += [c, ""]
    for sec in solution.sections:
        lines += [f"## {sec.title}", ""]
        if sec.intro and mode == "full":
            lines += [sec.intro, ""]
        for s in _shown_steps(sec, mode, any(s.answer for s in solution.steps())):
            lines.append("- $" + _tex_step(s, precision, mode, solution, inline=True) + "$"
                         + (f" ({s.note})" if s.note and mode == "full" else ""))
        lines.append("")
    diffs = _differences(solution, precision) if mode != "problem" else []
    if diffs:
        lines += [diffs[0], ""] + [f"- {d}" for d in diffs[1:]] + ([""] if diffs[1:] else [])
    return "\n".join(lines)


# ----------------------------------------------------------------------------- LaTeX
_TEX_TEXT = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
_TEX_UNICODE = {
    "½": r"$\frac{1}{2}$", "·": r"$\cdot$", "−": "-", "→": r"$\to$", "≤": r"$\le$", "≥": r"$\ge$",
    "Σ": r"$\Sigma$", "σ": r"$\sigma$", "δ": r"$\delta$", "η": r"$\eta$", "∂": r"$\partial$", "²": r"$^2$",
    "λ": r"$\lambda$", "β": r"$\beta$", "γ": r"$\gamma$", "ε": r"$\epsilon$", "μ": r"$\mu$", "ŷ": r"$\hat{y}$",
    "⌊": r"$\lfloor$", "⌋": r"$\rfloor$", "⌈": r"$\lceil$", "⌉": r"$\rceil$", "×": r"$\times$", "⁺": r"$^+$",
    "θ": r"$\theta$", "α": r"$\alpha$", "ρ": r"$\rho$", "τ": r"$\tau$", "∞": r"$\infty$", "√": r"$\surd$",
    "≈": r"$\approx$", "≠": r"$\ne$", "ℓ": r"$\ell$", "Δ": r"$\Delta$", "∇": r"$\nabla$", "…": r"\ldots{}",
    "‖": r"$\|$", "ᵀ": r"$^T$", "⊙": r"$\odot$", "✓": r"$\checkmark$", "✗": r"$\times$",
}


_SUB = dict(zip("₀₁₂₃₄₅₆₇₈₉ₜ", "0123456789t"))
_SUP = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-"))


def tex_text(s: str) -> str:
    """Plain text made safe for LaTeX (special characters escaped, common symbols as math)."""
    from .expr import _greek

    s = s.replace("–", "--")
    out = []
    for ch in s:
        if ch == "\u0302":  # a combining circumflex: m̂ → \hat{m}
            if out:
                out[-1] = r"$\hat{" + out[-1] + "}$"
            continue
        if ch in _SUB:
            out.append("$_" + _SUB[ch] + "$")
        elif ch in _SUP and ch != "²":
            out.append("$^" + _SUP[ch] + "$")
        else:
            greek = _greek(ch) if ch not in _TEX_UNICODE else None
            out.append(_TEX_TEXT.get(ch) or _TEX_UNICODE.get(ch) or ("$" + greek + "$" if greek else ch))
    return "".join(out)


def _tex_step(s, precision, mode, solution, inline=False) -> str:
    name = tex_name(s.name)
    shown = fmt_number(s.value, precision)
    value = shown.replace("−", "-")
    if s.formula is None:
        return f"{name} = {value}"
    if mode == "problem":
        return name + r" = \underline{\hspace{4em}}"
    if mode == "key":
        return f"{name} = {value}"
    values = _values_before(solution, s)
    symbolic = s.formula.tex()
    substituted = s.formula.tex(values, precision)
    parts = [symbolic]
    if substituted != symbolic:
        parts.append(substituted)
    if substituted != value:
        parts.append(value)
    if inline:
        return name + " = " + " = ".join(parts)
    return name + " &= " + r" \\ &= ".join(parts)


def _latex(solution: Solution, precision: int, mode: str) -> str:
    title = solution.title + {"full": "", "problem": " (problem)", "key": " (answer key)"}[mode]
    lines = [
        r"\documentclass{article}",
        r"\usepackage{amsmath}",
        r"\usepackage{amssymb}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\begin{document}",
        r"\section*{" + tex_text(title) + "}",
    ]
    for c in solution.conventions:
        lines += [tex_text(c), ""]
    for sec in solution.sections:
        lines.append(r"\subsection*{" + tex_text(sec.title) + "}")
        if sec.intro and mode == "full":
            lines += [tex_text(sec.intro), ""]
        steps = list(_shown_steps(sec, mode, any(s.answer for s in solution.steps())))
        if not steps:
            continue
        lines.append(r"\begin{align*}")
        rows = []
        for s in steps:
            row = _tex_step(s, precision, mode, solution)
            if "&" not in row:
                row = row.replace(" = ", " &= ", 1)
            if s.note and mode == "full":
                row += r" && \text{(" + tex_text(s.note) + ")}"
            rows.append(row)
        lines.append(" \\\\\n".join(rows))
        lines.append(r"\end{align*}")
    diffs = _differences(solution, precision) if mode != "problem" else []
    if diffs:
        lines.append(tex_text(diffs[0]))
        if diffs[1:]:
            lines.append(r"\begin{itemize}")
            lines += [r"\item " + tex_text(d) for d in diffs[1:]]
            lines.append(r"\end{itemize}")
    lines.append(r"\end{document}")
    return "\n".join(lines) + "\n"
