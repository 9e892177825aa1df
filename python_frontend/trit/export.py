"""ONNX export of the reference models in the three BitLinear forms."""

import warnings

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


def export_onnx(model: BitNetModel, path: str, form: str = "training",
                opset: int = 17, seq_len: int = 8,
                dynamic: bool = True, kv_cache: bool = False) -> None:
    """Writes `model` with every BitLinear in `form` to `path`.

    With `dynamic`, batch and sequence are dynamic axes of `input_ids` and
    `logits`; without, the graph takes exactly [1, seq_len]. With
    `kv_cache` the graph also takes the cache, `past_key_values.N.key` and
    `.value` [batch, kv_heads, past_sequence, head_dim], and returns it
    extended, `present.N.key` and `.value` (past_sequence + sequence); the
    cache needs dynamic shapes. The model is switched to `form` and to eval
    mode for the export and left in `form` afterwards.
    """
    if form not in FORMS:
        raise ValueError(f"unknown BitLinear form '{form}' (one of {FORMS})")
    if kv_cache and not dynamic:
        raise ValueError("a KV-cache export needs dynamic shapes")
    model.set_form(form).eval()
    ids = torch.zeros(1, seq_len, dtype=torch.int64)
    if kv_cache:
        c = model.config
        # Traced with a non-empty cache so that its length stays symbolic.
        past = [torch.zeros(1, c.num_kv_heads, 3, c.head_dim)
                for _ in range(2 * c.num_layers)]
        past_names, present_names = cache_names(c.num_layers)
        axes = {"input_ids": {0: "batch", 1: "sequence"},
                "logits": {0: "batch", 1: "sequence"}}
        axes.update({n: {0: "batch", 2: "past_sequence"} for n in past_names})
        axes.update({n: {0: "batch", 2: "total_sequence"}
                     for n in present_names})
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _CachedForward(model), (ids, *past), path,
                opset_version=opset,
                input_names=["input_ids"] + past_names,
                output_names=["logits"] + present_names,
                dynamic_axes=axes, do_constant_folding=True)
        return
    # The TorchScript exporter warns about constants in the trace (the
    # quantization's 127 and 1e-5), which are constants indeed.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, (ids,), path, opset_version=opset,
            input_names=["input_ids"], output_names=["logits"],
            dynamic_axes=({"input_ids": {0: "batch", 1: "sequence"},
                           "logits": {0: "batch", 1: "sequence"}}
                          if dynamic else None),
            do_constant_folding=True)
