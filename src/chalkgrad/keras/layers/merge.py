"""Merging layers over a list of inputs: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot.

Add/Multiply/Average/Maximum/Minimum broadcast their inputs (shapes must agree but for 1s);
Concatenate joins along ``axis`` (default −1); Dot(axes) takes batched dot products of two inputs.
"""

from __future__ import annotations

import numpy as np

from ...errors import ConfigError, ShapeError
from ...ops.elementwise import maximum, minimum
from ...ops.shape import cat
from .base import Layer, register

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot", "add",
           "subtract", "multiply", "average", "concatenate", "dot"]


class _Merge(Layer):
    supports_masking = True
    _min_inputs = 2

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)

    def build(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) < self._min_inputs:
            raise ShapeError(f"{type(self).__name__} {self.name!r}: call it on a list of at least "
                             f"{self._min_inputs} inputs, got {input_shape}")
        self.built = True

    def compute_output_shape(self, input_shape):
        self.build(input_shape)
        out = list(input_shape[0])
        for shape in input_shape[1:]:
            if len(shape) != len(out):
                raise ShapeError(f"{type(self).__name__} {self.name!r}: inputs of different ranks {input_shape}")
            for i, (a, b) in enumerate(zip(out, shape)):
                if a is None or a == 1:
                    out[i] = b if a == 1 or b is None else b
                elif b not in (None, 1, a):
                    raise ShapeError(f"{type(self).__name__} {self.name!r}: shapes {input_shape} do not match "
                                     f"at axis {i}")
        return tuple(out)

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        ms = [np.asarray(m) for m in mask if m is not None]
        return np.logical_and.reduce(ms)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ShapeError(f"{type(self).__name__} {self.name!r}: expected a list of tensors")
        return self._merge(list(inputs))


@register
class Add(_Merge):
    """Sum of the inputs."""

    def _merge(self, xs):
        y = xs[0]
        for x in xs[1:]:
            y = y + x
        return y


@register
class Subtract(_Merge):
    """inputs[0] − inputs[1]."""

    def build(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) != 2:
            raise ShapeError(f"Subtract {self.name!r}: needs exactly 2 inputs, got {input_shape}")
        self.built = True

    def _merge(self, xs):
        return xs[0] - xs[1]


@register
class Multiply(_Merge):
    """Elementwise product of the inputs."""

    def _merge(self, xs):
        y = xs[0]
        for x in xs[1:]:
            y = y * x
        return y


@register
class Average(_Merge):
    """Elementwise mean of the inputs."""

    def _merge(self, xs):
        y = xs[0]
        for x in xs[1:]:
            y = y + x
        return y / len(xs)


@register
class Maximum(_Merge):
    def _merge(self, xs):
        y = xs[0]
        for x in xs[1:]:
            y = maximum(y, x)
        return y


@register
class Minimum(_Merge):
    def _merge(self, xs):
        y = xs[0]
        for x in xs[1:]:
            y = minimum(y, x)
        return y


@register
class Concatenate(_Merge):
    """Joins the inputs along ``axis`` (the other dimensions must agree)."""

    def __init__(self, axis=-1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.axis = int(axis)

    def compute_output_shape(self, input_shape):
        self.build(input_shape)
        rank = len(input_shape[0])
        axis = self.axis % rank
        out = list(input_shape[0])
        for shape in input_shape[1:]:
            if len(shape) != rank or any(a != b and None not in (a, b) for i, (a, b) in
                                         enumerate(zip(out, shape)) if i != axis):
                raise ShapeError(f"Concatenate {self.name!r}: shapes {input_shape} differ outside axis "
                                 f"{self.axis}")
            out[axis] = None if out[axis] is None or shape[axis] is None else out[axis] + shape[axis]
        return tuple(out)

    def compute_mask(self, inputs, mask=None):
        return None

    def _merge(self, xs):
        return cat(xs, self.axis)

    def get_config(self):
        return {**self._base_config(), "axis": self.axis}


@register
class Dot(_Merge):
    """Batched dot product of two inputs over ``axes`` (one int or a pair); ``normalize`` L2-normalizes first."""

    def __init__(self, axes, normalize=False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.axes, self.normalize = axes, bool(normalize)

    def _pair(self, ranks):
        axes = self.axes if isinstance(self.axes, (list, tuple)) else (self.axes, self.axes)
        return [a % r for a, r in zip(axes, ranks)]

    def build(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) != 2:
            raise ShapeError(f"Dot {self.name!r}: needs exactly 2 inputs, got {input_shape}")
        if len(input_shape[0]) > 3 or len(input_shape[1]) > 3:
            raise ConfigError(f"Dot {self.name!r}: inputs of rank 2 or 3 are supported, got {input_shape}")
        self.built = True

    def compute_output_shape(self, input_shape):
        self.build(input_shape)
        a, b = input_shape
        ia, ib = self._pair((len(a), len(b)))
        rest = [s for i, s in enumerate(a) if i not in (0, ia)] + [s for i, s in enumerate(b) if i not in (0, ib)]
        return (a[0], *rest) if rest else (a[0], 1)

    def _merge(self, xs):
        a, b = xs
        if self.normalize:
            a = a / ((a * a).sum(self._pair((a.ndim, b.ndim))[0], keepdim=True).sqrt() + 1e-12)
            b = b / ((b * b).sum(self._pair((a.ndim, b.ndim))[1], keepdim=True).sqrt() + 1e-12)
        ia, ib = self._pair((a.ndim, b.ndim))
        if ia != a.ndim - 1:
            a = a.transpose(ia, a.ndim - 1)
        if ib != 1:
            b = b.transpose(ib, 1)
        if a.ndim == 2:
            a = a.unsqueeze(1)
        if b.ndim == 2:
            b = b.unsqueeze(2)
        y = a @ b
        shape = self.compute_output_shape([tuple(xs[0].shape), tuple(xs[1].shape)])
        return y.reshape((y.shape[0],) + tuple(shape[1:]))

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**self._base_config(), "axes": self.axes, "normalize": self.normalize}


def _functional(cls):
    def apply(inputs, **kwargs):
        return cls(**kwargs)(inputs)

    apply.__name__ = cls.__name__.lower()
    apply.__doc__ = f"``{cls.__name__}(**kwargs)(inputs)``."
    return apply


add, subtract, multiply, average = _functional(Add), _functional(Subtract), _functional(Multiply), _functional(Average)
maximum_, minimum_ = _functional(Maximum), _functional(Minimum)
concatenate, dot = _functional(Concatenate), _functional(Dot)
