"""Image transforms for data augmentation (torchvision-shaped, implemented with NumPy).

Each transform is a small callable class. What they take:

* ``ToTensor``: a PIL image or a NumPy array laid out HxWxC (or HxW) -> a chalkgrad
  Tensor CxHxW; ``uint8`` is scaled to float32 in [0, 1], float arrays keep their
  values and dtype (as torchvision).
* ``Normalize``, ``ColorJitter``, ``GaussianNoise``: chalkgrad Tensors or NumPy
  arrays laid out CxHxW (or with leading batch dims, ...xCxHxW).
* ``RandomHorizontalFlip``, ``RandomVerticalFlip``, ``RandomCrop``, ``RandomRotation``:
  chalkgrad Tensors or NumPy arrays whose last two dims are HxW (HxW, CxHxW, NxCxHxW),
  and PIL images.

Each returns the same kind it was given (Tensor in, Tensor out; array in, array
out). Transforms are data preparation, not differentiable operations: a Tensor's
values are transformed without recording a graph.

Random transforms draw from ``generator=`` (a :class:`chalkgrad.Generator`) or, if
None, from the default generator at call time, so ``chalkgrad.manual_seed`` makes
augmentation reproducible.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..errors import ConfigError, DTypeError, ShapeError
from ..random import Generator, get_generator
from ..tensor import Tensor

__all__ = [
    "Compose", "Lambda", "ToTensor", "Normalize", "RandomHorizontalFlip", "RandomVerticalFlip",
    "RandomCrop", "RandomRotation", "ColorJitter", "GaussianNoise", "rotate",
]


def _is_pil(img) -> bool:
    return type(img).__module__.startswith("PIL.") and hasattr(img, "getbands")


def _unwrap(img, who: str, allow_pil: bool = False):
    """(array with H, W as its last two dims, function that rewraps a result into the input's kind)."""
    if isinstance(img, Tensor):
        return img.data, Tensor
    if isinstance(img, np.ndarray):
        return img, lambda a: a
    if allow_pil and _is_pil(img):
        from PIL import Image

        arr = np.asarray(img)  # the result's mode follows from the array (L, RGB, RGBA, 1, I, F)
        if arr.ndim == 3:
            return np.moveaxis(arr, -1, 0), lambda a: Image.fromarray(np.ascontiguousarray(np.moveaxis(a, 0, -1)))
        return arr, lambda a: Image.fromarray(np.ascontiguousarray(a))
    kinds = "a chalkgrad Tensor, a NumPy array or a PIL image" if allow_pil else "a chalkgrad Tensor or a NumPy array"
    hint = " (put ToTensor() before it)" if _is_pil(img) else ""
    raise DTypeError(f"{who}: expected {kinds}, got {type(img).__name__}{hint}")


def _need_hw(arr: np.ndarray, who: str) -> None:
    if arr.ndim < 2:
        raise ShapeError(f"{who}: expected an image with at least 2 dims (..., H, W), got shape {arr.shape}")


def _need_chw(arr: np.ndarray, who: str) -> None:
    if arr.ndim < 3:
        raise ShapeError(f"{who}: expected an image laid out CxHxW (or ...xCxHxW), got shape {arr.shape}")


def _check_p(p, who: str) -> float:
    if not isinstance(p, numbers.Real) or not 0 <= p <= 1:
        raise ConfigError(f"{who}: p must be a probability in [0, 1], got {p!r}")
    return float(p)


def _pair(size, who: str, what: str = "size") -> tuple[int, int]:
    if isinstance(size, numbers.Integral):
        s = (int(size), int(size))
    elif isinstance(size, (tuple, list)) and len(size) in (1, 2) and all(isinstance(v, numbers.Integral) for v in size):
        s = (int(size[0]), int(size[-1]))
    else:
        raise ConfigError(f"{who}: {what} must be an int or a sequence (h, w) of ints, got {size!r}")
    if s[0] <= 0 or s[1] <= 0:
        raise ConfigError(f"{who}: {what} must be positive, got {size!r}")
    return s


class Compose:
    """Apply transforms one after the other: ``Compose([ToTensor(), Normalize(m, s)])(img)``."""

    def __init__(self, transforms) -> None:
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"Compose({inner}\n)"


class Lambda:
    """Wrap a function of one argument as a transform."""

    def __init__(self, fn) -> None:
        if not callable(fn):
            raise ConfigError(f"Lambda: expected a callable, got {type(fn).__name__}")
        self.fn = fn

    def __call__(self, img):
        return self.fn(img)

    def __repr__(self) -> str:
        return "Lambda()"


class ToTensor:
    """HxWxC (or HxW) PIL image / NumPy array -> CxHxW chalkgrad Tensor.

    ``uint8`` values (and PIL modes L, RGB, RGBA, 1, ...) become float32 in [0, 1]
    (``x / 255``); float arrays are only transposed (values and float32/float64
    dtype kept, float16 -> float32); other integer arrays become int64 unscaled,
    as torchvision leaves non-byte images unscaled. A 2-D HxW input becomes 1xHxW.
    """

    def __call__(self, pic) -> Tensor:
        if _is_pil(pic):
            arr = np.array(pic)
            if pic.mode == "1":
                arr = arr.astype(np.uint8) * 255
        elif isinstance(pic, np.ndarray):
            arr = pic
        else:
            raise DTypeError(
                f"ToTensor: expected a PIL image or a NumPy array laid out HxWxC or HxW, got {type(pic).__name__}"
                + (" (it is already a tensor: drop ToTensor)" if isinstance(pic, Tensor) else "")
            )
        if arr.ndim == 2:
            arr = arr[:, :, None]
        if arr.ndim != 3:
            raise ShapeError(f"ToTensor: expected an image of 2 or 3 dims (HxW or HxWxC), got shape {arr.shape}")
        chw = np.ascontiguousarray(arr.transpose(2, 0, 1))
        if chw.dtype == np.uint8:
            return Tensor._wrap(chw.astype(np.float32) / np.float32(255))
        k = chw.dtype.kind
        if k == "f":
            return Tensor._wrap(chw if chw.dtype in (np.float32, np.float64) else chw.astype(np.float32))
        if k in "iu":
            return Tensor._wrap(chw.astype(np.int64))
        if k == "b":
            return Tensor._wrap(chw)
        raise DTypeError(f"ToTensor: cannot convert an image of dtype {chw.dtype}")

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """Per channel: ``out[c] = (x[c] - mean[c]) / std[c]`` on a float image CxHxW (or ...xCxHxW).

    ``mean`` and ``std`` are sequences of one value per channel (or a single value
    for all). Keeps the input's float dtype. ``inplace=True`` writes into the input.
    """

    def __init__(self, mean, std, inplace: bool = False) -> None:
        self.mean = tuple(float(m) for m in np.atleast_1d(np.asarray(mean, dtype=np.float64)))
        self.std = tuple(float(s) for s in np.atleast_1d(np.asarray(std, dtype=np.float64)))
        if any(s == 0 for s in self.std):
            raise ConfigError(f"Normalize: std {self.std} contains a zero, which would divide by zero")
        self.inplace = bool(inplace)

    def __call__(self, img):
        arr, wrap = _unwrap(img, "Normalize")
        _need_chw(arr, "Normalize")
        if arr.dtype.kind != "f":
            raise DTypeError(f"Normalize: expected a float image, got dtype {arr.dtype} (apply ToTensor() first)")
        c = arr.shape[-3]
        for name, v in (("mean", self.mean), ("std", self.std)):
            if len(v) not in (1, c):
                raise ShapeError(f"Normalize: {name} has {len(v)} values but the image has {c} channels "
                                 f"(shape {arr.shape}, channels in dim -3)")
        mean = np.asarray(self.mean, dtype=arr.dtype).reshape(-1, 1, 1)
        std = np.asarray(self.std, dtype=arr.dtype).reshape(-1, 1, 1)
        if self.inplace:
            arr -= mean
            arr /= std
            if isinstance(img, Tensor):
                img._version += 1  # an in-place change, as Tensor's own in-place ops record
            return img
        return wrap((arr - mean) / std)

    def __repr__(self) -> str:
        return f"Normalize(mean={list(self.mean)}, std={list(self.std)})"


class RandomHorizontalFlip:
    """With probability ``p``, mirror the image left-right (reverse the last dim, W)."""

    _axis = -1

    def __init__(self, p: float = 0.5, generator: Generator | None = None) -> None:
        self.p = _check_p(p, type(self).__name__)
        self.generator = generator

    def __call__(self, img):
        who = type(self).__name__
        arr, wrap = _unwrap(img, who, allow_pil=True)
        _need_hw(arr, who)
        if get_generator(self.generator).random() < self.p:
            return wrap(np.flip(arr, axis=self._axis).copy())
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomVerticalFlip(RandomHorizontalFlip):
    """With probability ``p``, mirror the image top-bottom (reverse dim -2, H)."""

    _axis = -2


_PAD_MODES = ("constant", "edge", "reflect", "symmetric")


def _pad(arr: np.ndarray, left: int, top: int, right: int, bottom: int, fill, mode: str) -> np.ndarray:
    if not (left or top or right or bottom):
        return arr
    width = [(0, 0)] * (arr.ndim - 2) + [(top, bottom), (left, right)]
    if mode != "constant":
        return np.pad(arr, width, mode=mode)
    if isinstance(fill, (tuple, list)):
        if arr.ndim < 3 or len(fill) != arr.shape[-3]:
            raise ShapeError(f"RandomCrop: fill {tuple(fill)} has one value per channel but the image has shape "
                             f"{arr.shape}")
        out = np.pad(arr, width, mode="constant")
        h, w = arr.shape[-2:]
        mask = np.ones(out.shape[-2:], dtype=bool)
        mask[top:top + h, left:left + w] = False
        for c, v in enumerate(fill):
            out[..., c, :, :][..., mask] = v
        return out
    return np.pad(arr, width, mode="constant", constant_values=fill)


class RandomCrop:
    """Cut a random ``size`` = (h, w) window out of the image (last two dims H, W).

    ``padding`` first pads the borders: an int (all sides), (left/right, top/bottom)
    or (left, top, right, bottom). ``pad_if_needed`` pads an image smaller than
    ``size`` up to it. ``padding_mode`` is constant (with ``fill``, a number or one
    value per channel), edge, reflect or symmetric. The window's top-left corner is
    uniform over all positions, as torchvision.
    """

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0, padding_mode: str = "constant",
                 generator: Generator | None = None) -> None:
        self.size = _pair(size, "RandomCrop")
        if padding is None:
            self.padding = (0, 0, 0, 0)
        elif isinstance(padding, numbers.Integral):
            self.padding = (int(padding),) * 4
        elif isinstance(padding, (tuple, list)) and len(padding) in (1, 2, 4):
            p = [int(v) for v in padding]
            self.padding = tuple(p * 4 if len(p) == 1 else (p[0], p[1], p[0], p[1]) if len(p) == 2 else p)
        else:
            raise ConfigError(f"RandomCrop: padding must be an int or a sequence of 1, 2 or 4 ints, got {padding!r}")
        if any(v < 0 for v in self.padding):
            raise ConfigError(f"RandomCrop: padding must be non-negative, got {padding!r}")
        if padding_mode not in _PAD_MODES:
            raise ConfigError(f"RandomCrop: padding_mode must be one of {_PAD_MODES}, got {padding_mode!r}")
        self.pad_if_needed = bool(pad_if_needed)
        self.fill = fill
        self.padding_mode = padding_mode
        self.generator = generator

    def __call__(self, img):
        arr, wrap = _unwrap(img, "RandomCrop", allow_pil=True)
        _need_hw(arr, "RandomCrop")
        arr = _pad(arr, *self.padding, self.fill, self.padding_mode)
        th, tw = self.size
        h, w = arr.shape[-2:]
        if self.pad_if_needed and w < tw:
            arr = _pad(arr, tw - w, 0, tw - w, 0, self.fill, self.padding_mode)
        if self.pad_if_needed and h < th:
            arr = _pad(arr, 0, th - h, 0, th - h, self.fill, self.padding_mode)
        h, w = arr.shape[-2:]
        if h < th or w < tw:
            raise ShapeError(f"RandomCrop: the crop size {th}x{tw} is larger than the (padded) image {h}x{w}; "
                             "use pad_if_needed=True or a smaller size")
        rng = get_generator(self.generator)
        i = int(rng.integers(0, h - th + 1))
        j = int(rng.integers(0, w - tw + 1))
        return wrap(arr[..., i:i + th, j:j + tw].copy())

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


def _interp_name(interpolation) -> str:
    name = getattr(interpolation, "value", interpolation)
    if name not in ("nearest", "bilinear"):
        raise ConfigError(f"RandomRotation: interpolation must be 'nearest' or 'bilinear', got {interpolation!r}")
    return name


def rotate(arr: np.ndarray, angle: float, interpolation: str = "nearest", center=None, fill=0.0) -> np.ndarray:
    """Rotate the last two dims (H, W) of ``arr`` by ``angle`` degrees counter-clockwise, same size.

    Inverse mapping: the output pixel at offset (dx, dy) from the center (y down)
    reads the input at ``(dx cos a - dy sin a, dx sin a + dy cos a)`` from the
    center, by nearest neighbour (round half to even) or bilinear interpolation;
    points outside the input take ``fill``. ``center`` is (x, y) in torchvision's
    convention (pixel (i, j) covers [j, j+1) x [i, i+1)); default the image center.
    """
    h, w = arr.shape[-2:]
    if center is None:
        cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    else:
        cx, cy = float(center[0]) - 0.5, float(center[1]) - 0.5
    a = math.radians(angle)
    cos, sin = math.cos(a), math.sin(a)
    dy, dx = np.mgrid[0:h, 0:w].astype(np.float64)
    dx -= cx
    dy -= cy
    sx = cx + dx * cos - dy * sin
    sy = cy + dx * sin + dy * cos
    lead = arr.shape[:-2]
    flat = arr.reshape(-1, h, w)
    fillv = np.asarray(fill, dtype=np.float64)
    if fillv.ndim == 1 and fillv.size > 1:
        if len(lead) == 0 or fillv.size != lead[-1]:
            raise ShapeError(f"RandomRotation: fill has {fillv.size} values but the image has shape {arr.shape}")
        fillv = np.broadcast_to(fillv, lead).reshape(-1, 1, 1)
    else:
        fillv = fillv.reshape(-1)[0] if fillv.size else np.float64(0.0)
    if interpolation == "nearest":
        ix = np.rint(sx).astype(np.int64)
        iy = np.rint(sy).astype(np.int64)
        inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
        vals = flat[:, np.clip(iy, 0, h - 1), np.clip(ix, 0, w - 1)]
        out = np.where(inside, vals, fillv)
    else:
        x0 = np.floor(sx).astype(np.int64)
        y0 = np.floor(sy).astype(np.int64)
        wx = sx - x0
        wy = sy - y0
        out = np.zeros(flat.shape, dtype=np.float64)
        src = flat.astype(np.float64, copy=False)
        for yy, xx, wgt in ((y0, x0, (1 - wy) * (1 - wx)), (y0, x0 + 1, (1 - wy) * wx),
                            (y0 + 1, x0, wy * (1 - wx)), (y0 + 1, x0 + 1, wy * wx)):
            inside = (xx >= 0) & (xx < w) & (yy >= 0) & (yy < h)
            vals = src[:, np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)]
            out += wgt * np.where(inside, vals, fillv)
    if arr.dtype.kind in "iub":
        if arr.dtype.kind == "b":
            out = out >= 0.5
        else:
            info = np.iinfo(arr.dtype)
            out = np.clip(np.rint(out), info.min, info.max)
    return out.astype(arr.dtype, copy=False).reshape(arr.shape)


class RandomRotation:
    """Rotate the image by an angle drawn uniformly from ``degrees`` (counter-clockwise for positive angles).

    ``degrees``: a number d (range (-d, d)) or a pair (min, max). ``interpolation``:
    'nearest' or 'bilinear'. ``fill``: the value (or one value per channel) for
    the corners that come from outside the image. The output keeps the input size
    (torchvision's ``expand=False``). Implemented with NumPy (see :func:`rotate`).
    """

    def __init__(self, degrees, interpolation="nearest", center=None, fill=0,
                 generator: Generator | None = None) -> None:
        if isinstance(degrees, numbers.Real):
            if degrees < 0:
                raise ConfigError(f"RandomRotation: a single degrees value must be non-negative, got {degrees!r}")
            self.degrees = (-float(degrees), float(degrees))
        elif isinstance(degrees, (tuple, list)) and len(degrees) == 2:
            self.degrees = (float(degrees[0]), float(degrees[1]))
            if self.degrees[0] > self.degrees[1]:
                raise ConfigError(f"RandomRotation: degrees (min, max) must have min <= max, got {degrees!r}")
        else:
            raise ConfigError(f"RandomRotation: degrees must be a number or a pair (min, max), got {degrees!r}")
        self.interpolation = _interp_name(interpolation)
        if center is not None and (not isinstance(center, (tuple, list)) or len(center) != 2):
            raise ConfigError(f"RandomRotation: center must be a pair (x, y), got {center!r}")
        self.center = center
        self.fill = fill
        self.generator = generator

    def __call__(self, img):
        arr, wrap = _unwrap(img, "RandomRotation", allow_pil=True)
        _need_hw(arr, "RandomRotation")
        angle = float(get_generator(self.generator).uniform(self.degrees[0], self.degrees[1]))
        return wrap(rotate(arr, angle, self.interpolation, self.center, self.fill))

    def __repr__(self) -> str:
        return f"RandomRotation(degrees={list(self.degrees)}, interpolation={self.interpolation}, fill={self.fill})"


def _factor_range(value, who: str, name: str) -> tuple[float, float] | None:
    if isinstance(value, numbers.Real):
        if value < 0:
            raise ConfigError(f"{who}: {name} must be non-negative, got {value!r}")
        rng = (max(0.0, 1.0 - float(value)), 1.0 + float(value))
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        rng = (float(value[0]), float(value[1]))
        if not 0 <= rng[0] <= rng[1]:
            raise ConfigError(f"{who}: {name} range (min, max) needs 0 <= min <= max, got {value!r}")
    else:
        raise ConfigError(f"{who}: {name} must be a number or a pair (min, max), got {value!r}")
    return None if rng == (1.0, 1.0) else rng


def _gray(arr: np.ndarray) -> np.ndarray:
    """Luma (ITU-R 601-2: 0.299 R + 0.587 G + 0.114 B, as torchvision) keeping a channel dim of 1."""
    if arr.shape[-3] == 1:
        return arr.astype(np.float64)
    r, g, b = arr[..., 0, :, :], arr[..., 1, :, :], arr[..., 2, :, :]
    return (0.2989 * r + 0.587 * g + 0.114 * b)[..., None, :, :]


class ColorJitter:
    """Randomly change brightness, contrast and saturation, in a random order.

    Each of ``brightness``, ``contrast``, ``saturation`` is a number v (factor drawn
    uniformly from [max(0, 1 - v), 1 + v]) or a range (min, max); 0 leaves it alone.
    With f the factor and ``bound`` 1 for float images (255 for integer ones):

    * brightness: ``clip(f x, 0, bound)``
    * contrast: ``clip(f x + (1 - f) mean(gray(x)), 0, bound)``
    * saturation: ``clip(f x + (1 - f) gray(x), 0, bound)`` (3-channel images only)

    ``gray`` is the luma 0.2989 R + 0.587 G + 0.114 B (a 1-channel image is its own
    gray). Input: CxHxW (or ...xCxHxW), 1 or 3 channels.
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, generator: Generator | None = None) -> None:
        self.brightness = _factor_range(brightness, "ColorJitter", "brightness")
        self.contrast = _factor_range(contrast, "ColorJitter", "contrast")
        self.saturation = _factor_range(saturation, "ColorJitter", "saturation")
        self.generator = generator

    def __call__(self, img):
        arr, wrap = _unwrap(img, "ColorJitter")
        _need_chw(arr, "ColorJitter")
        if arr.shape[-3] not in (1, 3):
            raise ShapeError(f"ColorJitter: expected 1 or 3 channels in dim -3, got shape {arr.shape}")
        bound = 1.0 if arr.dtype.kind == "f" else 255.0
        rng = get_generator(self.generator)
        x = arr.astype(np.float64)
        for k in rng.permutation(3).tolist():
            r = (self.brightness, self.contrast, self.saturation)[k]
            if r is None:
                continue
            f = float(rng.uniform(r[0], r[1]))
            if k == 0:
                x = x * f
            elif k == 1:
                x = f * x + (1 - f) * _gray(x).mean(axis=(-3, -2, -1), keepdims=True)
            elif x.shape[-3] == 3:
                x = f * x + (1 - f) * _gray(x)
            x = np.clip(x, 0.0, bound)
        if arr.dtype.kind != "f":
            x = np.floor(x)  # torchvision truncates when casting back to integers
        return wrap(x.astype(arr.dtype))

    def __repr__(self) -> str:
        return f"ColorJitter(brightness={self.brightness}, contrast={self.contrast}, saturation={self.saturation})"


class GaussianNoise:
    """Add noise: ``x + N(mean, std^2)`` elementwise, then (``clip=True``) clip to [0, 1].

    For denoising autoencoders: ``(GaussianNoise(0.3)(x), x)`` pairs a corrupted input
    with its clean target. Takes float Tensors or arrays of any shape; keeps the dtype.
    """

    def __init__(self, std: float = 0.1, mean: float = 0.0, clip: bool = True,
                 generator: Generator | None = None) -> None:
        if not isinstance(std, numbers.Real) or std < 0:
            raise ConfigError(f"GaussianNoise: std must be a non-negative number, got {std!r}")
        self.std = float(std)
        self.mean = float(mean)
        self.clip = bool(clip)
        self.generator = generator

    def __call__(self, img):
        arr, wrap = _unwrap(img, "GaussianNoise")
        if arr.dtype.kind != "f":
            raise DTypeError(f"GaussianNoise: expected a float image, got dtype {arr.dtype} (apply ToTensor() first)")
        noise = get_generator(self.generator).normal(self.mean, self.std, size=arr.shape)
        out = arr + noise.astype(arr.dtype)
        if self.clip:
            out = np.clip(out, 0, 1)
        return wrap(out.astype(arr.dtype, copy=False))

    def __repr__(self) -> str:
        return f"GaussianNoise(std={self.std}, mean={self.mean}, clip={self.clip})"
