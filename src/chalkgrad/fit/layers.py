"""Keras-named layers with lazy input shapes, channels-first, built on ``chalkgrad.nn`` modules.

``Dense(32, activation='relu')`` does not need to know its input size: it is *built* on its
first call (from the input's shape), by ``build(input_shape)``, or right away when given
``input_shape=`` (Keras's shape *without* the batch dimension) or ``input_dim=``. Building
creates ordinary ``chalkgrad.nn`` children (``Dense`` holds an ``nn.Linear`` named ``linear``
and its activation module named ``activation``), so ``state_dict()``, ``parameters()`` and
summaries work as for any module, and parameter counts equal Keras's
(Dense: in·units + units).

Initialization follows Keras, not PyTorch: kernels ``glorot_uniform``
(U(±√(6/(fan_in + fan_out)))), biases ``zeros``. Other initializer names:
glorot_normal, he_uniform, he_normal, lecun_uniform, lecun_normal, orthogonal,
random_uniform (±0.05), random_normal (σ 0.05), zeros, ones.

Images are channels-first (N, C, H, W) as in the rest of chalkgrad (Keras defaults to
channels-last). ``Conv1D/Conv2D``, pooling and ``BatchNormalization`` wrap ``nn.Conv1d``,
``nn.Conv2d``, ``nn.MaxPool2d``, ``nn.AvgPool2d`` and ``nn.BatchNorm1d/2d``; they raise a
ConfigError when built if that module is not available in this chalkgrad. ``Embedding``,
``SimpleRNN``, ``LSTM`` and ``GRU`` wrap ``nn.Embedding``, ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU``
(batch-first sequences (N, T, F), Keras's bias layout and initializers).

Every layer has ``get_config()`` and is registered by class name in
:data:`chalkgrad.fit.registry.LAYERS`, so ``load_model`` can rebuild a saved architecture;
a new layer only needs ``_build``, ``call`` and ``get_config`` and one ``LAYERS.register`` line.
"""

from __future__ import annotations

import math
import re

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..errors import ConfigError, ShapeError
from ..ops.shape import reshape
from ..tensor import Tensor
from .registry import ACTIVATIONS, LAYERS, get_activation

__all__ = [
    "Layer", "Input", "InputLayer", "Dense", "Activation", "Flatten", "Dropout", "Reshape",
    "Conv1D", "Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D",
    "BatchNormalization", "Embedding", "SimpleRNN", "LSTM", "GRU", "initialize",
]


# ---------------------------------------------------------------------------- initializers
def initialize(tensor: Tensor, name: str, generator=None) -> None:
    """Fill ``tensor`` in place with Keras initializer ``name`` (fans as torch: weight (out, in, *kernel))."""
    init = nn.init
    shape = tuple(tensor.shape)
    if len(shape) >= 2:
        fan_in, fan_out = init._calculate_fan_in_and_fan_out(tensor.data)
    else:
        fan_in = fan_out = shape[0] if shape else 1
    if name == "zeros":
        init.zeros_(tensor)
    elif name == "ones":
        init.ones_(tensor)
    elif name == "glorot_uniform":
        a = math.sqrt(6.0 / (fan_in + fan_out))
        init.uniform_(tensor, -a, a, generator)
    elif name in ("glorot_normal", "he_normal", "lecun_normal"):
        var = {"glorot_normal": 2.0 / (fan_in + fan_out), "he_normal": 2.0 / fan_in,
               "lecun_normal": 1.0 / fan_in}[name]
        std = math.sqrt(var) / 0.87962566103423978  # Keras: truncated at 2σ, rescaled to keep the variance
        init.trunc_normal_(tensor, 0.0, std, -2 * std, 2 * std, generator)
    elif name in ("he_uniform", "lecun_uniform"):
        a = math.sqrt((6.0 if name == "he_uniform" else 3.0) / fan_in)
        init.uniform_(tensor, -a, a, generator)
    elif name == "orthogonal":
        init.orthogonal_(tensor, 1.0, generator)
    elif name == "random_uniform":
        init.uniform_(tensor, -0.05, 0.05, generator)
    elif name == "random_normal":
        init.normal_(tensor, 0.0, 0.05, generator)
    else:
        raise ConfigError(f"unknown initializer {name!r}; valid names: glorot_uniform, glorot_normal, he_uniform, "
                          "he_normal, lecun_uniform, lecun_normal, orthogonal, random_uniform, random_normal, "
                          "zeros, ones")


_INITIALIZERS = ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
                 "orthogonal", "random_uniform", "random_normal", "zeros", "ones")


def _check_init(layer, arg, name):
    if name not in _INITIALIZERS:
        raise ConfigError(f"{layer}: unknown {arg} {name!r}; valid names: {', '.join(_INITIALIZERS)}")


# ---------------------------------------------------------------------------- base class
_counters: dict[str, int] = {}


def _auto_name(cls_name: str) -> str:
    base = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", cls_name).lower()
    base = re.sub(r"(\d)_d\b", r"\1d", base)  # Conv2D -> conv2d, as Keras
    n = _counters.get(base, 0)
    _counters[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


class Layer(nn.Module):
    """A Keras-style layer: built lazily from the first input shape, then an ordinary Module.

    Subclasses define ``_build(input_shape, dtype)`` (create child modules; shape includes the
    batch dimension), ``call(x)`` and ``get_config()``; ``compute_output_shape`` defaults to
    the children's static ``output_shape``.
    """

    def __init__(self, *, input_shape=None, input_dim=None, name: str | None = None) -> None:
        if "_parameters" not in self.__dict__:  # subclasses may have initialized the Module already
            super().__init__()
        self.built = False
        self.name = name or _auto_name(type(self).__name__)
        self.build_input_shape = None
        if input_dim is not None:
            input_shape = (int(input_dim),)
        self.declared_input_shape = None if input_shape is None else tuple(int(s) for s in input_shape)
        if self.declared_input_shape is not None:
            self.build((None,) + self.declared_input_shape)

    # -- building ------------------------------------------------------------------
    def build(self, input_shape, dtype=np.float32) -> None:
        """Create the parameters for inputs of ``input_shape`` (batch dim included; it may be None)."""
        if self.built:
            return
        shape = tuple(input_shape)
        self._build(shape, np.dtype(dtype))
        self.build_input_shape = shape
        self.built = True

    def _build(self, input_shape, dtype) -> None:
        """Create child modules (default: nothing to build)."""

    def forward(self, x):
        if not self.built:
            if not isinstance(x, Tensor):
                x = Tensor(np.asarray(x))
            self.build(x.shape, x.dtype if x.dtype.kind == "f" else np.float32)
        return self.call(x)

    def call(self, x):  # pragma: no cover - abstract
        raise NotImplementedError

    # -- final activation (for the stable loss path) -------------------------------
    #: The name of the activation applied last ('softmax', 'sigmoid'...), or None.
    final_activation: str | None = None

    def call_without_activation(self, x):
        """Forward pass without the final activation (its input, i.e. the logits)."""
        return self.call(x)

    # -- static arithmetic ---------------------------------------------------------
    def output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if not self.built:
            raise ShapeError(f"{self.name} ({type(self).__name__}): not built yet; call build({input_shape}) first")
        out = input_shape
        for child in self._modules.values():
            if child is not None:
                out = child.output_shape(out)
        return out

    def macs(self, input_shape):
        total, shape = 0, tuple(input_shape)
        for child in self._modules.values():
            if child is not None:
                total += child.macs(shape)
                shape = child.output_shape(shape)
        return total

    # -- config --------------------------------------------------------------------
    def get_config(self) -> dict:
        cfg = {"name": self.name}
        if self.declared_input_shape is not None:
            cfg["input_shape"] = list(self.declared_input_shape)
        return cfg

    @classmethod
    def from_config(cls, config: dict) -> Layer:
        return cls(**config)

    def extra_repr(self) -> str:
        return "" if self.built else "not built"


def _register(cls):
    LAYERS.register(cls.__name__, cls)
    return cls


def _act_name(activation):
    if activation is None:
        return None
    if isinstance(activation, str):
        name = ACTIVATIONS.canonical(activation)
        return None if name == "linear" else name
    raise ConfigError(f"activation must be a name such as 'relu' (valid: {', '.join(ACTIVATIONS.names())}), "
                      f"got {type(activation).__name__}")


class _WithActivation(Layer):
    """A layer whose main module is followed by an optional activation (Dense, Conv2D)."""

    def _set_activation(self, activation):
        self.activation_name = _act_name(activation)
        self.final_activation = self.activation_name

    def _add_activation(self):
        act = get_activation(self.activation_name)
        if act is not None:
            self.activation = act

    def call(self, x):
        y = self._main(x)
        act = self._modules.get("activation")
        return y if act is None else act(y)

    def call_without_activation(self, x):
        return self._main(x)


@_register
class Dense(_WithActivation):
    """y = activation(x·Wᵀ + b) on the last axis; W (units, in) is an ``nn.Linear``'s weight.

    Parameters: in·units + units (no bias: in·units). Keras init: glorot_uniform W, zero b.
    """

    def __init__(self, units: int, activation=None, use_bias: bool = True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", *, input_shape=None, input_dim=None, name=None) -> None:
        if not isinstance(units, (int, np.integer)) or units < 1:
            raise ConfigError(f"Dense: units must be a positive integer, got {units!r}")
        _check_init("Dense", "kernel_initializer", kernel_initializer)
        _check_init("Dense", "bias_initializer", bias_initializer)
        self.units, self.use_bias = int(units), bool(use_bias)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        nn.Module.__init__(self)  # so attributes can be set before Layer.__init__ builds
        self._set_activation(activation)
        Layer.__init__(self, input_shape=input_shape, input_dim=input_dim, name=name)

    def _build(self, input_shape, dtype):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ShapeError(f"Dense({self.units}): needs inputs (batch, ..., features) with a known last "
                             f"dimension, got {input_shape}")
        self.linear = nn.Linear(int(input_shape[-1]), self.units, bias=self.use_bias, dtype=dtype)
        with no_grad():
            initialize(self.linear.weight, self.kernel_initializer)
            if self.use_bias:
                initialize(self.linear.bias, self.bias_initializer)
        self._add_activation()

    def _main(self, x):
        return self.linear(x)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": self.activation_name,
                "use_bias": self.use_bias, "kernel_initializer": self.kernel_initializer,
                "bias_initializer": self.bias_initializer}

    def extra_repr(self) -> str:
        return f"units={self.units}" + ("" if self.built else ", not built")


@_register
class Activation(Layer):
    """Applies a named activation ('relu', 'softmax'... see chalkgrad.fit.registry.ACTIVATIONS)."""

    def __init__(self, activation, *, input_shape=None, name=None) -> None:
        nn.Module.__init__(self)
        self.activation_name = _act_name(activation)
        self.final_activation = self.activation_name
        act = get_activation(self.activation_name)
        Layer.__init__(self, input_shape=input_shape, name=name)
        if act is not None:
            self.activation = act
        self.built = True

    def call(self, x):
        act = self._modules.get("activation")
        return x if act is None else act(x)

    def call_without_activation(self, x):
        return x

    def output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "activation": self.activation_name or "linear"}


@_register
class InputLayer(Layer):
    """Declares the input shape (without the batch dimension) of a Sequential model; y = x."""

    def __init__(self, shape=None, *, input_shape=None, name=None) -> None:
        shape = shape if shape is not None else input_shape
        if shape is None:
            raise ConfigError("Input: shape is required, e.g. Input(shape=(64,))")
        nn.Module.__init__(self)
        self.shape = tuple(int(s) for s in shape)
        Layer.__init__(self, input_shape=self.shape, name=name)

    def call(self, x):
        if tuple(x.shape[1:]) != self.shape:
            raise ShapeError(f"Input: expected inputs of shape (batch, {', '.join(map(str, self.shape))}), "
                             f"got {tuple(x.shape)}")
        return x

    def output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {"name": self.name, "shape": list(self.shape)}


def Input(shape, name=None) -> InputLayer:  # noqa: N802 - Keras's name
    """``Input(shape=(64,))``: the input declaration of a Sequential model (batch dimension excluded)."""
    return InputLayer(shape, name=name)


@_register
class Flatten(Layer):
    """(N, d1, d2, ...) -> (N, d1·d2·...)."""

    def __init__(self, *, input_shape=None, name=None) -> None:
        nn.Module.__init__(self)
        self.flatten = nn.Flatten()
        Layer.__init__(self, input_shape=input_shape, name=name)
        self.built = True

    def call(self, x):
        return self.flatten(x)


@_register
class Reshape(Layer):
    """(N, ...) -> (N, *target_shape); one entry may be -1."""

    def __init__(self, target_shape, *, input_shape=None, name=None) -> None:
        nn.Module.__init__(self)
        self.target_shape = tuple(int(s) for s in target_shape)
        Layer.__init__(self, input_shape=input_shape, name=name)
        self.built = True

    def call(self, x):
        return reshape(x, (x.shape[0],) + self.target_shape)

    def output_shape(self, input_shape):
        n = int(np.prod(input_shape[1:]))
        known = int(np.prod([s for s in self.target_shape if s != -1]))
        shape = tuple(n // known if s == -1 else s for s in self.target_shape)
        if int(np.prod(shape)) != n:
            raise ShapeError(f"Reshape: cannot reshape {tuple(input_shape)} to (batch, {self.target_shape})")
        return (input_shape[0],) + shape

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


@_register
class Dropout(Layer):
    """Keras Dropout(rate): zeroes inputs with probability ``rate`` in training, scales the rest by 1/(1 − rate).

    ``seed`` gives the layer its own generator (reproducible masks); otherwise the global one is used.
    """

    def __init__(self, rate: float, noise_shape=None, seed: int | None = None, *, input_shape=None,
                 name=None) -> None:
        nn.Module.__init__(self)
        if noise_shape is not None:
            raise ConfigError("Dropout: noise_shape is not supported; use SpatialDropout2D-style nn.Dropout2d")
        from ..random import Generator

        self.rate, self.seed = float(rate), seed
        self.dropout = nn.Dropout(rate, generator=None if seed is None else Generator(seed))
        Layer.__init__(self, input_shape=input_shape, name=name)
        self.built = True

    def call(self, x):
        return self.dropout(x)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


# ---------------------------------------------------------------------------- conv family
def _nn_class(layer: str, name: str):
    cls = getattr(nn, name, None)
    if cls is None:
        raise ConfigError(f"{layer} needs chalkgrad.nn.{name}, which this version of chalkgrad does not have")
    return cls


def _tuple(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (int(v),) * n


class _Conv(_WithActivation):
    _dims = 2
    _nn_name = "Conv2d"

    def __init__(self, filters: int, kernel_size, strides=1, padding: str = "valid", dilation_rate=1,
                 activation=None, use_bias: bool = True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", *, input_shape=None, name=None) -> None:
        if padding not in ("valid", "same"):
            raise ConfigError(f"{type(self).__name__}: padding must be 'valid' or 'same', got {padding!r}")
        _check_init(type(self).__name__, "kernel_initializer", kernel_initializer)
        _check_init(type(self).__name__, "bias_initializer", bias_initializer)
        nn.Module.__init__(self)
        self.filters, self.padding, self.use_bias = int(filters), padding, bool(use_bias)
        self.kernel_size = _tuple(kernel_size, self._dims)
        self.strides = _tuple(strides, self._dims)
        self.dilation_rate = _tuple(dilation_rate, self._dims)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self._set_activation(activation)
        Layer.__init__(self, input_shape=input_shape, name=name)

    def _build(self, input_shape, dtype):
        if len(input_shape) != self._dims + 2:
            raise ShapeError(f"{type(self).__name__}: expected channels-first inputs with {self._dims + 2} dims "
                             f"(N, C, ...), got {input_shape}")
        cls = _nn_class(type(self).__name__, self._nn_name)
        if self.padding == "valid":
            pad = 0
        else:
            if any(s != 1 for s in self.strides):
                raise ConfigError(f"{type(self).__name__}: padding='same' needs strides 1, got {self.strides}")
            pad = "same"
        self.conv = cls(int(input_shape[1]), self.filters, self.kernel_size, stride=self.strides, padding=pad,
                        dilation=self.dilation_rate, bias=self.use_bias, dtype=dtype)
        with no_grad():
            initialize(self.conv.weight, self.kernel_initializer)
            if self.use_bias:
                initialize(self.conv.bias, self.bias_initializer)
        self._add_activation()

    def _main(self, x):
        return self.conv(x)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding, "dilation_rate": list(self.dilation_rate),
                "activation": self.activation_name, "use_bias": self.use_bias,
                "kernel_initializer": self.kernel_initializer, "bias_initializer": self.bias_initializer}


@_register
class Conv2D(_Conv):
    """2-D convolution over (N, C, H, W) (an ``nn.Conv2d`` with lazy in_channels) + optional activation."""


@_register
class Conv1D(_Conv):
    """1-D convolution over (N, C, L) (an ``nn.Conv1d`` with lazy in_channels) + optional activation."""

    _dims = 1
    _nn_name = "Conv1d"


class _Pool2D(Layer):
    _nn_name = "MaxPool2d"

    def __init__(self, pool_size=2, strides=None, padding: str = "valid", *, input_shape=None, name=None) -> None:
        if padding != "valid":
            raise ConfigError(f"{type(self).__name__}: only padding='valid' is supported, got {padding!r}")
        nn.Module.__init__(self)
        self.pool_size = _tuple(pool_size, 2)
        self.strides = self.pool_size if strides is None else _tuple(strides, 2)
        self.padding = padding
        Layer.__init__(self, input_shape=input_shape, name=name)

    def _build(self, input_shape, dtype):
        self.pool = _nn_class(type(self).__name__, self._nn_name)(self.pool_size, stride=self.strides)

    def call(self, x):
        return self.pool(x)

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size), "strides": list(self.strides),
                "padding": self.padding}


@_register
class MaxPooling2D(_Pool2D):
    """Max over pool_size windows of (N, C, H, W) (stride = pool_size by default)."""


@_register
class AveragePooling2D(_Pool2D):
    """Mean over pool_size windows of (N, C, H, W)."""

    _nn_name = "AvgPool2d"


@_register
class GlobalAveragePooling2D(Layer):
    """(N, C, H, W) -> (N, C): the mean of each feature map."""

    def __init__(self, *, input_shape=None, name=None) -> None:
        nn.Module.__init__(self)
        Layer.__init__(self, input_shape=input_shape, name=name)
        self.built = True

    def call(self, x):
        if x.ndim != 4:
            raise ShapeError(f"{type(self).__name__}: expected (N, C, H, W), got {tuple(x.shape)}")
        return x.mean((2, 3))

    def output_shape(self, input_shape):
        return tuple(input_shape[:2])


@_register
class GlobalMaxPooling2D(GlobalAveragePooling2D):
    """(N, C, H, W) -> (N, C): the max of each feature map."""

    def call(self, x):
        if x.ndim != 4:
            raise ShapeError(f"{type(self).__name__}: expected (N, C, H, W), got {tuple(x.shape)}")
        return x.amax((2, 3))


@_register
class BatchNormalization(Layer):
    """Batch norm over the channel axis 1 (an ``nn.BatchNorm1d`` for (N, C) / (N, C, L), ``BatchNorm2d`` for images).

    Keras's momentum m (running = m·running + (1 − m)·batch, default 0.99) becomes PyTorch's 1 − m;
    epsilon defaults to Keras's 1e-3.
    """

    def __init__(self, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True, scale: bool = True, *,
                 input_shape=None, name=None) -> None:
        nn.Module.__init__(self)
        if not center or not scale:
            raise ConfigError("BatchNormalization: center=False / scale=False are not supported")
        self.momentum, self.epsilon, self.center, self.scale = float(momentum), float(epsilon), center, scale
        Layer.__init__(self, input_shape=input_shape, name=name)

    def _build(self, input_shape, dtype):
        name = {2: "BatchNorm1d", 3: "BatchNorm1d", 4: "BatchNorm2d", 5: "BatchNorm3d"}.get(len(input_shape))
        if name is None:
            raise ShapeError(f"BatchNormalization: expected (N, C), (N, C, L) or (N, C, H, W), got {input_shape}")
        self.bn = _nn_class("BatchNormalization", name)(int(input_shape[1]), eps=self.epsilon,
                                                         momentum=1.0 - self.momentum, dtype=dtype)

    def call(self, x):
        return self.bn(x)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon}


# ---------------------------------------------------------------------------- embeddings and recurrent layers
@_register
class Embedding(Layer):
    """Integer ids (N, T) -> vectors (N, T, output_dim): an ``nn.Embedding`` with Keras's U(±0.05) init.

    Parameters: input_dim·output_dim. The model's input must be integers (int64).
    """

    expects_integer_input = True

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer="random_uniform", *,
                 input_shape=None, input_length=None, name=None) -> None:
        _check_init("Embedding", "embeddings_initializer", embeddings_initializer)
        nn.Module.__init__(self)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = embeddings_initializer
        if input_shape is None and input_length is not None:
            input_shape = (int(input_length),)
        Layer.__init__(self, input_shape=input_shape, name=name)
        self.embedding = _nn_class("Embedding", "Embedding")(self.input_dim, self.output_dim)
        with no_grad():
            initialize(self.embedding.weight, embeddings_initializer)
        self.built = True

    def call(self, x):
        return self.embedding(x)

    def output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "embeddings_initializer": self.embeddings_initializer}


class _Recurrent(Layer):
    """Keras-style recurrent layer over batch-first sequences (N, T, F) with lazy F.

    Wraps ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (``batch_first=True``). Keras's biases: LSTM and
    SimpleRNN have one bias per gate (``bias_style='single'``), GRU (Keras's ``reset_after=True``)
    two, as torch, so parameter counts equal Keras's. Init as Keras: kernel glorot_uniform,
    recurrent kernel orthogonal, bias zeros (LSTM: forget-gate bias 1, ``unit_forget_bias``).
    Returns the last step's output (N, units), or every step's (N, T, units) with ``return_sequences``.
    """

    _nn_name = "RNN"
    _bias_style = "single"
    _gates = 1

    def __init__(self, units: int, return_sequences: bool = False, *, input_shape=None, name=None,
                 **rnn_kwargs) -> None:
        nn.Module.__init__(self)
        if not isinstance(units, (int, np.integer)) or units < 1:
            raise ConfigError(f"{type(self).__name__}: units must be a positive integer, got {units!r}")
        self.units, self.return_sequences = int(units), bool(return_sequences)
        self.rnn_kwargs = rnn_kwargs
        Layer.__init__(self, input_shape=input_shape, name=name)

    def _build(self, input_shape, dtype):
        if len(input_shape) != 3:
            raise ShapeError(f"{type(self).__name__}({self.units}): expected sequences (batch, time, features), "
                             f"got {input_shape}")
        cls = _nn_class(type(self).__name__, self._nn_name)
        self.rnn = cls(int(input_shape[-1]), self.units, batch_first=True, bias_style=self._bias_style, dtype=dtype,
                       **self.rnn_kwargs)
        u = self.units
        with no_grad():
            for pname, p in self.rnn.named_parameters():
                if pname.startswith("weight_ih"):
                    initialize(p, "glorot_uniform")
                elif pname.startswith("weight_hh"):
                    for g in range(self._gates):  # orthogonal per gate block, as Keras's (units, units) blocks
                        block = Tensor(np.zeros((u, u), dtype=p.dtype))
                        initialize(block, "orthogonal")
                        p.data[g * u:(g + 1) * u] = block.data
                else:
                    p.data[...] = 0
                    if self._nn_name == "LSTM" and pname.startswith("bias_ih"):
                        p.data[u:2 * u] = 1.0  # gates i, f, g, o: forget-gate bias 1

    def call(self, x):
        out = self.rnn(x)[0]
        return out if self.return_sequences else out[:, -1]

    def output_shape(self, input_shape):
        n, t = input_shape[0], input_shape[1]
        return (n, t, self.units) if self.return_sequences else (n, self.units)

    def macs(self, input_shape):
        n, t, f = input_shape
        return int(n) * int(t) * self._gates * self.units * (int(f) + self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "return_sequences": self.return_sequences,
                **self.rnn_kwargs}


@_register
class SimpleRNN(_Recurrent):
    """h_t = tanh(x_t W + h_{t-1} U + b) (Keras's SimpleRNN; ``nonlinearity='relu'`` also accepted)."""


@_register
class LSTM(_Recurrent):
    """Keras's LSTM: gates i, f, g, o with one bias each; 4·(F·u + u·u + u) parameters."""

    _nn_name = "LSTM"
    _gates = 4


@_register
class GRU(_Recurrent):
    """Keras's GRU with ``reset_after=True`` (torch's formula, two biases); 3·(F·u + u·u + 2u) parameters."""

    _nn_name = "GRU"
    _bias_style = "torch"
    _gates = 3
