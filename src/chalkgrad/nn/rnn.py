"""Recurrent layers with PyTorch's names, weight layout and semantics.

``RNNCell``/``RNN`` (h' = φ(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh), φ = tanh or relu),
``LSTMCell``/``LSTM`` (gates stacked i, f, g, o) and ``GRUCell``/``GRU`` (r, z, n with
torch's n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))). Parameters are
``weight_ih_l{k}[_reverse]`` (G·H, in), ``weight_hh_l{k}[_reverse]`` (G·H, H),
``bias_ih_l{k}[_reverse]`` and ``bias_hh_l{k}[_reverse]`` (G·H,), all initialized
U(-1/√H, 1/√H) as torch, so a torch ``state_dict`` loads unchanged.

Options beyond torch (defaults are torch's):

* activations by argument instead of a new cell: ``RNN(nonlinearity=...)``;
  ``LSTM(gate_activation='sigmoid', candidate_activation='tanh', cell_activation='tanh')``
  (i, f, o use the gate activation, g the candidate one, and h = o ⊙ cell_activation(c));
  ``GRU(gate_activation='sigmoid', candidate_activation='tanh')`` (r, z; n). Each is one of
  'tanh', 'sigmoid', 'relu', 'identity' (alias 'linear') or a function of a Tensor
  (functions run the op-by-op path). E.g. a sigmoid candidate:
  ``LSTM(4, 8, candidate_activation='sigmoid')``; a linear hidden unit:
  ``LSTM(4, 8, cell_activation='identity')``; a ReLU RNN: ``RNN(4, 8, nonlinearity='relu')``.
* ``bias_style='single'``: one bias per gate (only ``bias_ih_l{k}``), as textbooks and
  Keras's LSTM/SimpleRNN write it; ``'torch'`` (default) keeps both b_ih and b_hh.
* ``forward(input, hx=None, lengths=None)``: ``lengths`` (one int per batch element) makes
  padded steps leave the state unchanged, so h_n (and c_n) is the state at each sequence's
  last valid step and outputs at padded positions are zeros, as ``pack_padded_sequence`` /
  ``pad_packed_sequence`` (with ``total_length`` = the input's length) give. The reverse
  direction of a bidirectional layer starts at each sequence's last valid step.
* ``fused=True`` (default): each layer and direction runs as one NumPy op
  (:mod:`chalkgrad.ops.rnn`); its gradient cannot be differentiated again (double backward
  raises a GradError). ``fused=False`` unrolls op by op (slower, twice differentiable).

Backpropagation through time runs over the whole sequence. For truncated BPTT, carry the
state between chunks and cut the graph with ``detach()``::

    h = None
    for chunk, target in chunks:               # chunk: (k, batch, features)
        out, (h, c) = lstm(chunk, h)
        loss = loss_fn(head(out), target)
        opt.zero_grad(); loss.backward(); opt.step()
        h = (h.detach(), c.detach())           # gradients stop at the chunk boundary

Static arithmetic: ``output_shape(input_shape)`` is the shape of ``output`` (the first
returned value); ``state_shape(input_shape)`` that of h_n (and c_n). ``macs`` counts the
matrix products, T·B·G·H·(in + H) per layer and direction. ``recurrent_param_count`` (and
``lstm_param_count``, ``gru_param_count``, ``rnn_param_count``) and ``solve_hidden_size``
answer parameter-count questions without building a layer.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError, DTypeError, ShapeError
from ..ops.elementwise import where
from ..ops.linalg import linear
from ..ops.rnn import FusedGRU, FusedLSTM, FusedRNN, activation_name
from ..ops.shape import cat, flip, stack
from ..random import get_generator
from ..tensor import Tensor
from . import init
from .module import Module, check_input_dtype, layer_dtype, positive_int
from .parameter import Parameter

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell",
           "recurrent_param_count", "lstm_param_count", "gru_param_count", "rnn_param_count",
           "solve_hidden_size"]

_GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}
_CELL_NAMES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


# ----------------------------------------------------------------------------- parameter counts
def _bias_count(bias: bool, bias_style: str, where_: str) -> int:
    if bias_style not in ("torch", "single"):
        raise ConfigError(f"{where_}: bias_style must be 'torch' (b_ih and b_hh) or 'single' (one bias per gate), "
                          f"got {bias_style!r}")
    return 0 if not bias else (2 if bias_style == "torch" else 1)


def _cell_key(cell, where_: str) -> str:
    key = _CELL_NAMES.get(str(cell).lower())
    if key is None:
        raise ConfigError(f"{where_}: cell must be 'rnn', 'lstm' or 'gru', got {cell!r}")
    return key


def recurrent_param_count(cell: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                          bias_style: str = "torch", bidirectional: bool = False) -> int:
    """Parameters of a recurrent layer, G gates (RNN 1, LSTM 4, GRU 3), D directions, n_b biases per gate::

        D · Σ_k G·(H·(in_k + H) + n_b·H),   in_0 = input_size, in_k = D·H for k ≥ 1

    n_b = 2 for ``bias_style='torch'`` (b_ih and b_hh), 1 for ``'single'``, 0 without bias.
    """
    key = _cell_key(cell, "recurrent_param_count")
    nb = _bias_count(bias, bias_style, "recurrent_param_count")
    g, h, d = _GATES[key], int(hidden_size), 2 if bidirectional else 1
    total = 0
    for k in range(int(num_layers)):
        n_in = int(input_size) if k == 0 else d * h
        total += d * g * (h * (n_in + h) + nb * h)
    return total


def lstm_param_count(input_size: int, hidden_size: int, bias_style: str = "torch", *, num_layers: int = 1,
                     bias: bool = True, bidirectional: bool = False) -> int:
    """LSTM parameters: 4·(h·(d+h) + 2h) with torch's two biases, 4·(h·(d+h) + h) with one (Keras)."""
    return recurrent_param_count("lstm", input_size, hidden_size, num_layers, bias, bias_style, bidirectional)


def gru_param_count(input_size: int, hidden_size: int, bias_style: str = "torch", *, num_layers: int = 1,
                    bias: bool = True, bidirectional: bool = False) -> int:
    """GRU parameters: 3·(h·(d+h) + 2h) with torch's two biases (= Keras's reset_after=True), 3·(h·(d+h) + h)."""
    return recurrent_param_count("gru", input_size, hidden_size, num_layers, bias, bias_style, bidirectional)


def rnn_param_count(input_size: int, hidden_size: int, bias_style: str = "torch", *, num_layers: int = 1,
                    bias: bool = True, bidirectional: bool = False) -> int:
    """Elman RNN parameters: h·(d+h) + 2h (torch), h·(d+h) + h (one bias, Keras's SimpleRNN)."""
    return recurrent_param_count("rnn", input_size, hidden_size, num_layers, bias, bias_style, bidirectional)


def solve_hidden_size(total: int, input_size: int, cell: str = "lstm", bias_style: str = "torch", *,
                      num_layers: int = 1, bias: bool = True, bidirectional: bool = False) -> int:
    """The hidden size H whose layer has exactly ``total`` parameters.

    The count is quadratic in H: total = a·H² + b·H with a = D·G·(1 + (L-1)(D+1)) and
    b = D·G·(d + n_b·L), so H = (-b + √(b² + 4a·total)) / (2a). Raises ConfigError
    naming the two nearest sizes when no integer H fits.
    """
    key = _cell_key(cell, "solve_hidden_size")
    nb = _bias_count(bias, bias_style, "solve_hidden_size")
    if isinstance(total, bool) or not isinstance(total, (int, np.integer)) or total < 0:
        raise ConfigError(f"solve_hidden_size: total must be a non-negative integer, got {total!r}")
    g, d, n_layers = _GATES[key], 2 if bidirectional else 1, int(num_layers)
    a = d * g * (1 + (n_layers - 1) * (d + 1))
    b = d * g * (int(input_size) + nb * n_layers)

    def count(h):
        return recurrent_param_count(key, input_size, h, n_layers, bias, bias_style, bidirectional)

    h = max(0, (math.isqrt(b * b + 4 * a * int(total)) - b) // (2 * a))
    while h > 0 and count(h) > total:
        h -= 1
    while count(h + 1) <= total:
        h += 1
    if count(h) == total:
        return h
    article = "a" if key == "GRU" else "an"
    raise ConfigError(f"solve_hidden_size: no integer hidden size gives {total} parameters for {article} {key} with "
                      f"input_size={input_size}, num_layers={n_layers}, bias_style={bias_style!r}"
                      f"{', bidirectional' if bidirectional else ''} (nearest: h={h} gives {count(h)}, "
                      f"h={h + 1} gives {count(h + 1)})")


# ----------------------------------------------------------------------------- shared helpers
def _act(a, x):
    if a == "tanh":
        return x.tanh()
    if a == "sigmoid":
        return x.sigmoid()
    if a == "relu":
        return x.relu()
    if a == "identity":
        return x
    return a(x)


def _cell_step(mode, acts, xp, h, c, w_hh, b_hh):
    """One step from the input projection xp = x W_ihᵀ + b_ih; returns (h', c') (c' None but for LSTM)."""
    H = h.shape[-1]
    ah = linear(h, w_hh, b_hh)
    if mode == "LSTM":
        a = xp + ah
        gate, cand, cell = acts
        ifo = _act(gate, a[..., :2 * H])
        o = _act(gate, a[..., 3 * H:])
        g = _act(cand, a[..., 2 * H:3 * H])
        c_new = ifo[..., H:] * c + ifo[..., :H] * g
        return o * _act(cell, c_new), c_new
    if mode == "GRU":
        gate, cand = acts
        rz = _act(gate, xp[..., :2 * H] + ah[..., :2 * H])
        z = rz[..., H:]
        n = _act(cand, xp[..., 2 * H:] + rz[..., :H] * ah[..., 2 * H:])
        return n + z * (h - n), None
    return _act(acts[0], xp + ah), None


_check_size = positive_int  # (where, argument, value) -> int, or a ConfigError


def _resolve_acts(mode, where_, nonlinearity, gate, cand, cell):
    if mode == "RNN":
        return (activation_name(nonlinearity, where_, "nonlinearity"),)
    if mode == "LSTM":
        return (activation_name(gate, where_, "gate_activation"), activation_name(cand, where_, "candidate_activation"),
                activation_name(cell, where_, "cell_activation"))
    return (activation_name(gate, where_, "gate_activation"), activation_name(cand, where_, "candidate_activation"))


def _act_repr(mode, acts) -> str:
    defaults = {"RNN": ("tanh",), "LSTM": ("sigmoid", "tanh", "tanh"), "GRU": ("sigmoid", "tanh")}[mode]
    names = {"RNN": ("nonlinearity",), "LSTM": ("gate_activation", "candidate_activation", "cell_activation"),
             "GRU": ("gate_activation", "candidate_activation")}[mode]
    out = ""
    for n, a, d in zip(names, acts, defaults):
        if a != d:
            out += f", {n}={getattr(a, '__name__', a) if callable(a) else a}"
    return out


def _float_input(where_: str, x, dtype):
    if not isinstance(x, Tensor):
        raise DTypeError(f"{where_}: input must be a chalkgrad Tensor, got {type(x).__name__}")
    check_input_dtype(where_, x, dtype)


def _state(where_: str, name: str, s, expected: tuple, dtype):
    if not isinstance(s, Tensor):
        raise DTypeError(f"{where_}: {name} must be a chalkgrad Tensor, got {type(s).__name__}")
    if tuple(s.shape) != expected:
        raise ShapeError(f"{where_}: {name} has shape {tuple(s.shape)}, expected {expected}")
    if s.dtype != dtype:
        raise DTypeError(f"{where_}: {name} has dtype {s.dtype}, expected {dtype} like the parameters")
    return s


def _lengths_array(where_: str, lengths, T: int, B: int) -> np.ndarray:
    arr = lengths.data if isinstance(lengths, Tensor) else np.asarray(lengths)
    if arr.dtype.kind not in "iu":
        raise DTypeError(f"{where_}: lengths must be integers (one per batch element), got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ShapeError(f"{where_}: lengths must be 1-D (one per batch element), got shape {arr.shape}")
    if arr.shape[0] != B:
        raise ShapeError(f"{where_}: {arr.shape[0]} lengths given for a batch of {B} sequences")
    if B and (arr.min() < 1 or arr.max() > T):
        bad = int(arr.min()) if arr.min() < 1 else int(arr.max())
        raise ShapeError(f"{where_}: lengths must be between 1 and the sequence length {T}, got {bad}")
    return arr.astype(np.int64)


# ----------------------------------------------------------------------------- layers
class RNNBase(Module):
    """Shared machinery of RNN, LSTM and GRU (see the module docstring)."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None, *, nonlinearity="tanh", gate_activation="sigmoid",
                 candidate_activation="tanh", cell_activation="tanh", bias_style: str = "torch", fused: bool = True,
                 generator=None) -> None:
        super().__init__()
        if mode == "RNN_RELU":  # torch's mode names for RNNBase
            nonlinearity = "relu"
        name = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(mode, mode)
        if name not in _GATES:
            raise ConfigError(f"RNNBase: mode must be 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU', got {mode!r}")
        self.mode = name
        where_ = type(self).__name__
        self.input_size = _check_size(where_, "input_size", input_size)
        self.hidden_size = _check_size(where_, "hidden_size", hidden_size)
        self.num_layers = _check_size(where_, "num_layers", num_layers)
        if self.num_layers < 1:
            raise ConfigError(f"{where_}: num_layers must be at least 1, got {num_layers}")
        if self.hidden_size < 1:
            raise ConfigError(f"{where_}: hidden_size must be positive, got {hidden_size}")
        if proj_size:
            raise ConfigError(f"{where_}: proj_size (LSTM with projections) is not supported, got {proj_size}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ConfigError(f"{where_}: dropout must be a number in [0, 1] (the probability of an element "
                              f"to be zeroed), got {dropout!r}")
        _bias_count(bias, bias_style, where_)
        dtype = layer_dtype(where_, dtype, device)
        self.bias, self.batch_first, self.bidirectional = bool(bias), bool(batch_first), bool(bidirectional)
        self.dropout, self.proj_size, self.bias_style, self.fused = float(dropout), 0, bias_style, bool(fused)
        self.acts = _resolve_acts(name, where_, nonlinearity, gate_activation, candidate_activation, cell_activation)
        self.nonlinearity = self.acts[0] if name == "RNN" else None
        g = _GATES[name] * self.hidden_size
        d = 2 if self.bidirectional else 1
        self._names = []
        for k in range(self.num_layers):
            n_in = self.input_size if k == 0 else d * self.hidden_size
            for sfx in ("", "_reverse")[:d]:
                names = [f"weight_ih_l{k}{sfx}", f"weight_hh_l{k}{sfx}"]
                self.register_parameter(names[0], Parameter(np.empty((g, n_in), dtype=dtype)))
                self.register_parameter(names[1], Parameter(np.empty((g, self.hidden_size), dtype=dtype)))
                if self.bias:
                    names.append(f"bias_ih_l{k}{sfx}")
                    self.register_parameter(names[2], Parameter(np.empty(g, dtype=dtype)))
                    if bias_style == "torch":
                        names.append(f"bias_hh_l{k}{sfx}")
                        self.register_parameter(names[3], Parameter(np.empty(g, dtype=dtype)))
                self._names.append(names)
        if self.dropout > 0 and self.num_layers == 1:
            import warnings

            warnings.warn(f"{where_}: dropout={dropout} acts between layers, so with num_layers=1 it does "
                          "nothing (as in PyTorch)", stacklevel=2)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        """Every weight and bias ~ U(-1/√H, 1/√H), in registration order (as torch)."""
        k = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -k, k, generator=generator)

    def flatten_parameters(self) -> None:
        """Nothing to do (torch packs cuDNN weights here); kept so torch code runs unchanged."""

    @property
    def all_weights(self) -> list:
        """[[w_ih, w_hh, b_ih, b_hh] per layer and direction], as torch."""
        return [[getattr(self, n) for n in names] for names in self._names]

    def _weights(self, idx):
        names = self._names[idx]
        w_ih, w_hh = getattr(self, names[0]), getattr(self, names[1])
        b_ih = getattr(self, names[2]) if len(names) > 2 else None
        b_hh = getattr(self, names[3]) if len(names) > 3 else None
        return w_ih, w_hh, b_ih, b_hh

    def _desc(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    # ------------------------------------------------------------------ forward
    def forward(self, input, hx=None, lengths=None):
        """(output, h_n) for RNN/GRU, (output, (h_n, c_n)) for LSTM.

        input: (T, B, in) ((B, T, in) if batch_first) or unbatched (T, in);
        hx: h0 (or (h0, c0)) of shape (D·num_layers, B, H) ((D·num_layers, H) unbatched), zeros if None;
        lengths: optional valid length of each sequence (1-D ints, 1 ≤ length ≤ T).
        output: (T, B, D·H) (batch_first: (B, T, D·H)); h_n, c_n: (D·num_layers, B, H).
        """
        where_ = self._desc()
        w0 = getattr(self, self._names[0][0])
        _float_input(where_, input, w0.dtype)
        if input.ndim not in (2, 3):
            n = self.input_size
            batched = f"(batch, seq_len, {n}) (batch_first)" if self.batch_first else f"(seq_len, batch, {n})"
            raise ShapeError(f"{where_}: expected an input of shape {batched} or unbatched (seq_len, {n}), "
                             f"got a tensor of shape {tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise ShapeError(f"{where_}: input of shape {tuple(input.shape)} has {input.shape[-1]} features, "
                             f"expected input_size={self.input_size}")
        unbatched = input.ndim == 2
        x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if self.batch_first else input)
        T, B = x.shape[0], x.shape[1]
        if T == 0:
            raise ShapeError(f"{where_}: the input sequence is empty (shape {tuple(input.shape)})")
        D, H, L = 2 if self.bidirectional else 1, self.hidden_size, self.num_layers
        lstm = self.mode == "LSTM"
        expected = (D * L, H) if unbatched else (D * L, B, H)
        h0 = c0 = None
        if hx is not None:
            if lstm:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise ShapeError(f"{where_}: hx must be a tuple (h0, c0) of tensors of shape {expected}, "
                                     f"got {type(hx).__name__}")
                h0 = _state(where_, "h0", hx[0], expected, w0.dtype)
                c0 = _state(where_, "c0", hx[1], expected, w0.dtype)
            else:
                if isinstance(hx, (tuple, list)):
                    raise ShapeError(f"{where_}: hx must be one tensor of shape {expected}, got a "
                                     f"{type(hx).__name__}")
                h0 = _state(where_, "h0", hx, expected, w0.dtype)
            if unbatched:
                h0 = h0.unsqueeze(1)
                c0 = c0.unsqueeze(1) if c0 is not None else None
        mask = rev = None
        if lengths is not None:
            if unbatched and np.ndim(lengths.data if isinstance(lengths, Tensor) else lengths) == 0:
                lengths = [int(lengths.item() if isinstance(lengths, Tensor) else lengths)]
            lens = _lengths_array(where_, lengths, T, B)
            if B and lens.min() < T:
                steps = np.arange(T)[:, None]
                mask = (steps < lens[None, :]).astype(x.dtype)[:, :, None]
                rev = (np.where(steps < lens[None, :], lens[None, :] - 1 - steps, steps), np.arange(B)[None, :])
        zeros = Tensor._wrap(np.zeros((B, H), dtype=x.dtype))
        use_fused = self.fused and not any(callable(a) for a in self.acts)
        h_n, c_n = [], []
        layer_in = x
        for k in range(L):
            outs = []
            for d in range(D):
                idx = k * D + d
                w_ih, w_hh, b_ih, b_hh = self._weights(idx)
                # one GEMM for every step's input projection (2-D: NumPy would loop over T for 3-D @ 2-D)
                xp = linear(layer_in.reshape(T * B, layer_in.shape[2]), w_ih, b_ih).reshape(T, B, w_ih.shape[0])
                if d == 1:
                    xp = flip(xp, (0,)) if rev is None else xp[rev]
                hk = zeros if h0 is None else h0[idx]
                ck = (zeros if c0 is None else c0[idx]) if lstm else None
                out, hn, cn = self._direction(use_fused, xp, hk, ck, w_hh, b_hh, mask)
                if d == 1:
                    out = flip(out, (0,)) if rev is None else out[rev]
                outs.append(out)
                h_n.append(hn)
                c_n.append(cn)
            layer_in = outs[0] if D == 1 else cat(outs, 2)
            if k < L - 1 and self.training and self.dropout > 0:
                layer_in = self._drop(layer_in)
        output = layer_in
        hN = stack(h_n, 0)
        cN = stack(c_n, 0) if lstm else None
        if unbatched:
            output = output.squeeze(1)
            hN = hN.squeeze(1)
            cN = cN.squeeze(1) if lstm else None
        elif self.batch_first:
            output = output.transpose(0, 1)
        return (output, (hN, cN)) if lstm else (output, hN)

    def _drop(self, x):
        p = self.dropout
        if p >= 1:
            return x * Tensor._wrap(np.zeros(x.shape, dtype=x.dtype))
        keep = get_generator(None).random(x.shape) >= p
        return x * Tensor._wrap((keep / (1 - p)).astype(x.dtype))

    def _direction(self, use_fused, xp, h, c, w_hh, b_hh, mask):
        """Run one direction over time from the input projections xp (T, B, G·H); (outputs, h_T, c_T)."""
        T = xp.shape[0]
        if use_fused:
            if self.mode == "LSTM":
                gate, cand, cell = self.acts
                Y = FusedLSTM.apply(xp, h, c, w_hh, b_hh, mask=mask, gate=gate, cand=cand, cell=cell)
                return Y[:T], Y[T], Y[T + 1]
            if self.mode == "GRU":
                Y = FusedGRU.apply(xp, h, w_hh, b_hh, mask=mask, gate=self.acts[0], cand=self.acts[1])
            else:
                Y = FusedRNN.apply(xp, h, w_hh, b_hh, mask=mask, act=self.acts[0])
            return Y[:T], Y[T], None
        outs = []
        bmask = None if mask is None else mask.astype(bool)
        for t in range(T):
            h_new, c_new = _cell_step(self.mode, self.acts, xp[t], h, c, w_hh, b_hh)
            if mask is None:
                h, c = h_new, c_new
                outs.append(h_new)
            else:
                outs.append(h_new * Tensor._wrap(mask[t]))
                h = where(bmask[t], h_new, h)
                c = where(bmask[t], c_new, c) if c is not None else None
        return stack(outs, 0), h, c

    # ------------------------------------------------------------------ static arithmetic
    def _seq_batch(self, input_shape):
        s = tuple(input_shape)
        if len(s) not in (2, 3) or s[-1] != self.input_size:
            raise ShapeError(f"{self._desc()}: input shape {s} must be (seq_len, batch, {self.input_size}), "
                             f"(batch, seq_len, {self.input_size}) with batch_first, or (seq_len, "
                             f"{self.input_size}) unbatched")
        if len(s) == 2:
            return s[0], None
        return (s[1], s[0]) if self.batch_first else (s[0], s[1])

    def output_shape(self, input_shape):
        """Shape of ``output`` (the first returned value): (T, B, D·H), (B, T, D·H) batch_first, (T, D·H) unbatched.

        The final states' shape is given by ``state_shape``.
        """
        T, B = self._seq_batch(input_shape)
        f = (2 if self.bidirectional else 1) * self.hidden_size
        if B is None:
            return (T, f)
        return (B, T, f) if self.batch_first else (T, B, f)

    def state_shape(self, input_shape):
        """Shape of h_n (and c_n): (D·num_layers, B, H), or (D·num_layers, H) for an unbatched input."""
        T, B = self._seq_batch(input_shape)
        n = (2 if self.bidirectional else 1) * self.num_layers
        return (n, self.hidden_size) if B is None else (n, B, self.hidden_size)

    def macs(self, input_shape):
        """Σ over layers and directions of T·B·G·H·(in_k + H): the input and recurrent matrix products."""
        T, B = self._seq_batch(input_shape)
        B = 1 if B is None else B
        d, h, g = 2 if self.bidirectional else 1, self.hidden_size, _GATES[self.mode]
        total = 0
        for k in range(self.num_layers):
            n_in = self.input_size if k == 0 else d * h
            total += d * T * B * g * h * (n_in + h)
        return total

    def receptive_field(self):
        """'global': each output depends on every earlier step (both directions when bidirectional)."""
        return "global"

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        s += _act_repr(self.mode, self.acts)
        if self.bias and self.bias_style != "torch":
            s += f", bias_style={self.bias_style!r}"
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = φ(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh), φ = ``nonlinearity`` ('tanh' or 'relu').

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False,
    dropout=0.0, bidirectional=False)`` as torch, plus ``bias_style``, ``fused``, ``generator``
    (see the module docstring; 'sigmoid', 'identity' or a function are accepted as nonlinearity too).
    Returns (output, h_n). Parameters: D·Σ_k (H·(in_k + H) + n_b·H).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity="tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None, *, bias_style: str = "torch", fused: bool = True, generator=None) -> None:
        super().__init__("RNN", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         0, device, dtype, nonlinearity=nonlinearity, bias_style=bias_style, fused=fused,
                         generator=generator)


class LSTM(RNNBase):
    """Long short-term memory (torch's gate order i, f, g, o)::

        [a_i, a_f, a_g, a_o] = x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh
        i, f, o = σ(a_i), σ(a_f), σ(a_o)     g = tanh(a_g)
        c_t = f ⊙ c_{t-1} + i ⊙ g            h_t = o ⊙ tanh(c_t)

    σ is ``gate_activation``, the tanh of g ``candidate_activation`` and the tanh of c
    ``cell_activation``. Returns (output, (h_n, c_n)). Parameters 4·(H·(in + H) + 2H) per
    layer and direction (4·(H·(in + H) + H) with ``bias_style='single'``).
    ``proj_size`` other than 0 is not supported.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None, *, gate_activation="sigmoid", candidate_activation="tanh",
                 cell_activation="tanh", bias_style: str = "torch", fused: bool = True, generator=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype, gate_activation=gate_activation,
                         candidate_activation=candidate_activation, cell_activation=cell_activation,
                         bias_style=bias_style, fused=fused, generator=generator)


class GRU(RNNBase):
    """Gated recurrent unit (torch's gates r, z, n)::

        r = σ(W_ir x + b_ir + W_hr h + b_hr)     z = σ(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))     h' = (1 - z) ⊙ n + z ⊙ h

    σ is ``gate_activation``, tanh ``candidate_activation``. With ``bias_style='single'``
    only b_ih exists (n = tanh(W_in x + b_in + r ⊙ W_hn h)). Returns (output, h_n).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, device=None,
                 dtype=None, *, gate_activation="sigmoid", candidate_activation="tanh", bias_style: str = "torch",
                 fused: bool = True, generator=None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         0, device, dtype, gate_activation=gate_activation,
                         candidate_activation=candidate_activation, bias_style=bias_style, fused=fused,
                         generator=generator)


# ----------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """One step of a recurrent layer: parameters weight_ih (G·H, in), weight_hh (G·H, H), bias_ih, bias_hh."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None, *,
                 nonlinearity="tanh", gate_activation="sigmoid", candidate_activation="tanh",
                 cell_activation="tanh", bias_style: str = "torch", generator=None) -> None:
        super().__init__()
        where_ = type(self).__name__
        self.mode = mode
        self.input_size = _check_size(where_, "input_size", input_size)
        self.hidden_size = _check_size(where_, "hidden_size", hidden_size)
        if self.hidden_size < 1:
            raise ConfigError(f"{where_}: hidden_size must be positive, got {hidden_size}")
        _bias_count(bias, bias_style, where_)
        dtype = layer_dtype(where_, dtype, device)
        self.bias, self.bias_style = bool(bias), bias_style
        self.acts = _resolve_acts(mode, where_, nonlinearity, gate_activation, candidate_activation, cell_activation)
        self.nonlinearity = self.acts[0] if mode == "RNN" else None
        g = _GATES[mode] * self.hidden_size
        self.weight_ih = Parameter(np.empty((g, self.input_size), dtype=dtype))
        self.weight_hh = Parameter(np.empty((g, self.hidden_size), dtype=dtype))
        if self.bias:
            self.bias_ih = Parameter(np.empty(g, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
        if self.bias and bias_style == "torch":
            self.bias_hh = Parameter(np.empty(g, dtype=dtype))
        else:
            self.register_parameter("bias_hh", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        """Every weight and bias ~ U(-1/√H, 1/√H) (as torch)."""
        k = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -k, k, generator=generator)

    def _desc(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def forward(self, input, hx=None):
        where_ = self._desc()
        _float_input(where_, input, self.weight_ih.dtype)
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ShapeError(f"{where_}: expected an input of shape (batch, {self.input_size}) or "
                             f"({self.input_size},), got a tensor of shape {tuple(input.shape)}")
        unbatched = input.ndim == 1
        x = input.unsqueeze(0) if unbatched else input
        B, H = x.shape[0], self.hidden_size
        expected = (H,) if unbatched else (B, H)
        lstm = self.mode == "LSTM"
        if hx is None:
            z = Tensor._wrap(np.zeros((B, H), dtype=x.dtype))
            h, c = z, (z if lstm else None)
        elif lstm:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise ShapeError(f"{where_}: hx must be a tuple (h, c) of tensors of shape {expected}")
            h = _state(where_, "h", hx[0], expected, x.dtype)
            c = _state(where_, "c", hx[1], expected, x.dtype)
            if unbatched:
                h, c = h.unsqueeze(0), c.unsqueeze(0)
        else:
            h = _state(where_, "hx", hx, expected, x.dtype)
            h, c = (h.unsqueeze(0) if unbatched else h), None
        xp = linear(x, self.weight_ih, self.bias_ih)
        h, c = _cell_step(self.mode, self.acts, xp, h, c, self.weight_hh, self.bias_hh)
        if unbatched:
            h = h.squeeze(0)
            c = c.squeeze(0) if lstm else None
        return (h, c) if lstm else h

    def output_shape(self, input_shape):
        """(B, H) for an input (B, in), (H,) for (in,); LSTMCell's c has the same shape as h."""
        s = tuple(input_shape)
        if len(s) not in (1, 2) or s[-1] != self.input_size:
            raise ShapeError(f"{self._desc()}: input shape {s} must be (batch, {self.input_size}) or "
                             f"({self.input_size},)")
        return s[:-1] + (self.hidden_size,)

    def macs(self, input_shape):
        """B·G·H·(in + H)."""
        s = self.output_shape(input_shape)
        b = s[0] if len(s) == 2 else 1
        return b * _GATES[self.mode] * self.hidden_size * (self.input_size + self.hidden_size)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        s += _act_repr(self.mode, self.acts)
        if self.bias and self.bias_style != "torch":
            s += f", bias_style={self.bias_style!r}"
        return s


class RNNCell(RNNCellBase):
    """h' = φ(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh), φ = ``nonlinearity`` ('tanh', 'relu', ...). Returns h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity="tanh", device=None,
                 dtype=None, *, bias_style: str = "torch", generator=None) -> None:
        super().__init__("RNN", input_size, hidden_size, bias, device, dtype, nonlinearity=nonlinearity,
                         bias_style=bias_style, generator=generator)


class LSTMCell(RNNCellBase):
    """One LSTM step (gates i, f, g, o; see LSTM). ``forward(x, (h, c))`` returns (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None, *,
                 gate_activation="sigmoid", candidate_activation="tanh", cell_activation="tanh",
                 bias_style: str = "torch", generator=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, bias, device, dtype, gate_activation=gate_activation,
                         candidate_activation=candidate_activation, cell_activation=cell_activation,
                         bias_style=bias_style, generator=generator)


class GRUCell(RNNCellBase):
    """One GRU step (gates r, z, n; see GRU). ``forward(x, h)`` returns h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None, *,
                 gate_activation="sigmoid", candidate_activation="tanh", bias_style: str = "torch",
                 generator=None) -> None:
        super().__init__("GRU", input_size, hidden_size, bias, device, dtype, gate_activation=gate_activation,
                         candidate_activation=candidate_activation, bias_style=bias_style, generator=generator)
