"""Operations that move elements around without changing their values."""

from __future__ import annotations

import builtins

import numpy as np

from ..autograd.function import Function
from ..errors import ConfigError, DTypeError, IndexOutOfRangeError, ShapeError
from ..tensor import Tensor


def _sizes(args) -> tuple:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` alike."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    return tuple(int(a) for a in args)


def normalize_dim(dim: int, ndim: int, op: str) -> int:
    """A dimension index in ``[0, ndim)``, counting negatives from the end."""
    n = builtins.max(ndim, 1)
    if not isinstance(dim, (int, np.integer)):
        raise DTypeError(f"{op}: dim must be an int, got {dim!r}")
    if not -n <= dim < n:
        raise IndexOutOfRangeError(f"{op}: dim {dim} is out of range for a tensor with {ndim} dimensions "
                         f"(expected {-n} to {n - 1})")
    return dim % n


class Reshape(Function):
    """y = x with a new shape;   backward reshapes the gradient back"""

    def forward(self, x):
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise ShapeError(
                f"reshape: cannot view a tensor of shape {x.shape} ({x.size} elements) "
                f"as shape {self.shape}"
            ) from None

    def backward(self, g):
        return reshape(g, self.inputs[0].shape)


class Permute(Function):
    """y = x with axes reordered;   backward applies the inverse permutation"""

    def forward(self, x):
        return np.transpose(x, self.dims)

    def backward(self, g):
        return permute(g, *np.argsort(self.dims).tolist())


class BroadcastTo(Function):
    """y = x repeated along broadcast axes;   backward sums those axes"""

    def forward(self, x):
        try:
            return np.broadcast_to(x, self.shape)
        except ValueError:
            raise ShapeError(f"expand/broadcast_to: cannot broadcast shape {x.shape} to {self.shape}") from None

    def backward(self, g):
        return sum_to(g, self.inputs[0].shape)


class SumTo(Function):
    """y = x summed down to ``shape`` (undoes broadcasting);   backward broadcasts back"""

    def forward(self, x):
        shape = self.shape
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            i + lead for i, s in enumerate(shape) if s == 1 and x.shape[i + lead] != 1
        )
        out = x.sum(axis=axes, keepdims=True) if axes else x
        return out.reshape(shape)

    def backward(self, g):
        return broadcast_to(g, self.inputs[0].shape)


class Cast(Function):
    """y = x converted to another dtype;   backward converts the gradient back"""

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, g):
        return g.to(self.inputs[0].dtype)


class Clone(Function):
    """y = a copy of x;   dy/dx = 1"""

    def forward(self, x):
        return x.copy()

    def backward(self, g):
        return g


class Cat(Function):
    """y = inputs joined along ``dim``;   backward slices the gradient into pieces"""

    def forward(self, *xs):
        return np.concatenate(xs, axis=self.dim)

    def backward(self, g):
        grads, start = [], 0
        for x, need in zip(self.inputs, self.needs_input_grad):
            n = x.shape[self.dim]
            if need:
                index = (slice(None),) * self.dim + (slice(start, start + n),)
                grads.append(g[index])
            else:
                grads.append(None)
            start += n
        return tuple(grads)


class Flip(Function):
    """y = x reversed along ``dims``;   backward flips the gradient the same way"""

    def forward(self, x):
        return np.flip(x, self.dims).copy()

    def backward(self, g):
        return flip(g, self.dims)


class Tri(Function):
    """y = lower (tril) or upper (triu) triangle of x;   backward keeps the same triangle"""

    def forward(self, x):
        return np.tril(x, self.k) if self.lower else np.triu(x, self.k)

    def backward(self, g):
        return Tri.apply(g, k=self.k, lower=self.lower)


class ConstantPad(Function):
    """y = x surrounded by ``value``;   backward crops the gradient"""

    def forward(self, x):
        return np.pad(x, self.widths, mode="constant", constant_values=self.value)

    def backward(self, g):
        index = tuple(slice(lo, g.shape[i] - hi) for i, (lo, hi) in enumerate(self.widths))
        return g[index]


# ----------------------------------------------------------------------------- functions
def reshape(x, *shape):
    shape = _sizes(shape)
    if shape == x.shape:
        return x
    return Reshape.apply(x, shape=_resolve_shape(shape, x))


def _resolve_shape(shape, x):
    if shape.count(-1) > 1:
        raise ShapeError(f"reshape: only one dimension can be -1, got {shape}")
    if -1 in shape:
        known = int(np.prod([s for s in shape if s != -1]))
        if known == 0 or x.numel() % known:
            raise ShapeError(
                f"reshape: cannot view a tensor of shape {x.shape} ({x.numel()} elements) as shape {shape}"
            )
        shape = tuple(x.numel() // known if s == -1 else s for s in shape)
    return shape


def flatten(x, start_dim=0, end_dim=-1):
    if x.ndim == 0:
        return reshape(x, 1)
    s = normalize_dim(start_dim, x.ndim, "flatten")
    e = normalize_dim(end_dim, x.ndim, "flatten")
    if s > e:
        raise ShapeError(f"flatten: start_dim ({start_dim}) comes after end_dim ({end_dim})")
    shape = x.shape[:s] + (int(np.prod(x.shape[s:e + 1])),) + x.shape[e + 1:]
    return reshape(x, shape)


def squeeze(x, dim=None):
    if dim is None:
        return reshape(x, tuple(s for s in x.shape if s != 1))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    dims = {normalize_dim(d, x.ndim, "squeeze") for d in dims}
    return reshape(x, tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1)))


def unsqueeze(x, dim):
    d = normalize_dim(dim, x.ndim + 1, "unsqueeze")
    return reshape(x, x.shape[:d] + (1,) + x.shape[d:])


def permute(x, *dims):
    dims = _sizes(dims)
    if sorted(normalize_dim(d, x.ndim, "permute") for d in dims) != list(range(x.ndim)):
        raise ShapeError(f"permute: {dims} is not a permutation of the {x.ndim} dimensions of shape {x.shape}")
    dims = tuple(normalize_dim(d, x.ndim, "permute") for d in dims)
    if dims == tuple(range(x.ndim)):
        return x
    return Permute.apply(x, dims=dims)


def transpose(x, dim0, dim1):
    dims = list(range(x.ndim))
    a, b = normalize_dim(dim0, x.ndim, "transpose"), normalize_dim(dim1, x.ndim, "transpose")
    dims[a], dims[b] = dims[b], dims[a]
    return permute(x, *dims)


def broadcast_to(x, shape):
    shape = tuple(shape)
    if x.shape == shape:
        return x
    return BroadcastTo.apply(x, shape=shape)


def expand(x, *sizes):
    sizes = _sizes(sizes)
    if len(sizes) < x.ndim:
        raise ShapeError(f"expand: {len(sizes)} sizes given for a tensor with {x.ndim} dimensions")
    lead = len(sizes) - x.ndim
    shape = tuple(x.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
    return broadcast_to(x, shape)


def sum_to(x, shape):
    shape = tuple(shape)
    if x.shape == shape:
        return x
    return SumTo.apply(x, shape=shape)


def cast(x, dtype):
    if dtype.kind != "f":  # int and bool results carry no gradient (as in PyTorch)
        return Tensor._wrap(x.data.astype(dtype))
    return Cast.apply(x, dtype=dtype)


def clone(x):
    return Clone.apply(x)


def repeat(x, *sizes):
    """Tile ``x``: ``repeat(2, 3)`` on shape (a, b) gives (2a, 3b), as ``torch.Tensor.repeat``."""
    sizes = _sizes(sizes)
    if len(sizes) < x.ndim:
        raise ShapeError(f"repeat: {len(sizes)} repeat counts for a tensor with {x.ndim} dimensions; "
                         "give at least one per dimension")
    x = reshape(x, (1,) * (len(sizes) - x.ndim) + x.shape)
    # (s0, s1, ...) -> (1, s0, 1, s1, ...) -> (r0, s0, r1, s1, ...) -> (r0*s0, r1*s1, ...)
    inter = tuple(v for s in x.shape for v in (1, s))
    big = tuple(v for r, s in zip(sizes, x.shape) for v in (r, s))
    out = broadcast_to(reshape(x, inter), big)
    return reshape(out, tuple(r * s for r, s in zip(sizes, x.shape)))


def cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ShapeError("cat: expected a non-empty sequence of tensors")
    ref = tensors[0]
    if ref.ndim == 0:
        raise ShapeError("cat: tensor 0 is 0-d and cannot be concatenated; use stack, or unsqueeze it first")
    d = normalize_dim(dim, ref.ndim, "cat")
    for i, t in enumerate(tensors):
        if t.ndim != ref.ndim or t.shape[:d] + t.shape[d + 1:] != ref.shape[:d] + ref.shape[d + 1:]:
            raise ShapeError(
                f"cat: tensor {i} has shape {t.shape}, which does not match tensor 0's shape "
                f"{ref.shape} outside dim {d}"
            )
    return Cat.apply(*tensors, dim=d)


concatenate = cat


def stack(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ShapeError("stack: expected a non-empty sequence of tensors")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ShapeError(f"stack: tensor {i} has shape {t.shape}, expected {tensors[0].shape} like tensor 0")
    d = normalize_dim(dim, tensors[0].ndim + 1, "stack")
    return cat([unsqueeze(t, d) for t in tensors], d)


def split(x, split_size_or_sections, dim=0):
    d = normalize_dim(dim, x.ndim, "split")
    n = x.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise ConfigError(f"split: split_size must be positive, got {size}")
        sections = [builtins.min(size, n - s) for s in range(0, n, size)] or [0]
    else:
        sections = [int(s) for s in split_size_or_sections]
        if builtins.sum(sections) != n:
            raise ShapeError(f"split: sections {sections} sum to {builtins.sum(sections)}, "
                             f"but dim {d} has size {n}")
    out, start = [], 0
    for s in sections:
        out.append(x[(slice(None),) * d + (slice(start, start + s),)])
        start += s
    return tuple(out)


def chunk(x, chunks, dim=0):
    if chunks <= 0:
        raise ConfigError(f"chunk: chunks must be positive, got {chunks}")
    n = x.shape[normalize_dim(dim, x.ndim, "chunk")]
    if n == 0:  # as PyTorch: ``chunks`` empty pieces
        return split(x, [0] * chunks, dim)
    return split(x, -(-n // chunks), dim)


def flip(x, dims):
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    return Flip.apply(x, dims=tuple(normalize_dim(d, x.ndim, "flip") for d in dims))


def tril(x, diagonal=0):
    if x.ndim < 2:
        raise ShapeError(f"tril: expected at least 2 dimensions, got shape {x.shape}")
    return Tri.apply(x, k=diagonal, lower=True)


def triu(x, diagonal=0):
    if x.ndim < 2:
        raise ShapeError(f"triu: expected at least 2 dimensions, got shape {x.shape}")
    return Tri.apply(x, k=diagonal, lower=False)


def pad(x, pad, mode="constant", value=0.0):
    """Pad the last dimensions, PyTorch style: ``pad=(left, right, top, bottom, ...)``.

    ``mode`` is ``'constant'`` (fill with ``value``), ``'reflect'`` (mirror without
    repeating the edge), ``'replicate'`` (repeat the edge) or ``'circular'`` (wrap).
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ShapeError(f"pad: {pad} must hold a (before, after) pair for at most {x.ndim} "
                         f"dimensions of a tensor of shape {x.shape}")
    if builtins.any(p < 0 for p in pad):
        raise ConfigError(f"pad: negative padding {pad} is not supported; crop with slicing instead")
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]  # last dim first
    widths = [(0, 0)] * (x.ndim - len(pairs)) + pairs[::-1]
    if mode == "constant":
        return ConstantPad.apply(x, widths=tuple(widths), value=value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ConfigError(f"pad: unknown mode {mode!r}; expected 'constant', 'reflect', 'replicate' or 'circular'")
    from .indexing import index_select

    out = x
    for d, (lo, hi) in enumerate(widths):
        if lo == 0 and hi == 0:
            continue
        n = x.shape[d]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise ShapeError(f"pad: reflect padding ({lo}, {hi}) must be smaller than the "
                             f"size {n} of dimension {d} (shape {x.shape})")
        if mode == "circular" and (lo > n or hi > n):
            raise ShapeError(f"pad: circular padding ({lo}, {hi}) must not exceed the size {n} "
                             f"of dimension {d} (shape {x.shape})")
        idx = np.arange(-lo, n + hi)
        if mode == "reflect":
            idx = np.abs(idx)
            idx = np.where(idx > n - 1, 2 * (n - 1) - idx, idx)
        elif mode == "replicate":
            idx = np.clip(idx, 0, n - 1)
        else:
            idx = idx % n
        out = index_select(out, d, idx)
    return out
