"""Writes small GGUF files, good and damaged, for the lit tests of
trit-gguf-dump: `make_gguf.py DIR` writes every variant below into DIR.
Only the standard library (struct), so it runs on any Python 3."""

import os
import struct
import sys


def u32(v):
    return struct.pack("<I", v)


def u64(v):
    return struct.pack("<Q", v)


def s(text):
    data = text.encode()
    return u64(len(data)) + data


def kv_u32(key, v):
    return s(key) + u32(4) + u32(v)


def kv_str(key, v):
    return s(key) + u32(8) + s(v)


def tensor_info(name, dims, ttype, offset):
    return s(name) + u32(len(dims)) + b"".join(u64(d) for d in dims) + \
        u32(ttype) + u64(offset)


def gguf(entries, infos, data, version=3, magic=b"GGUF", counts=None,
         align=32):
    n_tensors, n_kv = counts if counts else (len(infos), len(entries))
    head = magic + u32(version) + u64(n_tensors) + u64(n_kv) + \
        b"".join(entries) + b"".join(infos)
    head += b"\0" * (-len(head) % align)
    return head + data


def f16(value):
    return struct.pack("<e", value)


def tq2_block(d, byte0=0x92):
    # byte 0: 2-bit codes 2, 0, 1, 2 from bit 0 up -> elements 0, 32, 64, 96
    # are +1, -1, 0, +1; every other value is 0 (code 1).
    qs = bytearray(b"\x55" * 64)
    qs[0] = byte0
    return bytes(qs) + f16(d)


def i2s_data(scale):
    # byte 0 = 0x86: codes 2, 0, 1, 2 in bits 7-6, 5-4, 3-2, 1-0 ->
    # elements 0, 32, 64, 96 are +1, -1, 0, +1; then the f32 scale.
    packed = bytearray(b"\x55" * 32)
    packed[0] = 0x86
    return bytes(packed) + struct.pack("<f", scale) + b"\0" * 28


ARCH = kv_str("general.architecture", "bitnet")
NORM = struct.pack("<4f", 1.0, -2.0, 0.5, 3.0)


def variants_good():
    good_data = NORM + b"\0" * 16 + tq2_block(0.5) + b"\0" * 30 + \
        i2s_data(0.75)
    yield "good", gguf(
        [ARCH, kv_u32("bitnet.block_count", 1),
         s("tokenizer.ggml.tokens") + u32(9) + u32(8) + u64(2) + s("<s>") +
         s("a")],
        [tensor_info("output_norm.weight", [4], 0, 0),
         tensor_info("blk.0.attn_q.weight", [256, 1], 35, 32),
         tensor_info("blk.0.attn_k.weight", [128, 1], 36, 128)],
        good_data)


def variants():
    yield from variants_good()
    norm_only = ([ARCH], [tensor_info("output_norm.weight", [4], 0, 0)], NORM)
    # The good file cut inside its metadata, and inside its last tensor.
    good = dict(variants_good())
    yield "truncated-header", good["good"][:20]
    yield "truncated-metadata", good["good"][:150]
    yield "truncated-data", good["good"][:-10]
    yield "magic", gguf(*norm_only, magic=b"GGML")
    yield "v1", gguf(*norm_only, version=1)
    yield "bigendian", gguf(*norm_only, version=0x03000000)
    yield "count", gguf(*norm_only, counts=(1 << 62, 1))
    yield "keylen", gguf([u64(1 << 40)], [], b"\0" * 16)
    yield "strlen", gguf([s("general.name") + u32(8) + u64(1 << 50)], [], b"")
    yield "vtype", gguf([s("general.name") + u32(13) + u32(0)], [], b"")
    yield "arraylen", gguf(
        [s("tokenizer.ggml.scores") + u32(9) + u32(6) + u64(1 << 60)], [], b"")
    yield "ndims", gguf([ARCH], [tensor_info("t", [1, 1, 1, 1, 4], 0, 0)],
                        NORM)
    yield "overflow", gguf([ARCH], [tensor_info("t", [1 << 40, 1 << 40], 0, 0)],
                           NORM)
    yield "ttype", gguf([ARCH], [tensor_info("t", [4], 77, 0)], NORM)
    yield "unaligned", gguf([ARCH], [tensor_info("t", [4], 0, 4)], NORM * 2)
    yield "range", gguf([ARCH], [tensor_info("token_embd.weight", [4, 100], 0,
                                             0)], NORM)
    yield "overlap", gguf([ARCH], [tensor_info("a", [8], 0, 0),
                                   tensor_info("b", [4], 0, 0)], NORM * 2)
    yield "duplicate", gguf([ARCH], [tensor_info("a", [4], 0, 0),
                                     tensor_info("a", [4], 0, 32)],
                            NORM + b"\0" * 16 + NORM)
    yield "align", gguf([kv_u32("general.alignment", 24)],
                        [tensor_info("t", [4], 0, 0)], NORM)
    yield "scales", gguf([ARCH], [tensor_info("w", [256, 2], 35, 0)],
                         tq2_block(0.5) + tq2_block(0.25))
    yield "code3", gguf([ARCH], [tensor_info("w", [256, 1], 35, 0)],
                        tq2_block(0.5, byte0=0xc0))
    yield "q4k", gguf([ARCH], [tensor_info("token_embd.weight", [256], 12, 0)],
                      b"\0" * 144)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in variants():
        with open(os.path.join(out, name + ".gguf"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
