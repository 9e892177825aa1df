"""Writes tiny complete BitNet GGUF models, good and broken, for the lit
tests of tritc's GGUF frontend: `make_model.py DIR` writes every variant of
VARIANTS into DIR as NAME.gguf. Only the standard library (struct), so it
runs on any Python 3; the layouts are those of docs/gguf.md.

The model: vocab 16, hidden 8, FFN 256 (so that ffn_down's rows hold whole
TQ2_0 and I2_S blocks), 2 layers, 2 heads of 4, 1 KV head. BitLinear
weights are ternary-valued F32 (codes times 0.5), except ffn_down, which is
TQ2_0 in the 2B-4T variants and I2_S in the `bitnet` ones.
"""

import os
import struct
import sys

# The container's encoding, shared with the reader's tests.
from make_gguf import kv_str, kv_u32, s, u32, u64

V, H, I, L, NH, KV = 16, 8, 256, 2, 2, 1
HD = H // NH
F32, Q4_0, TQ2_0, I2_S = 0, 2, 35, 36


def kv_f32(key, v):
    return s(key) + u32(6) + struct.pack("<f", v)


class Rng:
    """A tiny LCG: the files must not depend on Python's random module."""

    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) \
            % (1 << 64)
        return self.state >> 33

    def code(self):
        return self.next() % 3 - 1

    def uniform(self):
        return (self.next() % 2001) / 1000.0 - 1.0


def f32_bytes(values):
    return struct.pack("<%df" % len(values), *values)


def tq2_bytes(codes, d):
    """TQ2_0: per 256 values, qs[64] then f16 d; byte 32h + m holds values
    128h + 32l + m in bits 2l..2l+1 as code + 1."""
    out = b""
    for start in range(0, len(codes), 256):
        block = codes[start:start + 256]
        qs = bytearray(64)
        for h in range(2):
            for m in range(32):
                for l in range(4):
                    qs[32 * h + m] |= (block[128 * h + 32 * l + m] + 1) << 2 * l
        out += bytes(qs) + struct.pack("<e", d)
    return out


def i2s_bytes(codes, scale):
    """I2_S (x86): the flattened values in blocks of 128 stored in 32 bytes,
    byte 32b + p holding values 128b + 32g + p in bits 6-2g..7-2g; then 32
    bytes whose first 4 are the f32 scale."""
    packed = bytearray(len(codes) // 4)
    for b in range(len(codes) // 128):
        for p in range(32):
            for g in range(4):
                packed[32 * b + p] |= (codes[128 * b + 32 * g + p] + 1) << \
                    (6 - 2 * g)
    return bytes(packed) + struct.pack("<f", scale) + b"\0" * 28


class Model:
    """Tensors (name, ne, type, bytes) and metadata entries of a file."""

    def __init__(self, arch, seed=1):
        self.arch = arch
        self.rng = Rng(seed)
        self.meta = {
            "general.architecture": kv_str("general.architecture", arch),
            "block_count": kv_u32(arch + ".block_count", L),
            "embedding_length": kv_u32(arch + ".embedding_length", H),
            "feed_forward_length": kv_u32(arch + ".feed_forward_length", I),
            "head_count": kv_u32(arch + ".attention.head_count", NH),
            "head_count_kv": kv_u32(arch + ".attention.head_count_kv", KV),
            "eps": kv_f32(arch + ".attention.layer_norm_rms_epsilon", 1e-5),
            "freq_base": kv_f32(arch + ".rope.freq_base", 500000.0),
            "context_length": kv_u32(arch + ".context_length", 64),
            "bos": kv_u32("tokenizer.ggml.bos_token_id", 1),
            "eos": kv_u32("tokenizer.ggml.eos_token_id", 2),
        }
        self.tensors = []
        paper = arch == "bitnet"
        self.floats("token_embd.weight", [H, V])
        for i in range(L):
            p = "blk.%d." % i
            self.norm(p + "attn_norm.weight", H)
            self.ternary(p + "attn_q.weight", [H, NH * HD])
            self.ternary(p + "attn_k.weight", [H, KV * HD])
            self.ternary(p + "attn_v.weight", [H, KV * HD])
            self.norm(p + "attn_sub_norm.weight", NH * HD)
            self.ternary(p + "attn_output.weight", [NH * HD, H])
            self.norm(p + "ffn_norm.weight", H)
            self.ternary(p + "ffn_gate.weight", [H, I])
            self.ternary(p + "ffn_up.weight", [H, I])
            self.norm(p + "ffn_sub_norm.weight", I)
            self.ternary(p + "ffn_down.weight", [I, H],
                         I2_S if paper else TQ2_0)
            if paper:
                # llama.cpp's older converters: sign(W) plus a scale.
                for name in ("attn_q", "attn_k", "attn_v", "attn_output",
                             "ffn_gate", "ffn_up", "ffn_down"):
                    self.add(p + name + ".scale", [1], F32,
                             f32_bytes([1.5]))
        self.norm("output_norm.weight", H)

    def add(self, name, ne, ttype, data):
        self.tensors.append([name, ne, ttype, data])

    def floats(self, name, ne):
        n = 1
        for d in ne:
            n *= d
        self.add(name, ne, F32, f32_bytes([self.rng.uniform()
                                           for _ in range(n)]))

    def norm(self, name, n):
        self.add(name, [n], F32, f32_bytes([1.0 + 0.1 * self.rng.uniform()
                                            for _ in range(n)]))

    def ternary(self, name, ne, ttype=F32):
        codes = [self.rng.code() for _ in range(ne[0] * ne[1])]
        if ttype == TQ2_0:
            data = tq2_bytes(codes, 0.5)
        elif ttype == I2_S:
            data = i2s_bytes(codes, 0.5)
        else:
            data = f32_bytes([0.5 * c for c in codes])
        self.add(name, ne, ttype, data)

    def tensor(self, name):
        return next(t for t in self.tensors if t[0] == name)

    def remove(self, name):
        self.tensors = [t for t in self.tensors if t[0] != name]

    def write(self, path, align=32):
        infos, data = b"", b""
        for name, ne, ttype, payload in self.tensors:
            data += b"\0" * (-len(data) % align)
            infos += s(name) + u32(len(ne)) + b"".join(u64(d) for d in ne) + \
                u32(ttype) + u64(len(data))
            data += payload
        entries = list(self.meta.values())
        head = b"GGUF" + u32(3) + u64(len(self.tensors)) + u64(len(entries)) \
            + b"".join(entries) + infos
        head += b"\0" * (-len(head) % align)
        with open(path, "wb") as f:
            f.write(head + data)


def variants():
    yield "b158", Model("bitnet-b1.58")
    untied = Model("bitnet-25")
    untied.floats("output.weight", [H, V])
    yield "b25-untied", untied
    yield "bitnet", Model("bitnet")
    master = Model("bitnet-b1.58")
    master.tensor("blk.0.attn_q.weight")[3] = f32_bytes(
        [master.rng.uniform() for _ in range(H * NH * HD)])
    yield "master", master

    m = Model("llama")
    yield "llama", m
    m = Model("bitnet-b1.58")
    m.remove("blk.1.ffn_up.weight")
    yield "missing", m
    m = Model("bitnet-b1.58")
    m.tensor("blk.0.attn_k.weight")[1] = [H, NH * HD]
    m.tensor("blk.0.attn_k.weight")[3] = f32_bytes([0.5] * (H * NH * HD))
    yield "shape", m
    m = Model("bitnet-b1.58")
    t = m.tensor("blk.0.ffn_down.weight")
    t[3] = tq2_bytes([1] * (I * H), 0.5)[:66 * 7] + \
        tq2_bytes([1] * 256, 0.25)
    yield "scales", m
    m = Model("bitnet-b1.58")
    t = m.tensor("blk.1.ffn_down.weight")
    t[2], t[3] = Q4_0, b"\0" * (I * H // 32 * 18)
    yield "q4", m
    m = Model("bitnet-b1.58")
    del m.meta["eps"]
    yield "nokey", m
    m = Model("bitnet-b1.58")
    m.add("blk.0.attn_q.bias", [NH * HD], F32, f32_bytes([0.0] * (NH * HD)))
    yield "bias", m
    m = Model("bitnet-b1.58")
    m.meta["rope"] = kv_u32("bitnet-b1.58.rope.dimension_count", HD // 2)
    yield "rope-dims", m
    m = Model("bitnet-b1.58")
    m.meta["rope-scale"] = kv_f32("bitnet-b1.58.rope.scaling.factor", 4.0)
    yield "rope-scaling", m
    m = Model("bitnet")
    m.floats("output.weight", [H, V])
    yield "bitnet-output", m
    m = Model("bitnet-b1.58")
    m.meta["block_count"] = kv_u32("bitnet-b1.58.block_count", 1 << 30)
    yield "layers", m


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, model in variants():
        model.write(os.path.join(out, name + ".gguf"))


if __name__ == "__main__":
    main()
