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
import hashlib
import importlib.util
import pickle
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from audiopipe.errors import AudiopipeError

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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def state(path: Path) -> dict[str, np.ndarray]:
    """The checkpoint's tensors by name, read without PyTorch (after its SHA-256 is checked)."""
    if _sha256(path) != WEIGHTS_SHA256:
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


def graph(w: dict[str, np.ndarray]) -> bytes:
    """The serialized ONNX model: input ``spec`` (windows, 2, 161, 768), output ``mos`` (windows,)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(op: str, inputs: list[str], name: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    x = "spec"
    for i, layer in enumerate((0, 2, 4, 6, 8, 10)):
        conv = node("Conv", [x, const(f"c{i}.w", w[f"cnn.cnn.{layer}.weight"]), const(f"c{i}.b", w[f"cnn.cnn.{layer}.bias"])],
                    f"conv{i}", kernel_shape=[3, 3], pads=[0, 1, 0, 1], strides=[2 if i else 1, 2 if i == 5 else 1])
        x = node("LeakyRelu", [conv], f"act{i}", alpha=0.1)
    x = node("Reshape", [x, const("shape.flat", np.array([0, FEATURES, FRAMES], np.int64))], "flat")
    x = node("Transpose", [x], "frames", perm=[0, 2, 1])
    p = "transformer_pool_attn."
    s1, b1 = _batch_norm(w, p + "norm_input")
    s2, b2 = _batch_norm(w, p + "transformer.norm")
    proj, bias = w[p + "transformer.linear_proj.weight"], w[p + "transformer.linear_proj.bias"]
    scale, shift = s1 * s2, b1 * s2 + b2                    # the two norms, then the projection: one matrix
    x = node("MatMul", [x, const("proj.w", (proj * scale).T.astype(np.float32))], "proj")
    table = (shift @ proj.T + bias)[None, None, :] + w[p + "transformer.position_encoding.pe"]
    x = node("Add", [x, const("proj.b", table.astype(np.float32))], "embedded")
    heads = const("shape.heads", np.array([0, FRAMES, HEADS, DIM // HEADS], np.int64))
    merged = const("shape.merged", np.array([0, FRAMES, DIM], np.int64))
    for n in range(LAYERS):
        q = f"{p}transformer.transformer_encoder.layers.{n}."
        qkv = node("Add", [node("MatMul", [x, const(f"l{n}.in.w", w[q + "self_attn.in_proj_weight"].T)], f"l{n}.in"),
                           const(f"l{n}.in.b", w[q + "self_attn.in_proj_bias"])], f"l{n}.qkv")
        nodes.append(helper.make_node("Split", [qkv, const(f"l{n}.split", np.array([DIM] * 3, np.int64))],
                                      [f"l{n}.q", f"l{n}.k", f"l{n}.v"], name=f"l{n}.split", axis=-1))
        qh, kh, vh = (node("Transpose", [node("Reshape", [f"l{n}.{t}", heads], f"l{n}.{t}r")], f"l{n}.{t}h",
                           perm=[0, 2, 1, 3]) for t in "qkv")
        kt = node("Transpose", [kh], f"l{n}.kt", perm=[0, 1, 3, 2])
        logits = node("Mul", [node("MatMul", [qh, kt], f"l{n}.qk"),
                              const(f"l{n}.scale", np.array(1 / np.sqrt(DIM // HEADS), np.float32))], f"l{n}.logits")
        attended = node("MatMul", [node("Softmax", [logits], f"l{n}.att", axis=-1), vh], f"l{n}.attended")
        back = node("Reshape", [node("Transpose", [attended], f"l{n}.back", perm=[0, 2, 1, 3]), merged], f"l{n}.merged")
        out = node("Add", [node("MatMul", [back, const(f"l{n}.out.w", w[q + "self_attn.out_proj.weight"].T)], f"l{n}.out"),
                           const(f"l{n}.out.b", w[q + "self_attn.out_proj.bias"])], f"l{n}.sa")
        x = node("LayerNormalization", [node("Add", [x, out], f"l{n}.res1"), const(f"l{n}.n1.w", w[q + "norm1.weight"]),
                                        const(f"l{n}.n1.b", w[q + "norm1.bias"])], f"l{n}.norm1", axis=-1, epsilon=1e-5)
        hidden = node("Relu", [node("Add", [node("MatMul", [x, const(f"l{n}.f1.w", w[q + "linear1.weight"].T)], f"l{n}.f1"),
                                            const(f"l{n}.f1.b", w[q + "linear1.bias"])], f"l{n}.f1b")], f"l{n}.relu")
        ff = node("Add", [node("MatMul", [hidden, const(f"l{n}.f2.w", w[q + "linear2.weight"].T)], f"l{n}.f2"),
                          const(f"l{n}.f2.b", w[q + "linear2.bias"])], f"l{n}.ff")
        x = node("LayerNormalization", [node("Add", [x, ff], f"l{n}.res2"), const(f"l{n}.n2.w", w[q + "norm2.weight"]),
                                        const(f"l{n}.n2.b", w[q + "norm2.bias"])], f"l{n}.norm2", axis=-1, epsilon=1e-5)
    s3, b3 = _batch_norm(w, p + "norm_trans")
    x = node("Add", [node("Mul", [x, const("nt.s", s3)], "nt.mul"), const("nt.b", b3)], "normed")
    hidden = node("Relu", [node("Add", [node("MatMul", [x, const("pool1.w", w[p + "pool.linear1.weight"].T)], "pool1"),
                                        const("pool1.b", w[p + "pool.linear1.bias"])], "pool1b")], "pool.relu")
    att = node("Add", [node("MatMul", [hidden, const("pool2.w", w[p + "pool.linear2.weight"].T)], "pool2"),
                       const("pool2.b", w[p + "pool.linear2.bias"])], "pool.att")
    weights = node("Softmax", [node("Transpose", [att], "pool.t", perm=[0, 2, 1])], "pool.weights", axis=2)
    pooled = node("MatMul", [weights, x], "pooled")
    score = node("Add", [node("MatMul", [pooled, const("pool3.w", w[p + "pool.linear3.weight"].T)], "pool3"),
                         const("pool3.b", w[p + "pool.linear3.bias"])], "quality")
    scaled = node("Add", [node("Mul", [node("Sigmoid", [score], "sigmoid"), const("four", np.array(4, np.float32))],
                               "times4"), const("one", np.array(1, np.float32))], "scaled")
    node("Reshape", [scaled, const("shape.out", np.array([-1], np.int64))], "mos")
    model = helper.make_model(
        helper.make_graph(nodes, "distillmos_v7", [helper.make_tensor_value_info("spec", TensorProto.FLOAT, [None, 2, 161, 768])],
                          [helper.make_tensor_value_info("mos", TensorProto.FLOAT, [None])], inits),
        opset_imports=[helper.make_opsetid("", 17)], producer_name="audiopipe")
    model.ir_version = 8
    return bytes(model.SerializeToString())
