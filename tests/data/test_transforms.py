"""Image transforms: torchvision semantics (checked with torch ops), seeds, input kinds, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from PIL import Image

import chalkgrad as cg
from chalkgrad.data import transforms as T
from chalkgrad.data.transforms import rotate
from chalkgrad.errors import ConfigError, DTypeError, ShapeError

RNG = np.random.default_rng(0)
HWC = RNG.integers(0, 256, size=(5, 7, 3), dtype=np.uint8)


# ---------------------------------------------------------------------------- ToTensor
def test_to_tensor_uint8_hwc_and_pil():
    t = T.ToTensor()(HWC)
    assert isinstance(t, cg.Tensor) and t.shape == (3, 5, 7) and t.dtype == cg.float32
    expected = torch.from_numpy(HWC).permute(2, 0, 1).float().div(255)
    np.testing.assert_allclose(t.numpy(), expected.numpy(), rtol=0, atol=1e-7)
    pil = T.ToTensor()(Image.fromarray(HWC))
    np.testing.assert_array_equal(pil.numpy(), t.numpy())
    gray = T.ToTensor()(Image.fromarray(HWC[..., 0]))
    assert gray.shape == (1, 5, 7)
    binary = T.ToTensor()(Image.fromarray(HWC[..., 0] > 128))
    assert binary.dtype == cg.float32 and set(np.unique(binary.numpy())) <= {0.0, 1.0}


def test_to_tensor_2d_and_non_byte_arrays():
    t = T.ToTensor()(HWC[..., 0])
    assert t.shape == (1, 5, 7) and float(t.numpy().max()) <= 1.0
    f64 = np.linspace(0, 3, 12).reshape(3, 4)  # not uint8: values kept, not scaled (as torchvision)
    t = T.ToTensor()(f64)
    assert t.dtype == cg.float64 and t.shape == (1, 3, 4)
    np.testing.assert_array_equal(t.numpy()[0], f64)
    assert T.ToTensor()(np.ones((2, 2, 1), dtype=np.int32)).dtype == cg.int64


def test_to_tensor_errors():
    with pytest.raises(DTypeError, match="already a tensor"):
        T.ToTensor()(cg.zeros(3, 4, 4))
    with pytest.raises(ShapeError, match=r"shape \(2, 2, 2, 2\)"):
        T.ToTensor()(np.zeros((2, 2, 2, 2), np.uint8))


# ---------------------------------------------------------------------------- Normalize
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normalize_matches_torch_formula(dtype):
    x = RNG.random((2, 3, 4, 5)).astype(dtype)
    mean, std = (0.5, 0.4, 0.3), (0.2, 0.25, 0.3)
    tx = torch.from_numpy(x)
    tm, ts = torch.tensor(mean, dtype=tx.dtype), torch.tensor(std, dtype=tx.dtype)
    expected = (tx - tm[:, None, None]) / ts[:, None, None]
    got = T.Normalize(mean, std)(cg.tensor(x))
    assert isinstance(got, cg.Tensor) and got.dtype == np.dtype(dtype)
    tol = {"float32": 1e-6, "float64": 1e-12}[dtype]
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=tol, atol=tol)
    arr = T.Normalize(mean, std)(x[0])
    assert isinstance(arr, np.ndarray)
    np.testing.assert_allclose(arr, expected.numpy()[0], rtol=tol, atol=tol)
    one = T.Normalize(0.5, 0.5)(x[0])
    np.testing.assert_allclose(one, (x[0] - 0.5) / 0.5, rtol=tol)
    y = x[0].copy()
    assert T.Normalize(mean, std, inplace=True)(y) is y
    np.testing.assert_allclose(y, arr, rtol=tol, atol=tol)


def test_normalize_errors():
    with pytest.raises(ConfigError, match="zero"):
        T.Normalize([0.5], [0.0])
    with pytest.raises(ShapeError, match="mean has 2 values but the image has 3 channels"):
        T.Normalize([0.5, 0.5], [1, 1])(np.zeros((3, 2, 2), np.float32))
    with pytest.raises(DTypeError, match="float image"):
        T.Normalize([0.5], [1.0])(np.zeros((1, 2, 2), np.uint8))
    with pytest.raises(ShapeError, match="CxHxW"):
        T.Normalize([0.5], [1.0])(np.zeros((2, 2), np.float32))
    with pytest.raises(DTypeError, match="put ToTensor"):
        T.Normalize([0.5], [1.0])(Image.fromarray(HWC))


# ---------------------------------------------------------------------------- flips
def test_flips_match_torch_flip():
    x = RNG.random((2, 3, 4)).astype(np.float32)
    h = T.RandomHorizontalFlip(p=1.0)(cg.tensor(x))
    v = T.RandomVerticalFlip(p=1.0)(x)
    np.testing.assert_array_equal(h.numpy(), torch.flip(torch.from_numpy(x), [-1]).numpy())
    np.testing.assert_array_equal(v, torch.flip(torch.from_numpy(x), [-2]).numpy())
    assert T.RandomHorizontalFlip(p=0.0)(x) is x
    pil = T.RandomHorizontalFlip(p=1.0)(Image.fromarray(HWC))
    assert isinstance(pil, Image.Image)
    np.testing.assert_array_equal(np.asarray(pil), HWC[:, ::-1])


def test_flip_probability_and_seed():
    x = np.arange(4, dtype=np.float32).reshape(1, 1, 4)
    flips = [T.RandomHorizontalFlip(0.3, generator=cg.Generator(s))(x)[0, 0, 0] == 3 for s in range(400)]
    assert 0.22 < np.mean(flips) < 0.38
    cg.manual_seed(2)
    a = [T.RandomVerticalFlip()(x.reshape(1, 4, 1))[0, 0, 0] for _ in range(20)]
    cg.manual_seed(2)
    assert a == [T.RandomVerticalFlip()(x.reshape(1, 4, 1))[0, 0, 0] for _ in range(20)]
    with pytest.raises(ConfigError, match=r"probability in \[0, 1\]"):
        T.RandomHorizontalFlip(1.5)


# ---------------------------------------------------------------------------- RandomCrop
@pytest.mark.parametrize("mode, torch_mode", [("constant", "constant"), ("edge", "replicate"), ("reflect", "reflect")])
def test_crop_padding_matches_torch_pad(mode, torch_mode):
    x = RNG.random((3, 5, 6)).astype(np.float32)
    left, top, right, bottom = 1, 2, 3, 4
    crop = T.RandomCrop((5 + top + bottom, 6 + left + right), padding=(left, top, right, bottom), padding_mode=mode)
    got = crop(x)  # crop size == padded size: the only window is the whole padded image
    expected = TF.pad(torch.from_numpy(x)[None], (left, right, top, bottom), mode=torch_mode)[0]
    np.testing.assert_allclose(got, expected.numpy())
    two = T.RandomCrop((5 + 2 * 3, 6 + 2 * 1), padding=(1, 3), fill=0.5)(x)  # (left/right, top/bottom)
    assert two.shape == (3, 11, 8) and np.all(two[:, :3] == 0.5) and np.all(two[:, :, 0] == 0.5)


def test_crop_window_is_uniform_seeded_and_inside():
    x = np.arange(64, dtype=np.float64).reshape(1, 8, 8)
    seen = set()
    for s in range(300):
        out = T.RandomCrop(6, generator=cg.Generator(s))(x)
        i, j = divmod(int(out[0, 0, 0]), 8)
        np.testing.assert_array_equal(out, x[:, i:i + 6, j:j + 6])
        seen.add((i, j))
    assert seen == {(i, j) for i in range(3) for j in range(3)}
    a = T.RandomCrop(4, padding=2, generator=cg.Generator(1))(cg.tensor(x))
    b = T.RandomCrop(4, padding=2, generator=cg.Generator(1))(cg.tensor(x))
    assert isinstance(a, cg.Tensor) and a.equal(b) and a.shape == (1, 4, 4)


def test_crop_pad_if_needed_symmetric_fill_and_pil():
    x = np.ones((2, 3, 3), np.float32)
    out = T.RandomCrop((5, 7), pad_if_needed=True, fill=(0.1, 0.2))(x)
    assert out.shape == (2, 5, 7)
    assert np.isclose(out[0].min(), 0.1) and np.isclose(out[1].min(), 0.2) and out.max() == 1.0
    sym = T.RandomCrop(5, padding=1, padding_mode="symmetric")(np.arange(9.0).reshape(3, 3))
    np.testing.assert_array_equal(sym, np.pad(np.arange(9.0).reshape(3, 3), 1, mode="symmetric"))
    pil = T.RandomCrop(4)(Image.fromarray(HWC))
    assert isinstance(pil, Image.Image) and pil.size == (4, 4)
    with pytest.raises(ShapeError, match=r"crop size 6x6 is larger than the \(padded\) image 3x3"):
        T.RandomCrop(6)(x)
    with pytest.raises(ConfigError, match="padding_mode"):
        T.RandomCrop(2, padding_mode="wrap")
    with pytest.raises(ConfigError, match="size"):
        T.RandomCrop(0)


# ---------------------------------------------------------------------------- RandomRotation
def _torch_rotate(x: np.ndarray, angle: float, mode: str) -> np.ndarray:
    """torchvision's tensor rotation path: affine_grid-style grid + grid_sample(align_corners=False)."""
    h, w = x.shape[-2:]
    a = np.radians(angle)
    xs = torch.arange(w, dtype=torch.float64) - (w - 1) / 2
    ys = torch.arange(h, dtype=torch.float64) - (h - 1) / 2
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    sx = gx * np.cos(a) - gy * np.sin(a)
    sy = gx * np.sin(a) + gy * np.cos(a)
    grid = torch.stack([sx / (w / 2), sy / (h / 2)], dim=-1)[None]
    out = TF.grid_sample(torch.from_numpy(x)[None].double(), grid, mode=mode, padding_mode="zeros",
                         align_corners=False)
    return out[0].numpy()


def test_rotation_90_is_rot90_counter_clockwise():
    x = RNG.random((2, 5, 5))
    np.testing.assert_array_equal(rotate(x, 90.0), np.rot90(x, 1, axes=(-2, -1)))
    np.testing.assert_array_equal(rotate(x, -90.0), np.rot90(x, -1, axes=(-2, -1)))
    np.testing.assert_allclose(rotate(x, 180.0, "bilinear"), x[:, ::-1, ::-1], atol=1e-12)


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("angle", [17.0, -33.0, 61.0])  # (60 degrees puts exact .5 ties on the grid)
def test_rotation_matches_grid_sample(mode, angle):
    x = RNG.random((3, 7, 9))
    np.testing.assert_allclose(rotate(x, angle, mode), _torch_rotate(x, angle, mode), atol=1e-10)


def test_random_rotation_class():
    x = np.ones((1, 9, 9), np.float32)
    out = T.RandomRotation((45, 45), fill=0.25)(x)
    assert out.dtype == np.float32 and out[0, 0, 0] == np.float32(0.25) and out[0, 4, 4] == 1.0
    u8 = T.RandomRotation(30, interpolation="bilinear", generator=cg.Generator(0))(HWC.transpose(2, 0, 1).copy())
    assert u8.dtype == np.uint8 and u8.shape == (3, 5, 7)
    a = T.RandomRotation(30, generator=cg.Generator(4))(cg.tensor(x))
    b = T.RandomRotation(30, generator=cg.Generator(4))(cg.tensor(x))
    assert isinstance(a, cg.Tensor) and a.equal(b)
    rgb = T.RandomRotation((90, 90), fill=(1, 2, 3))(np.zeros((3, 4, 6)))
    assert rgb[1, 0, 0] == 2 and rgb[2, 0, 0] == 3
    pil = T.RandomRotation(10)(Image.fromarray(HWC))
    assert isinstance(pil, Image.Image)
    with pytest.raises(ConfigError, match="interpolation"):
        T.RandomRotation(10, interpolation="bicubic")
    with pytest.raises(ConfigError, match="min <= max"):
        T.RandomRotation((10, -10))


# ---------------------------------------------------------------------------- ColorJitter, GaussianNoise
def test_color_jitter_formulas():
    x = RNG.random((3, 4, 4))
    np.testing.assert_allclose(T.ColorJitter(brightness=(1.5, 1.5))(x), np.clip(1.5 * x, 0, 1))
    gray = 0.2989 * x[0] + 0.587 * x[1] + 0.114 * x[2]
    np.testing.assert_allclose(T.ColorJitter(contrast=(0.5, 0.5))(x), 0.5 * x + 0.5 * gray.mean())
    np.testing.assert_allclose(T.ColorJitter(saturation=(0.0, 0.0))(x), np.broadcast_to(gray, x.shape))
    one = RNG.random((1, 4, 4)).astype(np.float32)
    out = T.ColorJitter(contrast=(2.0, 2.0))(cg.tensor(one))
    assert out.dtype == cg.float32
    np.testing.assert_allclose(out.numpy(), np.clip(2 * one - one.mean(), 0, 1), rtol=1e-5, atol=1e-6)
    u8 = T.ColorJitter(brightness=(2.0, 2.0))(np.array([[[100, 200]]], np.uint8))
    np.testing.assert_array_equal(u8, [[[200, 255]]])
    rnd = T.ColorJitter(0.4, 0.4, 0.4, generator=cg.Generator(1))(x)
    assert rnd.shape == x.shape and 0 <= rnd.min() and rnd.max() <= 1
    assert T.ColorJitter()(x).tolist() == x.tolist()
    with pytest.raises(ConfigError, match="brightness must be non-negative"):
        T.ColorJitter(brightness=-1)
    with pytest.raises(ShapeError, match="1 or 3 channels"):
        T.ColorJitter(0.1)(np.zeros((2, 3, 3)))


def test_gaussian_noise():
    x = np.full((1, 100, 100), 0.5, np.float32)
    out = T.GaussianNoise(std=0.1, generator=cg.Generator(0))(x)
    assert out.dtype == np.float32
    assert abs(float((out - x).std()) - 0.1) < 0.01 and abs(float((out - x).mean())) < 0.01
    clipped = T.GaussianNoise(std=2.0, generator=cg.Generator(0))(cg.tensor(x))
    assert isinstance(clipped, cg.Tensor) and clipped.numpy().min() == 0 and clipped.numpy().max() == 1
    free = T.GaussianNoise(std=2.0, mean=1.0, clip=False, generator=cg.Generator(0))(x.astype(np.float64))
    assert free.dtype == np.float64 and free.max() > 1 and abs(float(free.mean()) - 1.5) < 0.1
    cg.manual_seed(3)
    a = T.GaussianNoise(0.2)(x)
    cg.manual_seed(3)
    np.testing.assert_array_equal(a, T.GaussianNoise(0.2)(x))
    with pytest.raises(DTypeError, match="float image"):
        T.GaussianNoise(0.1)(np.zeros((1, 2, 2), np.uint8))
    with pytest.raises(ConfigError, match="std"):
        T.GaussianNoise(-0.1)


def test_compose_pipeline_and_reprs():
    pipe = T.Compose([T.ToTensor(), T.RandomCrop(4, padding=1, generator=cg.Generator(0)),
                      T.RandomHorizontalFlip(generator=cg.Generator(0)), T.Normalize([0.5] * 3, [0.5] * 3),
                      T.Lambda(lambda t: t * 2)])
    out = pipe(HWC)
    assert isinstance(out, cg.Tensor) and out.shape == (3, 4, 4) and out.dtype == cg.float32
    assert float(out.numpy().max()) <= 2.0 and float(out.numpy().min()) >= -2.0
    text = repr(pipe)
    assert "ToTensor()" in text and "RandomHorizontalFlip(p=0.5)" in text and "Normalize(mean=[0.5" in text
