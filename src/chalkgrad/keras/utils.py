"""keras.utils: to_categorical, set_random_seed, plot_model (chalkgrad's graph drawing), normalize."""

from __future__ import annotations

import random

import numpy as np

from ..errors import ConfigError, DataError

__all__ = ["to_categorical", "set_random_seed", "plot_model", "normalize", "model_graph"]


def to_categorical(x, num_classes=None, dtype="float32") -> np.ndarray:
    """One-hot rows for integer labels: (N,) -> (N, num_classes) (a trailing axis of 1 is dropped)."""
    y = np.asarray(x)
    if y.dtype.kind == "f":
        if not np.all(y == np.round(y)):
            raise DataError("to_categorical: labels must be integers, got non-integer floats")
        y = y.astype(np.int64)
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y.reshape(y.shape[:-1])
    if y.size and y.min() < 0:
        raise DataError(f"to_categorical: labels must be ≥ 0, got {int(y.min())}")
    n = int(y.max()) + 1 if num_classes is None else int(num_classes)
    if y.size and y.max() >= n:
        raise DataError(f"to_categorical: label {int(y.max())} does not fit num_classes={n}")
    out = np.zeros(y.shape + (n,), dtype=dtype)
    np.put_along_axis(out, y[..., None], 1, axis=-1)
    return out


def normalize(x, axis=-1, order=2) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / np.where(norm == 0, 1, norm)


def set_random_seed(seed: int) -> None:
    """Seed Python's, NumPy's and chalkgrad's generators (weight init, dropout, shuffling)."""
    from ..random import manual_seed

    if not isinstance(seed, (int, np.integer)):
        raise ConfigError(f"set_random_seed: seed must be an integer, got {seed!r}")
    random.seed(int(seed))
    np.random.seed(int(seed))
    manual_seed(int(seed))


def model_graph(model, show_shapes=True):
    """The layer graph of a built model as a ``chalkgrad.explain.graph.Graph`` (one node per layer)."""
    from ..explain.graph import Graph, GraphEdge, GraphNode
    from .summary_shapes import layer_output_shape

    model._ensure_built(what="plot_model")
    g = Graph(title=model.name, level="layers")
    ids = {}
    for i, layer in enumerate(model.layers):
        ids[id(layer)] = f"l{i}"
        shape = layer_output_shape(layer) if show_shapes else ()
        g.nodes.append(GraphNode(id=f"l{i}", label=f"{layer.name} ({type(layer).__name__})", kind="op",
                                 shape=shape))
    nodes = getattr(model, "_nodes", None)
    if nodes is None:  # Sequential: a chain
        for a, b in zip(model.layers, model.layers[1:]):
            g.edges.append(GraphEdge(ids[id(a)], ids[id(b)]))
    else:
        for node in nodes:
            for k, t in enumerate(node.input_tensors):
                src = t._keras_history[0]
                if id(src) in ids:
                    g.edges.append(GraphEdge(ids[id(src)], ids[id(node.layer)], k))
    return g


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=True,
               rankdir="TB", expand_nested=False, dpi=200, **kwargs):
    """Draw the layer graph to ``to_file`` (.png/.svg/.pdf need Graphviz's dot; .dot, .mmd, .txt do not)."""
    return model_graph(model, show_shapes).save(to_file)
