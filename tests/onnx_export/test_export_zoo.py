"""Every zoo model exports: onnx.checker (full check) passes and onnxruntime agrees with chalkgrad to 1e-5,
also at another batch size (dynamic batch axis).

AlexNet and VGG keep their real ``features``/``avgpool``/``flatten``; their 4096-wide classifier
(~120M parameters: seconds to draw, write and load) is replaced by a small one of the same layer
types, so the suite stays fast. They are built without drawing weights and then filled with
random values of a sensible scale (batch-norm statistics included).
"""

from __future__ import annotations

import numpy as np
import pytest

import chalkgrad as cg
from chalkgrad import models, nn

from .helpers import check_export, randn


def _small_head(build, features: int, hidden: int = 32):
    with nn.init.skip_init():
        model = build()
    model.classifier = nn.Sequential(nn.Dropout(0.5), nn.Linear(features, hidden), nn.ReLU(), nn.Dropout(0.5),
                                     nn.Linear(hidden, 10))
    rng = np.random.default_rng(0)
    for name, t in list(model.named_parameters()) + list(model.named_buffers()):
        if t.dtype.kind != "f":
            continue
        if t.ndim > 1:
            t.data[...] = rng.normal(0.0, np.sqrt(2.0 / np.prod(t.shape[1:])), t.shape)
        elif name.endswith("running_var") or name.endswith("weight"):
            t.data[...] = rng.uniform(0.5, 1.5, t.shape)
        else:
            t.data[...] = rng.normal(0.0, 0.1, t.shape)
    return model


ZOO = {
    "lenet5": (lambda: models.lenet5(), (2, 1, 32, 32)),
    "lenet5_relu": (lambda: models.lenet5_relu(), (2, 1, 32, 32)),
    "lenet_digits": (lambda: models.lenet_digits(), (2, 1, 8, 8)),
    "alexnet": (lambda: _small_head(models.alexnet, 256 * 6 * 6), (2, 3, 63, 63)),
    "vgg11_bn": (lambda: _small_head(models.vgg11_bn, 512 * 7 * 7), (2, 3, 32, 32)),
    "resnet18": (lambda: models.resnet18(num_classes=10), (2, 3, 32, 32)),
    "nin": (lambda: models.nin(num_classes=10, widths=(8, 16, 24)), (2, 3, 67, 67)),
    "mobilenet_like": (lambda: models.mobilenet_like(num_classes=10), (2, 3, 32, 32)),
    "fcn": (lambda: models.fcn(num_classes=3), (2, 3, 32, 32)),
    "segnet": (lambda: models.segnet(num_classes=3), (2, 3, 32, 32)),
    "conv_autoencoder": (lambda: models.ConvAutoencoder(in_channels=1, out_channels=1), (2, 1, 16, 16)),
    "denoising_autoencoder": (lambda: models.DenoisingAutoencoder(in_channels=1, out_channels=1), (2, 1, 16, 16)),
}


@pytest.mark.parametrize("name", sorted(ZOO))
def test_zoo_model(name, tmp_path):
    build, shape = ZOO[name]
    cg.manual_seed(0)
    model = build()
    proto = check_export(model, randn(*shape), tmp_path, other_batch=1)
    initializers = {t.name for t in proto.graph.initializer}
    state = set(model.state_dict())
    assert initializers & state, "parameters are stored under their state_dict names"
