"""Each chalkgrad.keras layer against Keras 3 (torch backend): config, weight layouts, shapes, outputs.

For every case both libraries build the same layer from the same arguments; Keras's weights
are copied in with set_weights (Keras layouts), and the outputs on the same input must agree
to 1e-5 (float32). get_config must give Keras's keys and values.
"""

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

import chalkgrad as cg  # noqa: E402
from chalkgrad.keras import layers as L  # noqa: E402

CASES = [
    ("Dense", (5,), dict(units=3, activation="relu")),
    ("Dense", (4, 6), dict(units=2, use_bias=False)),
    ("Conv2D", (9, 9, 3), dict(filters=4, kernel_size=3)),
    ("Conv2D", (9, 9, 3), dict(filters=4, kernel_size=3, strides=2, padding="same", activation="relu")),
    ("Conv2D", (8, 8, 2), dict(filters=3, kernel_size=(2, 4), strides=(2, 3), padding="same")),
    ("Conv2D", (10, 10, 4), dict(filters=4, kernel_size=3, dilation_rate=2, groups=2)),
    ("Conv2D", (3, 9, 9), dict(filters=4, kernel_size=3, data_format="channels_first", padding="same")),
    ("Conv1D", (12, 3), dict(filters=5, kernel_size=3, padding="same", strides=2)),
    ("Conv1D", (12, 3), dict(filters=2, kernel_size=4, padding="causal")),
    ("Conv2DTranspose", (5, 5, 3), dict(filters=2, kernel_size=3, strides=2, padding="same")),
    ("Conv2DTranspose", (5, 5, 3), dict(filters=2, kernel_size=3, strides=2)),
    ("DepthwiseConv2D", (8, 8, 3), dict(kernel_size=3, depth_multiplier=2, padding="same", strides=2)),
    ("SeparableConv2D", (8, 8, 3), dict(filters=5, kernel_size=3, depth_multiplier=2)),
    ("MaxPooling2D", (7, 7, 2), dict(pool_size=2)),
    ("MaxPooling2D", (7, 7, 2), dict(pool_size=3, strides=2, padding="same")),
    ("AveragePooling2D", (7, 7, 2), dict(pool_size=2, padding="same")),
    ("MaxPooling1D", (9, 2), dict(pool_size=2)),
    ("AveragePooling1D", (9, 2), dict(pool_size=3, strides=2, padding="same")),
    ("GlobalAveragePooling2D", (4, 5, 3), {}),
    ("GlobalMaxPooling2D", (4, 5, 3), dict(keepdims=True)),
    ("GlobalAveragePooling1D", (6, 3), {}),
    ("GlobalMaxPooling1D", (6, 3), {}),
    ("Flatten", (3, 4, 2), {}),
    ("Reshape", (12,), dict(target_shape=(3, -1))),
    ("Permute", (3, 4), dict(dims=(2, 1))),
    ("Dropout", (6,), dict(rate=0.5)),
    ("SpatialDropout2D", (4, 4, 3), dict(rate=0.2)),
    ("BatchNormalization", (5,), {}),
    ("BatchNormalization", (6, 4), {}),
    ("BatchNormalization", (5, 5, 3), dict(momentum=0.9, epsilon=1e-5)),
    ("LayerNormalization", (4, 6), {}),
    ("SimpleRNN", (5, 3), dict(units=4)),
    ("SimpleRNN", (5, 3), dict(units=4, return_sequences=True, activation="relu")),
    ("LSTM", (6, 3), dict(units=4)),
    ("LSTM", (6, 3), dict(units=4, return_sequences=True, go_backwards=True)),
    ("GRU", (6, 3), dict(units=4)),
    ("GRU", (6, 3), dict(units=5, return_sequences=True)),
    ("Activation", (6,), dict(activation="tanh")),
    ("ReLU", (6,), dict(max_value=0.5, negative_slope=0.1)),
    ("LeakyReLU", (6,), {}),
    ("PReLU", (4, 3), dict(shared_axes=[1])),
    ("ELU", (6,), dict(alpha=0.7)),
    ("Softmax", (6,), {}),
    ("ZeroPadding2D", (3, 4, 2), dict(padding=((1, 2), (0, 3)))),
    ("UpSampling2D", (3, 4, 2), dict(size=(2, 3))),
    ("UpSampling2D", (3, 4, 2), dict(interpolation="bilinear")),
    ("Rescaling", (5,), dict(scale=1 / 255.0, offset=-1.0)),
]


def _np(t):
    return np.asarray(keras.ops.convert_to_numpy(t))


def _randomize(klayer):
    rng = np.random.default_rng(1)
    values = []
    for w in klayer.weights:
        v = rng.standard_normal(tuple(w.shape)).astype("float32") * 0.5
        if "variance" in w.path:
            v = np.abs(v) + 0.5
        values.append(v)
    klayer.set_weights(values)
    return values


def _compare(name, input_shape, kwargs, x=None):
    kl = getattr(keras.layers, name)(**kwargs)
    cl = getattr(L, name)(**kwargs)
    batch = (None,) + tuple(input_shape)
    kl.build(batch)
    cl.build(batch)
    cl.built = True
    assert [w.name for w in cl.weights] == [w.name for w in kl.weights]
    assert [tuple(w.shape) for w in cl.weights] == [tuple(w.shape) for w in kl.weights]
    assert [w.trainable for w in cl.weights] == [w.trainable for w in kl.weights]
    assert cl.count_params() == kl.count_params()
    cl.set_weights(_randomize(kl))
    for a, b in zip(cl.get_weights(), kl.get_weights()):
        np.testing.assert_array_equal(a, np.asarray(b))
    if x is None:
        x = np.random.default_rng(0).standard_normal((2,) + tuple(input_shape)).astype("float32")
    ky = kl(x, training=False)
    cl.eval()
    cy = cl(cg.tensor(x))
    ky = [_np(t) for t in (ky if isinstance(ky, (list, tuple)) else [ky])]
    cy = cy if isinstance(cy, list) else [cy]
    for a, b in zip(cy, ky):
        assert a.shape == b.shape
        np.testing.assert_allclose(a.detach().numpy(), b, rtol=1e-5, atol=1e-5)
    kshape = kl.compute_output_shape(batch)
    cshape = cl.compute_output_shape(batch)
    listed = isinstance(kshape, (list, tuple)) and kshape and isinstance(kshape[0], (list, tuple))
    assert (list(map(tuple, kshape)) if listed else tuple(kshape)) == \
        (list(map(tuple, cshape)) if isinstance(cshape, list) else tuple(cshape))
    kcfg, ccfg = kl.get_config(), cl.get_config()
    kcfg.pop("name"), ccfg.pop("name")
    assert ccfg == kcfg
    return cl, kl


@pytest.mark.parametrize("name,input_shape,kwargs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_layer_matches_keras(name, input_shape, kwargs):
    _compare(name, input_shape, kwargs)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "SimpleRNN"])
def test_recurrent_return_state_matches_keras(name):
    _compare(name, (5, 3), dict(units=4, return_sequences=True, return_state=True))


def test_embedding_matches_keras_and_masks_like_it():
    _compare("Embedding", (7,), dict(input_dim=10, output_dim=3, mask_zero=True),
             x=np.array([[0, 0, 3, 4, 5, 1, 2], [1, 2, 3, 0, 0, 0, 0]]))
    ids = np.array([[0, 0, 3, 4, 9, 1], [5, 2, 3, 0, 0, 0], [0, 0, 0, 0, 0, 7]])
    for rnn_kwargs in (dict(units=3), dict(units=3, return_sequences=True)):
        km = keras.Sequential([keras.Input((6,), dtype="int32"), keras.layers.Embedding(10, 4, mask_zero=True),
                               keras.layers.LSTM(**rnn_kwargs)])
        cm = cg.keras.Sequential([cg.keras.Input((6,)), L.Embedding(10, 4, mask_zero=True), L.LSTM(**rnn_kwargs)])
        cm.set_weights(km.get_weights())
        np.testing.assert_allclose(cm.predict(ids), np.asarray(km.predict(ids, verbose=0)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("merge", ["concat", "sum", "ave", "mul"])
def test_bidirectional_matches_keras(merge):
    for rnn in ("LSTM", "GRU"):
        for seqs in (False, True):
            kl = keras.layers.Bidirectional(getattr(keras.layers, rnn)(3, return_sequences=seqs), merge_mode=merge)
            cl = L.Bidirectional(getattr(L, rnn)(3, return_sequences=seqs), merge_mode=merge)
            x = np.random.default_rng(2).standard_normal((2, 5, 4)).astype("float32")
            kl.build((None, 5, 4))
            cl.build((None, 5, 4))
            assert [w.shape for w in cl.weights] == [tuple(w.shape) for w in kl.weights]
            cl.set_weights(_randomize(kl))
            np.testing.assert_allclose(cl(cg.tensor(x)).detach().numpy(), _np(kl(x)), rtol=1e-5, atol=1e-5)


def test_time_distributed_matches_keras():
    kl = keras.layers.TimeDistributed(keras.layers.Dense(3))
    cl = L.TimeDistributed(L.Dense(3))
    x = np.random.default_rng(3).standard_normal((2, 4, 5)).astype("float32")
    kl.build((None, 4, 5))
    cl.build((None, 4, 5))
    cl.set_weights(_randomize(kl))
    np.testing.assert_allclose(cl(cg.tensor(x)).detach().numpy(), _np(kl(x)), rtol=1e-5, atol=1e-5)
    cfg = cl.get_config()
    assert cfg["layer"]["class_name"] == "Dense" and set(cfg) == set(kl.get_config())


@pytest.mark.parametrize("name,kwargs", [("Add", {}), ("Subtract", {}), ("Multiply", {}), ("Average", {}),
                                         ("Concatenate", {}), ("Concatenate", {"axis": 1}), ("Maximum", {}),
                                         ("Dot", {"axes": 1}), ("Dot", {"axes": 2, "normalize": True})])
def test_merge_layers_match_keras(name, kwargs):
    rng = np.random.default_rng(4)
    shape = (2, 3, 4) if name == "Dot" and kwargs["axes"] == 2 else (2, 4)
    a, b = rng.standard_normal(shape).astype("float32"), rng.standard_normal(shape).astype("float32")
    ky = getattr(keras.layers, name)(**kwargs)([a, b])
    cl = getattr(L, name)(**kwargs)
    cy = cl([cg.tensor(a), cg.tensor(b)])
    np.testing.assert_allclose(cy.detach().numpy(), _np(ky), rtol=1e-5, atol=1e-6)
    kcfg = getattr(keras.layers, name)(**kwargs).get_config()
    ccfg = cl.get_config()
    kcfg.pop("name"), ccfg.pop("name")
    assert ccfg == kcfg


def test_default_configs_equal_keras_for_every_registered_layer():
    simple = {"Dense": (3,), "Conv2D": (2, 3), "Conv1D": (2, 3), "Conv2DTranspose": (2, 3), "DepthwiseConv2D": (3,),
              "SeparableConv2D": (2, 3), "Embedding": (5, 2), "SimpleRNN": (2,), "LSTM": (2,), "GRU": (2,),
              "Reshape": ((2, 3),), "Permute": ((2, 1),), "Dropout": (0.3,), "SpatialDropout2D": (0.3,),
              "Activation": ("relu",), "Rescaling": (0.5,)}
    for name, args in simple.items():
        k = getattr(keras.layers, name)(*args).get_config()
        c = getattr(L, name)(*args).get_config()
        k.pop("name"), c.pop("name")
        assert c == k, name
        rebuilt = L.get_layer_class(name).from_config(getattr(L, name)(*args).get_config())
        assert type(rebuilt).__name__ == name


def test_batch_normalization_training_step_and_moving_statistics_match_keras():
    kl, cl = keras.layers.BatchNormalization(momentum=0.8), L.BatchNormalization(momentum=0.8)
    x = np.random.default_rng(6).standard_normal((8, 3, 3, 4)).astype("float32") * 2 + 1
    kl.build((None, 3, 3, 4))
    cl.build((None, 3, 3, 4))
    cl.train()
    for _ in range(2):
        ky, cy = kl(x, training=True), cl(cg.tensor(x))
    np.testing.assert_allclose(cy.detach().numpy(), _np(ky), rtol=1e-4, atol=1e-5)
    for a, b in zip(cl.get_weights(), kl.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)
