"""Fuzzing every checkpoint loader: truncations, bit flips and lying headers, each file loaded in a subprocess
with a memory cap and a time limit (tests/checkpoint_sandbox.py over tests/bounded.py).

A mutated file must either load or raise a ChalkgradError naming it: never MemoryError, a hang,
a crash, or another exception. (A flipped bit inside safetensors tensor data loads: the format
has no checksum. In an .npz the zip CRC catches it.) Three examples of 40 files each keep the
suite fast; ``CHALKGRAD_FUZZ_EXAMPLES=200`` searches longer.
"""

import io
import json
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import chalkgrad as cg
from chalkgrad import fit, models
from checkpoint_sandbox import assert_refused_or_loaded, run_loaders

OLD = Path(__file__).parent / "fixtures" / "old_checkpoints"


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    """(loader, path) of a valid file of every kind: safetensors and .npz checkpoints, zoo and Keras models."""
    folder = tmp_path_factory.mktemp("originals")
    cg.manual_seed(0)
    net = cg.nn.Sequential(cg.nn.Linear(3, 4), cg.nn.BatchNorm1d(4), cg.nn.Linear(4, 2))
    opt = cg.optim.Adam(net.parameters())
    net(cg.randn(5, 3)).sum().backward()
    opt.step()
    ckpt = {"model": net.state_dict(), "optimizer": opt.state_dict(), "epoch": 3,
            "rng": cg.default_generator.get_state(), "config": {"lr": 0.001, "name": "run"}}
    cg.save(ckpt, folder / "ckpt.safetensors")
    cg.save(ckpt, folder / "ckpt.npz")
    keras = fit.Sequential([fit.Input((4,)), fit.Dense(5, activation="relu"), fit.Dense(3)])
    keras.compile(optimizer="adam", loss="mse")
    keras.save(folder / "keras.safetensors")
    models.save_model(models.lenet_digits(num_classes=3), folder / "zoo.safetensors", epoch=1)
    shutil.copy(OLD / "keras_dense.npz", folder / "keras_old.npz")  # written by chalkgrad before safetensors
    return [("load", folder / "ckpt.safetensors"), ("load", folder / "ckpt.npz"),
            ("fit_load_model", folder / "keras.safetensors"), ("load_model", folder / "zoo.safetensors"),
            ("fit_load_model", folder / "keras_old.npz")]


# ----------------------------------------------------------------------------- mutations
def _json_positions(node, path=()):
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _json_positions(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _json_positions(v, path + (i,))


def _replace_somewhere(tree, value, choice: int):
    positions = list(_json_positions(tree))[1:]
    if not positions:
        return value
    *parents, last = positions[choice % len(positions)]
    node = tree
    for p in parents:
        node = node[p]
    node[last] = value
    return tree


def _lie_safetensors(data: bytes, value, choice: int) -> bytes:
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    if choice % 2:  # a lie inside chalkgrad's JSON header (sizes, keys, types)
        inner = json.loads(header["__metadata__"]["chalkgrad"])
        header["__metadata__"]["chalkgrad"] = json.dumps(_replace_somewhere(inner, value, choice // 2))
    else:  # a lie about a tensor: its shape, offsets or dtype
        names = [k for k in header if k != "__metadata__"]
        entry = header[names[choice // 2 % len(names)]]
        field = ("shape", "data_offsets", "dtype")[choice // 2 % 3]
        entry[field] = value
    blob = json.dumps(header).encode()
    return len(blob).to_bytes(8, "little") + blob + data[8 + n:]


def _lie_npz(data: bytes, value, choice: int) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        entries = {info.filename: z.read(info) for info in z.infolist()}
    if choice % 2:
        raw = entries["__chalkgrad__.npy"]
        header = json.loads(np.load(io.BytesIO(raw)).tobytes())
        buf = io.BytesIO()
        np.save(buf, np.frombuffer(json.dumps(_replace_somewhere(header, value, choice // 2)).encode(), np.uint8))
        entries["__chalkgrad__.npy"] = buf.getvalue()
    else:  # an npy header claiming another shape
        names = sorted(entries)
        name = names[choice // 2 % len(names)]
        raw = entries[name]
        hlen = int.from_bytes(raw[8:10], "little")
        text = raw[10:10 + hlen].decode("latin1")
        start, end = text.index("'shape': (") + 10, text.index(")", text.index("'shape': ("))
        sizes = [abs(v) for v in (value if isinstance(value, list) else [value]) if type(v) is int]
        claimed = text[:start] + ", ".join(map(str, sizes)) + "," + text[end:]
        claimed = claimed.rstrip() + " " * max(1, hlen - len(claimed.rstrip()) - 1) + "\n"
        entries[name] = raw[:8] + len(claimed).to_bytes(2, "little") + claimed.encode("latin1") + raw[10 + hlen:]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, raw in entries.items():
            z.writestr(name, raw)
    return out.getvalue()


def _mutate(data: bytes, path: Path, mutation) -> bytes:
    kind = mutation[0]
    if kind == "truncate":
        return data[:int(len(data) * mutation[1])]
    if kind == "flip":
        out = bytearray(data)
        for where, bit, near_start in mutation[1]:
            span = min(len(out), 2048) if near_start else len(out)  # headers sit at the start
            out[int(where * (span - 1))] ^= 1 << bit
        return bytes(out)
    _, value, choice = mutation
    return _lie_safetensors(data, value, choice) if path.suffix == ".safetensors" else _lie_npz(data, value, choice)


_sizes = st.one_of(st.integers(-3, 3), st.sampled_from([2**31, 2**40, 2**63 - 1, 2**64, 10**9, 10**12, 10**30]))
_json_values = st.recursive(
    st.none() | st.booleans() | _sizes | st.floats(allow_nan=False) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6)
_mutations = st.one_of(
    st.tuples(st.just("truncate"), st.floats(0, 1, exclude_max=True)),
    st.tuples(st.just("flip"), st.lists(st.tuples(st.floats(0, 1), st.integers(0, 7), st.booleans()),
                                        min_size=1, max_size=4)),
    st.tuples(st.just("lie"), st.one_of(_json_values, st.lists(_sizes, min_size=1, max_size=3)),
              st.integers(0, 10**6)),
)


_LONG_SEARCH = "CHALKGRAD_FUZZ_EXAMPLES" in os.environ  # then report failures unshrunk (each run is a process)


@settings(max_examples=int(os.environ.get("CHALKGRAD_FUZZ_EXAMPLES", 3)), deadline=None, database=None,
          phases=[Phase.explicit, Phase.generate] + ([] if _LONG_SEARCH else [Phase.shrink]),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(mutations=st.lists(_mutations, min_size=8, max_size=8))
def test_mutated_checkpoints_load_or_raise_a_checkpoint_error(originals, tmp_path_factory, mutations):
    folder = tmp_path_factory.mktemp("mutants")
    cases = []
    for i, mutation in enumerate(mutations):
        for j, (loader, original) in enumerate(originals):
            path = folder / f"m{i}-{j}{original.suffix}"
            path.write_bytes(_mutate(original.read_bytes(), original, mutation))
            cases.append((loader, str(path)))
    assert_refused_or_loaded(run_loaders(cases))


def test_the_originals_load(originals):
    results = run_loaders([(loader, str(path)) for loader, path in originals])
    assert [r["outcome"] for r in results] == ["ok"] * len(originals)
