"""Shapes by running: record every module call of one forward pass on a dummy input (as torchinfo does).

:func:`~chalkgrad.nn.summary.summary` computes shapes from each layer's ``output_shape`` without
running anything. A custom module that does not define ``output_shape`` can only be measured by
running it: :func:`trace_calls` registers a pre-hook and a hook on every module, runs the model once
on zeros of the input size (evaluation mode, so dropout and batch-norm statistics are untouched; no
gradient graph), removes the hooks and restores each module's training flag. The result lists the
calls in the order they started, each with the input and output shapes and the enclosing call.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ChalkgradError, ConfigError, DTypeError

__all__ = ["Call", "trace_calls"]


@dataclass
class Call:
    """One call of ``module`` during the traced forward pass; ``parent`` is the index of the enclosing call."""

    module: object
    input_shape: tuple | None
    output_shape: tuple | None = None
    parent: int | None = None
    children: list = field(default_factory=list)  # indices of the calls made inside this one


def _first_shape(value):
    """The shape of the first tensor in ``value`` (a tensor, or nested tuples/lists/dicts of them), or None."""
    if hasattr(value, "shape") and not isinstance(value, (tuple, list, dict)):
        return tuple(int(s) for s in value.shape)
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (tuple, list)) else ()
    for item in items:
        shape = _first_shape(item)
        if shape is not None:
            return shape
    return None


def trace_calls(model, input_shape: tuple, op: str = "summary") -> list[Call]:
    """The module calls of ``model(zeros(input_shape))``, in the order they started.

    The dummy input is float32; if the model refuses a float input with a DTypeError (an ``Embedding``
    first), int64 zeros (index 0) are used instead. An error of the forward pass is re-raised as a
    ConfigError that says the shapes were being traced.
    """
    from ..autograd import no_grad
    from ..tensor import Tensor

    calls: list[Call] = []
    stack: list[int] = []

    def before(module, args):
        index = len(calls)
        parent = stack[-1] if stack else None
        calls.append(Call(module, _first_shape(args), parent=parent))
        if parent is not None:
            calls[parent].children.append(index)
        stack.append(index)

    def after(module, args, output):
        calls[stack.pop()].output_shape = _first_shape(output)

    modules = list(model.modules())
    training = [m.training for m in modules]
    handles = []
    try:
        for m in modules:
            handles.append(m.register_forward_pre_hook(before))
            handles.append(m.register_forward_hook(after))
        model.eval()
        last_error = None
        for dtype in ("float32", "int64"):
            calls.clear()
            stack.clear()
            try:
                with no_grad(), np.errstate(all="ignore"):  # skip_init weights may hold any bits
                    model(Tensor(np.zeros(input_shape, dtype=dtype)))
                return calls
            except DTypeError as err:
                last_error = err
            except (ChalkgradError, ValueError, TypeError, IndexError) as err:
                raise ConfigError(f"{op}: running {type(model).__name__} on zeros of shape {input_shape} (to trace "
                                  f"the shapes of modules that define no output_shape) failed: {err}") from err
        raise ConfigError(f"{op}: {type(model).__name__} accepts neither a float32 nor an int64 input of shape "
                          f"{input_shape}: {last_error}") from last_error
    finally:
        for h in handles:
            h.remove()
        for m, mode in zip(modules, training):
            object.__setattr__(m, "training", mode)
