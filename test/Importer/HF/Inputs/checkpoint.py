"""Writes a tiny Hugging Face BitNet checkpoint for the lit tests, or a
broken one: `checkpoint.py DIR [--family bitnet|1bitllm] [--master]
[--untied] [--break WHAT]` (WHAT: see BREAKS)."""

import argparse
import json
import os
import struct
import sys

import numpy as np

from trit.hf import pack_ternary, write_safetensors

BREAKS = ["truncated", "header-length", "offsets", "overlap", "dtype",
          "size", "missing", "shape", "config-field", "config-json",
          "model-type", "code3", "no-scale", "no-head", "no-weights",
          "absurd-shape", "rope-scaling", "heads"]

parser = argparse.ArgumentParser()
parser.add_argument("directory")
parser.add_argument("--family", default="bitnet")
parser.add_argument("--master", action="store_true")
parser.add_argument("--untied", action="store_true")
parser.add_argument("--break", dest="broken", choices=BREAKS)
args = parser.parse_args()

rng = np.random.default_rng(0)
V, H, I, L, NH, KV = 16, 8, 16, 1, 2, 1
HD = H // NH
os.makedirs(args.directory, exist_ok=True)
sub_norm = {"bitnet": ("self_attn.attn_sub_norm", "mlp.ffn_sub_norm"),
            "1bitllm": ("self_attn.inner_attn_ln", "mlp.ffn_layernorm")}
attn_norm, ffn_norm = sub_norm[args.family]

tensors = [("model.embed_tokens.weight", "F32", (V, H),
            lambda: rng.standard_normal((V, H)).astype(np.float32))]
linears = {"self_attn.q_proj": (NH * HD, H), "self_attn.k_proj": (KV * HD, H),
           "self_attn.v_proj": (KV * HD, H), "self_attn.o_proj": (H, NH * HD),
           "mlp.gate_proj": (I, H), "mlp.up_proj": (I, H),
           "mlp.down_proj": (H, I)}
for i in range(L):
    p = f"model.layers.{i}."
    for name, n in (("input_layernorm", H), ("post_attention_layernorm", H),
                    (attn_norm, NH * HD), (ffn_norm, I)):
        tensors.append((p + name + ".weight", "F32", (n,),
                        lambda n=n: np.ones(n, np.float32)))
    for name, (rows, cols) in linears.items():
        codes = rng.integers(-1, 2, (rows, cols))
        if args.master:
            tensors.append((p + name + ".weight", "F32", (rows, cols),
                            lambda c=codes: rng.standard_normal(c.shape)
                            .astype(np.float32)))
            continue
        packed = pack_ternary(codes)
        if args.broken == "code3" and name == "mlp.up_proj":
            packed[0, 1] |= 0xC0
        tensors.append((p + name + ".weight", "U8", packed.shape,
                        lambda b=packed: b))
        if args.broken == "no-scale" and name == "self_attn.k_proj":
            continue
        tensors.append((p + name + ".weight_scale", "F32", (1,),
                        lambda: np.array([2.0], np.float32)))
tensors.append(("model.norm.weight", "F32", (H,),
                lambda: np.ones(H, np.float32)))
if args.untied and args.broken != "no-head":
    tensors.append(("lm_head.weight", "F32", (V, H),
                    lambda: rng.standard_normal((V, H)).astype(np.float32)))
if args.broken == "missing":
    tensors = [t for t in tensors if t[0] != "model.layers.0.mlp.down_proj.weight"]
if args.broken == "shape":
    tensors = [(n, d, (H + 1,), lambda: np.ones(H + 1, np.float32))
               if n == "model.norm.weight" else (n, d, s, f)
               for n, d, s, f in tensors]

path = os.path.join(args.directory, "model.safetensors")
if args.broken != "no-weights":
    write_safetensors(path, tensors)


def patch_header(edit):
    """Rewrites the safetensors header through `edit(header) -> header`."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = edit(json.loads(data[8:8 + n]))
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data[8 + n:])


if args.broken == "truncated":
    with open(path, "r+b") as f:
        f.truncate(5)
elif args.broken == "header-length":
    with open(path, "r+b") as f:
        f.write(struct.pack("<Q", 1 << 40))
elif args.broken == "offsets":
    patch_header(lambda h: {**h, "model.norm.weight": {
        **h["model.norm.weight"], "data_offsets": [1 << 30, (1 << 30) + 32]}})
elif args.broken == "overlap":
    def overlap(h):
        h["model.norm.weight"]["data_offsets"] = \
            h["model.embed_tokens.weight"]["data_offsets"][:1] + [
                h["model.embed_tokens.weight"]["data_offsets"][0] + 4 * H]
        return h
    patch_header(overlap)
elif args.broken == "dtype":
    patch_header(lambda h: {**h, "model.norm.weight": {
        **h["model.norm.weight"], "dtype": "C64"}})
elif args.broken == "size":
    patch_header(lambda h: {**h, "model.norm.weight": {
        **h["model.norm.weight"], "shape": [H + 2]}})
elif args.broken == "absurd-shape":
    patch_header(lambda h: {**h, "model.norm.weight": {
        **h["model.norm.weight"], "shape": [1 << 40, 1 << 40]}})

config = {"architectures": ["BitNetForCausalLM"], "model_type": "bitnet",
          "vocab_size": V, "hidden_size": H, "intermediate_size": I,
          "num_hidden_layers": L, "num_attention_heads": NH,
          "num_key_value_heads": KV, "hidden_act": "relu2",
          "max_position_embeddings": 32, "rms_norm_eps": 1e-5,
          "rope_theta": 500000.0, "tie_word_embeddings": not args.untied}
if not args.master:
    config["quantization_config"] = {"quant_method": "bitnet",
                                     "linear_class": "bitlinear",
                                     "quantization_mode": "offline"}
if args.family == "1bitllm":
    config.update(model_type="llama", architectures=["BitnetForCausalLM"],
                  hidden_act="silu", rope_theta=10000.0)
if args.broken == "config-field":
    del config["hidden_size"]
if args.broken == "model-type":
    config["model_type"] = "gpt2"
if args.broken == "rope-scaling":
    config["rope_scaling"] = {"rope_type": "yarn", "factor": 4.0}
if args.broken == "heads":
    config["num_key_value_heads"] = 3
with open(os.path.join(args.directory, "config.json"), "w") as f:
    if args.broken == "config-json":
        f.write('{"model_type": "bitnet", "vocab_size": 16,')
    else:
        json.dump(config, f)
