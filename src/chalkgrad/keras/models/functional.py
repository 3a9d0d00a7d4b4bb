"""Functional models: ``keras.Model(inputs, outputs)`` over the graph of layer calls on symbolic tensors.

The graph is the set of :class:`~chalkgrad.keras.layers.base.Node` s between ``inputs`` and
``outputs`` (so an intermediate output cuts a model: ``Model(model.inputs, model.layers[-2].output)``).
Layers are ordered as Keras 3 orders them: by depth from the outputs (deepest first), ties by
the order of a depth-first walk. ``model.layers`` includes the InputLayers, as Keras's functional
models do. Running the model evaluates the nodes in that order; a layer called several times
(shared) runs once per node, with the same weights.
"""

from __future__ import annotations

from ...errors import ConfigError, ShapeError
from ...tensor import Tensor
from ..layers.base import KerasTensor, Layer, _call_params, _flatten, deserialize, register, serialize, set_parent
from ..layers.core import InputLayer
from .training import Model

__all__ = ["Functional"]


def _structure(x):
    return list(x) if isinstance(x, (list, tuple)) else ([*x.values()] if isinstance(x, dict) else [x])


class _Graph:
    """Nodes between some input tensors and some output tensors, in Keras's execution order."""

    def __init__(self, inputs, outputs) -> None:
        input_ids = {id(t) for t in inputs}
        visited, order, depth = set(), [], {}

        def walk(node):  # depth-first, post-order: a node after the nodes it depends on
            if id(node) in visited:
                return
            visited.add(id(node))
            if not (len(node.output_tensors) == 1 and id(node.output_tensors[0]) in input_ids):
                for t in node.input_tensors:
                    walk(_producer(t))
            order.append(node)

        for t in outputs:
            walk(_producer(t))
        index = {id(n): i for i, n in enumerate(order)}
        for node in reversed(order):  # depth: longest path to an output
            d = depth.setdefault(id(node), 0)
            if len(node.output_tensors) == 1 and id(node.output_tensors[0]) in input_ids:
                continue
            for t in node.input_tensors:
                parent = _producer(t)
                depth[id(parent)] = max(depth.get(id(parent), 0), d + 1)
        for t in inputs:
            node = _producer(t)
            if id(node) not in index:
                order.append(node)
                index[id(node)] = len(order) - 1
                depth[id(node)] = max(depth.values(), default=0) + 1
        self.nodes = sorted(order, key=lambda n: (-depth[id(n)], index[id(n)]))
        missing = [t for n in self.nodes for t in n.input_tensors
                   if _producer(t) not in self.nodes and id(t) not in input_ids]
        if missing:
            raise ConfigError(f"Model: output depends on the tensor {missing[0].name!r}, which is not computed from "
                              "the given inputs; pass every keras.Input the outputs use")
        self.layers = []
        for n in self.nodes:
            if n.layer not in self.layers:
                self.layers.append(n.layer)


def _producer(t):
    if not isinstance(t, KerasTensor) or t._keras_history is None:
        raise ConfigError(f"Model: expected symbolic tensors from keras.Input or layer calls, got {t!r}")
    layer, node_index, _ = t._keras_history
    return layer._inbound_nodes[node_index]


@register
class Functional(Model):
    """A model defined by its input and output symbolic tensors."""

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs) -> None:
        super().__init__(name=name or _functional_name(), trainable=trainable, **kwargs)
        if inputs is None or outputs is None:
            raise ConfigError("Model(inputs, outputs): both are required (symbolic tensors from keras.Input and "
                              "layer calls)")
        self._inputs_struct, self._outputs_struct = inputs, outputs
        self.inputs = _structure(inputs)
        self.outputs = _structure(outputs)
        for t in self.inputs + self.outputs:
            if not isinstance(t, KerasTensor):
                raise ConfigError(f"Model: inputs and outputs must be symbolic tensors, got {type(t).__name__}")
        graph = _Graph(self.inputs, self.outputs)
        self._nodes = graph.nodes
        names = [layer.name for layer in graph.layers]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ConfigError(f"Model: layer names must be unique in a model, {dup} appear twice")
        for layer in graph.layers:
            self.add_module(layer.name.replace(".", "_"), layer)  # module keys cannot hold '.'
            set_parent(layer, self)
        self._graph_layers = graph.layers
        self._sample_shape = self.inputs[0].shape[1:] if len(self.inputs) == 1 else [t.shape[1:] for t in self.inputs]
        self.built = True

    # -- structure ------------------------------------------------------------------
    @property
    def layers(self) -> list:
        return list(self._graph_layers)

    def _sublayers(self) -> list:
        return [m for m in self._graph_layers if not isinstance(m, InputLayer)]

    def get_layer(self, name=None, index=None):
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ConfigError(f"{self.name}.get_layer: no layer named {name!r}; layers: "
                          f"{', '.join(layer.name for layer in self.layers)}")

    @property
    def input(self):
        return self._inputs_struct

    @property
    def output(self):
        return self._outputs_struct

    @property
    def output_names(self):
        return [t._keras_history[0].name for t in self.outputs]

    def _final_layer(self):
        return self.outputs[0]._keras_history[0] if len(self.outputs) == 1 else None

    def _layer_list(self):
        return None

    # -- running --------------------------------------------------------------------
    def compute_output_shape(self, input_shape):
        shapes = {id(t): (s if isinstance(s, tuple) else tuple(s))
                  for t, s in zip(self.inputs, input_shape if isinstance(input_shape, list) else [input_shape])}
        for node in self._nodes:
            if isinstance(node.layer, InputLayer):
                continue
            args = _map(node.arguments, lambda t: shapes[id(t)])
            out = node.layer.compute_output_shape(args)
            outs = out if isinstance(out, list) else [out]
            for t, s in zip(node.output_tensors, outs):
                shapes[id(t)] = tuple(s)
        result = [shapes[id(t)] for t in self.outputs]
        return result[0] if len(result) == 1 else result

    def call(self, inputs, training=None, mask=None):
        return self._run(inputs, training, logits=False)

    def forward(self, inputs, training=None, mask=None):
        return self._run(inputs, training, logits=False)

    def _forward_logits(self, x):
        return self._run(x, None, logits=True)

    def _run(self, inputs, training, logits):
        flat = _structure(inputs) if isinstance(inputs, (list, tuple, dict)) else [inputs]
        if len(flat) != len(self.inputs):
            raise ShapeError(f"{self.name}: the model takes {len(self.inputs)} inputs "
                             f"({', '.join(t.name for t in self.inputs)}), got {len(flat)}")
        values, masks = {}, {}
        for t, x in zip(self.inputs, flat):
            values[id(t)] = x if isinstance(x, Tensor) else Tensor(x)
        final = self.outputs[0] if len(self.outputs) == 1 else None
        for node in self._nodes:
            layer = node.layer
            if isinstance(layer, InputLayer):
                continue
            args = _map(node.arguments, lambda t: values[id(t)])
            mask = _map(node.arguments, lambda t: masks.get(id(t)))
            kwargs = {}
            params = _call_params(type(layer))
            has_mask = any(m is not None for m in _flatten(mask))
            if has_mask and ("mask" in params or "**" in params):
                kwargs["mask"] = mask
            if training is not None and ("training" in params or "**" in params):
                kwargs["training"] = training
            if logits and final is not None and node.output_tensors[0] is final:
                out = layer.call_without_activation(args)
            else:
                out = layer(args, **kwargs)
            new_mask = layer.compute_mask(args, mask if has_mask else None) if isinstance(layer, Layer) else None
            outs = out if isinstance(out, (list, tuple)) else [out]
            for t, v in zip(node.output_tensors, outs):
                values[id(t)] = v
                if new_mask is not None:
                    masks[id(t)] = new_mask
        result = [values[id(t)] for t in self.outputs]
        return result[0] if len(result) == 1 else result

    # -- config ---------------------------------------------------------------------
    def get_config(self) -> dict:
        """Keras 3's functional config: layers with inbound_nodes, input_layers and output_layers."""
        layers = []
        for layer in self.layers:
            item = serialize(layer)
            item["name"] = layer.name
            build = None if isinstance(layer, InputLayer) else layer.get_build_config()
            if build is not None:
                item["build_config"] = build
            item["inbound_nodes"] = [_node_config(n) for n in layer._inbound_nodes if n in self._nodes
                                     and not isinstance(layer, InputLayer)]
            layers.append(item)
        return {"name": self.name, "trainable": self.trainable, "layers": layers,
                "input_layers": _history_list(self._inputs_struct),
                "output_layers": _history_list(self._outputs_struct)}

    @classmethod
    def from_config(cls, config: dict):
        created, tensors = {}, {}
        pending = list(config["layers"])
        for item in pending:
            layer = deserialize(item)
            if item.get("build_config") and not isinstance(layer, InputLayer):
                layer.build_from_config(item["build_config"])
            created[item.get("name", layer.name)] = layer
            if isinstance(layer, InputLayer):
                tensors[(layer.name, 0, 0)] = layer.output
        progress = True
        done = {name for name, layer in created.items() if isinstance(layer, InputLayer)}
        counters = {name: 0 for name in created}
        while progress:
            progress = False
            for item in pending:
                name = item.get("name")
                if name in done:
                    continue
                nodes = item.get("inbound_nodes", [])
                while counters[name] < len(nodes):
                    node = nodes[counters[name]]
                    try:
                        args = [_from_node_arg(a, tensors) for a in node["args"]]
                    except KeyError:
                        break
                    out = created[name](*args, **(node.get("kwargs") or {}))
                    for i, t in enumerate(out if isinstance(out, list) else [out]):
                        tensors[(name, counters[name], i)] = t
                    counters[name] += 1
                    progress = True
                if counters[name] == len(nodes):
                    done.add(name)
        inputs = _from_history(config["input_layers"], tensors)
        outputs = _from_history(config["output_layers"], tensors)
        return cls(inputs, outputs, name=config.get("name"), trainable=config.get("trainable", True))


def _functional_name():
    from ..backend import auto_name

    return auto_name("Functional")


def _map(structure, fn):
    if isinstance(structure, (list, tuple)):
        return [_map(s, fn) for s in structure]
    return fn(structure)


def _tensor_config(t: KerasTensor) -> dict:
    layer, node_index, tensor_index = t._keras_history
    return {"class_name": "__keras_tensor__",
            "config": {"shape": tuple(t.shape), "dtype": t.dtype,
                       "keras_history": [layer.name, node_index, tensor_index]}}


def _node_config(node) -> dict:
    args = node.arguments
    arg = [_tensor_config(t) for t in args] if isinstance(args, (list, tuple)) else _tensor_config(args)
    return {"args": (arg,), "kwargs": dict(node.layer.node_kwargs)}


def _history_list(struct):
    items = [[t._keras_history[0].name, t._keras_history[1], t._keras_history[2]] for t in _structure(struct)]
    return items[0] if not isinstance(struct, (list, tuple, dict)) else items


def _from_node_arg(arg, tensors):
    if isinstance(arg, list):
        return [_from_node_arg(a, tensors) for a in arg]
    if isinstance(arg, dict) and arg.get("class_name") == "__keras_tensor__":
        return tensors[tuple(arg["config"]["keras_history"])]
    return arg


def _from_history(spec, tensors):
    if spec and isinstance(spec[0], str):
        return tensors[tuple(spec)]
    return [tensors[tuple(s)] for s in spec]
