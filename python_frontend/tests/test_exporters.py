"""Whole BitNet models exported by each ONNX exporter this torch has, at the
opsets that exporter writes, imported by tritc.

Debian's torch 1.13 has the TorchScript exporter (opsets up to 17). PyPI's
torch 2.x also has the dynamo exporter (torch.export + onnxscript), which
writes opset 18 and up (reduction axes as inputs; RMSNormalization at 23)
and constant-folds small weights' quantization chains. For each: every
BitLinear of both model families, in each of the three forms, arrives as
`trit.bitlinear` (7 per layer) after `tritc --emit=trit`; and the compiled
model's logits match the PyTorch reference and, where onnxruntime is
installed, onnxruntime's run of the same file.

Needs the built tools: TRIT_BUILD_DIR (set by ctest) or ../build; fails,
saying so, without them.
"""

import os
import subprocess
import tempfile
import unittest

import numpy as np
import torch

from trit.export import FORMS, export_onnx
from trit.models import CONFIGS, BitNetModel

from .test_compile import TRIT_RUN, TRITC, check_logits, require_tools

TORCH_MAJOR = int(torch.__version__.split(".")[0])

# (exporter, opset; None: the exporter's default), and whether every form
# of both families is exported (else the training form only: the dynamo
# exporter takes seconds per export).
if TORCH_MAJOR >= 2:
    EXPORTS = [("torchscript", 17, True), ("torchscript", 18, True),
               ("torchscript", 20, True), ("dynamo", None, True),
               ("dynamo", 18, False), ("dynamo", 23, False)]
else:
    EXPORTS = [("torchscript", 13, True), ("torchscript", 17, True)]

try:
    import onnxruntime
except ImportError:  # Debian has no onnxruntime; PyPI's torch 2 set does
    onnxruntime = None


def model(name, seed=0):
    torch.manual_seed(seed)
    return BitNetModel(CONFIGS[name]).eval()


class ExporterTest(unittest.TestCase):
    def setUp(self):
        require_tools()
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def export(self, net, form, exporter, opset, **kwargs):
        name = f"{exporter}-{opset}-{form}"
        path = os.path.join(self.tmp.name, name + ".onnx")
        export_onnx(net, path, form=form, exporter=exporter, opset=opset,
                    **kwargs)
        return path

    def test_every_bitlinear_arrives(self):
        for exporter, opset, all_forms in EXPORTS:
            for name in ("tiny-swiglu", "tiny-2b4t"):
                net = model(name)
                for form in (FORMS if all_forms else ("training",)):
                    with self.subTest(exporter=exporter, opset=opset,
                                      name=name, form=form):
                        path = self.export(net, form, exporter, opset)
                        result = subprocess.run(
                            [TRITC, path, "--emit=trit"],
                            capture_output=True, text=True)
                        self.assertEqual(result.returncode, 0,
                                         result.stderr)
                        ir = result.stdout
                        self.assertEqual(
                            ir.count("= trit.bitlinear"),
                            7 * CONFIGS[name].num_layers)
                        # Every weight is a ternary constant: no BitLinear
                        # is left as a float matmul by a constant (only
                        # attention's two and the LM head remain).
                        self.assertEqual(
                            ir.count("linalg.matmul"), 1, ir[-2000:])

    def test_compiled_logits(self):
        torch.manual_seed(7)
        ids = torch.randint(0, CONFIGS["tiny-2b4t"].vocab_size, (2, 7))
        for exporter, opset, _ in EXPORTS:
            with self.subTest(exporter=exporter, opset=opset):
                net = model("tiny-2b4t", seed=1)
                path = self.export(net, "training", exporter, opset)
                library = path + ".so"
                subprocess.run([TRITC, path, "--emit=lib", "-O1", "-o",
                                library], check=True)
                ids_path = os.path.join(self.tmp.name, "ids.npy")
                out_path = os.path.join(self.tmp.name, "logits.npy")
                np.save(ids_path, ids.numpy())
                subprocess.run([TRIT_RUN, library, "--input", ids_path,
                                "--output", out_path], check=True)
                got = np.load(out_path)
                with torch.no_grad():
                    expected = net(ids).numpy()
                check_logits(self, got, expected)
                if onnxruntime is not None:
                    session = onnxruntime.InferenceSession(
                        path, providers=["CPUExecutionProvider"])
                    (ort,) = session.run(["logits"],
                                         {"input_ids": ids.numpy()})
                    check_logits(self, got, ort)

    @unittest.skipUnless(TORCH_MAJOR >= 2, "the dynamo exporter needs "
                         "torch 2 (PyPI's)")
    def test_dynamo_kv_cache(self):
        # The cache export of the dynamo exporter (its dynamic shapes given
        # as torch.export Dims) compiles to trit_forward_cached: generation
        # with the cache equals generation without.
        net = model("tiny-swiglu", seed=4)
        libraries = []
        for kv in (True, False):
            path = self.export(net, "inference", "dynamo", None,
                               kv_cache=kv)
            libraries.append(path + f"-{kv}.so")
            subprocess.run([TRITC, path, "--emit=lib", "-O1", "-o",
                            libraries[-1]], check=True)
        runs = [subprocess.run(
            [TRIT_RUN, lib, "--generate", "10", "--prompt-ids", "5,9,2"],
            check=True, capture_output=True, text=True)
            for lib in libraries]
        self.assertNotIn("no KV cache", runs[0].stderr)
        self.assertIn("no KV cache", runs[1].stderr)
        self.assertEqual(runs[0].stdout, runs[1].stdout)
        self.assertEqual(len(runs[0].stdout.strip().split(",")), 10)


if __name__ == "__main__":
    unittest.main()
