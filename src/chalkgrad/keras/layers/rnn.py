"""Recurrent layers: SimpleRNN, LSTM, GRU (Keras 3 semantics over ``nn.RNN/LSTM/GRU``).

Inputs are batch-first sequences (batch, T, features). Keras weights (views of the nn module's):

* SimpleRNN: kernel (in, u), recurrent_kernel (u, u), bias (u,)
* LSTM: kernel (in, 4u), recurrent_kernel (u, 4u), bias (4u,), gates i, f, c, o (PyTorch's order,
  one bias per gate: ``bias_style='single'``); ``unit_forget_bias`` starts the f bias at 1
* GRU (``reset_after=True``): kernel (in, 3u), recurrent_kernel (u, 3u), bias (2, 3u) = the input
  and recurrent biases, gates z, r, h (PyTorch stores r, z, n: the blocks are reordered at the boundary)

``dropout`` multiplies the inputs by one mask per sequence (the same at every step), and
``recurrent_dropout`` the state entering the recurrent product, in training only; with
``recurrent_dropout`` the recurrence runs step by step (slower). A mask (from
``Embedding(mask_zero=True)``) makes masked steps keep the previous state and output, as
Keras: the valid steps of each sequence are moved to the front, run with ``lengths``, and the
outputs are spread back (masked positions repeat the previous output, zeros before the first).
``go_backwards`` reads the sequence reversed (and returns outputs in that order).
"""

from __future__ import annotations

import numpy as np

from ... import nn
from ...errors import ConfigError, ShapeError
from ...nn.rnn import _act, _cell_step
from ...ops.linalg import linear
from ...ops.shape import cat, flip, stack
from ...random import Generator
from ...tensor import Tensor
from .. import activations, initializers, regularizers
from .base import Layer, register

__all__ = ["SimpleRNN", "LSTM", "GRU"]

_ACTS = {"tanh": "tanh", "sigmoid": "sigmoid", "relu": "relu", "linear": "identity"}


def _act_name(layer, arg, value) -> str:
    name = activations.serialize(activations.get(value))
    if name not in _ACTS:
        raise ConfigError(f"{layer}: {arg} must be one of {', '.join(_ACTS)}, got {value!r}")
    return name


def _gru_blocks(a, axis):
    """Swap the first two gate blocks along ``axis`` (PyTorch r, z, n <-> Keras z, r, h)."""
    r, z, n = np.split(a, 3, axis=axis)
    return np.concatenate([z, r, n], axis=axis)


class _RNN(Layer):
    node_kwargs = {"mask": None}
    _mode = "RNN"
    _gates = 1

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, reset_after=True, zero_output_for_mask=False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        cls = type(self).__name__
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units < 1:
            raise ConfigError(f"{cls}: units must be a positive integer, got {units!r}")
        for arg, v in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0 <= v < 1:
                raise ConfigError(f"{cls}: {arg} must be in [0, 1), got {v!r}")
        if not reset_after:
            raise ConfigError("GRU: reset_after=False is not supported (Keras 3's default is True)")
        self.units = int(units)
        self.activation_name = _act_name(cls, "activation", activation)
        self.recurrent_activation_name = _act_name(cls, "recurrent_activation", recurrent_activation)
        self.use_bias, self.unit_forget_bias = bool(use_bias), bool(unit_forget_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.dropout, self.recurrent_dropout, self.seed = float(dropout), float(recurrent_dropout), seed
        self.generator = None if seed is None else Generator(seed)
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards = bool(go_backwards)

    # -- building ---------------------------------------------------------------
    def _nn_module(self, n_in):
        act, rec = _ACTS[self.activation_name], _ACTS[self.recurrent_activation_name]
        common = dict(bias=self.use_bias, batch_first=True, dtype=self.np_dtype)
        if self._mode == "LSTM":
            return nn.LSTM(n_in, self.units, gate_activation=rec, candidate_activation=act, cell_activation=act,
                           bias_style="single", **common)
        if self._mode == "GRU":
            return nn.GRU(n_in, self.units, gate_activation=rec, candidate_activation=act, bias_style="torch",
                          **common)
        return nn.RNN(n_in, self.units, nonlinearity=act, bias_style="single", **common)

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ShapeError(f"{type(self).__name__} {self.name!r}: expected sequences (batch, time, features) "
                             f"with known features, got {tuple(input_shape)}")
        n_in, u, g = int(input_shape[-1]), self.units, self._gates
        self.rnn = self._nn_module(n_in)
        gru = self._mode == "GRU"
        reorder = (lambda a, axis: _gru_blocks(a, axis)) if gru else (lambda a, axis: a)
        to_k = lambda a: reorder(a, 0).T  # noqa: E731 - (g·u, n) torch -> (n, g·u) Keras
        from_k = lambda v: reorder(np.asarray(v).T, 0)  # noqa: E731
        r = self.rnn
        kernel = self.kernel_initializer((n_in, g * u), str(self.np_dtype))
        rec = self.recurrent_initializer((u, g * u), str(self.np_dtype))
        r.weight_ih_l0.data[...] = from_k(kernel)
        r.weight_hh_l0.data[...] = from_k(rec)
        self._add_weight("kernel", lambda: r.weight_ih_l0, to_k, from_k)
        self._add_weight("recurrent_kernel", lambda: r.weight_hh_l0, to_k, from_k)
        if self.use_bias:
            if gru:
                bias = self.bias_initializer((2, g * u), str(self.np_dtype))
                r.bias_ih_l0.data[...] = reorder(bias[0], 0)
                r.bias_hh_l0.data[...] = reorder(bias[1], 0)
                self._add_weight("bias", lambda: [r.bias_ih_l0, r.bias_hh_l0],
                                 lambda arrs: np.stack([reorder(a, 0) for a in arrs]),
                                 lambda v: [reorder(np.asarray(v)[0], 0), reorder(np.asarray(v)[1], 0)])
            else:
                bias = self.bias_initializer((g * u,), str(self.np_dtype))
                if self._mode == "LSTM" and self.unit_forget_bias:
                    bias[u:2 * u] = 1.0
                r.bias_ih_l0.data[...] = bias
                self._add_weight("bias", lambda: r.bias_ih_l0)
        for w in self._keras_weights:
            w.scope = f"{type(self).__name__.lower().replace('simplernn', 'simple_rnn')}_cell"
        self.built = True

    # -- running ------------------------------------------------------------------
    def _dropout_mask(self, shape, rate, dtype):
        from ...random import get_generator

        rng = get_generator(self.generator)
        keep = (rng.random(shape) >= rate).astype(dtype) / (1.0 - rate)
        return Tensor(keep)

    def call(self, inputs, mask=None, training=None, initial_state=None):
        training = self._is_training(training)
        x = inputs
        if x.ndim != 3:
            raise ShapeError(f"{type(self).__name__} {self.name!r}: expected (batch, time, features), got "
                             f"{tuple(x.shape)}")
        if self.go_backwards:
            x = flip(x, (1,))
            mask = None if mask is None else np.asarray(mask)[:, ::-1]
        if training and self.dropout:
            x = x * self._dropout_mask((x.shape[0], 1, x.shape[2]), self.dropout, x.dtype)
        hx = self._initial(initial_state)
        if training and self.recurrent_dropout:
            out, states = self._stepwise(x, hx, mask)
        elif mask is not None and not np.asarray(mask).all():
            out, states = self._masked(x, hx, np.asarray(mask, dtype=bool))
        else:
            out, hn = self.rnn(x, hx)
            states = [s[0] for s in hn] if self._mode == "LSTM" else [hn[0]]
        last = states[0]
        y = out if self.return_sequences else last
        return [y, *states] if self.return_state else y

    def _initial(self, initial_state):
        if initial_state is None:
            return None
        states = initial_state if isinstance(initial_state, (list, tuple)) else [initial_state]
        states = [s if isinstance(s, Tensor) else Tensor(np.asarray(s)) for s in states]
        if self._mode == "LSTM":
            if len(states) != 2:
                raise ConfigError(f"LSTM {self.name!r}: initial_state must be [h, c], got {len(states)} tensors")
            return (states[0].unsqueeze(0), states[1].unsqueeze(0))
        return states[0].unsqueeze(0)

    def _masked(self, x, hx, mask):
        """Run only the valid steps of each sequence (moved to the front), then spread the outputs back."""
        n, t = mask.shape
        order = np.argsort(~mask, axis=1, kind="stable")
        rows = np.arange(n)[:, None]
        lengths = np.maximum(mask.sum(1), 1)
        packed = x[rows, order]
        out, hn = self.rnn(packed, hx, lengths=lengths)
        states = [s[0] for s in hn] if self._mode == "LSTM" else [hn[0]]
        if not self.return_sequences:
            return out, states
        zero = Tensor(np.zeros((n, 1, self.units), dtype=out.dtype))
        padded = cat([zero, out], 1)
        index = np.cumsum(mask, axis=1)  # 0: no valid step yet -> zeros
        if self.zero_output_for_mask:
            index = np.where(mask, index, 0)
        return padded[rows, index], states

    def _stepwise(self, x, hx, mask):
        """Step-by-step recurrence with a recurrent dropout mask on the state (training only)."""
        r, n, u = self.rnn, x.shape[0], self.units
        acts = r.acts
        w_ih, w_hh = r.weight_ih_l0, r.weight_hh_l0
        b_ih = getattr(r, "bias_ih_l0", None)
        b_hh = getattr(r, "bias_hh_l0", None)
        zeros = Tensor(np.zeros((n, u), dtype=x.dtype))
        if hx is None:
            h, c = zeros, (zeros if self._mode == "LSTM" else None)
        else:
            h, c = (hx[0][0], hx[1][0]) if self._mode == "LSTM" else (hx[0], None)
        rec_mask = self._dropout_mask((n, u), self.recurrent_dropout, x.dtype)
        xp = linear(x, w_ih, b_ih)
        outs = []
        for step in range(x.shape[1]):
            if self._mode == "GRU":  # dropout on the recurrent products only; the update uses h itself
                ah = linear(h * rec_mask, w_hh, b_hh)
                rz = _act(acts[0], xp[:, step, :2 * u] + ah[:, :2 * u])
                cand = _act(acts[1], xp[:, step, 2 * u:] + rz[:, :u] * ah[:, 2 * u:])
                h_new, c_new = cand + rz[:, u:] * (h - cand), None
            else:
                h_new, c_new = _cell_step(self._mode, acts, xp[:, step], h * rec_mask, c, w_hh, b_hh)
            if mask is not None:
                keep = Tensor(np.asarray(mask)[:, step:step + 1].astype(x.dtype))
                h_new = h_new * keep + h * (1 - keep)
                if c_new is not None:
                    c_new = c_new * keep + c * (1 - keep)
            h, c = h_new, c_new
            outs.append(h)
        states = [h, c] if self._mode == "LSTM" else [h]
        return stack(outs, 1), states

    def compute_mask(self, inputs, mask=None):
        return mask if self.return_sequences else None

    def compute_output_shape(self, input_shape):
        n, t = input_shape[0], input_shape[1]
        out = (n, t, self.units) if self.return_sequences else (n, self.units)
        if not self.return_state:
            return out
        return [out] + [(n, self.units)] * (2 if self._mode == "LSTM" else 1)

    def regularization_losses(self):
        out = []
        if not self.built:
            return out
        r = self.rnn
        for reg, t in ((self.kernel_regularizer, r.weight_ih_l0), (self.recurrent_regularizer, r.weight_hh_l0)):
            if reg is not None:
                out.append(reg(t))
        if self.use_bias and self.bias_regularizer is not None:
            out.append(self.bias_regularizer(r.bias_ih_l0))
        return out

    def get_config(self):
        cfg = {**self._base_config(), "return_sequences": self.return_sequences, "return_state": self.return_state,
               "go_backwards": self.go_backwards, "stateful": False, "unroll": False,
               "zero_output_for_mask": self.zero_output_for_mask,
               "units": self.units, "activation": self.activation_name}
        if self._mode != "RNN":
            cfg["recurrent_activation"] = self.recurrent_activation_name
        cfg.update({"use_bias": self.use_bias,
                    "kernel_initializer": initializers.serialize_initializer(self.kernel_initializer),
                    "recurrent_initializer": initializers.serialize_initializer(self.recurrent_initializer),
                    "bias_initializer": initializers.serialize_initializer(self.bias_initializer)})
        if self._mode == "LSTM":
            cfg["unit_forget_bias"] = self.unit_forget_bias
        cfg.update({"kernel_regularizer": regularizers.serialize_regularizer(self.kernel_regularizer),
                    "recurrent_regularizer": regularizers.serialize_regularizer(self.recurrent_regularizer),
                    "bias_regularizer": regularizers.serialize_regularizer(self.bias_regularizer),
                    "activity_regularizer": None, "kernel_constraint": None, "recurrent_constraint": None,
                    "bias_constraint": None, "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout})
        if self._mode == "GRU":
            cfg["reset_after"] = True
        if self._mode != "RNN":
            cfg["seed"] = self.seed
        return cfg


@register
class SimpleRNN(_RNN):
    """h_t = activation(x_t·kernel + h_{t−1}·recurrent_kernel + bias); u·(in + u + 1) parameters."""

    def __init__(self, units, activation="tanh", use_bias=True, **kwargs) -> None:
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)


@register
class LSTM(_RNN):
    """Keras's LSTM (gates i, f, c, o); 4·u·(in + u + 1) parameters."""

    _mode = "LSTM"
    _gates = 4


@register
class GRU(_RNN):
    """Keras's GRU with reset_after=True (gates z, r, h; two biases); 3·u·(in + u + 2) parameters."""

    _mode = "GRU"
    _gates = 3
