"""Reference models written with torch.nn (torchvision is not installed), in torchvision's layouts.

Each builds the same architecture as the chalkgrad model of the same name, with the same
parameter and buffer names, so ``torch_model.state_dict()`` loads into the chalkgrad model.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import torch
from torch import nn

import chalkgrad as cg


def state_dict_numpy(model: nn.Module) -> dict:
    """The torch model's state_dict as NumPy arrays (as a checkpoint saved with NumPy would hold)."""
    return {k: v.detach().numpy() for k, v in model.state_dict().items()}


def randomize_bn_(model: nn.Module, seed: int = 0) -> nn.Module:
    """Give every batch norm non-trivial γ, β and running statistics, so that eval mode is a real test."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(0.5 + torch.rand(c, generator=g))
                m.bias.copy_(0.2 * torch.randn(c, generator=g))
                m.running_mean.copy_(0.1 * torch.randn(c, generator=g))
                m.running_var.copy_(0.5 + torch.rand(c, generator=g))
                m.num_batches_tracked.fill_(7)
    return model


def compare(torch_model: nn.Module, cg_model, x: np.ndarray, dtype=np.float32, atol=1e-4, rtol=1e-4):
    """Load the torch weights into the chalkgrad model, run both in eval mode on x, compare; return the output."""
    torch_model = torch_model.to(torch.float64 if dtype == np.float64 else torch.float32).eval()
    if dtype == np.float64:
        cg_model.double()
    result = cg_model.load_state_dict(state_dict_numpy(torch_model), strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    cg_model.eval()
    x = x.astype(dtype)
    with torch.no_grad():
        expected = torch_model(torch.from_numpy(x)).numpy()
    with cg.no_grad():
        actual = cg_model(cg.tensor(x)).numpy()
    assert actual.dtype == dtype
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, atol=atol, rtol=rtol)
    return actual


def _act(name):
    return {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}[name]()


def _pool(name):
    return {"avg": nn.AvgPool2d, "max": nn.MaxPool2d}[name](2, 2)


def lenet5(num_classes=10, in_channels=1, activation="tanh", pooling="avg", padding=0):
    return nn.Sequential(OrderedDict([
        ("features", nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=padding), _act(activation), _pool(pooling),
            nn.Conv2d(6, 16, 5), _act(activation), _pool(pooling),
            nn.Conv2d(16, 120, 5), _act(activation))),
        ("flatten", nn.Flatten(1)),
        ("classifier", nn.Sequential(nn.Linear(120, 84), _act(activation), nn.Linear(84, num_classes))),
    ]))


class AlexNet(nn.Module):
    def __init__(self, num_classes=1000, in_channels=3):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 64, 11, 4, 2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
            nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
            nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2))
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(), nn.Linear(9216, 4096), nn.ReLU(inplace=True),
            nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


VGG_CFG = {
    11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
}


class VGG(nn.Module):
    def __init__(self, depth=16, batch_norm=False, num_classes=1000, in_channels=3):
        super().__init__()
        layers, c = [], in_channels
        for v in VGG_CFG[depth]:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers.append(nn.Conv2d(c, v, 3, padding=1))
                if batch_norm:
                    layers.append(nn.BatchNorm2d(v))
                layers.append(nn.ReLU(inplace=True))
                c = v
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(25088, 4096), nn.ReLU(True), nn.Dropout(),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(), nn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    def __init__(self, layers=(2, 2, 2, 2), num_classes=1000, in_channels=3):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(64, layers[0], 1)
        self.layer2 = self._make_layer(128, layers[1], 2)
        self.layer3 = self._make_layer(256, layers[2], 2)
        self.layer4 = self._make_layer(512, layers[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512, num_classes)

    def _make_layer(self, planes, blocks, stride):
        down = None
        if stride != 1 or self.inplanes != planes:
            down = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, down)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def nin_block(c_in, c, k, s=1, p=0):
    return nn.Sequential(nn.Conv2d(c_in, c, k, s, p), nn.ReLU(), nn.Conv2d(c, c, 1), nn.ReLU(),
                         nn.Conv2d(c, c, 1), nn.ReLU())


def nin(num_classes, in_channels, widths):
    w1, w2, w3 = widths
    return nn.Sequential(OrderedDict([
        ("features", nn.Sequential(
            nin_block(in_channels, w1, 11, 4), nn.MaxPool2d(3, 2), nin_block(w1, w2, 5, p=2), nn.MaxPool2d(3, 2),
            nin_block(w2, w3, 3, p=1), nn.MaxPool2d(3, 2), nn.Dropout(0.5), nin_block(w3, num_classes, 3, p=1))),
        ("avgpool", nn.AdaptiveAvgPool2d((1, 1))),
        ("flatten", nn.Flatten(1)),
    ]))


def ds_conv(c_in, c_out, stride):
    return nn.Sequential(OrderedDict([
        ("depthwise", nn.Conv2d(c_in, c_in, 3, stride, 1, groups=c_in, bias=False)),
        ("bn1", nn.BatchNorm2d(c_in)), ("relu1", nn.ReLU()),
        ("pointwise", nn.Conv2d(c_in, c_out, 1, bias=False)),
        ("bn2", nn.BatchNorm2d(c_out)), ("relu2", nn.ReLU()),
    ]))


def mobilenet_like(num_classes, in_channels, stem, config):
    layers, c = [nn.Conv2d(in_channels, stem, 3, 2, 1, bias=False), nn.BatchNorm2d(stem), nn.ReLU()], stem
    for out, stride in config:
        layers.append(ds_conv(c, out, stride))
        c = out
    return nn.Sequential(OrderedDict([
        ("features", nn.Sequential(*layers)), ("avgpool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten(1)),
        ("dropout", nn.Dropout(0.2)), ("classifier", nn.Linear(c, num_classes)),
    ]))


def _conv_relu(c_in, c_out, bn):
    layers = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=not bn)]
    if bn:
        layers.append(nn.BatchNorm2d(c_out))
    return layers + [nn.ReLU()]


class FCN(nn.Module):
    def __init__(self, in_channels, num_classes, widths):
        super().__init__()
        w1, w2, w3 = widths
        self.stage1 = nn.Sequential(*_conv_relu(in_channels, w1, False), *_conv_relu(w1, w1, False), nn.MaxPool2d(2))
        self.stage2 = nn.Sequential(*_conv_relu(w1, w2, False), *_conv_relu(w2, w2, False), nn.MaxPool2d(2))
        self.stage3 = nn.Sequential(*_conv_relu(w2, w3, False), *_conv_relu(w3, w3, False), nn.MaxPool2d(2))
        self.score = nn.Conv2d(w3, num_classes, 1)
        self.score_pool2 = nn.Conv2d(w2, num_classes, 1)
        self.up2 = nn.ConvTranspose2d(num_classes, num_classes, 4, 2, 1)
        self.up4 = nn.ConvTranspose2d(num_classes, num_classes, 8, 4, 2)

    def forward(self, x):
        p2 = self.stage2(self.stage1(x))
        return self.up4(self.up2(self.score(self.stage3(p2))) + self.score_pool2(p2))


class SegNet(nn.Module):
    def __init__(self, in_channels, num_classes, widths):
        super().__init__()
        self.depth, c = len(widths), in_channels
        for i, w in enumerate(widths, start=1):
            self.add_module(f"encoder{i}", nn.Sequential(*_conv_relu(c, w, True), *_conv_relu(w, w, True)))
            self.add_module(f"pool{i}", nn.MaxPool2d(2, 2, return_indices=True))
            c = w
        for i in range(len(widths), 0, -1):
            w, out = widths[i - 1], widths[max(i - 2, 0)]
            self.add_module(f"unpool{i}", nn.MaxUnpool2d(2, 2))
            self.add_module(f"decoder{i}", nn.Sequential(*_conv_relu(w, w, True), *_conv_relu(w, out, True)))
        self.classifier = nn.Conv2d(widths[0], num_classes, 3, padding=1)

    def forward(self, x):
        idxs, sizes = [], []
        for i in range(1, self.depth + 1):
            x = getattr(self, f"encoder{i}")(x)
            sizes.append(x.shape)
            x, idx = getattr(self, f"pool{i}")(x)
            idxs.append(idx)
        for i in range(self.depth, 0, -1):
            x = getattr(self, f"unpool{i}")(x, idxs[i - 1], output_size=sizes[i - 1][2:])
            x = getattr(self, f"decoder{i}")(x)
        return self.classifier(x)


class ConvAutoencoder(nn.Module):
    def __init__(self, in_channels, out_channels, widths):
        super().__init__()
        enc, c = [], in_channels
        for w in widths:
            enc += [nn.Conv2d(c, w, 3, 2, 1), nn.ReLU()]
            c = w
        dec, targets = [], list(reversed(widths[:-1])) + [out_channels]
        for i, w in enumerate(targets):
            dec.append(nn.ConvTranspose2d(c, w, 3, 2, 1, output_padding=1))
            if i < len(targets) - 1:
                dec.append(nn.ReLU())
            c = w
        self.encoder = nn.Sequential(*enc)
        self.decoder = nn.Sequential(*dec, nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))
