"""GGUF models compiled by trit against transformers' BitNetForCausalLM.

Tiny random models of both families are written as GGUF files by the
`gguf` package (BitLinear weights in F32, TQ1_0 and TQ2_0, quantized by
`gguf.quants.quantize`) and by trit.gguf_i2s (bitnet.cpp's I2_S), under the
three architecture names (`bitnet-b1.58` and `bitnet-25`: relu², tied or
untied; `bitnet`: SiLU-gated, tied, also with llama.cpp's older `sign(W)`
plus `blk.N.*.scale` layout). Each is compiled with `trit.compile(path)`
and compared with transformers run on **the weights the file holds** (the
decoded codes and scale: a TQ block's scale is f16, so the reference uses
the f16-rounded scale too). The reference is a Hugging Face directory
written here with quantization_config autobitlinear/offline: float ternary
weights and `weight_scale` = the file's scale, for which transformers
computes `F.linear(ActQuant(x), W) * weight_scale`, the BitNet numerics.

Tolerances (the project's; see test_api.py): every position within 5e-2
relative L2, at least 75% of the positions within 1e-4 absolute, the
argmax equal where the reference's top-1/top-2 margin is >= 0.2, and
greedy generation equal up to the first undecided step.

Needs `gguf`, `transformers` (with BitNet) and `accelerate` (the torch-2
venv has them; /usr/bin/python3 does not): skipped, visibly, without them.
Needs the built tools (TRIT_BUILD_DIR, as ctest sets it, or the source
tree's build/): a missing tritc or runtime is a failure, not a skip.
"""

import json
import os
import shutil
import tempfile
import unittest

import numpy as np

try:
    import gguf
    import gguf.quants
    import torch
    import torch._dynamo
    import transformers
    from transformers import BitNetForCausalLM
    SKIP = None
except Exception as error:  # ImportError, or transformers without BitNet
    SKIP = f"gguf / transformers with BitNet are not importable ({error})"

import trit
from trit.gguf_i2s import add_i2s_tensor
from trit.hf import write_safetensors

if not SKIP:
    from tests.test_api import LogitsChecks, decided
else:
    LogitsChecks = object

# Shapes: every BitLinear's input size a multiple of 256 (TQ1_0 / TQ2_0
# blocks run along a row; I2_S needs 128).
FAMILIES = {
    # bitnet-b1.58-2B-4T-like: relu², GQA, theta 5e5.
    "2b4t": dict(vocab=97, hidden=256, ffn=512, layers=2, heads=4,
                 kv_heads=2, act="relu2", theta=500000.0, eps=1e-5,
                 context=64),
    # 1bitLLM-like (architecture `bitnet`): SiLU-gated, no GQA, theta 1e4.
    "swiglu": dict(vocab=97, hidden=256, ffn=512, layers=2, heads=4,
                   kv_heads=4, act="silu", theta=10000.0, eps=1e-6,
                   context=64),
}

# (file, family, architecture, BitLinear type, untied head, token_embd type)
VARIANTS = [
    ("b158-f32", "2b4t", "bitnet-b1.58", "F32", False, "F32"),
    ("b158-tq1", "2b4t", "bitnet-b1.58", "TQ1_0", False, "F32"),
    ("b158-tq2", "2b4t", "bitnet-b1.58", "TQ2_0", False, "F32"),
    ("b158-i2s", "2b4t", "bitnet-b1.58", "I2_S", False, "F16"),
    ("b25-tq2-untied", "2b4t", "bitnet-25", "TQ2_0", True, "F32"),
    ("bitnet-tq1", "swiglu", "bitnet", "TQ1_0", False, "F32"),
    ("bitnet-i2s", "swiglu", "bitnet", "I2_S", False, "F16"),
    ("bitnet-sign-scale", "swiglu", "bitnet", "SIGN", False, "F32"),
]

# Canonical (transformers) names -> GGUF names, per layer.
LAYER_NAMES = [
    ("input_layernorm", "attn_norm"), ("self_attn.q_proj", "attn_q"),
    ("self_attn.k_proj", "attn_k"), ("self_attn.v_proj", "attn_v"),
    ("self_attn.attn_sub_norm", "attn_sub_norm"),
    ("self_attn.o_proj", "attn_output"),
    ("post_attention_layernorm", "ffn_norm"), ("mlp.gate_proj", "ffn_gate"),
    ("mlp.up_proj", "ffn_up"), ("mlp.ffn_sub_norm", "ffn_sub_norm"),
    ("mlp.down_proj", "ffn_down"),
]


def layer_shapes(f):
    """PyTorch shapes of one layer's tensors."""
    hd = f["hidden"] // f["heads"]
    q, kv, h, i = f["heads"] * hd, f["kv_heads"] * hd, f["hidden"], f["ffn"]
    return {"input_layernorm": (h,), "self_attn.q_proj": (q, h),
            "self_attn.k_proj": (kv, h), "self_attn.v_proj": (kv, h),
            "self_attn.attn_sub_norm": (q,), "self_attn.o_proj": (h, q),
            "post_attention_layernorm": (h,), "mlp.gate_proj": (i, h),
            "mlp.up_proj": (i, h), "mlp.ffn_sub_norm": (i,),
            "mlp.down_proj": (h, i)}


def random_model(f, untied, seed):
    """Float tensors and BitLinear (codes, scale) under canonical names."""
    rng = np.random.default_rng(seed)
    weights = {"model.embed_tokens.weight":
               rng.standard_normal((f["vocab"], f["hidden"]))
               .astype(np.float32),
               "model.norm.weight":
               (1 + 0.1 * rng.standard_normal(f["hidden"])).astype(np.float32)}
    if untied:
        weights["lm_head.weight"] = (0.5 * rng.standard_normal(
            (f["vocab"], f["hidden"]))).astype(np.float32)
    for layer in range(f["layers"]):
        for name, shape in layer_shapes(f).items():
            key = f"model.layers.{layer}.{name}.weight"
            if len(shape) == 1:
                # Not all ones, so that a norm read for another one shows.
                weights[key] = (1 + 0.1 * rng.standard_normal(shape)) \
                    .astype(np.float32)
            else:
                codes = rng.integers(-1, 2, size=shape).astype(np.int8)
                # A scale that is not a round number, so that f16 shows.
                weights[key] = (codes, np.float32(rng.uniform(0.02, 0.1)))
    return weights


def gguf_name(canonical):
    if canonical == "model.embed_tokens.weight":
        return "token_embd.weight"
    if canonical == "model.norm.weight":
        return "output_norm.weight"
    if canonical == "lm_head.weight":
        return "output.weight"
    _, _, layer, rest = canonical.split(".", 3)
    rest = rest[:-len(".weight")]
    return f"blk.{layer}.{dict(LAYER_NAMES)[rest]}.weight"


def write_gguf(path, f, arch, kind, embd_type, weights):
    """Writes the model and returns what the file holds: float tensors as
    float32 and BitLinears as (codes, scale), decoded as trit decodes
    them."""
    writer = gguf.GGUFWriter(path, arch)
    writer.add_uint32(f"{arch}.block_count", f["layers"])
    writer.add_uint32(f"{arch}.embedding_length", f["hidden"])
    writer.add_uint32(f"{arch}.feed_forward_length", f["ffn"])
    writer.add_uint32(f"{arch}.attention.head_count", f["heads"])
    writer.add_uint32(f"{arch}.attention.head_count_kv", f["kv_heads"])
    writer.add_float32(f"{arch}.attention.layer_norm_rms_epsilon", f["eps"])
    writer.add_float32(f"{arch}.rope.freq_base", f["theta"])
    writer.add_uint32(f"{arch}.rope.dimension_count",
                      f["hidden"] // f["heads"])
    writer.add_uint32(f"{arch}.context_length", f["context"])
    writer.add_uint32(f"{arch}.vocab_size", f["vocab"])
    if arch == "bitnet":
        # What llama.cpp's converter writes for bitnet: a no-op.
        writer.add_string(f"{arch}.rope.scaling.type", "linear")
        writer.add_float32(f"{arch}.rope.scaling.factor", 1.0)
    held = {}
    for name, value in weights.items():
        target = gguf_name(name)
        if not isinstance(value, tuple):
            if name == "model.embed_tokens.weight" and embd_type == "F16":
                value = value.astype(np.float16)
            writer.add_tensor(target, value)
            held[name] = value.astype(np.float32)
            continue
        codes, scale = value
        dense = codes.astype(np.float32) * scale
        if kind == "F32":
            writer.add_tensor(target, dense)
            held[name] = (codes, scale)
        elif kind == "I2_S":
            add_i2s_tensor(writer, target, codes, scale)
            held[name] = (codes, scale)
        elif kind == "SIGN":
            # Older llama.cpp converters: sign(W) and a [1] F32 scale.
            writer.add_tensor(target, codes.astype(np.float32))
            writer.add_tensor(target[:-len(".weight")] + ".scale",
                              np.array([scale], dtype=np.float32))
            held[name] = (codes, scale)
        else:
            qtype = getattr(gguf.GGMLQuantizationType, kind)
            data = gguf.quants.quantize(dense, qtype)
            writer.add_tensor(target, data, raw_dtype=qtype)
            stored = gguf.quants.dequantize(data, qtype).reshape(codes.shape)
            stored_scale = np.float32(np.abs(stored).max())
            # Every block has a nonzero code, so all hold f16(scale).
            assert stored_scale == np.float32(np.float16(scale))
            np.testing.assert_array_equal(stored, codes * stored_scale)
            held[name] = (codes, stored_scale)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return held


def write_reference(directory, f, untied, held):
    """A Hugging Face directory holding `held` for AutoBitLinear offline:
    W = codes as floats, weight_scale = the scale."""
    os.makedirs(directory, exist_ok=True)
    config = {
        "architectures": ["BitNetForCausalLM"], "model_type": "bitnet",
        "vocab_size": f["vocab"], "hidden_size": f["hidden"],
        "intermediate_size": f["ffn"], "num_hidden_layers": f["layers"],
        "num_attention_heads": f["heads"],
        "num_key_value_heads": f["kv_heads"],
        "head_dim": f["hidden"] // f["heads"], "hidden_act": f["act"],
        "max_position_embeddings": f["context"], "rms_norm_eps": f["eps"],
        "rope_theta": f["theta"], "tie_word_embeddings": not untied,
        "attention_bias": False, "torch_dtype": "float32",
        # BitNetConfig's defaults are the 2B-4T's ids, outside this vocab.
        "bos_token_id": None, "eos_token_id": None, "pad_token_id": None,
        "quantization_config": {"quant_method": "bitnet",
                                "linear_class": "autobitlinear",
                                "quantization_mode": "offline"},
    }
    with open(os.path.join(directory, "config.json"), "w") as out:
        json.dump(config, out)
    tensors = []
    for name, value in held.items():
        if isinstance(value, tuple):
            codes, scale = value
            tensors.append((name, "F32", codes.shape,
                            lambda c=codes: c.astype(np.float32)))
            tensors.append((name[:-len(".weight")] + ".weight_scale", "F32",
                            (1,), lambda s=scale: np.array([s], np.float32)))
        else:
            tensors.append((name, "F32", value.shape, lambda v=value: v))
    write_safetensors(os.path.join(directory, "model.safetensors"), tensors)


def load_reference(directory):
    transformers.utils.logging.disable_progress_bar()
    model = BitNetForCausalLM.from_pretrained(
        directory, dtype=torch.float32, attn_implementation="eager")
    return model.eval()


def reference_logits(model, ids):
    # transformers wraps ActQuant in torch.compile; on CPU it must run as
    # plain PyTorch. Only around these calls: other tests use dynamo.
    with torch._dynamo.config.patch(disable=True), torch.no_grad():
        return model(input_ids=torch.as_tensor(np.asarray(ids),
                                               dtype=torch.int64)) \
            .logits.float().numpy()


@unittest.skipIf(SKIP, SKIP or "")
class GgufModelTest(unittest.TestCase, LogitsChecks):
    """Each variant compiled once; logits and greedy tokens against the
    reference on the file's weights."""

    @classmethod
    def setUpClass(cls):
        # Fails (no skip) when the tools are not built.
        trit.compiler.find_tritc()
        cls.dir = tempfile.mkdtemp(prefix="trit-gguf-model-")
        cls.cases = {}
        try:
            for index, (name, family, arch, kind, untied, embd) in \
                    enumerate(VARIANTS):
                f = FAMILIES[family]
                weights = random_model(f, untied, seed=index)
                path = os.path.join(cls.dir, name + ".gguf")
                held = write_gguf(path, f, arch, kind, embd, weights)
                reference_dir = os.path.join(cls.dir, name + "-hf")
                write_reference(reference_dir, f, untied, held)
                cls.cases[name] = (f, path, reference_dir)
        except BaseException:
            shutil.rmtree(cls.dir, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def check_variant(self, name):
        f, path, reference_dir = self.cases[name]
        reference = load_reference(reference_dir)
        rng = np.random.default_rng(100)
        batches = [rng.integers(0, f["vocab"], size=(2, 12)),
                   rng.integers(0, f["vocab"], size=(1, 5))]
        prompt = rng.integers(0, f["vocab"], size=6)
        with trit.compile(path, opt_level=1) as compiled:
            self.assertEqual(compiled.vocab_size, f["vocab"])
            self.assertEqual(compiled.context_length, f["context"])
            got = [compiled(ids) for ids in batches]
            generated = compiled.generate(prompt, 8)
        expected = [reference_logits(reference, ids) for ids in batches]
        for g, e in zip(got, expected):
            self.assert_logits_close(g, e)
        # The 1e-4 fraction over all positions of the variant (pooled, as
        # test_api does: one flipped rounding in a short row must not fail).
        pooled_got = np.concatenate([g.reshape(-1, f["vocab"]) for g in got])
        pooled_exp = np.concatenate([e.reshape(-1, f["vocab"])
                                     for e in expected])
        diff = np.abs(pooled_got - pooled_exp).max(-1)
        print(f"\n  {name}: max |d| {diff.max():.2e}, "
              f"{(diff <= 1e-4).mean():.0%} of {len(diff)} positions within "
              "1e-4", end="")
        self.assert_logits_close(pooled_got, pooled_exp, min_exact=0.75)
        self.assert_generation(generated, reference, prompt)

    def assert_generation(self, generated, reference, prompt):
        """Greedy tokens equal up to and including the reference's first
        undecided step."""
        self.assertEqual(generated.dtype, np.int64)
        sequence = [int(i) for i in prompt]
        for step, token in enumerate(generated.tolist()):
            last = reference_logits(reference, [sequence])[0, -1]
            self.assertEqual(token, int(last.argmax()), f"step {step}")
            if not decided(last):
                break
            sequence.append(token)


def _add_tests():
    for name, *_ in VARIANTS:
        setattr(GgufModelTest, "test_" + name.replace("-", "_"),
                lambda self, name=name: self.check_variant(name))


_add_tests()


if __name__ == "__main__":
    unittest.main()
