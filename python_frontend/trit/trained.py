"""A tiny *trained* BitNet b1.58: its configuration, data split and loader.

Random weights exercise the compiler's arithmetic but not what matters to a
user: that a compiled model keeps a trained model's behaviour (its
perplexity, its greedy text). This module defines a 2B-4T-style model small
enough to train on one CPU core in a few minutes (`trit/train.py`) and to
ship as a ~1.5 MB checkpoint, and the documented corpus it is trained on.

Corpus: the license texts in /usr/share/common-licenses/ (Debian's
base-files package, present on every Debian system), read as bytes
(vocabulary 256: one token per byte). Symbolic links (GPL -> GPL-3, ...)
are skipped so that no text counts twice. Split: MPL-2.0 is held out
entirely; every other regular file, in sorted name order, joined by a
newline, is the training text. The held-out file's SHA-256 is stored in the
checkpoint so that a different base-files version is detectable.

The configuration is defined here rather than in `models/config.py` on
purpose: it belongs to the checkpoint, and changing it invalidates the
checkpoint.

The shipped checkpoint (773,120 parameters, 1.5 MB of float16), as loaded
by `load_trained` and evaluated in non-overlapping 128-byte windows: train
loss 1.158 nats/byte (64 fixed training windows), held-out MPL-2.0 loss
1.757 nats/byte, perplexity 5.793 per byte. Its `meta/` entries record
these figures and the training settings.
"""

import hashlib
import os

import numpy as np
import torch

from .models import BitNetConfig, BitNetModel

LICENSE_DIR = "/usr/share/common-licenses"
HELD_OUT = "MPL-2.0"
CHECKPOINT = os.path.join(os.path.dirname(__file__), "data",
                          "tiny_trained.npz")

# bitnet-b1.58-2B-4T in miniature: squared ReLU with sub-norms, grouped-query
# attention (4 query heads sharing 2 KV heads), tied embeddings, RoPE theta
# 500000; byte vocabulary. Trained and compiled on windows of SEQ_LEN bytes.
SEQ_LEN = 128
TINY_TRAINED_CONFIG = BitNetConfig(
    vocab_size=256, hidden_size=128, intermediate_size=352, num_layers=4,
    num_heads=4, num_kv_heads=2, ffn="relu2", sub_norms=True,
    rope_theta=500000.0, rms_norm_eps=1e-5, tie_embeddings=True,
    max_position=SEQ_LEN)


def corpus_files(directory: str = LICENSE_DIR):
    """The regular (non-link) files of the corpus, sorted by name."""
    names = sorted(os.listdir(directory))
    return [n for n in names
            if os.path.isfile(os.path.join(directory, n))
            and not os.path.islink(os.path.join(directory, n))]


def _read(name: str, directory: str) -> bytes:
    with open(os.path.join(directory, name), "rb") as f:
        return f.read()


def training_text(directory: str = LICENSE_DIR) -> bytes:
    """Every corpus file except the held-out one, joined by newlines."""
    return b"\n".join(_read(n, directory) for n in corpus_files(directory)
                      if n != HELD_OUT)


def held_out_text(directory: str = LICENSE_DIR) -> bytes:
    """The held-out file (never seen in training)."""
    return _read(HELD_OUT, directory)


def text_sha256(text: bytes) -> str:
    return hashlib.sha256(text).hexdigest()


def encode(text) -> np.ndarray:
    """Bytes (or str, as UTF-8) -> int64 token ids, one per byte."""
    if isinstance(text, str):
        text = text.encode("utf-8")
    return np.frombuffer(text, dtype=np.uint8).astype(np.int64)


def decode(ids) -> str:
    """Token ids -> text (undecodable byte sequences replaced)."""
    return bytes(int(i) for i in np.asarray(ids).reshape(-1)).decode(
        "utf-8", errors="replace")


def save_checkpoint(model: BitNetModel, path: str = CHECKPOINT,
                    **metadata) -> None:
    """Writes the state_dict as float16 arrays (master weights; the loaded
    float32 model is the reference, so the rounding does not matter for
    comparisons) plus scalar metadata under `meta/<key>`."""
    arrays = {k: v.detach().cpu().numpy().astype(np.float16)
              for k, v in model.state_dict().items()}
    for key, value in metadata.items():
        arrays["meta/" + key] = np.asarray(value)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.savez(path, **arrays)


def checkpoint_metadata(path: str = CHECKPOINT) -> dict:
    """The `meta/` entries of a checkpoint as Python scalars/strings."""
    with np.load(path) as data:
        return {k[len("meta/"):]: data[k].item() for k in data.files
                if k.startswith("meta/")}


def load_trained(path: str = CHECKPOINT) -> BitNetModel:
    """The trained model (float32, BitLinears in training form, eval mode)."""
    model = BitNetModel(TINY_TRAINED_CONFIG)
    with np.load(path) as data:
        state = {k: torch.from_numpy(data[k].astype(np.float32))
                 for k in data.files if not k.startswith("meta/")}
    model.load_state_dict(state)
    return model.set_form("training").eval()
