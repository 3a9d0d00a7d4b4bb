"""ONNX export (the optional extra ``chalkgrad[onnx]``).

``chalkgrad.onnx.export(model, example_input, path, input_names=None, output_names=None,
dynamic_axes=None, opset_version=17)`` traces one forward pass and writes an ONNX file that
onnxruntime, Netron and other tools open; ``chalkgrad.onnx.load(path)`` reads such a file back
as a chalkgrad module. See docs/onnx.md for what maps to what.

Modules: ``trace`` (recording the ops of a forward pass), ``ops`` (one converter per op),
``modules`` (layers exported whole: recurrent layers, batch norm, embeddings), ``graph``
(the ONNX graph under construction), ``export`` (the entry point), ``importer`` (``load``).
"""

try:
    import onnx as _onnx  # noqa: F401 - only to give a clear message when it is missing
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("chalkgrad.onnx needs the onnx package: pip install 'chalkgrad[onnx]'") from e

from .export import DEFAULT_OPSET, MAX_OPSET, MIN_OPSET, export
from .importer import OnnxModule, load

__all__ = ["export", "load", "OnnxModule", "DEFAULT_OPSET", "MIN_OPSET", "MAX_OPSET"]
