"""Differentiable operations, one family per file.

``elementwise``  arithmetic and pointwise maths (+ - * / **, exp, log, tanh...)
``reduce``       sum, mean, prod, max/min, var/std, logsumexp, norm, cumsum
``shape``        reshape, permute, expand, cat, stack, pad, flip, tril/triu
``indexing``     __getitem__, gather, scatter_add, masked_fill, one_hot
``linalg``       matmul and the fused linear layer
``softmax``      stable softmax and log_softmax
``special``      erf (for the exact GELU)
``conv``         convolution by im2col, its adjoints (transposed convolution), unfold/fold
``pool``         max/avg pooling, index gather/scatter (unpooling), adaptive pooling, interpolation
``norm``         fused batch norm and normalization with a closed-form backward
``rnn``          fused RNN/LSTM/GRU sequence loops (backward through time in NumPy)

Each op is a :class:`~chalkgrad.autograd.Function` subclass with its forward
(NumPy arrays) and backward (Tensor expressions) next to each other, plus a
lowercase function that users and ``Tensor`` methods call.
"""
