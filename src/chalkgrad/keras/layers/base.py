"""The Keras layer protocol over ``chalkgrad.nn``: ``Layer``, its weights, symbolic tensors and nodes.

A :class:`Layer` is an ``nn.Module`` whose parameters live in ``chalkgrad.nn`` children (an
``nn.Linear``, ``nn.Conv2d``...) in their PyTorch layouts; the Keras view of them is
``layer.weights``: :class:`KerasVariable` objects in Keras 3's order and layouts (Dense kernel
(in, out), Conv2D kernel (kh, kw, in, out)...), each converting at the boundary.

Calling a layer on a :class:`KerasTensor` (``keras.Input(shape=...)`` or another layer's
symbolic output) builds it from the static shape, computes the output shape without running
anything, and records a :class:`Node`; calling it on data runs it (building it from the
data's shape the first time). Subclasses define ``build(input_shape)`` (shapes include the
batch dimension, possibly None), ``call(inputs)``, ``compute_output_shape(input_shape)`` and
``get_config()``, and register with :func:`register`.
"""

from __future__ import annotations

import inspect
import math
import warnings

import numpy as np

from ... import nn
from ...autograd import no_grad
from ...errors import ConfigError, ShapeError
from ...tensor import Tensor
from ..backend import auto_name
from ..serialization import dtype_policy

__all__ = ["Layer", "KerasTensor", "KerasVariable", "Node", "register", "get_layer_class", "serialize",
           "deserialize", "is_symbolic", "LAYER_CLASSES"]

LAYER_CLASSES: dict[str, type] = {}


def register(cls):
    """Class decorator: make ``cls`` known to ``get_layer_class`` / ``deserialize`` by its class name."""
    from ..registry import LAYERS

    LAYER_CLASSES[cls.__name__] = cls
    LAYERS.register(cls.__name__, cls)
    return cls


def get_layer_class(class_name: str) -> type:
    """The chalkgrad.keras class for a Keras class name ('Conv2D', 'LSTM', 'Sequential'...)."""
    cls = LAYER_CLASSES.get(class_name)
    if cls is None:
        raise ConfigError(f"unknown Keras layer class {class_name!r}; chalkgrad.keras has: "
                          f"{', '.join(sorted(LAYER_CLASSES))}")
    return cls


def serialize(layer) -> dict:
    """Keras 3's ``{'module', 'class_name', 'config', 'registered_name'}`` dict of a layer."""
    module = "keras" if type(layer).__name__ in ("Sequential", "Functional", "Model") else "keras.layers"
    out = {"module": module, "class_name": type(layer).__name__, "config": layer.get_config(),
           "registered_name": None}
    build = layer.get_build_config() if layer.built else None
    if build is not None:
        out["build_config"] = build
    return out


def deserialize(config: dict):
    """A layer (or model) from its serialized dict."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ConfigError(f"a serialized layer must be a dict with 'class_name' and 'config', got {config!r}")
    return get_layer_class(config["class_name"]).from_config(dict(config.get("config") or {}))


# ---------------------------------------------------------------------------- symbolic tensors
class KerasTensor:
    """A symbolic tensor: static ``shape`` (batch None), ``dtype``, and the layer call that made it."""

    def __init__(self, shape, dtype="float32", name=None) -> None:
        self.shape = tuple(None if s is None else int(s) for s in shape)
        self.dtype = str(np.dtype(dtype))
        self.name = name
        self._keras_history = None  # (layer, node_index, tensor_index)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse=False, name={self.name}>"


def is_symbolic(x) -> bool:
    if isinstance(x, KerasTensor):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(isinstance(t, KerasTensor) for t in x)
    return False


def _flatten(x) -> list:
    if isinstance(x, (list, tuple)):
        out = []
        for item in x:
            out.extend(_flatten(item))
        return out
    if isinstance(x, dict):
        return _flatten(list(x.values()))
    return [x]


class Node:
    """One call of ``layer`` on symbolic inputs: ``input_tensors`` -> ``output_tensors``."""

    def __init__(self, layer, arguments, outputs) -> None:
        self.layer = layer
        self.arguments = arguments  # the input structure as given (one tensor or a list)
        self.input_tensors = [t for t in _flatten(arguments) if isinstance(t, KerasTensor)]
        self.output_tensors = _flatten(outputs)
        self.outputs = outputs
        self.node_index = len(layer._inbound_nodes)
        for i, t in enumerate(self.output_tensors):
            t._keras_history = (layer, self.node_index, i)
            if t.name is None:
                t.name = layer.name
        layer._inbound_nodes.append(self)

    @property
    def parent_nodes(self) -> list:
        return [t._keras_history[0]._inbound_nodes[t._keras_history[1]] for t in self.input_tensors]


# ---------------------------------------------------------------------------- weights
class KerasVariable:
    """One weight of a layer in Keras's layout; the values live in a chalkgrad Parameter or buffer.

    ``to_keras`` / ``from_keras`` convert between the storage layout and Keras's (identity when None).
    """

    def __init__(self, layer, name, tensor_fn, to_keras=None, from_keras=None, trainable=True) -> None:
        self._layer, self.name = layer, name
        self._tensor_fn, self._to, self._from = tensor_fn, to_keras, from_keras
        self._trainable = trainable
        self.scope = None  # an inner scope of the path, e.g. 'lstm_cell'

    @property
    def path(self) -> str:
        inner = f"{self.scope}/" if self.scope else ""
        return f"{self._layer.path}/{inner}{self.name}"

    @property
    def tensor(self):
        """The stored Tensor (or list of Tensors, when one Keras weight spans several)."""
        return self._tensor_fn()

    def _tensors(self) -> list:
        t = self.tensor
        return list(t) if isinstance(t, (list, tuple)) else [t]

    @property
    def trainable(self) -> bool:
        return self._trainable and self._layer.trainable

    def numpy(self) -> np.ndarray:
        t = self.tensor
        a = [x.data for x in t] if isinstance(t, (list, tuple)) else t.data
        return np.array(a if self._to is None else self._to(a))

    @property
    def value(self) -> np.ndarray:
        return self.numpy()

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    @property
    def shape(self) -> tuple:
        return tuple(self.numpy().shape)

    @property
    def dtype(self) -> str:
        return str(self._tensors()[0].dtype)

    def assign(self, value) -> None:
        value = np.asarray(value)
        if tuple(value.shape) != self.shape:
            raise ShapeError(f"{self.path}: expected a value of shape {self.shape} (Keras layout), "
                             f"got {tuple(value.shape)}")
        stored = value if self._from is None else self._from(value)
        tensors = self._tensors()
        parts = stored if isinstance(self.tensor, (list, tuple)) else [stored]
        for t, part in zip(tensors, parts):
            t.data[...] = np.asarray(part, dtype=t.dtype).reshape(t.data.shape)

    def __repr__(self) -> str:
        return f"<KerasVariable path={self.path}, shape={self.shape}, dtype={self.dtype}>"


# Keras config keys accepted for compatibility when they hold their default (no effect here).
_IGNORED_DEFAULTS = {
    "kernel_constraint": None, "bias_constraint": None, "recurrent_constraint": None, "depthwise_constraint": None,
    "pointwise_constraint": None, "embeddings_constraint": None, "beta_constraint": None, "gamma_constraint": None,
    "alpha_constraint": None, "quantization_config": None, "lora_rank": None, "lora_alpha": None,
    "autocast": True, "synchronized": False, "renorm": False, "renorm_clipping": None, "renorm_momentum": 0.99,
    "stateful": False, "unroll": False, "zero_output_for_mask": False, "sparse": False, "ragged": False,
    "optional": False, "input_length": None, "batch_size": None, "time_major": False, "activity_regularizer": None,
}


def _dtype_name(dtype) -> str:
    if dtype is None:
        return "float32"
    if isinstance(dtype, dict):
        return (dtype.get("config") or {}).get("name", "float32")
    name = str(np.dtype(dtype)) if not isinstance(dtype, str) else dtype
    if name not in ("float32", "float64", "int32", "int64"):
        raise ConfigError(f"layer dtype must be 'float32' or 'float64', got {dtype!r}")
    return name


class _BuildDeclared(type(nn.Module)):
    """Runs ``_build_declared`` once a layer's __init__ has finished (``Dense(4, input_shape=(8,))`` is built)."""

    def __call__(cls, *args, **kwargs):
        obj = super().__call__(*args, **kwargs)
        if isinstance(obj, Layer) and not getattr(obj, "_is_model", False):
            obj._build_declared()
        return obj


class Layer(nn.Module, metaclass=_BuildDeclared):
    """Base Keras layer: name, trainable, dtype, lazy build, symbolic calls, Keras weights and config."""

    #: True when the layer passes an incoming mask through unchanged (Dropout, Dense on sequences...).
    supports_masking = False
    #: Whether Keras writes a ``build_config`` for this class (False for layers Keras builds at init).
    records_build_shape = True
    #: The call keywords Keras writes into this class's inbound nodes (e.g. {'mask': None}).
    node_kwargs: dict = {}

    def __init__(self, *, name=None, trainable=True, dtype=None, input_shape=None, batch_input_shape=None,
                 input_dim=None, **kwargs) -> None:
        super().__init__()
        for key, value in kwargs.items():
            if key not in _IGNORED_DEFAULTS:
                raise ConfigError(f"{type(self).__name__}: unexpected argument {key}={value!r}")
            if value != _IGNORED_DEFAULTS[key] and not (key == "activity_regularizer" and value is None):
                raise ConfigError(f"{type(self).__name__}: {key}={value!r} is not supported by chalkgrad.keras "
                                  f"(only the default {_IGNORED_DEFAULTS[key]!r})")
        self.name = name or auto_name(type(self).__name__)
        self._trainable = bool(trainable)
        self.dtype_name = _dtype_name(dtype)
        self.built = False
        self._inbound_nodes: list[Node] = []
        self._keras_weights: list[KerasVariable] = []
        self._build_shape = None
        if input_dim is not None:
            input_shape = (int(input_dim),)
        if batch_input_shape is not None:
            input_shape = tuple(batch_input_shape)[1:]
        self._declared_input_shape = None if input_shape is None else tuple(input_shape)

    # -- trainable ------------------------------------------------------------------
    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for w in self._all_keras_weights():
            if w._trainable:
                for t in w._tensors():
                    t.requires_grad = self._trainable
        for m in self.modules():
            if isinstance(m, Layer) and m is not self:
                m._trainable = self._trainable

    # -- weights --------------------------------------------------------------------
    def _add_weight(self, name, tensor_fn, to_keras=None, from_keras=None, trainable=True) -> KerasVariable:
        v = KerasVariable(self, name, tensor_fn, to_keras, from_keras, trainable)
        self._keras_weights.append(v)
        if trainable and not self._trainable:
            for t in v._tensors():
                t.requires_grad = False
        return v

    @property
    def path(self) -> str:
        """'model/layer' style path of this layer (its parent's path, then its name)."""
        parent = self.__dict__.get("_parent_layer")
        return self.name if parent is None else f"{parent.path}/{self.name}"

    def _sublayers(self) -> list:
        """Layers whose weights follow this one's (Bidirectional's, TimeDistributed's, a model's)."""
        return []

    def _all_keras_weights(self) -> list:
        out = list(self._keras_weights)
        for layer in self._sublayers():
            out.extend(layer._all_keras_weights())
        return out

    @property
    def weights(self) -> list:
        """Keras 3's order: this layer's trainable weights, its non-trainable ones, then each sublayer's."""
        own = self._keras_weights
        out = [w for w in own if w.trainable] + [w for w in own if not w.trainable]
        for layer in self._sublayers():
            out.extend(layer.weights)
        return out

    @property
    def trainable_weights(self) -> list:
        return [w for w in self.weights if w.trainable]

    @property
    def non_trainable_weights(self) -> list:
        return [w for w in self.weights if not w.trainable]

    @property
    def variables(self) -> list:
        return self.weights

    def get_weights(self) -> list:
        """The weights as NumPy arrays in Keras layouts."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights) -> None:
        """Assign Keras-layout arrays (as many as ``weights``, same shapes)."""
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ConfigError(f"{self.name}.set_weights: the layer has {len(own)} weight arrays "
                              f"({', '.join(w.name for w in own) or 'none'}), got {len(weights)}")
        for w, value in zip(own, weights):
            w.assign(value)

    def count_params(self) -> int:
        if not self.built:
            raise ConfigError(f"{self.name}.count_params(): the layer is not built yet; call it on an input or "
                              "build(input_shape) first")
        return int(sum(math.prod(w.shape) for w in self.weights))

    # -- building -------------------------------------------------------------------
    def build(self, input_shape) -> None:
        """Create the weights for inputs of ``input_shape`` (default: nothing to create)."""
        self.built = True

    def _build_declared(self) -> None:
        """Build at once from ``input_shape=`` / ``input_dim=`` (called at the end of the subclasses' __init__)."""
        if self._declared_input_shape is not None and not self.built:
            self._maybe_build((None,) + tuple(self._declared_input_shape))

    def _maybe_build(self, input_shape) -> None:
        if not self.built:
            self.build(input_shape)
            self.built = True
            self._record_build_shape(input_shape)

    def _record_build_shape(self, input_shape) -> None:
        if self.records_build_shape and self._build_shape is None:
            self._build_shape = input_shape

    def get_build_config(self) -> dict | None:
        if self._build_shape is None:
            return None
        return {"input_shape": _shape_tuple_of(self._build_shape)}

    def build_from_config(self, config) -> None:
        if config and config.get("input_shape") is not None:
            self._maybe_build(_shape_tuple(config["input_shape"]))

    @property
    def np_dtype(self):
        return np.dtype(self.dtype_name if self.dtype_name.startswith("float") else "float32")

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape`` (batch included); default: run zeros through the layer."""
        if isinstance(input_shape, list):
            raise ConfigError(f"{type(self).__name__} does not define compute_output_shape for several inputs")
        probe = tuple(1 if s is None else s for s in input_shape)
        was = self.training
        self.eval()
        try:
            with no_grad():
                y = self.call(Tensor(np.zeros(probe, dtype=self.np_dtype)))
        finally:
            self.train(was)
        return (input_shape[0],) + tuple(y.shape[1:])

    def compute_output_spec_dtype(self, input_dtype) -> str:
        return self.dtype_name if self.dtype_name.startswith("float") else input_dtype

    def compute_mask(self, inputs, mask=None):
        return mask if self.supports_masking else None

    # -- calling --------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if not args:
            if "inputs" not in kwargs:
                raise ConfigError(f"{self.name}: call the layer on an input tensor")
            args = (kwargs.pop("inputs"),)
        inputs = args[0]
        if is_symbolic(inputs):
            return self._symbolic_call(inputs, *args[1:], **kwargs)
        if isinstance(inputs, (list, tuple)):
            inputs = [x if isinstance(x, Tensor) else Tensor(np.asarray(x)) for x in inputs]
        elif not isinstance(inputs, Tensor):
            inputs = Tensor(np.asarray(inputs, dtype=self.np_dtype if np.asarray(inputs).dtype.kind == "f"
                                       else None))
        if not self.built:
            self._maybe_build(_shape_of(inputs))
        kwargs = self._call_kwargs(kwargs)
        return super().__call__(inputs, *args[1:], **kwargs)

    def _call_kwargs(self, kwargs):
        accepted = _call_params(type(self))
        return {k: v for k, v in kwargs.items() if k in accepted or "**" in accepted}

    def forward(self, inputs, *args, **kwargs):
        return self.call(inputs, *args, **kwargs)

    def call(self, inputs):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.call")

    def _is_training(self, training=None) -> bool:
        return self.training if training is None else bool(training)

    def _symbolic_call(self, inputs, *args, **kwargs):
        shape = _shape_of(inputs)
        self._maybe_build(shape)
        self._record_build_shape(shape)
        out_shape = self.compute_output_shape(shape)
        in_dtype = (inputs[0] if isinstance(inputs, (list, tuple)) else inputs).dtype
        dtype = self.compute_output_spec_dtype(in_dtype)
        if isinstance(out_shape, list):
            outputs = [KerasTensor(s, dtype) for s in out_shape]
        else:
            outputs = KerasTensor(out_shape, dtype)
        Node(self, inputs, outputs)
        return outputs

    # -- graph attributes -----------------------------------------------------------
    def _node_attr(self, what):
        if not self._inbound_nodes:
            raise ConfigError(f"layer {self.name!r} has never been called on a symbolic input, so it has no "
                              f"defined {what}")
        node = self._inbound_nodes[0]
        tensors = node.arguments if what == "input" else node.outputs
        return tensors

    @property
    def input(self):
        return self._node_attr("input")

    @property
    def output(self):
        return self._node_attr("output")

    # -- static arithmetic for chalkgrad.nn.summary ----------------------------------
    def output_shape(self, input_shape):
        return self.compute_output_shape(tuple(input_shape))

    # -- config ---------------------------------------------------------------------
    def _base_config(self) -> dict:
        return {"name": self.name, "trainable": self.trainable, "dtype": dtype_policy(self.dtype_name)}

    def get_config(self) -> dict:
        return self._base_config()

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def extra_repr(self) -> str:
        return f"name={self.name}" + ("" if self.built else ", not built")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


_CALL_PARAMS: dict[type, set] = {}


def _call_params(cls) -> set:
    if cls not in _CALL_PARAMS:
        params = inspect.signature(cls.call).parameters
        names = set(params)
        if any(p.kind == p.VAR_KEYWORD for p in params.values()):
            names.add("**")
        _CALL_PARAMS[cls] = names
    return _CALL_PARAMS[cls]


def _shape_of(x):
    if isinstance(x, (list, tuple)):
        return [_shape_of(t) for t in x]
    if isinstance(x, KerasTensor):
        return x.shape
    return tuple(x.shape)


def _shape_tuple_of(shape):
    if isinstance(shape, list):
        return [_shape_tuple_of(s) for s in shape]
    return tuple(None if s is None else int(s) for s in shape)


def _shape_list(shape):
    if isinstance(shape, list):
        return [_shape_list(s) for s in shape]
    return [None if s is None else int(s) for s in shape]


def _shape_tuple(shape):
    if shape and isinstance(shape[0], (list, tuple)):
        return [tuple(s) for s in shape]
    return tuple(shape)


def warn_unused(layer: str, what: str) -> None:
    warnings.warn(f"{layer}: {what}", stacklevel=3)


def set_parent(child: Layer, parent) -> None:
    """Record ``parent`` for weight paths without making it a child module (no cycle in the module tree)."""
    object.__setattr__(child, "_parent_layer", parent)
