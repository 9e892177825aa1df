"""Writes a GGUF file holding a byte-level BPE tokenizer and no tensors.

    gguf_tokenizer.py TOKENIZER_JSON OUT.gguf [--extra N] [--eos ID]

The vocabulary and merges are those of TOKENIZER_JSON (a LLaMA-3-style
byte-level BPE, as `trit.hf` writes), so the file must encode exactly as the
JSON does; `--extra N` appends N more tokens (a vocabulary larger than the
model's), `--eos ID` sets tokenizer.ggml.eos_token_id. Written byte by byte
from the GGUF v3 layout (docs/gguf.md) with the standard library alone, so
the test needs neither the `gguf` package nor trit's own writer.
"""

import argparse
import json
import struct

STRING, ARRAY, UINT32, INT32 = 8, 9, 4, 5


def string(text):
    data = text.encode("utf-8")
    return struct.pack("<Q", len(data)) + data


def entry(key, kind, payload):
    return string(key) + struct.pack("<I", kind) + payload


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("tokenizer_json")
    parser.add_argument("out")
    parser.add_argument("--extra", type=int, default=0)
    parser.add_argument("--eos", type=int)
    args = parser.parse_args()

    with open(args.tokenizer_json, encoding="utf-8") as f:
        model = json.load(f)["model"]
    vocab = model["vocab"]
    tokens = [None] * len(vocab)
    for token, index in vocab.items():
        tokens[index] = token
    tokens += [f"<extra_{i}>" for i in range(args.extra)]
    merges = [m if isinstance(m, str) else " ".join(m)
              for m in model.get("merges", [])]

    entries = [
        entry("general.architecture", STRING, string("bitnet-25")),
        entry("tokenizer.ggml.model", STRING, string("gpt2")),
        entry("tokenizer.ggml.pre", STRING, string("llama-bpe")),
        entry("tokenizer.ggml.tokens", ARRAY,
              struct.pack("<IQ", STRING, len(tokens))
              + b"".join(string(t) for t in tokens)),
        entry("tokenizer.ggml.token_type", ARRAY,
              struct.pack("<IQ", INT32, len(tokens))
              + struct.pack(f"<{len(tokens)}i", *([1] * len(tokens)))),
        entry("tokenizer.ggml.merges", ARRAY,
              struct.pack("<IQ", STRING, len(merges))
              + b"".join(string(m) for m in merges)),
        # A byte-level vocabulary with no BOS: llama.cpp would add one.
        entry("tokenizer.ggml.add_bos_token", 7, b"\0"),
    ]
    if args.eos is not None:
        entries.append(entry("tokenizer.ggml.eos_token_id", UINT32,
                             struct.pack("<I", args.eos)))
    data = b"GGUF" + struct.pack("<IQQ", 3, 0, len(entries)) + b"".join(entries)
    data += b"\0" * (-len(data) % 32)
    with open(args.out, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
