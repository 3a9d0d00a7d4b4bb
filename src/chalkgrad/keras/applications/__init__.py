"""``keras.applications``: VGG16, VGG19, ResNet50 and MobileNet with Keras 3's architecture and layer names.

Built with the functional API from chalkgrad.keras layers, so ``summary()`` matches Keras 3's
line for line and a Keras 3 ``.weights.h5`` file of the same model loads with ``load_weights``.
Pretrained weights are never downloaded: ``weights`` is None (the default here) or a local
``.weights.h5`` file.
"""

from .mobilenet import MobileNet
from .resnet import ResNet50
from .vgg import VGG16, VGG19

__all__ = ["VGG16", "VGG19", "ResNet50", "MobileNet"]
