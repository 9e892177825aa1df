"""Hugging Face checkpoints of trit's reference models, written without
transformers: config.json, model.safetensors and (optionally)
tokenizer.json, in the layouts transformers' BitNetForCausalLM reads.

Two weight layouts (docs/huggingface.md):
  - "packed" (bitnet-b1.58-2B-4T's release): every BitLinear weight is
    uint8 [out/4, in] holding codes w+1, bit pair i of packed row r being
    row i*out/4 + r, plus a one-element `weight_scale` by which transformers
    divides: y = (xq . Wq) / (s_x * weight_scale). config.json carries
    quantization_config {quant_method: bitnet, quantization_mode: offline}.
  - "master": float weights; transformers ternarizes them on the fly
    (quantization_mode "online", its AutoBitLinear).

    python -m trit.hf --trained DIR        # the tiny trained model, packed
    python -m trit.hf --config bitnet-2b-4t --random DIR   # benchmark shape

Only numpy is needed (the project's Python has no safetensors package).
"""

import argparse
import json
import os
import struct

import numpy as np

_DTYPES = {"F32": (np.float32, 4), "BF16": (np.uint16, 2),
           "F16": (np.float16, 2), "U8": (np.uint8, 1)}


def to_bf16_bits(values: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16 bit patterns (uint16), round to nearest even."""
    u = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    rounded = u + (((u >> 16) & 1) + 0x7FFF).astype(np.uint32)
    return (rounded >> 16).astype(np.uint16)


def from_bf16_bits(bits: np.ndarray) -> np.ndarray:
    return (bits.astype(np.uint32) << 16).view(np.float32)


def cast_weight(values: np.ndarray, dtype: str) -> np.ndarray:
    """`values` in the stored representation of `dtype`."""
    if dtype == "BF16":
        return to_bf16_bits(values)
    return np.ascontiguousarray(values, dtype=_DTYPES[dtype][0])


def write_safetensors(path: str, tensors):
    """Writes `tensors`, a list of (name, dtype, shape, producer) where
    producer() returns the stored array (called once, in order, so that a
    big checkpoint is never held in memory at once)."""
    header, offset = {}, 0
    for name, dtype, shape, _ in tensors:
        size = int(np.prod(shape, dtype=np.int64)) * _DTYPES[dtype][1]
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + size]}
        offset += size
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # data 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name, dtype, shape, producer in tensors:
            data = np.ascontiguousarray(producer())
            if tuple(data.shape) != tuple(shape):
                raise ValueError(f"{name}: shape {data.shape} != {shape}")
            f.write(data.tobytes())


def read_safetensors(path: str) -> dict:
    """name -> array of a safetensors file (BF16 widened to float32)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    result = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        array = np.frombuffer(data[begin:end],
                              dtype=_DTYPES[entry["dtype"]][0])
        if entry["dtype"] == "BF16":
            array = from_bf16_bits(array)
        result[name] = array.reshape(entry["shape"])
    return result


def pack_ternary(codes: np.ndarray) -> np.ndarray:
    """int -1/0/+1 [out, in] -> transformers' packed uint8 [out/4, in]."""
    out = codes.shape[0]
    if out % 4:
        raise ValueError(f"{out} rows are not a multiple of 4")
    stored = (codes + 1).astype(np.uint8)
    quarter = out // 4
    packed = np.zeros((quarter, codes.shape[1]), dtype=np.uint8)
    for i in range(4):
        packed |= stored[i * quarter:(i + 1) * quarter] << (2 * i)
    return packed


def unpack_ternary(packed: np.ndarray) -> np.ndarray:
    """The inverse of pack_ternary (transformers' unpack_weights)."""
    return np.concatenate([((packed >> (2 * i)) & 3).astype(np.int8) - 1
                           for i in range(4)], axis=0)


def hf_config(config, packed: bool, dtype: str, bos=None, eos=None) -> dict:
    """config.json for a trit BitNetConfig (transformers' BitNetConfig)."""
    result = {
        "architectures": ["BitNetForCausalLM"],
        "model_type": "bitnet",
        "vocab_size": config.vocab_size,
        "hidden_size": config.hidden_size,
        "intermediate_size": config.intermediate_size,
        "num_hidden_layers": config.num_layers,
        "num_attention_heads": config.num_heads,
        "num_key_value_heads": config.num_kv_heads,
        "head_dim": config.head_dim,
        "hidden_act": "relu2" if config.ffn == "relu2" else "silu",
        "max_position_embeddings": config.max_position,
        "rms_norm_eps": config.rms_norm_eps,
        "rope_theta": config.rope_theta,
        "tie_word_embeddings": config.tie_embeddings,
        "attention_bias": False,
        "bos_token_id": bos,
        "eos_token_id": eos,
        "torch_dtype": {"F32": "float32", "BF16": "bfloat16",
                        "F16": "float16"}[dtype],
    }
    result["quantization_config"] = {
        "quant_method": "bitnet",
        "linear_class": "bitlinear" if packed else "autobitlinear",
        "quantization_mode": "offline" if packed else "online",
    }
    return result


def _hf_name(key: str) -> str:
    """Our reference's state-dict key -> transformers' BitNet name."""
    if key.startswith(("embed_tokens.", "norm.")):
        return "model." + key
    if key.startswith("lm_head."):
        return key
    key = "model." + key
    for old, new in ((".attention.sub_norm.", ".self_attn.attn_sub_norm."),
                     (".attention.", ".self_attn."),
                     (".mlp.sub_norm.", ".mlp.ffn_sub_norm."),
                     (".input_norm.", ".input_layernorm."),
                     (".post_attention_norm.",
                      ".post_attention_layernorm.")):
        key = key.replace(old, new, 1)
    return key


def ternarize_numpy(w: np.ndarray):
    """(codes, g) as the reference computes them in float32."""
    g = np.float32(max(np.float32(np.abs(w.astype(np.float64)).mean()),
                       np.float32(1e-5)))
    s = np.float32(1.0) / g
    codes = np.clip(np.round(w * s), -1, 1).astype(np.int8)
    return codes, np.float32(1.0) / s


def save_model(model, directory: str, packed: bool = True,
               dtype: str = "F32", tokenizer: dict = None, bos=None,
               eos=None, shards: int = 1) -> str:
    """Writes `model` (trit.models.BitNetModel) as a Hugging Face directory,
    in `shards` safetensors files (with model.safetensors.index.json when
    more than one); returns the directory."""
    os.makedirs(directory, exist_ok=True)
    state = {k: v.detach().float().numpy()
             for k, v in model.state_dict().items()}
    bitlinear = {name + ".weight" for name, m in model.named_modules()
                 if type(m).__name__ == "BitLinear"}
    tensors = []
    for key, value in state.items():
        name = _hf_name(key)
        if packed and key in bitlinear:
            codes, g = ternarize_numpy(value)
            tensors.append((name, "U8", (value.shape[0] // 4, value.shape[1]),
                            lambda c=codes: pack_ternary(c)))
            scale = np.array([np.float32(1.0) / g], dtype=np.float32)
            tensors.append((name + "_scale", dtype, (1,),
                            lambda s=scale: cast_weight(s, dtype)))
        else:
            tensors.append((name, dtype, value.shape,
                            lambda v=value: cast_weight(v, dtype)))
    if shards == 1:
        write_safetensors(os.path.join(directory, "model.safetensors"),
                          tensors)
    else:
        weight_map = {}
        for i in range(shards):
            name = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
            part = tensors[i::shards]
            write_safetensors(os.path.join(directory, name), part)
            weight_map.update({t[0]: name for t in part})
        with open(os.path.join(directory, "model.safetensors.index.json"),
                  "w") as f:
            json.dump({"metadata": {}, "weight_map": weight_map}, f,
                      indent=2)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(hf_config(model.config, packed, dtype, bos, eos), f,
                  indent=2)
    if tokenizer is not None:
        with open(os.path.join(directory, "tokenizer.json"), "w") as f:
            json.dump(tokenizer, f, ensure_ascii=False)
    return directory


def bytes_to_unicode() -> dict:
    """GPT-2's byte -> printable character map (ByteLevel)."""
    printable = (list(range(ord("!"), ord("~") + 1)) +
                 list(range(ord("\u00a1"), ord("\u00ac") + 1)) +
                 list(range(ord("\u00ae"), ord("\u00ff") + 1)))
    chars, extra = {}, 0
    for b in range(256):
        if b in printable:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + extra)
            extra += 1
    return chars


# LLaMA-3's pre-tokenizer pattern (tokenizer.json of the 2B-4T release).
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|"
                  r"\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|"
                  r"\s+(?!\S)|\s+")


def byte_tokenizer() -> dict:
    """tokenizer.json of a byte vocabulary (id = byte value): byte-level BPE
    without merges, LLaMA-3's pre-tokenizer, no special tokens."""
    chars = bytes_to_unicode()
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [],
        "normalizer": None,
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": LLAMA3_PATTERN},
                 "behavior": "Isolated", "invert": False},
                {"type": "ByteLevel", "add_prefix_space": False,
                 "trim_offsets": True, "use_regex": False},
            ],
        },
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True,
                    "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None,
            "continuing_subword_prefix": None, "end_of_word_suffix": None,
            "fuse_unk": False, "byte_fallback": False, "ignore_merges": True,
            "vocab": {chars[b]: b for b in range(256)},
            "merges": [],
        },
    }


def save_random_packed(config, directory: str, seed: int = 0,
                       dtype: str = "BF16") -> str:
    """A checkpoint of `config`'s shape with random ternary weights, packed
    as the 2B-4T release is, written layer by layer (a 2B model never sits
    in memory)."""
    os.makedirs(directory, exist_ok=True)
    rng = np.random.default_rng(seed)
    c = config
    hd = c.head_dim

    def floats(shape, scale):
        return lambda: cast_weight(
            (rng.standard_normal(shape, dtype=np.float32) * scale), dtype)

    def ones(n):
        return lambda: cast_weight(
            1.0 + 0.1 * rng.standard_normal(n, dtype=np.float32), dtype)

    def packed(rows, cols):
        # Codes 0..2 in each of the four 2-bit fields.
        return lambda: sum((rng.integers(0, 3, (rows // 4, cols),
                                         dtype=np.uint8) << (2 * i))
                           for i in range(4)).astype(np.uint8)

    tensors = [("model.embed_tokens.weight", dtype,
                (c.vocab_size, c.hidden_size), floats(
                    (c.vocab_size, c.hidden_size), 1.0))]
    for i in range(c.num_layers):
        p = f"model.layers.{i}."
        shapes = {"self_attn.q_proj": (c.num_heads * hd, c.hidden_size),
                  "self_attn.k_proj": (c.num_kv_heads * hd, c.hidden_size),
                  "self_attn.v_proj": (c.num_kv_heads * hd, c.hidden_size),
                  "self_attn.o_proj": (c.hidden_size, c.num_heads * hd),
                  "mlp.gate_proj": (c.intermediate_size, c.hidden_size),
                  "mlp.up_proj": (c.intermediate_size, c.hidden_size),
                  "mlp.down_proj": (c.hidden_size, c.intermediate_size)}
        tensors.append((p + "input_layernorm.weight", dtype,
                        (c.hidden_size,), ones(c.hidden_size)))
        tensors.append((p + "post_attention_layernorm.weight", dtype,
                        (c.hidden_size,), ones(c.hidden_size)))
        tensors.append((p + "self_attn.attn_sub_norm.weight", dtype,
                        (c.num_heads * hd,), ones(c.num_heads * hd)))
        tensors.append((p + "mlp.ffn_sub_norm.weight", dtype,
                        (c.intermediate_size,), ones(c.intermediate_size)))
        for name, (rows, cols) in shapes.items():
            tensors.append((p + name + ".weight", "U8", (rows // 4, cols),
                            packed(rows, cols)))
            scale = np.array([1.0 / np.sqrt(cols)], dtype=np.float32)
            tensors.append((p + name + ".weight_scale", dtype, (1,),
                            lambda s=scale: cast_weight(s, dtype)))
    tensors.append(("model.norm.weight", dtype, (c.hidden_size,),
                    ones(c.hidden_size)))
    if not c.tie_embeddings:
        tensors.append(("lm_head.weight", dtype,
                        (c.vocab_size, c.hidden_size),
                        floats((c.vocab_size, c.hidden_size), 0.05)))
    write_safetensors(os.path.join(directory, "model.safetensors"), tensors)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(hf_config(c, True, dtype), f, indent=2)
    return directory


def main(argv=None):
    from .models import CONFIGS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory")
    parser.add_argument("--trained", action="store_true",
                        help="the project's tiny trained model (packed, with "
                             "a byte tokenizer.json)")
    parser.add_argument("--config", choices=sorted(CONFIGS),
                        help="a model shape from trit.models.CONFIGS")
    parser.add_argument("--random", action="store_true",
                        help="random packed ternary weights (--config)")
    parser.add_argument("--layers", type=int,
                        help="override the number of layers")
    parser.add_argument("--vocab", type=int,
                        help="override the vocabulary size")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.trained:
        from .trained import load_trained
        save_model(load_trained(), args.directory, packed=True,
                   tokenizer=byte_tokenizer())
    elif args.config and args.random:
        config = CONFIGS[args.config]
        if args.layers:
            config = config.scaled(num_layers=args.layers)
        if args.vocab:
            config = config.scaled(vocab_size=args.vocab)
        save_random_packed(config, args.directory, seed=args.seed)
    else:
        parser.error("give --trained, or --config NAME --random")
    print(args.directory)


if __name__ == "__main__":
    main()
