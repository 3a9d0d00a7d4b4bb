"""Core layers: InputLayer / Input, Dense, Activation, Embedding, Rescaling, Identity.

Dense holds an ``nn.Linear`` (weight (units, in)); its Keras kernel is the transpose (in, units).
Embedding holds an ``nn.Embedding`` whose weight already is Keras's (input_dim, output_dim).
"""

from __future__ import annotations

import numpy as np

from ... import nn
from ...autograd import no_grad
from ...errors import ConfigError, ShapeError
from .. import activations, initializers, regularizers
from ..backend import auto_name
from .base import KerasTensor, Layer, Node, register

__all__ = ["InputLayer", "Input", "Dense", "Activation", "Embedding", "Rescaling", "Identity", "ActivationMixin",
           "init_param"]


def init_param(param, initializer, keras_shape, to_storage=None) -> None:
    """Fill ``param`` with ``initializer`` drawn in the Keras layout ``keras_shape``, converted to storage."""
    value = initializer(tuple(keras_shape), str(param.dtype))
    if to_storage is not None:
        value = to_storage(value)
    with no_grad():
        param.data[...] = np.asarray(value, dtype=param.dtype).reshape(param.data.shape)


def _positive_int(layer, arg, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{layer}: {arg} must be a positive integer, got {value!r}")
    return int(value)


class ActivationMixin:
    """``activation=`` handling: the function, its Keras name, and the pre-activation path for fused losses."""

    def _set_activation(self, activation) -> None:
        self.activation = activations.get(activation)
        self.activation_name = activations.serialize(self.activation)
        self.final_activation = None if self.activation_name == "linear" else self.activation_name

    def _activate(self, y):
        return y if self.activation is activations.linear else self.activation(y)

    def call(self, inputs):
        return self._activate(self.call_without_activation(inputs))


@register
class InputLayer(Layer):
    """The input of a model: ``InputLayer(shape=(28, 28, 1))``; its ``output`` is the symbolic input tensor."""

    records_build_shape = False

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, input_tensor=None,
                 optional=False, name=None, ragged=None, input_shape=None, **kwargs) -> None:
        if shape is None and input_shape is not None:
            shape = input_shape
        if shape is None and batch_shape is None:
            raise ConfigError("InputLayer: give shape=(...) (without the batch dimension) or batch_shape=(...)")
        if batch_shape is None:
            if isinstance(shape, (int, np.integer)):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        if sparse or ragged:
            raise ConfigError("InputLayer: sparse and ragged inputs are not supported")
        super().__init__(name=name or auto_name("InputLayer"), dtype=None, **kwargs)
        self.batch_shape = tuple(None if s is None else int(s) for s in batch_shape)
        self.input_dtype = "float32" if dtype is None else str(np.dtype(dtype if not isinstance(dtype, dict)
                                                                    else dtype["config"]["name"]))
        self.built = True
        self._build_shape = None
        out = KerasTensor(self.batch_shape, self.input_dtype, name=self.name)
        Node(self, [], out)

    @property
    def shape(self) -> tuple:
        return self.batch_shape[1:]

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {"batch_shape": self.batch_shape, "dtype": self.input_dtype, "sparse": False, "ragged": False,
                "name": self.name, "optional": False}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None, tensor=None,  # noqa: N802
          optional=False):
    """``keras.Input(shape=(784,))``: a symbolic input tensor (batch dimension None)."""
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse, batch_shape=batch_shape,
                      name=name).output


@register
class Dense(ActivationMixin, Layer):
    """y = activation(x·W + b) on the last axis; kernel W (in, units), bias (units,); in·units + units params."""

    supports_masking = True

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.units = _positive_int("Dense", "units", units)
        self._set_activation(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ShapeError(f"Dense {self.name!r}: needs inputs (batch, ..., features) with a known last "
                             f"dimension, got {tuple(input_shape)}")
        n_in = int(input_shape[-1])
        self.linear = nn.Linear(n_in, self.units, bias=self.use_bias, dtype=self.np_dtype)
        init_param(self.linear.weight, self.kernel_initializer, (n_in, self.units), np.transpose)
        self._add_weight("kernel", lambda: self.linear.weight, np.transpose, np.transpose)
        if self.use_bias:
            init_param(self.linear.bias, self.bias_initializer, (self.units,))
            self._add_weight("bias", lambda: self.linear.bias)
        self.built = True

    def call_without_activation(self, inputs):
        return self.linear(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def regularization_losses(self):
        out = []
        if self.kernel_regularizer is not None:
            out.append(self.kernel_regularizer(self.linear.weight))
        if self.use_bias and self.bias_regularizer is not None:
            out.append(self.bias_regularizer(self.linear.bias))
        return out

    def get_config(self):
        return {**self._base_config(), "units": self.units, "activation": self.activation_name,
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize_initializer(self.kernel_initializer),
                "bias_initializer": initializers.serialize_initializer(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize_regularizer(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize_regularizer(self.bias_regularizer),
                "kernel_constraint": None, "bias_constraint": None, "quantization_config": None}


@register
class Activation(ActivationMixin, Layer):
    """Applies an activation by name: ``Activation('relu')``."""

    supports_masking = True
    records_build_shape = False

    def __init__(self, activation, **kwargs) -> None:
        super().__init__(**kwargs)
        self._set_activation(activation)
        self.built = True

    def call_without_activation(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**self._base_config(), "activation": self.activation_name}


@register
class Embedding(Layer):
    """Integer ids (batch, T) -> vectors (batch, T, output_dim); embeddings (input_dim, output_dim).

    ``mask_zero=True`` marks id 0 as padding: the mask is passed to the next layers (RNNs skip
    those steps), and input_dim must then count the padding id.
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 mask_zero=False, weights=None, **kwargs) -> None:
        kwargs.pop("input_length", None)
        super().__init__(**kwargs)
        self.input_dim = _positive_int("Embedding", "input_dim", input_dim)
        self.output_dim = _positive_int("Embedding", "output_dim", output_dim)
        if embeddings_initializer == "uniform":
            embeddings_initializer = "random_uniform"
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.mask_zero = bool(mask_zero)
        self._initial_weights = weights

    def build(self, input_shape=None):
        self.embedding = nn.Embedding(self.input_dim, self.output_dim, dtype=self.np_dtype)
        init_param(self.embedding.weight, self.embeddings_initializer, (self.input_dim, self.output_dim))
        self._add_weight("embeddings", lambda: self.embedding.weight)
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, inputs):
        ids = inputs if inputs.dtype.kind in "iu" else inputs.long()
        return self.embedding(ids)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        data = inputs.data if hasattr(inputs, "data") else np.asarray(inputs)
        return data != 0

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def compute_output_spec_dtype(self, input_dtype):
        return self.dtype_name

    def regularization_losses(self):
        return [] if self.embeddings_regularizer is None else [self.embeddings_regularizer(self.embedding.weight)]

    def get_config(self):
        return {**self._base_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize_initializer(self.embeddings_initializer),
                "embeddings_regularizer": regularizers.serialize_regularizer(self.embeddings_regularizer),
                "activity_regularizer": None, "embeddings_constraint": None, "mask_zero": self.mask_zero,
                "quantization_config": None}


@register
class Rescaling(Layer):
    """y = x·scale + offset (e.g. ``Rescaling(1/255)`` for pixel values)."""

    def __init__(self, scale, offset=0.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset
        self.built = True

    def call(self, inputs):
        x = inputs if inputs.dtype.kind == "f" else inputs.float()
        return x * self.scale + self.offset

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**self._base_config(), "scale": self.scale, "offset": self.offset}


@register
class Identity(Layer):
    """y = x."""

    supports_masking = True
    records_build_shape = False

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)
