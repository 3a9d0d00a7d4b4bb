"""Automatic differentiation: the graph, the backward engine, and ``grad``/``gradcheck``."""

from .function import Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .functional import grad, gradcheck, GradcheckError, hessian, jacobian

__all__ = [
    "Function", "enable_grad", "is_grad_enabled", "no_grad", "set_grad_enabled",
    "grad", "gradcheck", "GradcheckError", "hessian", "jacobian",
]
