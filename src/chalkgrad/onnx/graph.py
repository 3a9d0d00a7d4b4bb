"""``Builder``: collects the ONNX nodes and initializers while the recorded ops are translated.

Values are named after where they come from: parameters and buffers by their ``state_dict`` key
(``features.0.weight``), graph inputs and outputs by the names the caller chose, everything else
``<module path>/<op><n>`` (``features.0/Conv0``), so Netron shows which layer made each tensor.
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from ..errors import ExportError
from ..tensor import Tensor

#: "until the end" for Slice (any bound past the size is clamped to it).
INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min


def onnx_dtype(dtype) -> int:
    """The ONNX element type of a NumPy dtype (float32 -> TensorProto.FLOAT...)."""
    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


class Builder:
    """The graph under construction: ``nodes``, ``initializers`` and the name of every traced tensor."""

    def __init__(self, opset: int, param_names: dict) -> None:
        self.opset = opset
        self.param_names = param_names  # id(tensor) -> state_dict key
        self.nodes: list = []
        self.initializers: dict = {}  # name -> TensorProto
        self.names: dict = {}  # id(tensor) -> value name
        self.taken: set = set()
        self.node = None  # the recorded Node being translated (for naming and messages)
        #: (input name, axis, traced size) of the first dynamic input axis, or None
        self.dynamic_batch = None

    # ---------------------------------------------------------------- names
    def unique(self, hint: str) -> str:
        name, k = hint, 0
        while name in self.taken:
            name = f"{hint}{k}" if not hint[-1:].isdigit() else f"{hint}_{k}"
            k += 1
        self.taken.add(name)
        return name

    def _prefix(self) -> str:
        path = self.node.path if self.node is not None else ""
        return f"{path}/" if path else ""

    def bind(self, tensor: Tensor, name: str) -> None:
        """Say that ``tensor`` is the ONNX value ``name``."""
        self.names[id(tensor)] = name

    # ---------------------------------------------------------------- values
    def value(self, x, dtype=None) -> str:
        """The ONNX value for an op input: a traced tensor, a parameter/buffer or a constant.

        A constant that is not a Tensor (a Python number, a NumPy array) takes ``dtype`` (the op's
        output dtype) unless it is boolean, as chalkgrad's own promotion does.
        """
        if isinstance(x, Tensor):
            name = self.names.get(id(x))
            if name is not None:
                return name
            key = self.param_names.get(id(x))
            if key is not None:
                self.names[id(x)] = self.const(x.data, key, exact=True)
                return self.names[id(x)]
            name = self._filled(x.data) or self.const(x.data, self._prefix() + "const")
            self.names[id(x)] = name
            return name
        arr = np.asarray(x)
        if dtype is not None and arr.dtype.kind != "b":
            arr = arr.astype(dtype)
        return self.const(arr, self._prefix() + "const")

    def batch_shape(self, shape) -> str | None:
        """``shape`` as a run-time shape whose first dimension is the input's batch size, when ``shape[0]`` is the
        traced batch size of a dynamic batch axis; None otherwise."""
        if self.dynamic_batch is None or not shape:
            return None
        source, axis, size = self.dynamic_batch
        if shape[0] != size:
            return None
        batch = self.add("Slice", [self.add("Shape", [source]), self.ints([axis], "starts"),
                                   self.ints([axis + 1], "ends")])
        return self.add("Concat", [batch, self.ints(shape[1:], "shape")], axis=0)

    def _filled(self, arr) -> str | None:
        """A constant filled with one value whose first dimension is the dynamic batch size (a zero initial
        state, say) is made at run time with the input's batch size; None for any other constant."""
        if self.dynamic_batch is None or arr.ndim == 0 or arr.size < 2:
            return None
        flat = arr.reshape(-1)
        if arr.shape[0] != self.dynamic_batch[2] or not (flat == flat[0]).all():
            return None
        shape = self.batch_shape(arr.shape)
        fill = numpy_helper.from_array(flat[:1].copy(), "value")
        return self.add("ConstantOfShape", [shape], value=fill)

    def const(self, array, hint: str = "const", exact: bool = False) -> str:
        """Add ``array`` as an initializer; returns its name (``hint`` itself when ``exact``)."""
        arr = np.asarray(array, order="C")  # (not ascontiguousarray, which makes scalars 1-D)
        if arr.dtype.kind not in "fiub":
            raise ExportError(f"cannot store a constant of dtype {arr.dtype} in an ONNX file")
        name = hint if exact and hint not in self.taken else self.unique(hint)
        self.taken.add(name)
        self.initializers[name] = numpy_helper.from_array(arr, name)
        return name

    def ints(self, values, hint: str = "shape") -> str:
        """An int64 1-D constant (shapes, axes, slice bounds)."""
        return self.const(np.asarray(list(values), dtype=np.int64), self._prefix() + hint)

    # ---------------------------------------------------------------- nodes
    def add(self, op_type: str, inputs, outputs=1, **attrs):
        """Append a node; ``outputs`` is a count (fresh names) or a list of names. Returns the output name(s)."""
        if isinstance(outputs, int):
            outputs = [self.unique(f"{self._prefix()}{op_type}") for _ in range(outputs)]
        name = self.unique(f"{self._prefix()}{op_type}_node")
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(helper.make_node(op_type, list(inputs), list(outputs), name=name, **attrs))
        return outputs[0] if len(outputs) == 1 else outputs

    def reduce(self, op_type: str, x: str, axes, keepdims: bool) -> str:
        """A Reduce* node; axes are an input from opset 18 on (ReduceSum: 13), an attribute before."""
        axes = list(axes)
        as_input = self.opset >= (13 if op_type == "ReduceSum" else 18)
        if as_input:
            return self.add(op_type, [x, self.ints(axes, "axes")], keepdims=int(keepdims))
        return self.add(op_type, [x], axes=axes, keepdims=int(keepdims))

    def unsqueeze(self, x: str, axes) -> str:
        return self.add("Unsqueeze", [x, self.ints(axes, "axes")])

    def squeeze(self, x: str, axes) -> str:
        return self.add("Squeeze", [x, self.ints(axes, "axes")])

    def reshape(self, x: str, shape) -> str:
        return self.add("Reshape", [x, self.ints(shape)])

    def transpose(self, x: str, perm) -> str:
        return self.add("Transpose", [x], perm=list(perm))


def value_info(name: str, dtype, shape, dims: dict | None = None):
    """A typed graph input/output; ``dims`` maps axis -> symbolic name (dynamic axes)."""
    dims = dims or {}
    shape = [dims.get(i, s) for i, s in enumerate(shape)]
    return helper.make_tensor_value_info(name, onnx_dtype(dtype), shape)


__all__ = ["Builder", "INT64_MAX", "INT64_MIN", "TensorProto", "onnx_dtype", "value_info"]
