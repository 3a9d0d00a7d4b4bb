"""The model zoo: classic convolutional networks built from ``chalkgrad.nn`` layers.

Every model takes ``num_classes`` and ``in_channels`` (segmentation nets and autoencoders:
``in_channels`` and ``num_classes``/``out_channels``) and raises a ConfigError naming the
argument for a bad value. Where torchvision has the model, the parameter and buffer names and
shapes are torchvision's, so its state_dict (as NumPy arrays or torch tensors) loads unchanged
with ``load_state_dict``. The builders construct untrained models (there are no pretrained weights).

Classification (input (N, C, H, W), output (N, num_classes)):

* ``LeNet5`` / ``lenet5`` (classic tanh + average pooling, 1x32x32, 61,706 parameters; ``padding=2``
  for 28x28), ``lenet5_relu`` (ReLU + max pooling), ``LeNetDigits`` / ``lenet_digits`` (8x8 inputs);
* ``AlexNet`` / ``alexnet`` (61,100,840);
* ``VGG``, ``vgg11``, ``vgg13``, ``vgg16`` (138,357,544), ``vgg19``, with batch norm ``vgg11_bn``,
  ``vgg13_bn``, ``vgg16_bn``, ``vgg19_bn``; ``make_vgg_features``, ``VGG_CONFIGS``;
* ``ResNet``, ``BasicBlock``, ``resnet18`` (11,689,512), ``resnet34`` (21,797,672);
* ``NiN`` / ``nin``, ``NiNBlock`` (Network in Network);
* ``DepthwiseSeparableConv``, ``MobileNetLike`` / ``mobilenet_like``.

Dense prediction (input (N, C, H, W), output (N, num_classes or out_channels, H, W)):

* ``FCN`` / ``fcn`` (transposed convolutions with a skip), ``SegNet`` / ``segnet`` (max-unpooling);
* ``ConvAutoencoder``, ``DenoisingAutoencoder`` (``encoder`` / ``decoder`` attributes).

Models that are a plain chain of layers are ``nn.Sequential`` subclasses with named children
(``features``, ``avgpool``, ``flatten``, ``classifier``), so summaries walk them like any Sequential.
Models with a custom ``forward`` (``BasicBlock``, ``ResNet``, ``FCN``, ``SegNet``, the autoencoders)
answer ``output_shape``, ``macs`` and ``main_path()`` (the layers of the longest path) statically.

Parameter counts by arithmetic, without building anything: ``lenet5_num_parameters``,
``alexnet_num_parameters``, ``vgg_num_parameters``, ``resnet_num_parameters``,
``nin_num_parameters``, ``mobilenet_like_num_parameters``, ``fcn_num_parameters``,
``segnet_num_parameters``, ``conv_autoencoder_num_parameters``.
"""

from .lenet import LeNet5, lenet5, lenet5_relu, LeNetDigits, lenet_digits, lenet5_num_parameters
from .alexnet import AlexNet, alexnet, alexnet_num_parameters
from .vgg import (
    VGG, VGG_CONFIGS, make_vgg_features, vgg_num_parameters,
    vgg11, vgg13, vgg16, vgg19, vgg11_bn, vgg13_bn, vgg16_bn, vgg19_bn,
)
from .resnet import BasicBlock, ResNet, resnet18, resnet34, resnet_num_parameters
from .nin import NiN, NiNBlock, nin, nin_num_parameters
from .mobilenet import (
    DepthwiseSeparableConv, MobileNetLike, mobilenet_like, MOBILENET_LIKE_CONFIG, mobilenet_like_num_parameters,
)
from .segmentation import FCN, fcn, SegNet, segnet, bilinear_kernel, fcn_num_parameters, segnet_num_parameters
from .autoencoder import ConvAutoencoder, DenoisingAutoencoder, conv_autoencoder_num_parameters

from .saving import save_model, load_model, recorded

# Every builder records its name and arguments on the model (``model.zoo_config``), so that
# ``save_model`` can write the architecture as JSON next to the weights.
lenet5, lenet5_relu, lenet_digits, alexnet = map(recorded, (lenet5, lenet5_relu, lenet_digits, alexnet))
vgg11, vgg13, vgg16, vgg19 = map(recorded, (vgg11, vgg13, vgg16, vgg19))
vgg11_bn, vgg13_bn, vgg16_bn, vgg19_bn = map(recorded, (vgg11_bn, vgg13_bn, vgg16_bn, vgg19_bn))
resnet18, resnet34, nin, mobilenet_like, fcn, segnet = map(recorded, (resnet18, resnet34, nin, mobilenet_like, fcn,
                                                                      segnet))

__all__ = [
    "save_model", "load_model",
    "LeNet5", "lenet5", "lenet5_relu", "LeNetDigits", "lenet_digits", "lenet5_num_parameters",
    "AlexNet", "alexnet", "alexnet_num_parameters",
    "VGG", "VGG_CONFIGS", "make_vgg_features", "vgg_num_parameters",
    "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn",
    "BasicBlock", "ResNet", "resnet18", "resnet34", "resnet_num_parameters",
    "NiN", "NiNBlock", "nin", "nin_num_parameters",
    "DepthwiseSeparableConv", "MobileNetLike", "mobilenet_like", "MOBILENET_LIKE_CONFIG",
    "mobilenet_like_num_parameters",
    "FCN", "fcn", "SegNet", "segnet", "bilinear_kernel", "fcn_num_parameters", "segnet_num_parameters",
    "ConvAutoencoder", "DenoisingAutoencoder", "conv_autoencoder_num_parameters",
]
