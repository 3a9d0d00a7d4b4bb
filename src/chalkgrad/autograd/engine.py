"""Reverse-mode differentiation: walk the recorded graph from the outputs back.

How ``.grad`` accumulates (the same as PyTorch):

* A leaf tensor (``requires_grad=True``, made by the user, not by an op) receives
  ``leaf.grad += dL/dleaf`` on every ``backward``; nothing resets it but you
  (``leaf.grad = None`` or ``Module.zero_grad()``).
* A non-leaf tensor keeps its gradient only if ``retain_grad()`` was called on it.
* Without ``retain_graph=True`` a backward pass frees what the nodes saved; a second
  backward through the same nodes raises :class:`~chalkgrad.errors.GradError`.
* With ``create_graph=True`` the backward pass is itself recorded, so the gradients
  can be differentiated again.
"""

from __future__ import annotations

from ..errors import GradError, ShapeError
from . import grad_mode


def _topological_order(roots):
    """Nodes reachable from ``roots`` such that each node comes after all its inputs' nodes."""
    order, seen = [], set()
    for root in roots:
        if root is None or id(root) in seen:
            continue
        stack = [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            # Mark a node when it is expanded, not when it is pushed: a node pushed early
            # (as an input of the root) may also feed a node expanded later, and must come
            # out of the stack after that consumer so that its gradient is complete.
            if id(node) in seen:
                continue
            seen.add(id(node))
            if getattr(node, "_freed", False):
                raise GradError(
                    f"backward through a graph that has already been freed: the node "
                    f"{node!r} released its saved values after an earlier backward. "
                    "Pass retain_graph=True to the first backward() if you need to "
                    "backward through the same graph twice."
                )
            stack.append((node, True))
            for x in node.inputs:
                child = getattr(x, "_node", None)
                if child is not None and id(child) not in seen:
                    stack.append((child, False))
    return order


def _check_versions(node):
    for x, v in zip(node.inputs, node._versions):
        if getattr(x, "_version", v) != v:
            raise GradError(
                f"a tensor saved by {node!r} was modified in place after it was used "
                f"(version {v} when saved, {x._version} now); backward would be wrong. "
                "Update it out of place, or run the forward pass again."
            )


def run_backward(outputs, grads, retain_graph=False, create_graph=False, inputs=None):
    """Propagate ``grads`` (one per output) back through the graph.

    With ``inputs=None`` gradients accumulate into the ``.grad`` of leaves (and of
    non-leaves that ``retain_grad()``); otherwise the gradients with respect to
    ``inputs`` are returned in a list and no ``.grad`` is touched.
    """
    from ..tensor import Tensor

    capture = None
    if inputs is not None:
        capture = {id(t): None for t in inputs}
    pending = {}  # id(node) -> gradient of that node's output
    owned = set()  # ids of arrays already handed to a .grad in this pass

    def leaf_accumulate(t, g):
        if capture is not None:
            if id(t) in capture:
                prev = capture[id(t)]
                capture[id(t)] = g if prev is None else prev + g
            return
        if not create_graph:
            arr = g.data
            if id(arr) in owned or not arr.flags.owndata:
                arr = arr.copy()
            owned.add(id(arr))
            g = Tensor._wrap(arr)
        if t.grad is None:
            t.grad = g
        else:
            with grad_mode.set_grad_enabled(create_graph):
                t.grad = t.grad + g

    for out, g in zip(outputs, grads):
        owned.add(id(g.data))
        node = out._node
        if node is None:
            leaf_accumulate(out, g)
        else:
            prev = pending.get(id(node))
            pending[id(node)] = g if prev is None else prev + g

    order = _topological_order([o._node for o in outputs])
    with grad_mode.set_grad_enabled(create_graph):
        for node in reversed(order):
            g = pending.pop(id(node), None)
            if g is None:
                continue
            _check_versions(node)
            out = node._out()
            if out is not None and out._retains_grad:
                if capture is None:
                    if out.grad is None:
                        out.grad = g if create_graph else Tensor._wrap(g.data.copy())
                    else:
                        out.grad = out.grad + g
            if capture is not None and out is not None and id(out) in capture:
                prev = capture[id(out)]
                capture[id(out)] = g if prev is None else prev + g
            in_grads = node.backward(g)
            if not isinstance(in_grads, tuple):
                in_grads = (in_grads,)
            for x, gx, need in zip(node.inputs, in_grads, node.needs_input_grad):
                if not need or gx is None:
                    continue
                if gx.dtype != x.dtype:  # a float32 input gets a float32 gradient, as in PyTorch
                    gx = gx.to(x.dtype)
                if gx.shape != x.shape:
                    raise ShapeError(
                        f"internal error in {node.name}.backward: gradient of shape "
                        f"{gx.shape} for an input of shape {x.shape}"
                    )
                child = x._node
                if child is None:
                    leaf_accumulate(x, gx)
                else:
                    prev = pending.get(id(child))
                    pending[id(child)] = gx if prev is None else prev + gx
    if not retain_graph:
        for node in order:
            node.release()
    if capture is not None:
        return [capture[id(t)] for t in inputs]
    return None
