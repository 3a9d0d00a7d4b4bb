"""Layers with a twin of the same name in ``torch.nn``: which constructor arguments define them.

Both libraries keep a layer's constructor arguments as attributes of the same names
(``Conv2d.kernel_size``, ``LSTM.batch_first``...) and name parameters and buffers the same
way (``weight``, ``running_mean``, ``weight_ih_l0_reverse``...). So one table serves both
directions: read the arguments from the source layer, build the target layer of the same
class name with them, then load the source's state_dict into it.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConversionError
from ._torch import to_numpy, to_torch_tensor

#: ``bias`` as a constructor flag: True when the layer has a bias parameter.
HAS_BIAS = "bias?"

_CONV = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", HAS_BIAS,
         "padding_mode")
_CONV_T = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding", "groups",
           HAS_BIAS, "dilation")
_NORM = ("num_features", "eps", "momentum", "affine", "track_running_stats")
_MAXPOOL = ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode")
_AVGPOOL = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad")
_RNN = ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional")
_INPLACE = ("inplace",)
_DROPOUT = ("p", "inplace")

#: class name -> the constructor arguments that define a layer (read as attributes of the same name).
LAYER_ARGS = {
    "Linear": ("in_features", "out_features", HAS_BIAS),
    "Identity": (),
    "Flatten": ("start_dim", "end_dim"),
    "Unflatten": ("dim", "unflattened_size"),
    "Conv1d": _CONV, "Conv2d": _CONV,
    "ConvTranspose1d": _CONV_T, "ConvTranspose2d": _CONV_T,
    "Unfold": ("kernel_size", "dilation", "padding", "stride"),
    "Fold": ("output_size", "kernel_size", "dilation", "padding", "stride"),
    "ReLU": _INPLACE, "ReLU6": _INPLACE, "SELU": _INPLACE, "SiLU": _INPLACE, "Mish": _INPLACE,
    "Hardsigmoid": _INPLACE, "Hardswish": _INPLACE,
    "Hardtanh": ("min_val", "max_val", "inplace"),
    "LeakyReLU": ("negative_slope", "inplace"),
    "PReLU": ("num_parameters", "init"),
    "ELU": ("alpha", "inplace"), "CELU": ("alpha", "inplace"),
    "GELU": ("approximate",),
    "Softplus": ("beta", "threshold"),
    "Softsign": (), "Sigmoid": (), "Tanh": (),
    "Softmax": ("dim",), "LogSoftmax": ("dim",),
    "Dropout": _DROPOUT, "Dropout1d": _DROPOUT, "Dropout2d": _DROPOUT, "Dropout3d": _DROPOUT,
    "AlphaDropout": _DROPOUT, "FeatureAlphaDropout": _DROPOUT,
    "BatchNorm1d": _NORM, "BatchNorm2d": _NORM, "InstanceNorm1d": _NORM, "InstanceNorm2d": _NORM,
    "LayerNorm": ("normalized_shape", "eps", "elementwise_affine", HAS_BIAS),
    "GroupNorm": ("num_groups", "num_channels", "eps", "affine"),
    "LocalResponseNorm": ("size", "alpha", "beta", "k"),
    "MaxPool1d": _MAXPOOL, "MaxPool2d": _MAXPOOL,
    "AvgPool1d": _AVGPOOL, "AvgPool2d": _AVGPOOL + ("divisor_override",),
    "MaxUnpool1d": ("kernel_size", "stride", "padding"), "MaxUnpool2d": ("kernel_size", "stride", "padding"),
    "AdaptiveAvgPool1d": ("output_size",), "AdaptiveAvgPool2d": ("output_size",),
    "AdaptiveMaxPool1d": ("output_size", "return_indices"), "AdaptiveMaxPool2d": ("output_size", "return_indices"),
    "Upsample": ("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor"),
    "UpsamplingNearest2d": ("size", "scale_factor"), "UpsamplingBilinear2d": ("size", "scale_factor"),
    "PixelShuffle": ("upscale_factor",), "PixelUnshuffle": ("downscale_factor",),
    "Embedding": ("num_embeddings", "embedding_dim", "padding_idx", "max_norm", "norm_type", "scale_grad_by_freq"),
    "RNN": _RNN + ("nonlinearity",), "LSTM": _RNN + ("proj_size",), "GRU": _RNN,
    "RNNCell": ("input_size", "hidden_size", "bias", "nonlinearity"),
    "LSTMCell": ("input_size", "hidden_size", "bias"), "GRUCell": ("input_size", "hidden_size", "bias"),
}


def where(path: str, module) -> str:
    """'features.3 (Conv2d)': how messages name a module."""
    return f"{path or '<root>'} ({type(module).__module__}.{type(module).__name__})"


def _chalkgrad_only_options(module, path: str) -> None:
    """Refuse chalkgrad options that torch's layer of the same name does not have."""
    name = type(module).__name__
    if name in ("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"):
        default = type(module)(1, 1, **({"nonlinearity": module.nonlinearity} if "RNN" in name else {}))
        if module.bias_style != "torch" or tuple(module.acts) != tuple(default.acts):
            raise ConversionError(f"to_torch: {where(path, module)} uses chalkgrad-only options (activations "
                                  f"{tuple(module.acts)}, bias_style={module.bias_style!r}); torch.nn.{name} "
                                  f"has only the defaults {tuple(default.acts)}, bias_style='torch'")


def _arguments(module, names, to_torch: bool, path: str) -> dict:
    kwargs = {}
    for arg in names:
        if arg == HAS_BIAS:
            kwargs["bias"] = getattr(module, "bias", None) is not None
            continue
        value = getattr(module, arg)
        kwargs[arg] = list(value) if isinstance(value, tuple) and arg == "unflattened_size" else value
    name = type(module).__name__
    # chalkgrad reads Softmax(dim=None) as the last dimension; torch guesses from the rank (deprecated)
    if name in ("Softmax", "LogSoftmax") and kwargs["dim"] is None:
        if not to_torch:
            raise ConversionError(f"from_torch: {where(path, module)} has dim=None, for which torch picks a "
                                  "dimension from the input's rank (a deprecated rule); give the layer a dim")
        kwargs["dim"] = -1
    if name == "LSTM" and not to_torch and kwargs.pop("proj_size"):
        raise ConversionError(f"from_torch: {where(path, module)} has proj_size={module.proj_size}; chalkgrad's "
                              "LSTM has no projections (proj_size=0 only)")
    if name == "LSTM" and to_torch:
        kwargs["proj_size"] = 0
    return kwargs


def _float_dtype(module):
    """The dtype of a module's first floating parameter or buffer (as a NumPy dtype), or None."""
    for t in [*module.parameters(recurse=False), *module.buffers(recurse=False)]:
        if t is None:
            continue
        d = np.dtype(str(t.dtype).removeprefix("torch."))
        if d.kind == "f":
            return d
    return None


def convert_layer(module, target_nn, to_torch: bool, path: str):
    """The layer of ``target_nn`` (torch.nn or chalkgrad.nn) equal to ``module``, weights included."""
    name = type(module).__name__
    if to_torch:
        _chalkgrad_only_options(module, path)
    kwargs = _arguments(module, LAYER_ARGS[name], to_torch, path)
    cls = getattr(target_nn, name)
    try:
        target = cls(**kwargs)
    except (TypeError, ValueError) as e:
        direction = "to_torch" if to_torch else "from_torch"
        raise ConversionError(f"{direction}: cannot rebuild {where(path, module)} with {kwargs}: {e}") from e
    if _float_dtype(module) == np.float64:
        target = target.double()
    convert = to_torch_tensor if to_torch else to_numpy
    state = {k: convert(v) for k, v in module.state_dict().items()}
    target.load_state_dict(state)
    for (_, src), (_, dst) in zip(module.named_parameters(recurse=False), target.named_parameters(recurse=False)):
        dst.requires_grad_(bool(src.requires_grad))
    target.training = module.training
    return target
