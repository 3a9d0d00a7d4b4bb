"""Differentiable operations, one family per file.

``elementwise``  arithmetic and pointwise maths (+ - * / **, exp, log, tanh...)
``reduce``       sum, mean, prod, max/min, var/std, logsumexp, norm, cumsum
``shape``        reshape, permute, expand, cat, stack, pad, flip, tril/triu
``indexing``     __getitem__, gather, scatter_add, masked_fill, one_hot
``linalg``       matmul and the fused linear layer

Each op is a :class:`~chalkgrad.autograd.Function` subclass with its forward
(NumPy arrays) and backward (Tensor expressions) next to each other, plus a
lowercase function that users and ``Tensor`` methods call.
"""
