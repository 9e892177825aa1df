"""Hugging Face directories in: `tritc DIR` on checkpoints written by
`trit.hf` (transformers' layouts) against two references.

- Everywhere: the project's PyTorch reference (`trit.models`) run on the
  weights the checkpoint holds: packed codes with transformers' divisor
  `y = (xq . W) / (s_x * weight_scale)`, or float master weights (rounded to
  bf16 where the file stores bf16) with online absmean quantization.
- Where transformers is installed (the torch-2 venv): its own
  `BitNetForCausalLM.from_pretrained` on the same directory, the public
  reference for bitnet-b1.58-2B-4T.

Tolerances are the project's (test_api.py): every position within 5e-2
relative L2, at least 75% of positions within 1e-4, the argmax equal where
the reference's top-1/top-2 margin is >= 0.2, greedy tokens equal up to the
first undecided step.
"""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

import numpy as np
import torch
import torch.nn.functional as F

import trit
from trit.hf import read_safetensors, save_model, unpack_ternary
from trit.models import CONFIGS, BitNetModel

from tests.test_api import (FAST, LogitsChecks, decided,
                            reference_logits, tiny_model)
from tests.test_compile import TRITC

try:
    import transformers  # noqa: F401
    from transformers import BitNetForCausalLM
    TRANSFORMERS_SKIP = None
except Exception as error:  # not installed (Debian's Python), or too old
    TRANSFORMERS_SKIP = f"transformers is not importable ({error})"


class _StoredBitLinear(torch.nn.Module):
    """A BitLinear as a packed checkpoint stores it: ternary codes and
    transformers' divisor (integrations/bitnet.py, BitLinear.forward)."""

    def __init__(self, codes, weight_scale):
        super().__init__()
        self.codes = torch.as_tensor(codes, dtype=torch.float32)
        self.weight_scale = float(weight_scale)

    def forward(self, x):
        s = 127 / x.abs().max(dim=-1, keepdim=True).values.clamp(min=1e-5)
        xq = (x * s).round().clamp(-128, 127)
        return F.linear(xq, self.codes) / (s * self.weight_scale)


def reference_from_checkpoint(directory, config):
    """Our PyTorch model with the weights `directory` holds."""
    stored = {}
    for name in sorted(os.listdir(directory)):
        if name.endswith(".safetensors"):
            stored.update(read_safetensors(os.path.join(directory, name)))
    model = BitNetModel(config).eval()
    state = {}
    for key in model.state_dict():
        from trit.hf import _hf_name
        state[key] = stored[_hf_name(key)]
    for name, module in list(model.named_modules()):
        if type(module).__name__ != "BitLinear":
            continue
        hf = _hf_name(name + ".weight")
        value = stored[hf]
        if value.dtype == np.uint8:
            parent, _, child = name.rpartition(".")
            setattr(model.get_submodule(parent), child, _StoredBitLinear(
                unpack_ternary(value), stored[hf + "_scale"][0]))
            del state[name + ".weight"]
    model.load_state_dict({k: torch.as_tensor(np.array(v, np.float32))
                           for k, v in state.items()}, strict=False)
    return model.eval()


def greedy(logits_fn, prompt, steps):
    """Greedy tokens and, per step, whether the margin was decided."""
    sequence = list(int(i) for i in prompt)
    tokens, ok = [], []
    for _ in range(steps):
        last = logits_fn(np.array([sequence]))[0, -1]
        tokens.append(int(last.argmax()))
        ok.append(bool(decided(last)))
        sequence.append(tokens[-1])
    return tokens, ok


class HuggingFaceTest(unittest.TestCase, LogitsChecks):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="trit-hf-")
        cls.ids = np.random.default_rng(1).integers(0, 97, (2, 12))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def checkpoint(self, name, config_name, **options):
        directory = os.path.join(self.tmp, name)
        if not os.path.exists(directory):
            save_model(tiny_model(config_name), directory, **options)
        return directory

    def assert_generation_equal(self, compiled, logits_fn, prompt, steps=8):
        got = compiled.generate(np.array(prompt), steps)
        want, ok = greedy(logits_fn, prompt, steps)
        for step, (g, w, decided_step) in enumerate(zip(got.tolist(), want,
                                                        ok)):
            self.assertEqual(g, w, f"step {step}")
            if not decided_step:
                break

    def test_packed_2b4t(self):
        """bitnet-b1.58-2B-4T's layout: packed uint8 codes, weight_scale,
        tied head, relu2, GQA, sub-norms."""
        config = CONFIGS["tiny-2b4t"]
        directory = self.checkpoint("packed", "tiny-2b4t", packed=True)
        reference = reference_from_checkpoint(directory, config)
        with trit.compile(directory, **FAST) as compiled:
            got = compiled(self.ids)
            self.assert_logits_close(got, reference_logits(reference,
                                                           self.ids),
                                     min_exact=0.75)
            self.assert_generation_equal(
                compiled, lambda ids: reference_logits(reference, ids),
                [3, 1, 4, 1, 5])

    def test_master_bf16_swiglu_untied(self):
        """Float master weights in bf16 (ternarized at compile time),
        SwiGLU, an untied head."""
        config = CONFIGS["tiny-swiglu"]
        directory = self.checkpoint("master", "tiny-swiglu", packed=False,
                                    dtype="BF16")
        reference = reference_from_checkpoint(directory, config)
        with trit.compile(directory, **FAST) as compiled:
            self.assert_logits_close(compiled(self.ids),
                                     reference_logits(reference, self.ids),
                                     min_exact=0.75)

    def test_shards_equal_one_file(self):
        """model.safetensors.index.json with three shards compiles to the
        same model as one file."""
        one = self.checkpoint("packed", "tiny-2b4t", packed=True)
        three = self.checkpoint("sharded", "tiny-2b4t", packed=True,
                                shards=3)
        self.assertTrue(os.path.exists(
            os.path.join(three, "model.safetensors.index.json")))
        with trit.compile(one, **FAST) as a, trit.compile(three, **FAST) as b:
            np.testing.assert_array_equal(a(self.ids), b(self.ids))

    def test_context_is_max_position_embeddings(self):
        """The compiled model takes max_position_embeddings tokens, the
        length of its rotary tables, and refuses a longer context."""
        directory = self.checkpoint("packed", "tiny-2b4t", packed=True)
        with trit.compile(directory, **FAST) as compiled:
            self.assertEqual(compiled.context_length,
                             CONFIGS["tiny-2b4t"].max_position)
        with self.assertRaisesRegex(trit.CompileError,
                                    "position tables for 64 tokens"):
            trit.compile(directory, context_length=65, **FAST)

    @unittest.skipIf(TRANSFORMERS_SKIP, TRANSFORMERS_SKIP or "")
    def test_transformers_reference(self):
        """transformers' BitNetForCausalLM.from_pretrained on the same
        directories: packed (BitLinear, offline) and master weights
        (AutoBitLinear, online quantization)."""
        # transformers wraps its quantizers in torch.compile; eager is the
        # same arithmetic and needs no C++ toolchain at test time.
        torch._dynamo.config.disable = True
        for name, config_name, options in (
                ("packed", "tiny-2b4t", dict(packed=True)),
                ("master", "tiny-swiglu", dict(packed=False, dtype="BF16"))):
            with self.subTest(name):
                directory = self.checkpoint(name, config_name, **options)
                hf = BitNetForCausalLM.from_pretrained(
                    directory, dtype=torch.float32).eval()

                def hf_logits(ids):
                    with torch.no_grad():
                        return hf(input_ids=torch.as_tensor(ids)).logits \
                            .float().numpy()

                with trit.compile(directory, **FAST) as compiled:
                    self.assert_logits_close(compiled(self.ids),
                                             hf_logits(self.ids),
                                             min_exact=0.75)
                    self.assert_generation_equal(compiled, hf_logits,
                                                 [3, 1, 4, 1, 5])

    @unittest.skipIf(TRANSFORMERS_SKIP, TRANSFORMERS_SKIP or "")
    def test_transformers_dynamo_export(self):
        """transformers' BitNetForCausalLM on the packed checkpoint, exported
        by torch 2's dynamo exporter: the graph keeps the uint8 codes and
        unpacks them with BitShift/BitwiseAnd/ScatterND/Cast (the optimizer
        folds what is small), builds its mask with CumSum and GatherND and
        casts activations to int8 and back. tritc evaluates the constant
        subgraphs, finds 7 BitLinear layers per layer and matches
        transformers (and onnxruntime, where installed)."""
        torch._dynamo.config.disable = True  # as in the test above
        config = CONFIGS["tiny-2b4t"]
        directory = self.checkpoint("packed", "tiny-2b4t", packed=True)
        hf = BitNetForCausalLM.from_pretrained(
            directory, dtype=torch.float32).eval()

        class Logits(torch.nn.Module):
            def __init__(self, model):
                super().__init__()
                self.model = model

            def forward(self, input_ids):
                return self.model(input_ids=input_ids,
                                  use_cache=False).logits

        wrapper = Logits(hf).eval()
        path = os.path.join(self.tmp, "transformers-dynamo.onnx")
        sequence = torch.export.Dim("sequence", max=config.max_position)
        torch.onnx.export(wrapper, (torch.as_tensor(self.ids[:1]),), path,
                          dynamo=True, input_names=["input_ids"],
                          output_names=["logits"],
                          dynamic_shapes=({1: sequence},)).save(path)
        import onnx
        ops = {node.op_type for node in onnx.load(path).graph.node}
        self.assertTrue({"ScatterND", "CumSum", "GatherND"} <= ops, ops)

        result = subprocess.run([TRITC, path, "--emit=trit"],
                                capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.count("= trit.bitlinear"),
                         7 * config.num_layers)

        ids = self.ids[:1]
        with torch.no_grad():
            want = wrapper(torch.as_tensor(ids)).numpy()
        with trit.compile(path, **FAST) as compiled:
            got = compiled(ids)
            self.assert_logits_close(got, want, min_exact=0.75)
        try:
            import onnxruntime
        except ImportError:
            return
        session = onnxruntime.InferenceSession(
            path, providers=["CPUExecutionProvider"])
        (ort,) = session.run(None, {"input_ids": ids})
        self.assert_logits_close(got, ort, min_exact=0.75)


if __name__ == "__main__":
    unittest.main()
