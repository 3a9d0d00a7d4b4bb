"""BatchNormalization and LayerNormalization with Keras's defaults (momentum 0.99, epsilon 1e-3).

BatchNormalization normalizes over every axis but ``axis`` (default −1, the channels of
channels_last data), through ``nn.BatchNorm1d/2d`` on the input with the channel axis moved
to position 1. Keras's momentum m (moving = m·moving + (1 − m)·batch) is PyTorch's 1 − m.
Weights: gamma, beta (trainable), moving_mean, moving_variance (non-trainable, counted in the
summary's non-trainable params). With ``trainable=False`` the layer runs in inference mode, as Keras.
The moving variance follows Keras (the biased batch variance): nn's update uses the unbiased one
(PyTorch's rule), so after it the excess (1 − m)·σ²_B/(n − 1) is taken off again.
"""

from __future__ import annotations

from ... import nn
from ...errors import ConfigError, ShapeError
from .. import initializers, regularizers
from .base import Layer, register
from .core import init_param

__all__ = ["BatchNormalization", "LayerNormalization"]


def _init_cfg(obj):
    return initializers.serialize_initializer(obj)


@register
class BatchNormalization(Layer):
    """y = γ·(x − μ)/√(σ² + ε) + β per channel; batch statistics in training, moving ones in inference."""

    supports_masking = True
    node_kwargs = {"mask": None}

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, **kwargs) -> None:
        super().__init__(**kwargs)
        if not center or not scale:
            raise ConfigError("BatchNormalization: center=False / scale=False are not supported")
        if isinstance(axis, (list, tuple)):
            if len(axis) != 1:
                raise ConfigError(f"BatchNormalization: one axis is supported, got {axis}")
            axis = axis[0]
        self.axis, self.momentum, self.epsilon = int(axis), float(momentum), float(epsilon)
        self.center, self.scale = center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def build(self, input_shape):
        rank = len(input_shape)
        if rank not in (2, 3, 4):
            raise ShapeError(f"BatchNormalization {self.name!r}: expected 2-D, 3-D or 4-D inputs, got "
                             f"{tuple(input_shape)}")
        self._axis = self.axis % rank
        c = input_shape[self._axis]
        if self._axis == 0 or c is None:
            raise ShapeError(f"BatchNormalization {self.name!r}: axis {self.axis} of {tuple(input_shape)} must be "
                             "a known, non-batch dimension")
        cls = nn.BatchNorm2d if rank == 4 else nn.BatchNorm1d
        self.bn = cls(int(c), eps=self.epsilon, momentum=1.0 - self.momentum, dtype=self.np_dtype)
        shape = (int(c),)
        init_param(self.bn.weight, self.gamma_initializer, shape)
        init_param(self.bn.bias, self.beta_initializer, shape)
        init_param(self.bn.running_mean, self.moving_mean_initializer, shape)
        init_param(self.bn.running_var, self.moving_variance_initializer, shape)
        self._add_weight("gamma", lambda: self.bn.weight)
        self._add_weight("beta", lambda: self.bn.bias)
        self._add_weight("moving_mean", lambda: self.bn.running_mean, trainable=False)
        self._add_weight("moving_variance", lambda: self.bn.running_var, trainable=False)
        self.built = True

    def call(self, inputs, training=None):
        training = self._is_training(training) and self.trainable
        moved = self._axis != 1
        nd = inputs.ndim
        perm = [0, self._axis] + [i for i in range(1, nd) if i != self._axis]
        x = inputs.permute(*perm) if moved else inputs
        was = self.bn.training
        self.bn.training = training
        before = self.bn.running_var.data.copy() if training else None
        try:
            y = self.bn(x)
        finally:
            self.bn.training = was
        if training:  # Keras updates with the biased batch variance; nn with the unbiased one (n/(n − 1))
            n = x.numel() // x.shape[1]
            rv = self.bn.running_var.data
            rv -= (rv - self.momentum * before) / n
        return y.permute(*[perm.index(i) for i in range(nd)]) if moved else y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def regularization_losses(self):
        out = []
        if self.gamma_regularizer is not None:
            out.append(self.gamma_regularizer(self.bn.weight))
        if self.beta_regularizer is not None:
            out.append(self.beta_regularizer(self.bn.bias))
        return out

    def get_config(self):
        return {**self._base_config(), "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale, "beta_initializer": _init_cfg(self.beta_initializer),
                "gamma_initializer": _init_cfg(self.gamma_initializer),
                "moving_mean_initializer": _init_cfg(self.moving_mean_initializer),
                "moving_variance_initializer": _init_cfg(self.moving_variance_initializer),
                "beta_regularizer": regularizers.serialize_regularizer(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize_regularizer(self.gamma_regularizer),
                "beta_constraint": None, "gamma_constraint": None, "synchronized": False, "renorm": False,
                "renorm_clipping": None, "renorm_momentum": 0.99}


@register
class LayerNormalization(Layer):
    """y = γ·(x − mean)/√(var + ε) + β over the last axis of each sample; gamma, beta (C,)."""

    supports_masking = True

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            axis = axis[0] if len(axis) == 1 else axis
        if axis != -1 and not isinstance(axis, int):
            raise ConfigError(f"LayerNormalization: only the last axis is supported, got axis={axis}")
        if rms_scaling or not center or not scale:
            raise ConfigError("LayerNormalization: rms_scaling=True, center=False and scale=False are not supported")
        self.axis, self.epsilon, self.center, self.scale, self.rms_scaling = axis, float(epsilon), center, scale, False
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def build(self, input_shape):
        if self.axis not in (-1, len(input_shape) - 1, [-1], [len(input_shape) - 1]):
            raise ConfigError(f"LayerNormalization {self.name!r}: only the last axis is supported, got "
                              f"axis={self.axis} for {tuple(input_shape)}")
        c = int(input_shape[-1])
        if isinstance(self.axis, int):  # Keras keeps the axis as a list once built
            self.axis = [self.axis]
        self.ln = nn.LayerNorm(c, eps=self.epsilon, dtype=self.np_dtype)
        init_param(self.ln.weight, self.gamma_initializer, (c,))
        init_param(self.ln.bias, self.beta_initializer, (c,))
        self._add_weight("gamma", lambda: self.ln.weight)
        self._add_weight("beta", lambda: self.ln.bias)
        self.built = True

    def call(self, inputs):
        return self.ln(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**self._base_config(), "axis": self.axis, "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale, "rms_scaling": False, "beta_initializer": _init_cfg(self.beta_initializer),
                "gamma_initializer": _init_cfg(self.gamma_initializer),
                "beta_regularizer": regularizers.serialize_regularizer(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize_regularizer(self.gamma_regularizer),
                "beta_constraint": None, "gamma_constraint": None}
