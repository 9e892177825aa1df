"""Trains the tiny BitNet b1.58 of `trit.trained` on one CPU core.

Why: the compiler's end-to-end tests need a model whose outputs mean
something (perplexity on unseen text, greedy continuations) and not only
random weights. This script produces `trit/data/tiny_trained.npz`
deterministically (fixed seed, one thread, a fixed number of steps: two
runs give bit-identical weights) in about six minutes of wall time on the
project's 2-core machines (800 steps of 16 x 128 bytes: 344 s of training
on an otherwise idle machine, ~450 s while C++ builds share the cores).

The model is the reference `BitNetModel` in its training form: master
weights in float, absmean/absmax quantization in the forward pass and the
straight-through estimator for the gradients (quantization-aware training
from scratch, as BitNet b1.58 is trained).

Run from python_frontend/:

    /usr/bin/python3 -m trit.train            # writes the checkpoint
    /usr/bin/python3 -m trit.train --steps 20 --out /tmp/x.npz   # smoke run

The data split is documented in `trit.trained` (MPL-2.0 held out).
"""

import argparse
import contextlib
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from .compiler import next_token_windows
from .models import BitNetModel
from .models import bitnet as bitnet_module
from .trained import (CHECKPOINT, HELD_OUT, SEQ_LEN, TINY_TRAINED_CONFIG,
                      encode, held_out_text, load_trained, save_checkpoint,
                      text_sha256, training_text)

SEED = 1234
BATCH = 16
STEPS = 800
PEAK_LR = 4e-3
MIN_LR = 4e-4
WARMUP = 40
WEIGHT_DECAY = 0.05


class _OneDnnFunctional:
    """torch.nn.functional, except that `linear` on a batch of sequences
    runs as a 1x1 convolution.

    Why: Debian's torch 1.13 links the netlib reference BLAS, whose sgemm
    runs at ~6 GFLOP/s on one core, while oneDNN's convolution (built in)
    reaches ~150 GFLOP/s forward and backward. A 1x1 convolution over
    [batch, features, seq] is the same product, so training speeds up ~5x
    with the model code untouched. Only the float accumulation order
    differs; evaluation and export never go through this.
    """

    def __getattr__(self, name):
        return getattr(F, name)

    @staticmethod
    def linear(x, weight, bias=None):
        if x.dim() != 3 or x.shape[0] < 2:  # oneDNN is used for batch > 1
            return F.linear(x, weight, bias)
        y = F.conv1d(x.transpose(1, 2), weight[:, :, None], bias)
        return y.transpose(1, 2)


@contextlib.contextmanager
def onednn_linear():
    """Routes the reference model's F.linear through `_OneDnnFunctional`."""
    saved = bitnet_module.F
    bitnet_module.F = _OneDnnFunctional()
    try:
        yield
    finally:
        bitnet_module.F = saved


def init_weights(model: BitNetModel) -> None:
    """Small normal init (std 0.02, LLaMA-style). The tied embedding doubles
    as the LM head, so its scale sets the initial logits: 0.02 keeps them
    near zero (initial loss ~ln 256). BitLinear outputs do not depend on
    their master weights' scale beyond the absmean factor."""
    for name, p in model.named_parameters():
        if p.dim() == 2:
            torch.nn.init.normal_(p, mean=0.0, std=0.02)


def learning_rate(step: int, steps: int) -> float:
    """Linear warm-up, then cosine decay from PEAK_LR to MIN_LR."""
    if step < WARMUP:
        return PEAK_LR * (step + 1) / WARMUP
    progress = (step - WARMUP) / max(1, steps - WARMUP)
    return MIN_LR + 0.5 * (PEAK_LR - MIN_LR) * (1 + math.cos(math.pi *
                                                            progress))


def mean_nll(model: BitNetModel, ids: np.ndarray,
             length: int = SEQ_LEN) -> float:
    """Mean next-token negative log-likelihood (nats per byte) of `ids`
    evaluated in non-overlapping windows of `length` bytes: each window
    predicts its own tokens 1..n-1 from the ones before (the same
    evaluation as `CompiledModel.perplexity`)."""
    total, count = 0.0, 0
    with torch.no_grad():
        for w in next_token_windows(ids, length):
            t = torch.from_numpy(w)[None]
            logits = model(t)[0, :-1].double()
            total += float(F.cross_entropy(logits, t[0, 1:],
                                           reduction="sum"))
            count += len(w) - 1
    return total / count


def _train_steps(model, opt, data, rng, steps, log_every, start):
    smoothed = None
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = learning_rate(step, steps)
        offsets = rng.integers(0, len(data) - SEQ_LEN - 1, size=BATCH)
        batch = torch.from_numpy(np.stack([data[o:o + SEQ_LEN + 1]
                                           for o in offsets]))
        logits = model(batch[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                               batch[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        smoothed = (float(loss) if smoothed is None
                    else 0.95 * smoothed + 0.05 * float(loss))
        if step % log_every == 0 or step == steps - 1:
            print(f"step {step:4d}  loss {float(loss):.4f}  "
                  f"smoothed {smoothed:.4f}  "
                  f"lr {learning_rate(step, steps):.2e}  "
                  f"{time.time() - start:6.1f} s", flush=True)


def train(steps: int = STEPS, out: str = CHECKPOINT, log_every: int = 50):
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    data = encode(training_text())
    held = encode(held_out_text())

    model = BitNetModel(TINY_TRAINED_CONFIG).set_form("training")
    init_weights(model)
    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=PEAK_LR, betas=(0.9, 0.95))
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{n_params} parameters; {len(data)} training bytes, "
          f"{len(held)} held-out bytes ({HELD_OUT})", flush=True)

    start = time.time()
    model.train()
    with onednn_linear():
        _train_steps(model, opt, data, rng, steps, log_every, start)
    train_seconds = time.time() - start

    model.eval()
    save_checkpoint(model, out, seed=SEED, steps=steps, batch=BATCH,
                    seq_len=SEQ_LEN, train_seconds=train_seconds,
                    held_out=HELD_OUT,
                    held_out_sha256=text_sha256(held_out_text()))
    # Figures of the model as shipped (float16 master weights, reloaded).
    shipped = load_trained(out)
    # The training loss over a fixed sample of 64 training windows.
    sample = np.concatenate([data[o:o + SEQ_LEN] for o in
                             np.random.default_rng(0).integers(
                                 0, len(data) - SEQ_LEN, size=64)])
    train_nll = mean_nll(shipped, sample)
    held_nll = mean_nll(shipped, held)
    print(f"trained {steps} steps in {train_seconds:.1f} s; shipped model: "
          f"train loss {train_nll:.4f} nats/byte, held-out {HELD_OUT} loss "
          f"{held_nll:.4f} (perplexity {math.exp(held_nll):.3f})", flush=True)
    save_checkpoint(shipped, out, seed=SEED, steps=steps, batch=BATCH,
                    seq_len=SEQ_LEN, train_seconds=train_seconds,
                    held_out=HELD_OUT,
                    held_out_sha256=text_sha256(held_out_text()),
                    train_loss=train_nll, held_out_loss=held_nll,
                    held_out_perplexity=math.exp(held_nll))
    return shipped


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--out", default=CHECKPOINT)
    args = parser.parse_args()
    train(args.steps, args.out)


if __name__ == "__main__":
    main()
