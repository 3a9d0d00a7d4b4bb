"""Worked solutions: the steps of a computation written out as a careful exam answer.

``expr.py``    formula trees printed as text or LaTeX, with or without the numbers put in
``steps.py``   Step / Section / Solution: the solution as data, self-checking, carry modes
``render.py``  plain text, Markdown and LaTeX renderers (full, problem-only, answer key)
``dense.py``   small dense networks scalar by scalar: forward, loss, backward, update
``optimizer.py`` optimizer steps: SGD, momentum, Nesterov, Adagrad, RMSprop, Adadelta, Adam(W), Rprop
``layers.py``  layer internals: convolution windows, transposed-conv scatter-add, pooling, unpooling,
               batch/layer norm, dropout, softmax cross-entropy
``sequences.py`` RNN/LSTM/GRU steps with every gate, and backpropagation through time
``classic.py`` perceptron update tables, KNN distance tables and votes, the SVM margin
``expression.py`` any scalar/vector expression and its gradients, node by node (micrograd-style)
``logic.py``   networks of threshold units on truth tables (logic gates)
``gradcheck.py`` a gradient check: worst element, central difference with ε, error against tolerance
``graph.py``   computation graphs (DOT, Mermaid, text) with values and gradients
``arch.py``    architecture arithmetic: output sizes, parameters, MACs, receptive field, with formulas
``problem.py`` YAML problem files (schema, file/line/key errors) and their solutions
``command.py`` the ``chalkgrad solve`` command
"""

from .arch import explain_architecture, explain_receptive_field
from .dense import explain_dense
from .expression import explain_expression
from .gradcheck import explain_gradcheck
from .logic import explain_logic
from .optimizer import explain_optimizer
from .sequences import explain_recurrent, recurrent_layer
from .classic import explain_knn, explain_perceptron, explain_svm, logic_gate
from .layers import (
    explain_avg_pool2d, explain_batch_norm, explain_conv, explain_conv_transpose, explain_dropout,
    explain_global_avg_pool2d, explain_layer, explain_layer_norm, explain_max_pool2d, explain_max_unpool2d,
    explain_softmax_cross_entropy,
)
from .render import render
from .steps import Section, Solution, Step

__all__ = [
    "explain_dense", "explain_optimizer", "explain_architecture", "explain_receptive_field",
    "explain_recurrent", "recurrent_layer", "explain_perceptron", "explain_knn", "explain_svm", "logic_gate",
    "explain_conv", "explain_conv_transpose", "explain_max_pool2d", "explain_avg_pool2d",
    "explain_global_avg_pool2d", "explain_max_unpool2d", "explain_batch_norm", "explain_layer_norm",
    "explain_dropout", "explain_softmax_cross_entropy", "explain_layer",
    "explain_gradcheck", "explain_expression", "explain_logic", "render", "Solution", "Section", "Step",
]
