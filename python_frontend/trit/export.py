"""ONNX export of the reference models in the three BitLinear forms."""

import contextlib
import logging
import os
import warnings
from typing import Optional

import torch

from .models import BitNetModel

FORMS = ("training", "inference", "dequantized")


class _CachedForward(torch.nn.Module):
    """forward(ids, k0, v0, k1, v1, ...) -> (logits, k0', v0', ...): the
    KV-cache signature with flat tensors, as ONNX graphs carry it."""

    def __init__(self, model: BitNetModel):
        super().__init__()
        self.model = model

    def forward(self, ids, *flat_past):
        past = tuple((flat_past[2 * i], flat_past[2 * i + 1])
                     for i in range(len(flat_past) // 2))
        logits, present = self.model(ids, past)
        return (logits,) + tuple(t for kv in present for t in kv)


def cache_names(num_layers: int):
    """Input and output names of the cache tensors (Hugging Face's)."""
    inputs, outputs = [], []
    for i in range(num_layers):
        for kind in ("key", "value"):
            inputs.append(f"past_key_values.{i}.{kind}")
            outputs.append(f"present.{i}.{kind}")
    return inputs, outputs


EXPORTERS = ("torchscript", "dynamo")


def default_exporter() -> str:
    """The exporter `export_onnx` uses when given none: $TRIT_ONNX_EXPORTER,
    else the TorchScript exporter (the only one torch 1.x has)."""
    return os.environ.get("TRIT_ONNX_EXPORTER") or "torchscript"


def default_opset(exporter: str):
    """The opset `export_onnx` asks for when given none: $TRIT_ONNX_OPSET,
    else 17 for the TorchScript exporter and the exporter's own default
    (None) for dynamo."""
    if os.environ.get("TRIT_ONNX_OPSET"):
        return int(os.environ["TRIT_ONNX_OPSET"])
    return 17 if exporter == "torchscript" else None


def _torch_major() -> int:
    return int(torch.__version__.split(".")[0])


def export_onnx(model: BitNetModel, path: str, form: str = "training",
                opset: Optional[int] = None, seq_len: int = 8,
                dynamic: bool = True, kv_cache: bool = False,
                exporter: Optional[str] = None) -> None:
    """Writes `model` with every BitLinear in `form` to `path`.

    With `dynamic`, batch and sequence are dynamic axes of `input_ids` and
    `logits`; without, the graph takes exactly [1, seq_len]. With
    `kv_cache` the graph also takes the cache, `past_key_values.N.key` and
    `.value` [batch, kv_heads, past_sequence, head_dim], and returns it
    extended, `present.N.key` and `.value` (past_sequence + sequence); the
    cache needs dynamic shapes. The model is switched to `form` and to eval
    mode for the export and left in `form` afterwards.

    `exporter` is "torchscript" (torch.onnx's TorchScript exporter) or
    "dynamo" (torch.export + onnxscript, torch >= 2.5; it may write the
    weights to `path + ".data"` beside the graph); default:
    `default_exporter()`. `opset` defaults to `default_opset(exporter)`.
    """
    if form not in FORMS:
        raise ValueError(f"unknown BitLinear form '{form}' (one of {FORMS})")
    exporter = exporter or default_exporter()
    if exporter not in EXPORTERS:
        raise ValueError(f"unknown ONNX exporter '{exporter}' "
                         f"(one of {EXPORTERS})")
    if exporter == "dynamo" and _torch_major() < 2:
        raise ValueError("the dynamo exporter needs torch >= 2.5; this is "
                         f"torch {torch.__version__}")
    if opset is None:
        opset = default_opset(exporter)
    if kv_cache and not dynamic:
        raise ValueError("a KV-cache export needs dynamic shapes")
    model.set_form(form).eval()
    ids = torch.zeros(1, seq_len, dtype=torch.int64)
    module, args = model, (ids,)
    input_names, output_names = ["input_ids"], ["logits"]
    axes = ({"input_ids": {0: "batch", 1: "sequence"},
             "logits": {0: "batch", 1: "sequence"}} if dynamic else None)
    if kv_cache:
        c = model.config
        # Traced with a non-empty cache so that its length stays symbolic.
        past = [torch.zeros(1, c.num_kv_heads, 3, c.head_dim)
                for _ in range(2 * c.num_layers)]
        past_names, present_names = cache_names(c.num_layers)
        module, args = _CachedForward(model), (ids, *past)
        input_names += past_names
        output_names += present_names
        axes.update({n: {0: "batch", 2: "past_sequence"} for n in past_names})
        axes.update({n: {0: "batch", 2: "total_sequence"}
                     for n in present_names})
    options = dict(input_names=input_names, output_names=output_names)
    if opset is not None:
        options["opset_version"] = opset
    if exporter == "dynamo":
        options.update(dynamo=True, verbose=False)
        if dynamic:
            options["dynamic_shapes"] = _dynamic_shapes(kv_cache,
                                                        len(args) - 1)
    else:
        if _torch_major() >= 2:
            options["dynamo"] = False
        options.update(dynamic_axes=axes, do_constant_folding=True)
    # The TorchScript exporter warns about constants in the trace (the
    # quantization's 127 and 1e-5), which are constants indeed; torch 2's
    # warns that it is deprecated.
    with torch.no_grad(), warnings.catch_warnings(), _quiet_exporter():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, path, **options)


def _dynamic_shapes(kv_cache: bool, num_past: int):
    """torch.export's dynamic shapes for (ids, *past)."""
    Dim = torch.export.Dim
    batch, sequence = Dim("batch"), Dim("sequence")
    ids = {0: batch, 1: sequence}
    if not kv_cache:
        return (ids,)
    past_sequence = Dim("past_sequence")
    return (ids, ({0: batch, 2: past_sequence},) * num_past)


@contextlib.contextmanager
def _quiet_exporter():
    """Silences torch.onnx's logging (notes on torchvision ops it skips)
    for the duration of an export."""
    loggers = [logging.getLogger(name) for name in ("torch.onnx",
                                                    "torch.export",
                                                    "torch._export")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)
