"""BitNet b1.58 in plain PyTorch: the numerics oracle of trit's tests.

BitLinear follows design.md section 1 and the BitNet b1.58 reference code:

    weights, per tensor:  s_w = 1 / max(mean(|W|), 1e-5)
                          W_q = clamp(round(W * s_w), -1, 1)          (ternary)
    activations, per token: s_x = 127 / max(max(|x|), 1e-5)
                          x_q = clamp(round(x * s_x), -128, 127)     (int8)
    output:               y = (x_q / s_x) @ (W_q / s_w)^T

with the straight-through estimator (x + (q - x).detach()) so that the same
module trains. torch.round is round half to even.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import BitNetConfig


def quantize_activations(x: torch.Tensor) -> torch.Tensor:
    """Per-token absmax int8 quantization, dequantized back to float."""
    scale = 127.0 / x.abs().max(dim=-1, keepdim=True).values.clamp(min=1e-5)
    return (x * scale).round().clamp(-128, 127) / scale


def quantize_weights(w: torch.Tensor) -> torch.Tensor:
    """Per-tensor absmean ternary quantization, dequantized back to float."""
    scale = 1.0 / w.abs().mean().clamp(min=1e-5)
    return (w * scale).round().clamp(-1, 1) / scale


def ternarize(w: torch.Tensor):
    """(W_q as -1/0/+1 floats, g) with W ~= W_q * g, g = max(mean|W|, 1e-5)."""
    g = w.abs().mean().clamp(min=1e-5)
    scale = 1.0 / g
    return (w * scale).round().clamp(-1, 1), 1.0 / scale


class BitLinear(nn.Linear):
    """A linear layer with ternary weights and int8 activations.

    `form` selects how the layer computes (and so how it exports to ONNX);
    all three give the same values:
      - "training":  float master weight, both quantizations in the graph,
                     with the straight-through estimator;
      - "inference": a ternary-valued weight W_q and its scale g, applied
                     after the product;
      - "dequantized": the weight folded to W_q * g.
    """

    def __init__(self, in_features: int, out_features: int):
        super().__init__(in_features, out_features, bias=False)
        self.form = "training"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.form == "training":
            xq = x + (quantize_activations(x) - x).detach()
            wq = self.weight + (quantize_weights(self.weight) -
                                self.weight).detach()
            return F.linear(xq, wq)
        xq = quantize_activations(x)
        w_ternary, g = ternarize(self.weight.detach())
        if self.form == "inference":
            return F.linear(xq, w_ternary) * g
        if self.form == "dequantized":
            return F.linear(xq, w_ternary * g)
        raise ValueError(f"unknown BitLinear form '{self.form}'")


class RMSNorm(nn.Module):
    def __init__(self, size: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        variance = x.pow(2).mean(dim=-1, keepdim=True)
        return x * torch.rsqrt(variance + self.eps) * self.weight


def rotary_tables(config: BitNetConfig, positions: torch.Tensor):
    """cos and sin of the rotary embedding, [seq, head_dim]."""
    dim = config.head_dim
    inv_freq = 1.0 / (config.rope_theta **
                      (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    angles = positions.to(torch.float32)[:, None] * inv_freq[None, :]
    angles = torch.cat([angles, angles], dim=-1)
    return angles.cos(), angles.sin()


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def repeat_kv(x: torch.Tensor, groups: int) -> torch.Tensor:
    """[b, kv_heads, s, d] -> [b, kv_heads * groups, s, d], each kv head
    repeated for its group of query heads (expand + reshape, which exports
    to ONNX without loops, unlike repeat_interleave)."""
    if groups == 1:
        return x
    b, h, s, d = x.shape
    return x[:, :, None].expand(b, h, groups, s, d).reshape(b, h * groups, s, d)


class Attention(nn.Module):
    """Causal self-attention with grouped-query heads and rotary embedding."""

    def __init__(self, config: BitNetConfig):
        super().__init__()
        self.config = config
        hd = config.head_dim
        self.q_proj = BitLinear(config.hidden_size, config.num_heads * hd)
        self.k_proj = BitLinear(config.hidden_size, config.num_kv_heads * hd)
        self.v_proj = BitLinear(config.hidden_size, config.num_kv_heads * hd)
        self.o_proj = BitLinear(config.num_heads * hd, config.hidden_size)
        self.sub_norm = (RMSNorm(config.hidden_size, config.rms_norm_eps)
                         if config.sub_norms else nn.Identity())

    def forward(self, x, cos, sin, causal, past=None):
        """x [b, t, hidden]; causal [t, past + t] (True where a query may
        attend); past: None or this layer's cached (key, value), each
        [b, kv_heads, past, head_dim] after rotary embedding.

        Returns (output, (key, value)) where key/value cover past + t.
        """
        c = self.config
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, c.num_heads, c.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, t, c.num_kv_heads, c.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, t, c.num_kv_heads, c.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        present = (k, v)
        groups = c.num_heads // c.num_kv_heads
        k, v = repeat_kv(k, groups), repeat_kv(v, groups)
        scores = q @ k.transpose(-1, -2) / math.sqrt(c.head_dim)
        scores = scores.masked_fill(~causal, float("-inf"))
        out = scores.softmax(dim=-1) @ v
        out = out.transpose(1, 2).reshape(b, t, c.num_heads * c.head_dim)
        return self.o_proj(self.sub_norm(out)), present


class FeedForward(nn.Module):
    def __init__(self, config: BitNetConfig):
        super().__init__()
        self.ffn = config.ffn
        self.gate_proj = BitLinear(config.hidden_size, config.intermediate_size)
        self.up_proj = BitLinear(config.hidden_size, config.intermediate_size)
        self.down_proj = BitLinear(config.intermediate_size, config.hidden_size)
        self.sub_norm = (RMSNorm(config.intermediate_size, config.rms_norm_eps)
                         if config.sub_norms else nn.Identity())

    def forward(self, x):
        gate = self.gate_proj(x)
        if self.ffn == "swiglu":
            hidden = F.silu(gate) * self.up_proj(x)
        else:
            hidden = F.relu(gate).pow(2) * self.up_proj(x)
        return self.down_proj(self.sub_norm(hidden))


class DecoderLayer(nn.Module):
    def __init__(self, config: BitNetConfig):
        super().__init__()
        self.input_norm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.attention = Attention(config)
        self.post_attention_norm = RMSNorm(config.hidden_size,
                                           config.rms_norm_eps)
        self.mlp = FeedForward(config)

    def forward(self, x, cos, sin, causal, past=None):
        attended, present = self.attention(self.input_norm(x), cos, sin,
                                           causal, past)
        x = x + attended
        return x + self.mlp(self.post_attention_norm(x)), present


class BitNetModel(nn.Module):
    """Token ids [batch, seq] -> logits [batch, seq, vocab]."""

    def __init__(self, config: BitNetConfig):
        super().__init__()
        self.config = config
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(config)
                                    for _ in range(config.num_layers))
        self.norm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.lm_head = (None if config.tie_embeddings else
                        nn.Linear(config.hidden_size, config.vocab_size,
                                  bias=False))

    def bitlinears(self):
        return [m for m in self.modules() if isinstance(m, BitLinear)]

    def set_form(self, form: str) -> "BitNetModel":
        """Switch every BitLinear to "training", "inference" or
        "dequantized" (see BitLinear)."""
        for layer in self.bitlinears():
            layer.form = form
        return self

    def forward(self, ids: torch.Tensor, past=None):
        """ids [batch, seq] -> logits [batch, seq, vocab].

        With `past` (a KV cache: one (key, value) pair per layer, each
        [batch, kv_heads, past_len, head_dim]; past_len may be 0) the ids
        continue the cached sequence and the result is (logits, present),
        present being the cache extended by these ids.
        """
        past_len = 0 if past is None else past[0][0].shape[2]
        t = ids.shape[1]
        positions = torch.arange(past_len, past_len + t, device=ids.device)
        cos, sin = rotary_tables(self.config, positions)
        # Query i (at position past_len + i) sees keys 0 .. past_len + i.
        keys = torch.arange(past_len + t, device=ids.device)
        causal = keys[None, :] <= positions[:, None]
        x = self.embed_tokens(ids)
        presents = []
        for i, layer in enumerate(self.layers):
            x, present = layer(x, cos, sin, causal,
                               None if past is None else past[i])
            presents.append(present)
        x = self.norm(x)
        weight = (self.embed_tokens.weight if self.lm_head is None
                  else self.lm_head.weight)
        logits = F.linear(x, weight)
        return logits if past is None else (logits, tuple(presents))

    def empty_cache(self, batch: int = 1):
        """A KV cache holding nothing (past_len 0), for `forward(ids, past)`."""
        c = self.config
        shape = (batch, c.num_kv_heads, 0, c.head_dim)
        return tuple((torch.zeros(shape), torch.zeros(shape))
                     for _ in range(c.num_layers))
