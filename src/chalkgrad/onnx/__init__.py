"""ONNX export (the optional extra ``chalkgrad[onnx]``).

``chalkgrad.onnx.export(model, example_input, path, input_names=None, output_names=None,
dynamic_axes=None, opset_version=17)`` traces one forward pass and writes an ONNX file that
onnxruntime, Netron and other tools open. See docs/onnx.md for what maps to what.

Modules: ``trace`` (recording the ops of a forward pass), ``ops`` (one converter per op),
``modules`` (layers exported whole: recurrent layers, batch norm, embeddings), ``graph``
(the ONNX graph under construction), ``export`` (the entry point).
"""

from .export import DEFAULT_OPSET, MAX_OPSET, MIN_OPSET, export

__all__ = ["export", "DEFAULT_OPSET", "MIN_OPSET", "MAX_OPSET"]
