"""The output shape a layer showed in its model (last symbolic call), for summaries and plots."""

from __future__ import annotations


def layer_output_shape(layer):
    nodes = getattr(layer, "_inbound_nodes", None)
    if not nodes:
        return ()
    out = nodes[-1].output_tensors
    return tuple(out[0].shape) if len(out) == 1 else tuple(tuple(t.shape) for t in out)
