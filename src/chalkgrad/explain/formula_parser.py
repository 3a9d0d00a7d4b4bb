"""Loss functions written as text in problem files (``"3*w1**2 + 1.5*w2**3"``), parsed safely.

Only arithmetic is accepted: numbers, the parameter names, ``+ - * / **``, parentheses and
the functions in :data:`FUNCTIONS`. Anything else (attributes, subscripts, other names,
keyword arguments) is refused with a message that says what was found. The result is a
function of chalkgrad tensors, so its gradient comes from the library's autograd.
"""

from __future__ import annotations

import ast

from ..errors import ConfigError

__all__ = ["parse_loss", "FUNCTIONS"]

FUNCTIONS = ("exp", "log", "sqrt", "sigmoid", "tanh", "relu", "abs", "sin", "cos")
_MAX_LENGTH = 500
_MAX_NODES = 200


def parse_loss(text: str, names):
    """A function ``f(**tensors)`` computing the expression ``text`` of the variables ``names``."""
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"the loss must be an expression such as '(w - 3)**2', got {text!r}")
    if len(text) > _MAX_LENGTH:
        raise ConfigError(f"the loss expression is {len(text)} characters long; at most {_MAX_LENGTH}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ConfigError(f"the loss {text!r} is not a valid expression ({e.msg})") from None
    nodes = list(ast.walk(tree))
    if len(nodes) > _MAX_NODES:
        raise ConfigError(f"the loss expression is too long ({len(nodes)} parts; at most {_MAX_NODES})")
    names = set(names)
    for node in nodes:
        _check(node, names, text)

    def evaluate(**tensors):
        return _eval(tree.body, tensors)

    return evaluate


_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


def _check(node, names, text):
    allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Call, ast.Load,
               ast.USub, ast.UAdd, *_BINOPS)
    if not isinstance(node, allowed):
        raise ConfigError(f"the loss {text!r} uses {type(node).__name__}, which is not allowed; "
                          f"use numbers, the parameters, + - * / ** and {', '.join(FUNCTIONS)}")
    if isinstance(node, ast.Constant) and (isinstance(node.value, bool) or not isinstance(node.value, (int, float))):
        raise ConfigError(f"the loss {text!r} contains {node.value!r}; only numbers are allowed")
    if isinstance(node, ast.Name) and node.id not in names and node.id not in FUNCTIONS:
        raise ConfigError(f"the loss {text!r} uses the name '{node.id}', which is not a parameter "
                          f"(parameters: {', '.join(sorted(names))})")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords or len(node.args) != 1:
            raise ConfigError(f"the loss {text!r} calls something other than one of {', '.join(FUNCTIONS)} "
                              "with one argument")


def _eval(node, env):
    import chalkgrad as cg

    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, env)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, env), _eval(node.right, env)
        op = type(node.op)
        if op is ast.Add:
            return a + b
        if op is ast.Sub:
            return a - b
        if op is ast.Mult:
            return a * b
        if op is ast.Div:
            return a / b
        return a ** b
    fn = node.func.id
    arg = _eval(node.args[0], env)
    if not isinstance(arg, cg.Tensor):
        arg = cg.tensor(arg, dtype=cg.float64)
    return {"exp": cg.exp, "log": cg.log, "sqrt": cg.sqrt, "sigmoid": cg.sigmoid, "tanh": cg.tanh,
            "relu": cg.relu, "abs": cg.abs, "sin": cg.sin, "cos": cg.cos}[fn](arg)
