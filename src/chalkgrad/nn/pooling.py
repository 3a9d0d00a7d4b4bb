"""Pooling layers with torch's names and arguments: ``MaxPool1d/2d``, ``AvgPool1d/2d``,
``MaxUnpool1d/2d``, ``AdaptiveAvgPool1d/2d``, ``AdaptiveMaxPool1d/2d``.

Output size (max/avg): L_out = ⌊(L + 2p - d·(k - 1) - 1)/s⌋ + 1 (⌈…⌉ with ceil_mode, as torch);
unpooling: (L - 1)·s - 2p + k; adaptive: output_size.

MAC convention: pooling layers count **0 MACs** (they compare or add, they do not multiply
weights); ``macs`` still validates the input shape. Receptive field: the window layers return
their kernel/stride/padding/dilation, unpooling adds ``"transposed": True`` (the stride is an
upsampling factor), adaptive pools return ``"global"``.
"""

from __future__ import annotations

from .functional.conv import ntuple
from .functional.pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_geometry,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
    max_unpool1d,
    max_unpool2d,
    pool_geometry,
    unpool_geometry,
)
from .module import Module

__all__ = [
    "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "MaxUnpool1d", "MaxUnpool2d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
]


class _Pool(Module):
    _n = 2

    def _label(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def _validate(self):
        name, n = self._label(), self._n
        k = ntuple(self.kernel_size, n, "kernel_size", name)
        ntuple(self.stride, n, "stride", name)
        p = ntuple(self.padding, n, "padding", name, minimum=0)
        if any(pi > ki // 2 for pi, ki in zip(p, k)):
            from ..errors import ConfigError

            raise ConfigError(f"{name}: padding {p} should be at most half of the kernel size {k}")

    def macs(self, input_shape):
        """0: pooling compares or adds values; it has no weights to multiply (the shape is still checked)."""
        self.output_shape(input_shape)
        return 0

    def receptive_field(self):
        n = self._n
        return {"kernel": ntuple(self.kernel_size, n, "kernel_size", ""),
                "stride": ntuple(self.stride, n, "stride", ""),
                "padding": ntuple(self.padding, n, "padding", "", 0),
                "dilation": ntuple(getattr(self, "dilation", 1), n, "dilation", "")}


class _MaxPool(_Pool):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode
        self._validate()
        ntuple(dilation, self._n, "dilation", type(self).__name__)

    def output_shape(self, input_shape):
        """⌊(L + 2p - d·(k - 1) - 1)/s⌋ + 1 per spatial dim (⌈…⌉ with ceil_mode)."""
        return pool_geometry(self._label(), input_shape, self._n, self.kernel_size, self.stride, self.padding,
                             self.dilation, self.ceil_mode)[5]

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPool):
    """Max over windows of (N, C, L) or (C, L); stride defaults to kernel_size, padding with -∞."""

    _n = 1

    def forward(self, input):  # noqa: A002
        return _call(max_pool1d, self, input, self.kernel_size, self.stride, self.padding, self.dilation,
                     self.ceil_mode, self.return_indices)


class MaxPool2d(_MaxPool):
    """Max over kh×kw windows of (N, C, H, W) or (C, H, W); stride defaults to kernel_size, padding with -∞.

    ``return_indices=True`` also returns the flat per-plane arg-max positions (for MaxUnpool2d).
    """

    _n = 2

    def forward(self, input):  # noqa: A002
        return _call(max_pool2d, self, input, self.kernel_size, self.stride, self.padding, self.dilation,
                     self.ceil_mode, self.return_indices)


def _call(fn, module, *args):
    """Run a functional pool, replacing the function's name by the layer's label in error messages."""
    from ..errors import ChalkgradError

    try:
        return fn(*args)
    except ChalkgradError as err:
        msg = str(err.args[0]) if err.args else ""
        name = fn.__name__
        if msg.startswith(name + ":"):
            err.args = (module._label() + msg[len(name):],)
        raise


class _AvgPool(_Pool):
    def output_shape(self, input_shape):
        """⌊(L + 2p - k)/s⌋ + 1 per spatial dim (⌈…⌉ with ceil_mode)."""
        return pool_geometry(self._label(), input_shape, self._n, self.kernel_size, self.stride, self.padding,
                             1, self.ceil_mode)[5]


class AvgPool1d(_AvgPool):
    """Mean over windows of (N, C, L) or (C, L); divisor counts padded zeros unless count_include_pad=False."""

    _n = 1

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode, self.count_include_pad = padding, ceil_mode, count_include_pad
        self._validate()
        # torch keeps AvgPool1d's arguments as 1-tuples
        self.kernel_size, self.stride, self.padding = (ntuple(v, 1, what, "AvgPool1d", 0) for v, what in (
            (self.kernel_size, "kernel_size"), (self.stride, "stride"), (self.padding, "padding")))

    def forward(self, input):  # noqa: A002
        return _call(avg_pool1d, self, input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                     self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(_AvgPool):
    """Mean over kh×kw windows: y = Σ_window x / divisor (window size with or without padding, or
    ``divisor_override``)."""

    _n = 2

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode, self.count_include_pad = padding, ceil_mode, count_include_pad
        self.divisor_override = divisor_override
        self._validate()

    def forward(self, input):  # noqa: A002
        return _call(avg_pool2d, self, input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                     self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _MaxUnpool(_Pool):
    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        n = self._n
        name = type(self).__name__
        self.kernel_size = ntuple(kernel_size, n, "kernel_size", name)
        self.stride = ntuple(stride if stride is not None else kernel_size, n, "stride", name)
        self.padding = ntuple(padding, n, "padding", name, minimum=0)

    def output_shape(self, input_shape, output_size=None):
        """(L - 1)·s - 2p + k per spatial dim, or output_size."""
        return unpool_geometry(self._label(), input_shape, self._n, self.kernel_size, self.stride, self.padding,
                               output_size)[1]

    def receptive_field(self):
        rf = super().receptive_field()
        rf["transposed"] = True
        return rf

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpool):
    """Partial inverse of MaxPool1d: ``forward(x, indices, output_size=None)`` puts x back at its indices."""

    _n = 1

    def forward(self, input, indices, output_size=None):  # noqa: A002
        return _call(max_unpool1d, self, input, indices, self.kernel_size, self.stride, self.padding, output_size)


class MaxUnpool2d(_MaxUnpool):
    """Partial inverse of MaxPool2d: zeros of size (H - 1)·s - 2p + k (or output_size) with each value
    of x put back at its flat per-plane index. ``forward(x, indices, output_size=None)``."""

    _n = 2

    def forward(self, input, indices, output_size=None):  # noqa: A002
        return _call(max_unpool2d, self, input, indices, self.kernel_size, self.stride, self.padding, output_size)


class _Adaptive(Module):
    _n = 2

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size
        adaptive_geometry(self._label(), (1,) * (self._n + 1), self._n, output_size)  # validates

    def _label(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def output_shape(self, input_shape):
        """Spatial dims become output_size (None keeps the input size)."""
        return adaptive_geometry(self._label(), input_shape, self._n, self.output_size)[1]

    def macs(self, input_shape):
        """0 (see the module docstring); the shape is still checked."""
        self.output_shape(input_shape)
        return 0

    def receptive_field(self):
        return "global"

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_Adaptive):
    """Mean over windows [⌊i·L/out⌋, ⌈(i+1)·L/out⌉); output_size=1 is global average pooling."""

    _n = 1

    def forward(self, input):  # noqa: A002
        return _call(adaptive_avg_pool1d, self, input, self.output_size)


class AdaptiveAvgPool2d(_Adaptive):
    """Mean over adaptive windows so the output is output_size; AdaptiveAvgPool2d(1) is global average pooling."""

    _n = 2

    def forward(self, input):  # noqa: A002
        return _call(adaptive_avg_pool2d, self, input, self.output_size)


class AdaptiveMaxPool1d(_Adaptive):
    """Max over windows [⌊i·L/out⌋, ⌈(i+1)·L/out⌉)."""

    _n = 1

    def __init__(self, output_size, return_indices=False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input):  # noqa: A002
        return _call(adaptive_max_pool1d, self, input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_Adaptive):
    """Max over adaptive windows [⌊i·H/out⌋, ⌈(i+1)·H/out⌉) × (the same in W)."""

    _n = 2

    def __init__(self, output_size, return_indices=False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input):  # noqa: A002
        return _call(adaptive_max_pool2d, self, input, self.output_size, self.return_indices)
