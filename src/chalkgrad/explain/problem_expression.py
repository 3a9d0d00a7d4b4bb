"""Problem kind ``expression``: scalar expressions, their values and their gradients (see docs/expression-problems.md).

::

    kind: expression
    values: {x: 2, y: -3, z: 10}          # numbers, or short lists of numbers (vectors)
    define:                               # ordered definitions; the last one is the output
      a: x*y
      b: a + z
      f: sigmoid(b)
    gradients: [x, y, z]                  # optional: ∂f/∂x ... by reverse mode, node by node
    second: [x, [x, y]]                   # optional: ∂²f/∂x², ∂²f/∂x∂y (scalar inputs)
    expected: {f: 0.982, ∂f/∂x: -0.053}   # optional published answers, checked

The worked solution comes from :func:`chalkgrad.explain.expression.explain_expression`. Importing this
module registers the kind.
"""

from __future__ import annotations

from ..errors import ChalkgradError, ProblemError
from .problem import _describe, _Mapping
from .problem_kinds import register

__all__ = ["validate_expression_problem", "solve_expression_problem"]


def _line(d, where) -> tuple[int, str]:
    """The line and the key path of an ExpressionError's ``where``."""
    part, name = where
    if part == "define":
        define = d.get("define")
        if isinstance(define, _Mapping) and name in define:
            return define.lines[name], f"define.{name}"
        return d.lines.get("define", d.line), "define"
    if part == "values":
        vals = d.get("values")
        if isinstance(vals, _Mapping) and name in vals:
            return vals.lines[name], f"values.{name}"
        return d.lines.get("values", d.line), "values"
    if part in ("gradients", "second"):
        return d.lines.get(part, d.line), part
    return d.line, "problem"


def _arguments(d):
    define = d["define"]
    definitions = dict(define) if isinstance(define, _Mapping) else define
    grads = d.get("gradients", [])
    return definitions, dict(d["values"]), [grads] if isinstance(grads, str) else grads


def validate_expression_problem(v, d) -> None:
    """Check the keys and types, then parse every definition (names, functions, shapes) without computing."""
    from .expression import ExpressionError, _second_pairs, check_expression

    v.keys(d, "expression_problem", "problem", d.line)
    values = d["values"]
    if not isinstance(values, _Mapping) or not values:
        v.fail(d.lines["values"], "values", f"expected a mapping of names to numbers or lists of numbers, "
               f"got {_describe(values)}")
    define = d["define"]
    if not (isinstance(define, _Mapping) and define) and not (isinstance(define, str) and define.strip()):
        v.fail(d.lines["define"], "define", f"expected a mapping of names to expressions (a: x*y), "
               f"got {_describe(define)}")
    grads = d.get("gradients", [])
    if isinstance(grads, str):
        grads = [grads]
    if not isinstance(grads, list) or not all(isinstance(g, str) for g in grads):
        v.fail(d.lines["gradients"], "gradients", f"expected a list of input names, got {_describe(grads)}")
    second = d.get("second", [])
    if not isinstance(second, (list, str)) or isinstance(second, list) and not all(
            isinstance(x, str) or isinstance(x, list) and len(x) == 2 and all(isinstance(n, str) for n in x)
            for x in second):
        v.fail(d.lines["second"], "second", f"expected a list of input names or [x, y] pairs, got {_describe(second)}")
    definitions, vals, _ = _arguments(d)
    try:
        _, graph, output, _ = check_expression(definitions, vals, grads)
        _second_pairs(second, graph, output)
    except ExpressionError as e:
        line, where = _line(d, e.where)
        v.fail(line, where, e.detail)
    except ChalkgradError as e:
        v.fail(d.line, "problem", str(e))
    except (RecursionError, MemoryError, ValueError, OverflowError) as e:
        v.fail(d.lines["define"], "define", f"cannot read the expressions ({type(e).__name__})")


def solve_expression_problem(problem):
    from .expression import ExpressionError, explain_expression

    d = problem.data
    definitions, vals, grads = _arguments(d)
    try:
        return explain_expression(definitions, vals, grads, title=problem.title if "title" in d else None,
                                  second=d.get("second", ()))
    except ExpressionError as e:
        line, where = _line(d, e.where)
        raise ProblemError(f"{problem.path}:{line}: {where}: {e.detail}") from None
    except ChalkgradError as e:
        raise ProblemError(f"{problem.path}:{d.line}: {e}") from None
    except (ArithmeticError, ValueError, RecursionError, MemoryError) as e:
        raise ProblemError(f"{problem.path}:{d.lines['define']}: define: the computation failed "
                           f"({type(e).__name__}: {e})") from None


register("expression", validate_expression_problem, solve_expression_problem, {"values", "define"},
         {"gradients", "second"})
