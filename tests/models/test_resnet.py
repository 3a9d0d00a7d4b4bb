"""ResNet18/34 and BasicBlock: counts, torchvision names, static arithmetic, torch equivalence."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

import chalkgrad as cg
from chalkgrad import models

from . import torch_refs


@pytest.fixture(scope="module")
def resnet18_1000():
    return models.resnet18()


@pytest.fixture(scope="module")
def resnet34_1000():
    with getattr(cg.nn.init, "skip_init", contextlib.nullcontext)():  # weights are loaded from torch below
        return models.resnet34()


def _dynamic_macs(model, x):
    """MACs of every conv and linear measured from a real forward (hooks on the actual output shapes)."""
    total = []

    def hook(m, args, out):
        if isinstance(m, cg.nn.Conv2d):
            total.append(out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1])
        elif isinstance(m, cg.nn.Linear):
            total.append(out.numel() * m.in_features)

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (cg.nn.Conv2d, cg.nn.Linear))]
    with cg.no_grad():
        out = model(x)
    for h in handles:
        h.remove()
    return out, sum(total)


def _other_macs(model, input_shape):
    """What the non-conv, non-linear leaf layers (batch norm, pools) report themselves, along the forward."""
    total = 0
    shapes = {}

    def hook(m, args, out):
        shapes[id(m)] = tuple(args[0].shape)

    leaves = [m for m in model.modules() if not m._modules and not isinstance(m, (cg.nn.Conv2d, cg.nn.Linear))]
    handles = [m.register_forward_hook(hook) for m in leaves]
    with cg.no_grad():
        model(cg.zeros(*input_shape))
    for h in handles:
        h.remove()
    for m in leaves:
        if id(m) in shapes:
            total += m.macs(shapes[id(m)])
    return total


def test_resnet18_parameter_count(resnet18_1000):
    assert resnet18_1000.count_parameters() == 11_689_512
    assert models.resnet_num_parameters((2, 2, 2, 2)) == 11_689_512


def test_resnet34_parameter_count(resnet34_1000):
    assert resnet34_1000.count_parameters() == 21_797_672
    assert models.resnet_num_parameters((3, 4, 6, 3)) == 21_797_672
    # 993 fewer outputs of fc (512 weights + 1 bias each), 2 fewer input channels of conv1 (64·7·7 each)
    fewer = 993 * 513 + 2 * 64 * 49
    assert models.resnet_num_parameters((3, 4, 6, 3), num_classes=7, in_channels=1) == 21_797_672 - fewer


def test_torchvision_names(resnet18_1000):
    ref = torch_refs.ResNet((2, 2, 2, 2), 1000)
    assert list(resnet18_1000.state_dict()) == list(ref.state_dict())
    shapes = {k: tuple(v.shape) for k, v in ref.state_dict().items()}
    assert {k: tuple(v.shape) for k, v in resnet18_1000.state_dict().items()} == shapes
    assert "layer2.0.downsample.1.running_var" in shapes
    assert isinstance(resnet18_1000.layer1[0], models.BasicBlock)


def test_resnet18_matches_torch_float64():
    ref = torch_refs.randomize_bn_(torch_refs.ResNet((2, 2, 2, 2), num_classes=10), seed=1)
    model = models.resnet18(num_classes=10)
    x = np.random.default_rng(1).standard_normal((1, 3, 64, 64))
    torch_refs.compare(ref, model, x, dtype=np.float64, atol=1e-9, rtol=1e-9)


def test_resnet34_matches_torch_float32(resnet34_1000):
    ref = torch_refs.randomize_bn_(torch_refs.ResNet((3, 4, 6, 3)), seed=2)
    x = np.random.default_rng(2).standard_normal((1, 3, 32, 32))
    torch_refs.compare(ref, resnet34_1000, x, dtype=np.float32, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("shape", [(2, 3, 32, 32), (1, 3, 37, 29)])
def test_static_shape_and_macs_agree_with_a_run(resnet18_1000, shape):
    model = resnet18_1000.eval()
    out, dynamic = _dynamic_macs(model, cg.randn(*shape))
    assert model.output_shape(shape) == tuple(out.shape) == (shape[0], 1000)
    assert model.macs(shape) == dynamic + _other_macs(model, shape)


def test_resnet18_macs_at_224(resnet18_1000):
    shape = (1, 3, 224, 224)
    # convs and fc by hand: stem, 4 stages of 3x3 convs at 56, 28, 14, 7, the 1x1 shortcuts, fc
    expected = 112 * 112 * 64 * 3 * 49
    for size, c_in, c in ((56, 64, 64), (28, 64, 128), (14, 128, 256), (7, 256, 512)):
        expected += size * size * c * (c_in * 9 + 3 * c * 9) + (size * size * c * c_in if c_in != c else 0)
    expected += 512 * 1000
    assert expected == 1_814_073_344  # the 1.81 G mult-adds torchinfo reports for ResNet18
    others, s = 0, shape  # what batch norms and pools report themselves
    for m in resnet18_1000.main_path():
        if not isinstance(m, (cg.nn.Conv2d, cg.nn.Linear)):
            others += m.macs(s)
        s = m.output_shape(s)
    s = (1, 64, 56, 56)
    for stage in (resnet18_1000.layer1, resnet18_1000.layer2, resnet18_1000.layer3, resnet18_1000.layer4):
        for blk in stage:
            if blk.downsample is not None:
                others += blk.downsample[1].macs(blk.downsample[0].output_shape(s))
            s = blk.output_shape(s)
    assert resnet18_1000.macs(shape) == expected + others


def test_main_path(resnet18_1000):
    path = resnet18_1000.main_path()
    assert len(path) == 4 + 8 * 6 + 3
    assert path[0] is resnet18_1000.conv1 and path[-1] is resnet18_1000.fc
    shape = (1, 3, 224, 224)
    for m in path:
        shape = m.output_shape(shape)
    assert shape == (1, 1000)


def test_basic_block():
    down = cg.nn.Sequential(cg.nn.Conv2d(8, 16, 1, stride=2, bias=False), cg.nn.BatchNorm2d(16))
    blk = models.BasicBlock(8, 16, stride=2, downsample=down)
    assert blk.output_shape((2, 8, 9, 9)) == (2, 16, 5, 5)
    with cg.no_grad():
        assert blk(cg.randn(2, 8, 9, 9)).shape == (2, 16, 5, 5)
    bn_macs = sum(m.macs((2, 16, 5, 5)) for m in (blk.bn1, blk.bn2, down[1]))
    assert blk.macs((2, 8, 9, 9)) == 2 * 25 * (16 * 8 * 9 + 16 * 16 * 9 + 16 * 8) + bn_macs
    assert blk.count_parameters() == 9 * 8 * 16 + 9 * 16 * 16 + 4 * 16 + 8 * 16 + 2 * 16
    assert [type(m).__name__ for m in blk.main_path()] == ["Conv2d", "BatchNorm2d", "ReLU", "Conv2d",
                                                            "BatchNorm2d", "ReLU"]
    rf = blk.receptive_field()
    assert rf["residual"] is True
    # two 3x3 convs, the first with stride 2: kernel 3 + 2·2 = 7, stride 2, padding 1 + 1·2 = 3
    assert (rf["kernel"], rf["stride"], rf["padding"]) == ((7, 7), (2, 2), (3, 3))
    identity = models.BasicBlock(4, 4)
    assert identity.receptive_field()["kernel"] == (5, 5)
    assert "residual" in models.BasicBlock.__doc__


def test_basic_block_matches_torch_forward_and_backward():
    import torch

    down = cg.nn.Sequential(cg.nn.Conv2d(3, 6, 1, stride=2, bias=False), cg.nn.BatchNorm2d(6))
    blk = models.BasicBlock(3, 6, 2, down)
    ref_down = torch.nn.Sequential(torch.nn.Conv2d(3, 6, 1, 2, bias=False), torch.nn.BatchNorm2d(6))
    ref = torch_refs.randomize_bn_(torch_refs.BasicBlock(3, 6, 2, ref_down), seed=3)
    x = np.random.default_rng(3).standard_normal((2, 3, 7, 7))
    torch_refs.compare(ref, blk, x, dtype=np.float64, atol=1e-10, rtol=1e-10)
    # training mode (batch statistics): gradients through both branches agree with torch
    blk.train()
    ref.train()
    xc = cg.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    g = np.random.default_rng(4).standard_normal((2, 6, 4, 4))
    (blk(xc) * cg.tensor(g)).sum().backward()
    (ref(xt) * torch.from_numpy(g)).sum().backward()
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), atol=1e-10)
    for name in ("conv1.weight", "conv2.weight", "bn1.weight", "bn2.bias", "downsample.0.weight",
                 "downsample.1.weight"):
        np.testing.assert_allclose(blk.get_parameter(name).grad.numpy(), ref.get_parameter(name).grad.numpy(),
                                   atol=1e-10, err_msg=name)
    np.testing.assert_allclose(blk.bn1.running_mean.numpy(), ref.bn1.running_mean.numpy(), atol=1e-12)


def test_basic_block_shape_errors():
    with pytest.raises(cg.ConfigError, match="downsample"):
        models.BasicBlock(8, 16, stride=2)
    with pytest.raises(cg.ShapeError, match="BasicBlock"):
        models.BasicBlock(4, 4).output_shape((1, 3, 8, 8))


def test_zero_init_residual_and_seed():
    model = models.resnet18(num_classes=3, zero_init_residual=True, generator=0)
    blocks = [m for m in model.modules() if isinstance(m, models.BasicBlock)]
    assert len(blocks) == 8 and all(np.all(blk.bn2.weight.detach().numpy() == 0) for blk in blocks)
    again = models.resnet18(num_classes=3, zero_init_residual=True, generator=0)
    for a, b in zip(model.parameters(), again.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    w = model.conv1.weight.detach().numpy()
    assert abs(w.std() - np.sqrt(2 / (64 * 49))) < 0.1 * np.sqrt(2 / (64 * 49))  # kaiming_normal_, fan_out


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"num_classes": 0}, "num_classes"), ({"in_channels": 0}, "in_channels"), ({"num_classes": 2.5}, "num_classes"),
    ({"in_channels": True}, "in_channels")])
def test_argument_validation(kwargs, name):
    with pytest.raises(cg.ConfigError, match=name):
        models.resnet18(**kwargs)
    with pytest.raises(cg.ConfigError, match="layers"):
        models.ResNet(models.BasicBlock, [2, 2, 2])
