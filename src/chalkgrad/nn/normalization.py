"""Normalization layers with ``torch.nn``'s names, arguments, parameters and buffers.

``BatchNorm1d``/``BatchNorm2d`` (statistics per channel over the batch), ``LayerNorm``
(over the trailing dims of each sample), ``GroupNorm`` (over groups of channels of each
sample), ``InstanceNorm1d``/``InstanceNorm2d`` (per sample and channel) and
``LocalResponseNorm``. The formulas are in :mod:`chalkgrad.nn.functional.normalization`.

Static arithmetic: the output shape is the input shape; ``receptive_field()`` is None
(no spatial mixing). MACs convention: one multiply-accumulate per output element
(y = x·a + b with the per-channel scale a = γ/√(var + ε) and shift b folded, which is
exactly what an inference engine runs); computing the statistics is not counted.
``LocalResponseNorm`` counts ``size`` per element (the windowed sum of squares).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from . import functional as F
from .functional.normalization import _check_training_size
from .module import Module, check_input_dtype, layer_dtype, positive_int
from .parameter import Parameter

__all__ = [
    "BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d",
    "LocalResponseNorm",
]


_positive_int = positive_int


class _Pointwise(Module):
    """Shape-preserving layer: output_shape = input_shape, one MAC per element, no spatial mixing."""

    def _check_shape(self, shape: tuple) -> None:
        """Raise the same ShapeError as forward for an input of ``shape``."""

    def _check_dtype(self, x) -> None:
        """With γ/β or running statistics, the input must have their dtype (PyTorch: "mixed dtype")."""
        ref = self.weight if self.weight is not None else getattr(self, "running_mean", None)
        if ref is not None:
            check_input_dtype(type(self).__name__, x, ref)

    def output_shape(self, input_shape):
        shape = tuple(int(s) for s in input_shape)
        self._check_shape(shape)
        return shape

    def macs(self, input_shape):
        return math.prod(self.output_shape(input_shape))

    def _init_affine(self, shape, enabled: bool, bias: bool, dtype) -> None:
        """γ = 1 (``weight``) and β = 0 (``bias``) of ``shape`` when ``enabled``; None where absent."""
        if enabled:
            self.weight = Parameter(np.ones(shape, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        if enabled and bias:
            self.bias = Parameter(np.zeros(shape, dtype=dtype))
        else:
            self.register_parameter("bias", None)

    def _reset_affine(self) -> None:
        if self.weight is not None:
            self.weight.data[...] = 1
        if self.bias is not None:
            self.bias.data[...] = 0


class _NormBase(_Pointwise):
    """Shared by batch and instance norm: γ, β of shape (C,), running statistics as buffers."""

    _ranks: tuple = ()
    _what: str = ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True) -> None:
        super().__init__()
        name = type(self).__name__
        self.num_features = _positive_int(name, "num_features", num_features)
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ConfigError(f"{name}: momentum must be in [0, 1] or None, got {momentum}")
        if eps <= 0:
            raise ConfigError(f"{name}: eps must be positive, got {eps}")
        d = layer_dtype(name, dtype, device)
        self.eps, self.momentum = eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self._init_affine(self.num_features, affine, bias, d)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(self.num_features, dtype=d)))
            self.register_buffer("running_var", Tensor(np.ones(self.num_features, dtype=d)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batch tracked."""
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0
            for t in (self.running_mean, self.running_var, self.num_batches_tracked):
                t._version += 1

    def reset_parameters(self) -> None:
        """γ = 1, β = 0 and reset the running statistics."""
        self.reset_running_stats()
        self._reset_affine()

    def _check_shape(self, shape: tuple) -> None:
        name = type(self).__name__
        if len(shape) not in self._ranks:
            raise ShapeError(f"{name}({self.num_features}): expected {self._what}, got an input of shape {shape} "
                             f"({len(shape)}-D)")
        dim = self._channel_dim(shape)
        if shape[dim] != self.num_features and self._strict_channels():
            raise ShapeError(f"{name}({self.num_features}): input of shape {shape} has {shape[dim]} channels "
                             f"(dim {dim}), expected num_features={self.num_features}")

    def _channel_dim(self, shape: tuple) -> int:
        return 1

    def _strict_channels(self) -> bool:
        return True

    def _factor(self) -> float:
        """The momentum for this step; momentum=None gives the cumulative average 1/num_batches_tracked."""
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            self.num_batches_tracked._version += 1
            if self.momentum is None:
                return 1.0 / float(self.num_batches_tracked.data)
        return 0.0 if self.momentum is None else self.momentum

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    """Batch normalization of an input (N, C, *): per channel, over the batch and spatial positions.

    training: y = (x − μ_B)/√(σ²_B + ε)·γ + β with the batch mean and biased variance; the running
    statistics are updated with the mean and the *unbiased* variance:
    r ← (1 − momentum)·r + momentum·stat (momentum=None: cumulative average over the
    ``num_batches_tracked`` batches). eval: the running statistics replace the batch ones.
    ``track_running_stats=False``: batch statistics in both modes, no buffers.
    Parameters: γ (weight) and β (bias), 2·C with ``affine`` (``bias=False``: γ only); buffers
    running_mean, running_var, num_batches_tracked (int64), as in PyTorch's state_dict.
    """

    def forward(self, input):  # noqa: A002
        shape = tuple(input.shape)
        self._check_shape(shape)
        self._check_dtype(input)
        if self.training:
            _check_training_size(type(self).__name__, input)
        factor = self._factor()
        use_batch = self.training or self.running_mean is None
        track = self.training and self.track_running_stats
        return F.batch_norm(input, self.running_mean if (track or not use_batch) else None,
                            self.running_var if (track or not use_batch) else None,
                            self.weight, self.bias, use_batch, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch norm over an input (N, C) or (N, C, L); see ``_BatchNorm`` for the formulas."""

    _ranks = (2, 3)
    _what = "an input (N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm over an input (N, C, H, W), per channel; see ``_BatchNorm`` for the formulas."""

    _ranks = (4,)
    _what = "an input (N, C, H, W)"


class _InstanceNorm(_NormBase):
    """Instance normalization: each (sample, channel) over its spatial positions.

    Defaults as PyTorch: ``affine=False``, ``track_running_stats=False``. An unbatched input
    (C, *spatial) is accepted. With ``track_running_stats`` the running statistics are the
    batch averages of the instance statistics (unbiased variance), used in eval mode.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False,
                 device=None, dtype=None, *, bias=True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def _channel_dim(self, shape: tuple) -> int:
        return 0 if len(shape) == min(self._ranks) else 1

    def _factor(self) -> float:
        # As PyTorch: instance norm does not count batches (momentum=None means 0).
        return 0.0 if self.momentum is None else self.momentum

    def _check_dtype(self, x) -> None:
        # As PyTorch: running statistics alone do not fix the input's dtype, γ and β do.
        if self.weight is not None:
            check_input_dtype(type(self).__name__, x, self.weight)

    def _strict_channels(self) -> bool:
        # As PyTorch: without affine parameters or running statistics any channel count works.
        return self.affine or self.track_running_stats

    def forward(self, input):  # noqa: A002
        shape = tuple(input.shape)
        self._check_shape(shape)
        self._check_dtype(input)
        unbatched = len(shape) == min(self._ranks)
        x = input.unsqueeze(0) if unbatched else input
        factor = self._factor()
        use_input_stats = self.training or not self.track_running_stats
        y = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            use_input_stats, factor, self.eps)
        return y.squeeze(0) if unbatched else y


class InstanceNorm1d(_InstanceNorm):
    """Instance norm over an input (N, C, L) or (C, L)."""

    _ranks = (2, 3)
    _what = "an input (N, C, L) or (C, L)"


class InstanceNorm2d(_InstanceNorm):
    """Instance norm over an input (N, C, H, W) or (C, H, W)."""

    _ranks = (3, 4)
    _what = "an input (N, C, H, W) or (C, H, W)"


class LayerNorm(_Pointwise):
    """y = (x − mean)/√(var + ε)·γ + β over the last dims of each sample (those of ``normalized_shape``).

    Parameters: weight γ and bias β of shape ``normalized_shape`` when ``elementwise_affine``
    (``bias=False`` drops β).
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None,
                 dtype=None) -> None:
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(_positive_int("LayerNorm", "normalized_shape", s) for s in normalized_shape)
        if not self.normalized_shape:
            raise ConfigError("LayerNorm: normalized_shape must have at least one dimension")
        d = layer_dtype("LayerNorm", dtype, device)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self._init_affine(self.normalized_shape, elementwise_affine, bias, d)

    def reset_parameters(self) -> None:
        self._reset_affine()

    def _check_shape(self, shape: tuple) -> None:
        k = len(self.normalized_shape)
        if len(shape) < k or shape[len(shape) - k:] != self.normalized_shape:
            raise ShapeError(f"LayerNorm({self.normalized_shape}): input of shape {shape} must end in "
                             f"normalized_shape {self.normalized_shape}")

    def forward(self, input):  # noqa: A002
        self._check_shape(tuple(input.shape))
        self._check_dtype(input)
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(_Pointwise):
    """Group norm: the C channels in ``num_groups`` groups, each (sample, group) normalized over its
    channels and positions, then a per-channel γ, β (``affine``). Input (N, C, *)."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *,
                 bias=True) -> None:
        super().__init__()
        self.num_groups = _positive_int("GroupNorm", "num_groups", num_groups)
        self.num_channels = _positive_int("GroupNorm", "num_channels", num_channels)
        if self.num_channels % self.num_groups:
            raise ConfigError(f"GroupNorm: num_channels={num_channels} must be divisible by "
                              f"num_groups={num_groups}")
        d = layer_dtype("GroupNorm", dtype, device)
        self.eps, self.affine = eps, affine
        self._init_affine(self.num_channels, affine, bias, d)

    def reset_parameters(self) -> None:
        self._reset_affine()

    def _check_shape(self, shape: tuple) -> None:
        if len(shape) < 2 or shape[1] != self.num_channels:
            raise ShapeError(f"GroupNorm({self.num_groups}, {self.num_channels}): expected an input (N, C, *) "
                             f"with C={self.num_channels}, got shape {shape}")

    def forward(self, input):  # noqa: A002
        self._check_shape(tuple(input.shape))
        self._check_dtype(input)
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class LocalResponseNorm(_Pointwise):
    """y_c = x_c/(k + α/n·Σ x_{c'}²)^β over n = ``size`` neighbouring channels (AlexNet). Input (N, C, *)."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0) -> None:
        super().__init__()
        self.size = _positive_int("LocalResponseNorm", "size", size)
        self.alpha, self.beta, self.k = alpha, beta, k

    def _check_shape(self, shape: tuple) -> None:
        if len(shape) < 3:
            raise ShapeError(f"LocalResponseNorm({self.size}): expected an input (N, C, *) with at least 3 "
                             f"dimensions, got shape {shape}")

    def forward(self, input):  # noqa: A002
        self._check_shape(tuple(input.shape))
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def macs(self, input_shape):
        return self.size * math.prod(self.output_shape(input_shape))

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
