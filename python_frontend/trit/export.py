"""ONNX export of the reference models in the three BitLinear forms."""

import warnings

import torch

from .models import BitNetModel

FORMS = ("training", "inference", "dequantized")


def export_onnx(model: BitNetModel, path: str, form: str = "training",
                opset: int = 17, seq_len: int = 8,
                dynamic: bool = True) -> None:
    """Writes `model` with every BitLinear in `form` to `path`.

    With `dynamic`, batch and sequence are dynamic axes of `input_ids` and
    `logits`; without, the graph takes exactly [1, seq_len]. The model is
    switched to `form` and to eval mode for the export and left in `form`
    afterwards.
    """
    if form not in FORMS:
        raise ValueError(f"unknown BitLinear form '{form}' (one of {FORMS})")
    model.set_form(form).eval()
    ids = torch.zeros(1, seq_len, dtype=torch.int64)
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
