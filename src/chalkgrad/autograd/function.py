"""``Function``: one differentiable operation, its forward and backward side by side.

An op is a subclass with two methods::

    class Exp(Function):
        "y = e^x,   dy/dx = e^x = y"
        def forward(self, x):          # raw arrays in, raw array out
            return np.exp(x)
        def backward(self, grad):      # Tensor in, one Tensor (or None) per input out
            return grad * self.output

``forward`` works on NumPy arrays and may keep whatever it needs on ``self``.
``backward`` is written with Tensor operations, so when the engine runs it with
graph recording on (``create_graph=True``) the gradient is itself differentiable
and higher-order derivatives come for free.

``Fn.apply(*inputs, **params)`` runs the op: ``params`` become attributes
(``self.axis``...), inputs may be Tensors or plain constants (Python numbers,
arrays), and a graph node is recorded only when grad mode is on and some input
requires grad.
"""

from __future__ import annotations

import weakref

from ..errors import GradError
from . import grad_mode

#: Bound to chalkgrad.Tensor by tensor.py once the class exists (avoids an import cycle).
_tensor_class = None

#: The tracing hook: ``None``, or a callable ``hook(fn, inputs, params, out)`` that ``apply`` calls after
#: every op. ``chalkgrad.onnx.trace`` sets it for the one forward pass it records; the cost
#: when nothing traces is one global lookup per op.
trace_hook = None


class Function:
    """Base class of every differentiable operation (a node of the graph)."""

    #: Set by ``apply`` when a node is recorded.
    inputs: tuple | None = None
    needs_input_grad: tuple = ()

    def __init__(self, **params) -> None:
        self.__dict__.update(params)

    # -- the two methods an op defines ------------------------------------------------
    def forward(self, *arrays):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad):  # pragma: no cover - abstract
        raise GradError(f"{type(self).__name__} does not define a backward pass")

    # -- machinery ------------------------------------------------------------------
    @classmethod
    def apply(cls, *inputs, **params):
        fn = cls.__new__(cls)
        if params:
            fn.__dict__.update(params)
        tensor_cls = _tensor_class
        arrays = [x.data if isinstance(x, tensor_cls) else x for x in inputs]
        out = tensor_cls._wrap(fn.forward(*arrays))
        if grad_mode.state.enabled:
            needs = tuple([isinstance(x, tensor_cls) and x.requires_grad for x in inputs])
            if True in needs:
                fn.inputs = inputs
                fn.needs_input_grad = needs
                fn._versions = tuple([x._version if isinstance(x, tensor_cls) else 0 for x in inputs])
                fn._out = weakref.ref(out)
                out.requires_grad = True
                out._node = fn
        if trace_hook is not None:
            trace_hook(fn, inputs, params, out)
        return out

    @property
    def output(self):
        """The Tensor this node produced (alive for as long as backward can reach it).

        An op whose backward reads its output (exp, sigmoid, tanh, softmax...) gets an error if
        the output was changed in place since (directly or through a ``detach()``ed tensor).
        """
        out = self._out()
        if out is None:  # pragma: no cover - the engine keeps outputs alive
            raise GradError(f"{type(self).__name__}: its output was freed before backward")
        if out._version != 0:
            raise GradError(f"the output of {self!r} was modified in place after it was computed (version "
                            f"{out._version}); its backward needs the original values. Update a copy (clone()) "
                            "instead, or run the forward pass again.")
        return out

    @property
    def name(self) -> str:
        return type(self).__name__

    def release(self) -> None:
        """Drop saved inputs and arrays after a backward pass without ``retain_graph``."""
        self.__dict__.clear()
        self.inputs = None
        self._freed = True

    def __repr__(self) -> str:
        return f"<{type(self).__name__}Backward>"
