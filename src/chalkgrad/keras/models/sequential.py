"""``Sequential``: a linear stack of Keras layers (or any ``chalkgrad.nn`` modules).

As in Keras 3, ``model.layers`` leaves out the InputLayer. Once the input shape is known
(``Input(shape)`` / ``InputLayer`` first, ``input_shape=`` on the first layer, ``build()``, or
the first batch of data) the stack is connected symbolically: each layer is built from the
static shape (no batch is run, so BatchNormalization builds after anything) and gets its
``input``/``output`` tensors. Masks (``Embedding(mask_zero=True)``) flow to the next layers.
"""

from __future__ import annotations

from ... import nn
from ...errors import ConfigError, ShapeError
from ..backend import uniquify
from ..layers.base import Layer, _call_params, deserialize, register, serialize, set_parent
from ..layers.core import InputLayer
from .training import Model

__all__ = ["Sequential"]


@register
class Sequential(Model):
    """``Sequential([layers.Dense(64, activation='relu'), layers.Dense(10)])`` or ``.add(layer)``."""

    def __init__(self, layers=None, trainable=True, name=None, **kwargs) -> None:
        super().__init__(name=name, trainable=trainable, **kwargs)
        object.__setattr__(self, "_input_layer", None)  # not a child module: model.layers leaves it out
        self._count = 0
        for layer in layers or []:
            self.add(layer)

    # -- structure ------------------------------------------------------------------
    def add(self, layer) -> None:
        from ..layers.base import KerasTensor

        if isinstance(layer, KerasTensor):  # Sequential([keras.Input(...), ...])
            layer = layer._keras_history[0]
        if not isinstance(layer, nn.Module):
            raise ConfigError(f"Sequential.add: expected a layer, got {type(layer).__name__}")
        if isinstance(layer, InputLayer):
            if self._count or self._input_layer is not None:
                raise ConfigError("Sequential: an Input / InputLayer must come first")
            object.__setattr__(self, "_input_layer", layer)
            self._sample_shape = layer.batch_shape[1:]
            return
        if self._count == 0 and isinstance(layer, Layer) and layer._declared_input_shape is not None:
            self._sample_shape = tuple(layer._declared_input_shape)
        self.add_module(str(self._count), layer)
        if isinstance(layer, Layer):
            set_parent(layer, self)
        self._count += 1
        self.__dict__["_graph_built"] = False
        if self._sample_shape is not None:
            self.build((None,) + tuple(self._sample_shape))

    def pop(self):
        if not self._count:
            raise ConfigError("Sequential.pop: the model has no layers")
        self._count -= 1
        layer = self._modules.pop(str(self._count))
        self.__dict__["_graph_built"] = False
        if self._sample_shape is not None and self._count:
            self.build((None,) + tuple(self._sample_shape))
        return layer

    @property
    def layers(self) -> list:
        return list(self._modules.values())

    def _sublayers(self) -> list:
        return [m for m in self.layers if isinstance(m, Layer)]

    def _layer_list(self):
        return self.layers

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, i):
        return self.layers[i]

    # -- building -------------------------------------------------------------------
    @property
    def built(self) -> bool:
        return bool(self.__dict__.get("_graph_built"))

    @built.setter
    def built(self, value) -> None:
        self.__dict__["_graph_built"] = bool(value)

    def build(self, input_shape=None) -> None:
        """Connect the layers on a symbolic input of ``input_shape`` (batch dim None or included)."""
        if input_shape is None:
            if self._sample_shape is None:
                raise ConfigError(f"{self.name}.build(): give the input shape, e.g. build((None, 784))")
            input_shape = (None,) + tuple(self._sample_shape)
        shape = tuple(input_shape)
        if not shape or shape[0] is not None:  # one sample's shape (chalkgrad's older build((784,)))
            shape = (None,) + shape
        self._sample_shape = shape[1:]
        if self.built:
            return
        if any(not isinstance(m, Layer) for m in self.layers):  # plain nn modules: run a tiny batch
            self.__dict__["_graph_built"] = True
            self._dummy_forward((1,) + tuple(1 if s is None else s for s in self._sample_shape))
            return
        if self._input_layer is None or self._input_layer.batch_shape != shape:
            dtype = "int64" if self.layers and type(self.layers[0]).__name__ == "Embedding" else "float32"
            object.__setattr__(self, "_input_layer", InputLayer(batch_shape=shape, dtype=dtype))
        x = self._input_layer.output
        for layer in self.layers:
            x = layer(x)
        self.outputs = [x] if not isinstance(x, list) else x
        self.inputs = [self._input_layer.output]
        if not self.__dict__.get("_functional_named"):
            uniquify("functional")  # Keras 3 builds a Functional inside and counts its name
            self.__dict__["_functional_named"] = True
        self.__dict__["_graph_built"] = True

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self.layers:
            shape = layer.compute_output_shape(shape) if isinstance(layer, Layer) else layer.output_shape(shape)
        return shape

    @property
    def output(self):
        self._ensure_built(what="output")
        return self.outputs[0]

    @property
    def input(self):
        self._ensure_built(what="input")
        return self.inputs[0]

    # -- running --------------------------------------------------------------------
    def call(self, inputs, training=None, mask=None):
        return self._run(inputs, training, logits=False)

    def _forward_logits(self, x):
        return self._run(x, None, logits=True)

    def _run(self, x, training, logits):
        layers, mask = self.layers, None
        expected = None if self._input_layer is None else self._input_layer.batch_shape[1:]
        if expected is not None and not isinstance(x, (list, tuple)) and (
                len(x.shape) != len(expected) + 1 or any(e is not None and e != s for e, s in
                                                          zip(expected, x.shape[1:]))):
            shown = ", ".join(str(s) for s in expected)
            raise ShapeError(f"{self.name}: Input: expected inputs of shape (batch, {shown}), got {tuple(x.shape)}")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                x = layer(x)
                mask = None
                continue
            kwargs = {}
            params = _call_params(type(layer))
            if mask is not None and ("mask" in params or "**" in params):
                kwargs["mask"] = mask
            if training is not None and ("training" in params or "**" in params):
                kwargs["training"] = training
            if logits and i == len(layers) - 1:
                if not layer.built:
                    layer._maybe_build(tuple(x.shape))
                x = layer.call_without_activation(x)
                continue
            new_mask = layer.compute_mask(x, mask)
            x = layer(x, **kwargs)
            mask = new_mask
        return x

    def forward(self, inputs, training=None, mask=None):
        return self._run(inputs, training, logits=False)

    # -- config ---------------------------------------------------------------------
    def get_config(self) -> dict:
        """Keras 3's Sequential config: name, trainable, dtype, layers (InputLayer first), build_input_shape."""
        layers = []
        if self._input_layer is not None:
            layers.append(serialize(self._input_layer))
        for layer in self.layers:
            if not isinstance(layer, Layer):
                raise ConfigError(f"{self.name}.get_config(): layer {type(layer).__name__} is a plain chalkgrad.nn "
                                  "module, which has no Keras config; use Keras layers or save the weights only")
            item = serialize(layer)
            build = layer.get_build_config()
            if build is not None:
                item["build_config"] = build
            layers.append(item)
        cfg = {**self._base_config(), "layers": layers}
        if self._sample_shape is not None:
            cfg["build_input_shape"] = (None, *self._sample_shape)
        return cfg

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        items = config.pop("layers", [])
        if config.get("class_name") == "Sequential" and "config" in config:  # a whole serialized dict
            return cls.from_config(config["config"])
        build_shape = config.pop("build_input_shape", None)
        config.pop("class_name", None)
        dtype = config.pop("dtype", None)
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        del dtype
        for item in items:
            if item.get("class_name") == "InputLayer":
                layer = deserialize(item)
            else:
                layer = deserialize(item)
                if item.get("build_config") and not model.built and model._sample_shape is None:
                    layer.build_from_config(item["build_config"])
            model.add(layer)
        if not model.built and build_shape is not None:
            model.build(tuple(build_shape))
        return model
