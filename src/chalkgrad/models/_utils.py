"""Shared helpers of the model zoo: argument checks, parameter arithmetic, static chaining, init.

The parameter formulas (no module is built):

* Conv2d(c_in, c_out, k, groups=g): c_out·(c_in/g)·k_h·k_w weights + c_out biases;
* ConvTranspose2d(c_in, c_out, k, groups=g): c_in·(c_out/g)·k_h·k_w weights + c_out biases;
* BatchNorm2d(c): 2·c (γ and β; the running statistics are buffers, not parameters);
* Linear(n_in, n_out): n_out·n_in weights + n_out biases.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError


def check_positive_int(model: str, name: str, value) -> int:
    """``value`` as an int, or a ConfigError naming ``model`` and the argument ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{model}: {name} must be a positive integer (>= 1), got {value!r}")
    return int(value)


def check_probability(model: str, name: str, value) -> float:
    """``value`` in [0, 1), or a ConfigError naming ``model`` and the argument ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or not 0.0 <= float(value) < 1.0:
        raise ConfigError(f"{model}: {name} must be a probability in [0, 1), got {value!r}")
    return float(value)


def pair(v) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, (int, np.integer)) else (int(v[0]), int(v[1]))


# ---------------------------------------------------------------- parameter arithmetic
def conv_params(c_in: int, c_out: int, kernel_size, bias: bool = True, groups: int = 1) -> int:
    """c_out·(c_in/groups)·k_h·k_w + (c_out if bias)."""
    kh, kw = pair(kernel_size)
    return c_out * (c_in // groups) * kh * kw + (c_out if bias else 0)


def conv_transpose_params(c_in: int, c_out: int, kernel_size, bias: bool = True, groups: int = 1) -> int:
    """c_in·(c_out/groups)·k_h·k_w + (c_out if bias)."""
    kh, kw = pair(kernel_size)
    return c_in * (c_out // groups) * kh * kw + (c_out if bias else 0)


def bn_params(c: int) -> int:
    """2·c: the scale γ and the shift β of each channel."""
    return 2 * c


def linear_params(n_in: int, n_out: int, bias: bool = True) -> int:
    """n_out·n_in + (n_out if bias)."""
    return n_out * n_in + (n_out if bias else 0)


# ---------------------------------------------------------------- static chaining
def chain_output_shape(layers, input_shape) -> tuple:
    """Feed ``input_shape`` through ``layers`` one ``output_shape`` at a time."""
    shape = tuple(input_shape)
    for m in layers:
        shape = m.output_shape(shape)
    return shape


def chain_macs(layers, input_shape) -> int:
    """Sum of each layer's ``macs`` at the shape it receives."""
    total, shape = 0, tuple(input_shape)
    for m in layers:
        total += m.macs(shape)
        shape = m.output_shape(shape)
    return total


def check_image_shape(model: str, input_shape, channels: int) -> tuple:
    """A 4-d (N, C, H, W) shape with C == ``channels``, else a ShapeError naming the model."""
    from ..errors import ShapeError

    shape = tuple(int(s) for s in input_shape)
    if len(shape) != 4 or shape[1] != channels:
        raise ShapeError(f"{model}: expected an input of shape (N, {channels}, H, W), got {shape}")
    return shape


def compose_receptive_fields(layers):
    """Receptive field of ``layers`` applied one after another, from each layer's ``receptive_field()``.

    With r the field, j the jump (input pixels between neighbouring units) and p the
    offset so far, a layer of kernel k, stride s, padding q, dilation d gives
    k' = d·(k - 1) + 1,  r ← r + (k' - 1)·j,  p ← p + q·j,  j ← j·s.
    Returns ``"global"`` if a layer mixes every position, None if every layer is pointwise,
    else ``{"kernel", "stride", "padding", "dilation"}`` (the dilation of the composite is 1).
    For downsampling chains (convs, pools); upsampling layers (``"transposed"``) are not composed here.
    """
    r, j, p = [1, 1], [1, 1], [0, 0]
    any_window = False
    for m in layers:
        rf = m.receptive_field()
        if rf is None:
            continue
        if rf == "global":
            return "global"
        if rf.get("transposed"):
            raise ConfigError(f"compose_receptive_fields: {type(m).__name__} upsamples; compose only "
                              "convolutions and pools here (chalkgrad.nn.receptive_field handles both)")
        any_window = True
        kernel = rf.get("kernel", (1, 1))
        stride = rf.get("stride", (1,) * len(kernel))
        padding = rf.get("padding", (0,) * len(kernel))
        dilation = rf.get("dilation", (1,) * len(kernel))
        for a in range(2):
            k_eff = dilation[a] * (kernel[a] - 1) + 1
            r[a] += (k_eff - 1) * j[a]
            p[a] += padding[a] * j[a]
            j[a] *= stride[a]
    if not any_window:
        return None
    return {"kernel": tuple(r), "stride": tuple(j), "padding": tuple(p), "dilation": (1, 1)}


# ---------------------------------------------------------------- initialization
def torch_default_init_(module, generator) -> None:
    """Redraw every Conv/ConvTranspose/Linear as torch's defaults do, from ``generator``.

    Weight ~ U(±1/√fan_in) (kaiming_uniform_ with a = √5), bias ~ U(±1/√fan_in), where
    fan_in = weight.shape[1]·k_h·k_w (for a transposed conv torch uses the same rule on its
    (c_in, c_out/g, k_h, k_w) weight). Batch norms keep γ = 1, β = 0.
    """
    from ..nn import init

    for m in module.modules():
        w = m._parameters.get("weight")
        if w is None or w.ndim < 2:
            continue
        init.kaiming_uniform_(w, a=math.sqrt(5), generator=generator)
        b = m._parameters.get("bias")
        if b is not None:
            fan_in = int(np.prod(w.shape[1:]))
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(b, -bound, bound, generator=generator)


def as_generator(generator):
    """A chalkgrad Generator from None, an int seed, or a Generator."""
    from ..random import Generator

    if generator is None or isinstance(generator, Generator):
        return generator
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return Generator(int(generator))
    raise ConfigError(f"generator must be a chalkgrad.Generator, an int seed or None, got {generator!r}")
