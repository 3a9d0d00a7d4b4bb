"""Wrappers: Bidirectional (a forward and a backward copy of an RNN) and TimeDistributed (a layer per step)."""

from __future__ import annotations

from ...errors import ConfigError
from ...ops.shape import cat, flip, reshape
from .base import Layer, deserialize, register, serialize, set_parent

__all__ = ["Bidirectional", "TimeDistributed"]


@register
class Bidirectional(Layer):
    """Runs ``layer`` forwards and a copy backwards (``go_backwards``) and merges the two outputs.

    merge_mode: 'concat' (default), 'sum', 'mul', 'ave', or None (a list [forward, backward]).
    Sequence outputs of the backward copy are flipped back to forward time before merging.
    Weights: the forward layer's, then the backward one's.
    """

    node_kwargs = {"mask": None}

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(layer, dict):
            layer = deserialize(layer)
        if not isinstance(layer, Layer) or not hasattr(layer, "go_backwards"):
            raise ConfigError(f"Bidirectional: expected a recurrent layer (SimpleRNN, LSTM, GRU), got "
                              f"{type(layer).__name__}")
        if merge_mode not in ("concat", "sum", "mul", "ave", None):
            raise ConfigError(f"Bidirectional: merge_mode must be 'concat', 'sum', 'mul', 'ave' or None, "
                              f"got {merge_mode!r}")
        if layer.built:
            raise ConfigError("Bidirectional: the wrapped layer must not be built yet")
        self.merge_mode = merge_mode
        config = layer.get_config()
        config["name"] = "forward_" + layer.name
        if layer.return_sequences:  # Keras: masked steps of sequence outputs are zeros in both directions
            config["zero_output_for_mask"] = True
        self.forward_layer = type(layer).from_config(config)
        if backward_layer is None:
            config = dict(config, name="backward_" + layer.name, go_backwards=not layer.go_backwards)
            backward_layer = type(layer).from_config(config)
        elif isinstance(backward_layer, dict):
            backward_layer = deserialize(backward_layer)
        self.backward_layer = backward_layer
        for sub in (self.forward_layer, self.backward_layer):
            set_parent(sub, self)
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self._initial_weights = weights

    def _sublayers(self):
        return [self.forward_layer, self.backward_layer]

    def build(self, input_shape):
        self.forward_layer._maybe_build(tuple(input_shape))
        self.backward_layer._maybe_build(tuple(input_shape))
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def _merge(self, a, b):
        if self.merge_mode == "concat":
            return cat([a, b], -1)
        if self.merge_mode == "sum":
            return a + b
        if self.merge_mode == "mul":
            return a * b
        if self.merge_mode == "ave":
            return (a + b) / 2
        return [a, b]

    def call(self, inputs, mask=None, training=None):
        fw = self.forward_layer.call(inputs, mask=mask, training=training)
        bw = self.backward_layer.call(inputs, mask=mask, training=training)
        fs, bs = [], []
        if self.return_state:
            fw, fs = fw[0], fw[1:]
            bw, bs = bw[0], bw[1:]
        if self.return_sequences:
            bw = flip(bw, (1,))
        out = self._merge(fw, bw)
        if self.return_state:
            return (out if isinstance(out, list) else [out]) + list(fs) + list(bs)
        return out

    def compute_mask(self, inputs, mask=None):
        return mask if self.return_sequences else None

    def compute_output_shape(self, input_shape):
        out = self.forward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            out, states = out[0], out[1:]
        if self.merge_mode == "concat":
            merged = tuple(out[:-1]) + (out[-1] * 2,)
        elif self.merge_mode is None:
            merged = [tuple(out), tuple(out)]
        else:
            merged = tuple(out)
        if self.return_state:
            return (merged if isinstance(merged, list) else [merged]) + list(states) * 2
        return merged

    def get_config(self):
        return {**self._base_config(), "merge_mode": self.merge_mode, "layer": serialize(self.forward_layer),
                "backward_layer": serialize(self.backward_layer)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        layer = deserialize(config.pop("layer"))
        backward = config.pop("backward_layer", None)
        fw_name = layer.name
        if fw_name.startswith("forward_"):  # the saved forward copy: strip the prefix the wrapper adds again
            layer.name = fw_name[len("forward_"):]
        obj = cls(layer, backward_layer=None if backward is None else deserialize(backward), **config)
        return obj


@register
class TimeDistributed(Layer):
    """Applies ``layer`` to every step of (batch, T, ...): the steps are folded into the batch and back."""

    node_kwargs = {"mask": None}

    def __init__(self, layer, **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(layer, dict):
            layer = deserialize(layer)
        if not isinstance(layer, Layer):
            raise ConfigError(f"TimeDistributed: expected a Keras layer, got {type(layer).__name__}")
        self.layer = layer
        set_parent(layer, self)

    def _sublayers(self):
        return [self.layer]

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ConfigError(f"TimeDistributed {self.name!r}: inputs need at least 3 dims (batch, time, ...), "
                              f"got {tuple(input_shape)}")
        self.layer._maybe_build((None,) + tuple(input_shape[2:]))
        self.built = True

    def call(self, inputs, training=None):
        n, t = inputs.shape[0], inputs.shape[1]
        flat = reshape(inputs, (n * t,) + tuple(inputs.shape[2:]))
        y = self.layer(flat, training=training) if training is not None else self.layer(flat)
        return reshape(y, (n, t) + tuple(y.shape[1:]))

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape((None,) + tuple(input_shape[2:]))
        return (input_shape[0], input_shape[1]) + tuple(inner[1:])

    def get_config(self):
        return {**self._base_config(), "layer": serialize(self.layer)}


