"""Distill-MOS (``distillmos`` 0.9.1, MIT, Microsoft) as an ONNX graph for onnxruntime, made from the
weights inside the package's wheel, without PyTorch.

The wheel is installed with ``--no-deps`` (``make install``: PyTorch, which it names, is gigabytes for a
17 MB model); its Python code, which imports PyTorch, is never imported.  Its checkpoint is a PyTorch zip
(a pickle naming tensors, and each tensor's bytes): :func:`state` reads it with a pickle reader that
knows only tensors and ordered dicts, after checking the file's SHA-256 against the one pinned here.
:func:`graph` writes the network as the package's ``ConvTransformerSQAModel`` computes it in inference:
six 3×3 convolutions (LeakyReLU 0.1) over the compressed complex spectrogram, the frequency axis
flattened into 1,024 features, batch norms and the down-projection folded into one matrix (200
features), a sinusoidal position table, seven post-norm transformer encoder layers (8 heads, ReLU feed
forward of 400), a batch norm, attention pooling and a sigmoid scaled to 1..5.  The spectrogram itself
is computed by :mod:`audiopipe.dsp.naturalness` (NumPy), the graph's input.

The model's licence (MIT) is installed with it (``distillmos-0.9.1.dist-info/LICENSE``); the graph is
built in memory and never written out.
"""

from __future__ import annotations

import collections
import importlib.util
import pickle
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from audiopipe.errors import AudiopipeError
from audiopipe.tools.fsutil import sha256_of

PACKAGE, VERSION = "distillmos", "0.9.1"
WEIGHTS = "weights/distill_mos_v7.pt"
WEIGHTS_SHA256 = "b18b3ac60227267cfb91e5d00ce22cc7b73716fd92f269484da1446e27031a40"
"""The checkpoint inside distillmos 0.9.1's wheel (variant 7), as published; another file is refused."""
FRAMES, FEATURES, DIM, HEADS, LAYERS = 384, 1024, 200, 8, 7
_DTYPES = {"FloatStorage": np.float32, "LongStorage": np.int64, "HalfStorage": np.float16,
           "DoubleStorage": np.float64, "IntStorage": np.int32}


def weights_file() -> Path | None:
    """The installed checkpoint (the package is found, not imported), or None."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / WEIGHTS
    return path if path.is_file() else None


def state(path: Path) -> dict[str, np.ndarray]:
    """The checkpoint's tensors by name, read without PyTorch (after its SHA-256 is checked)."""
    if sha256_of(path) != WEIGHTS_SHA256:
        raise AudiopipeError(f"{path}: not the Distill-MOS checkpoint of {PACKAGE} {VERSION} (its SHA-256 "
                             f"differs); reinstall it: pip install --no-deps --force-reinstall {PACKAGE}=={VERSION}")
    with zipfile.ZipFile(path) as archive:
        root = archive.namelist()[0].split("/")[0]

        def tensor(storage: tuple[Any, str], offset: int, size: tuple[int, ...], stride: tuple[int, ...],
                   *_rest: Any) -> np.ndarray:
            dtype, key = storage
            raw = np.frombuffer(archive.read(f"{root}/data/{key}"), dtype=dtype)
            return np.lib.stride_tricks.as_strided(raw[offset:], shape=size,
                                                   strides=tuple(s * raw.itemsize for s in stride)).copy()

        class Reader(pickle.Unpickler):
            def find_class(self, module: str, name: str) -> Any:
                if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
                    return tensor
                if module == "torch" and name in _DTYPES:
                    return _DTYPES[name]
                if (module, name) == ("collections", "OrderedDict"):
                    return collections.OrderedDict
                raise pickle.UnpicklingError(f"{module}.{name} is not part of a checkpoint")

            def persistent_load(self, pid: Any) -> tuple[Any, str]:
                _kind, dtype, key, _location, _numel = pid
                return dtype, str(key)

        with archive.open(f"{root}/data.pkl") as pkl:
            loaded = Reader(pkl).load()
    return {name: np.asarray(value) for name, value in loaded["model"].items()}


def _batch_norm(w: dict[str, np.ndarray], name: str) -> tuple[np.ndarray, np.ndarray]:
    """An inference batch norm as x·scale + shift."""
    scale = w[f"{name}.weight"] / np.sqrt(w[f"{name}.running_var"] + 1e-5)
    return scale, w[f"{name}.bias"] - w[f"{name}.running_mean"] * scale


class _Graph:
    """The nodes and weights of an ONNX graph as it is written, node by node."""

    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.inits: list[Any] = []

    def const(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(self, op: str, inputs: list[str], name: str, **attrs: Any) -> str:
        from onnx import helper
        self.nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def linear(self, x: str, w: dict[str, np.ndarray], prefix: str, name: str) -> str:
        """x·Wᵀ + b of the torch Linear *prefix*."""
        product = self.node("MatMul", [x, self.const(f"{name}.w", w[f"{prefix}.weight"].T)], f"{name}.mm")
        return self.node("Add", [product, self.const(f"{name}.b", w[f"{prefix}.bias"])], name)

    def layer_norm(self, x: str, w: dict[str, np.ndarray], prefix: str, name: str) -> str:
        return self.node("LayerNormalization", [x, self.const(f"{name}.w", w[f"{prefix}.weight"]),
                                                self.const(f"{name}.b", w[f"{prefix}.bias"])], name, axis=-1, epsilon=1e-5)


def _encoder_layer(g: _Graph, w: dict[str, np.ndarray], n: int, x: str) -> str:
    """One post-norm transformer encoder layer (self-attention, then a ReLU feed-forward)."""
    q = f"transformer_pool_attn.transformer.transformer_encoder.layers.{n}."
    qkv = g.node("Add", [g.node("MatMul", [x, g.const(f"l{n}.in.w", w[q + "self_attn.in_proj_weight"].T)], f"l{n}.in"),
                         g.const(f"l{n}.in.b", w[q + "self_attn.in_proj_bias"])], f"l{n}.qkv")
    from onnx import helper
    g.nodes.append(helper.make_node("Split", [qkv, g.const(f"l{n}.split", np.array([DIM] * 3, np.int64))],
                                    [f"l{n}.q", f"l{n}.k", f"l{n}.v"], name=f"l{n}.split", axis=-1))
    heads = g.const(f"l{n}.heads", np.array([0, FRAMES, HEADS, DIM // HEADS], np.int64))
    qh, kh, vh = (g.node("Transpose", [g.node("Reshape", [f"l{n}.{t}", heads], f"l{n}.{t}r")], f"l{n}.{t}h",
                         perm=[0, 2, 1, 3]) for t in "qkv")
    kt = g.node("Transpose", [kh], f"l{n}.kt", perm=[0, 1, 3, 2])
    logits = g.node("Mul", [g.node("MatMul", [qh, kt], f"l{n}.qk"),
                            g.const(f"l{n}.scale", np.array(1 / np.sqrt(DIM // HEADS), np.float32))], f"l{n}.logits")
    attended = g.node("MatMul", [g.node("Softmax", [logits], f"l{n}.att", axis=-1), vh], f"l{n}.attended")
    merged = g.node("Reshape", [g.node("Transpose", [attended], f"l{n}.back", perm=[0, 2, 1, 3]),
                                g.const(f"l{n}.merged", np.array([0, FRAMES, DIM], np.int64))], f"l{n}.merge")
    x = g.layer_norm(g.node("Add", [x, g.linear(merged, w, q + "self_attn.out_proj", f"l{n}.sa")], f"l{n}.res1"),
                     w, q + "norm1", f"l{n}.norm1")
    hidden = g.node("Relu", [g.linear(x, w, q + "linear1", f"l{n}.f1")], f"l{n}.relu")
    return g.layer_norm(g.node("Add", [x, g.linear(hidden, w, q + "linear2", f"l{n}.f2")], f"l{n}.res2"),
                        w, q + "norm2", f"l{n}.norm2")


def _features(g: _Graph, w: dict[str, np.ndarray]) -> str:
    """The six convolutions over the spectrogram, then the frames of 1,024 features brought to 200: the two
    batch norms and the down-projection folded into one matrix, the position table into its bias."""
    x = "spec"
    for i, layer in enumerate((0, 2, 4, 6, 8, 10)):
        weight, bias = g.const(f"c{i}.w", w[f"cnn.cnn.{layer}.weight"]), g.const(f"c{i}.b", w[f"cnn.cnn.{layer}.bias"])
        conv = g.node("Conv", [x, weight, bias], f"conv{i}", kernel_shape=[3, 3], pads=[0, 1, 0, 1],
                      strides=[2 if i else 1, 2 if i == 5 else 1])
        x = g.node("LeakyRelu", [conv], f"act{i}", alpha=0.1)
    x = g.node("Reshape", [x, g.const("shape.flat", np.array([0, FEATURES, FRAMES], np.int64))], "flat")
    x = g.node("Transpose", [x], "frames", perm=[0, 2, 1])
    p = "transformer_pool_attn."
    s1, b1 = _batch_norm(w, p + "norm_input")
    s2, b2 = _batch_norm(w, p + "transformer.norm")
    proj, offset = w[p + "transformer.linear_proj.weight"], w[p + "transformer.linear_proj.bias"]
    scale, shift = s1 * s2, b1 * s2 + b2
    x = g.node("MatMul", [x, g.const("proj.w", (proj * scale).T.astype(np.float32))], "proj")
    table = (shift @ proj.T + offset)[None, None, :] + w[p + "transformer.position_encoding.pe"]
    return g.node("Add", [x, g.const("proj.b", table.astype(np.float32))], "embedded")


def _score(g: _Graph, w: dict[str, np.ndarray], x: str) -> str:
    """A batch norm, attention pooling over the frames, a sigmoid scaled to 1..5."""
    p = "transformer_pool_attn."
    s3, b3 = _batch_norm(w, p + "norm_trans")
    x = g.node("Add", [g.node("Mul", [x, g.const("nt.s", s3)], "nt.mul"), g.const("nt.b", b3)], "normed")
    hidden = g.node("Relu", [g.linear(x, w, p + "pool.linear1", "pool1")], "pool.relu")
    att = g.linear(hidden, w, p + "pool.linear2", "pool2")
    weights = g.node("Softmax", [g.node("Transpose", [att], "pool.t", perm=[0, 2, 1])], "pool.weights", axis=2)
    quality = g.linear(g.node("MatMul", [weights, x], "pooled"), w, p + "pool.linear3", "quality")
    scaled = g.node("Add", [g.node("Mul", [g.node("Sigmoid", [quality], "sigmoid"), g.const("four", np.array(4, np.float32))],
                                   "times4"), g.const("one", np.array(1, np.float32))], "scaled")
    return g.node("Reshape", [scaled, g.const("shape.out", np.array([-1], np.int64))], "mos")


def graph(w: dict[str, np.ndarray]) -> bytes:
    """The serialized ONNX model: input ``spec`` (windows, 2, 161, 768), output ``mos`` (windows,)."""
    from onnx import TensorProto, helper
    g = _Graph()
    x = _features(g, w)
    for n in range(LAYERS):
        x = _encoder_layer(g, w, n, x)
    _score(g, w, x)
    model = helper.make_model(
        helper.make_graph(g.nodes, "distillmos_v7",
                          [helper.make_tensor_value_info("spec", TensorProto.FLOAT, [None, 2, 161, 768])],
                          [helper.make_tensor_value_info("mos", TensorProto.FLOAT, [None])], g.inits),
        opset_imports=[helper.make_opsetid("", 17)], producer_name="audiopipe")
    model.ir_version = 8
    return bytes(model.SerializeToString())
