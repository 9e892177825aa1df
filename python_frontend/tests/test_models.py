"""The reference models: quantization as design.md section 1 says, the three
BitLinear forms agreeing, and ONNX export."""

import os
import tempfile
import unittest

import torch

from trit.export import FORMS, cache_names, export_onnx
from trit.models import (CONFIGS, BitLinear, BitNetModel,
                         quantize_activations, quantize_weights)
from trit.models.bitnet import ternarize


class QuantizationTest(unittest.TestCase):
    def test_weights_are_ternary_times_absmean(self):
        w = torch.tensor([[0.5, 1.5, -0.5, -1.6], [0.49, 3.0, -0.51, 0.0]])
        wq, g = ternarize(w)
        self.assertAlmostEqual(float(g), float(w.abs().mean()), places=6)
        # w / g = w / 1.0125: 0.494 -> 0, 1.48 -> 1, -0.494 -> 0, -1.58 -> -1,
        # 0.484 -> 0, 2.96 -> 1, -0.504 -> -1, 0 -> 0.
        self.assertEqual(wq.tolist(), [[0, 1, 0, -1], [0, 1, -1, 0]])
        torch.testing.assert_close(quantize_weights(w), wq * g)

    def test_absmean_floor(self):
        _, g = ternarize(torch.zeros(3, 3))
        self.assertAlmostEqual(float(g), 1e-5, places=12)

    def test_activations_round_half_to_even_per_token(self):
        x = torch.tensor([[0.5, -2.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
        # Token 0: s = 127 / 2 = 63.5; 0.5 * 63.5 = 31.75 -> 32,
        # 1.0 * 63.5 = 63.5 -> 64 (half to even); token 1: s = 127.
        q = quantize_activations(x)
        s = torch.tensor([[63.5], [127.0]])
        self.assertEqual((q * s).round().tolist(),
                         [[32.0, -127.0, 64.0, 0.0], [127.0] * 4])

    def test_bitlinear_forms_agree(self):
        torch.manual_seed(0)
        layer = BitLinear(48, 20)
        x = torch.randn(3, 5, 48)
        outputs = {}
        for form in FORMS:
            layer.form = form
            outputs[form] = layer(x)
        torch.testing.assert_close(outputs["inference"],
                                   outputs["dequantized"], rtol=1e-5,
                                   atol=1e-5)
        torch.testing.assert_close(outputs["training"],
                                   outputs["dequantized"], rtol=1e-5,
                                   atol=1e-5)


class ModelTest(unittest.TestCase):
    def test_shapes_and_forms(self):
        for name in ("tiny-swiglu", "tiny-2b4t"):
            with self.subTest(name):
                torch.manual_seed(1)
                model = BitNetModel(CONFIGS[name]).eval()
                ids = torch.randint(0, CONFIGS[name].vocab_size, (2, 7))
                with torch.no_grad():
                    logits = {form: model.set_form(form)(ids)
                              for form in FORMS}
                self.assertEqual(tuple(logits["training"].shape),
                                 (2, 7, CONFIGS[name].vocab_size))
                # The straight-through estimator computes x + (q - x), which
                # can differ from q by an ulp and flip a later int8 rounding:
                # the forms agree closely, not bit for bit.
                for form in ("inference", "dequantized"):
                    diff = (logits[form] - logits["training"]).norm()
                    rel = float(diff / logits["training"].norm())
                    self.assertLess(rel, 1e-2, form)

    def test_causal(self):
        torch.manual_seed(2)
        model = BitNetModel(CONFIGS["tiny-2b4t"]).eval()
        ids = torch.randint(0, 97, (1, 6))
        with torch.no_grad():
            full = model(ids)
            prefix = model(ids[:, :4])
        torch.testing.assert_close(full[:, :4], prefix, rtol=1e-5, atol=1e-5)

    def test_kv_cache_matches_full_sequence(self):
        # Feeding a prompt and then one token at a time through the cache
        # gives the logits of the whole sequence at once.
        torch.manual_seed(4)
        for name in ("tiny-swiglu", "tiny-2b4t"):
            with self.subTest(name=name):
                model = BitNetModel(CONFIGS[name]).eval().set_form("inference")
                ids = torch.randint(0, CONFIGS[name].vocab_size, (2, 7))
                with torch.no_grad():
                    full = model(ids)
                    logits, past = model(ids[:, :4], model.empty_cache(2))
                    steps = [logits]
                    for t in range(4, 7):
                        logits, past = model(ids[:, t:t + 1], past)
                        steps.append(logits)
                torch.testing.assert_close(torch.cat(steps, dim=1), full,
                                           rtol=1e-4, atol=1e-4)
                self.assertEqual(past[0][0].shape[2], 7)

    def test_bitlinear_count(self):
        for name in ("tiny-swiglu", "tiny-2b4t"):
            model = BitNetModel(CONFIGS[name])
            self.assertEqual(len(model.bitlinears()),
                             7 * CONFIGS[name].num_layers)


class ExportTest(unittest.TestCase):
    def test_export_each_form(self):
        import onnx
        for name in ("tiny-swiglu", "tiny-2b4t"):
            for form in FORMS:
                with self.subTest(name=name, form=form), \
                        tempfile.TemporaryDirectory() as tmp:
                    torch.manual_seed(3)
                    model = BitNetModel(CONFIGS[name])
                    path = os.path.join(tmp, "model.onnx")
                    export_onnx(model, path, form=form)
                    proto = onnx.load(path)
                    onnx.checker.check_model(proto)
                    ops = [node.op_type for node in proto.graph.node]
                    # Seven BitLinear MatMuls per layer, plus attention's two
                    # and the LM head.
                    layers = CONFIGS[name].num_layers
                    self.assertEqual(ops.count("MatMul"), 9 * layers + 1)
                    self.assertIn("Round", ops)
                    dims = proto.graph.input[0].type.tensor_type.shape.dim
                    self.assertEqual([d.dim_param for d in dims],
                                     ["batch", "sequence"])
                    # No loops: GQA's repeat exports as Expand + Reshape.
                    self.assertNotIn("Loop", ops)

    def test_export_kv_cache(self):
        import onnx
        config = CONFIGS["tiny-2b4t"]
        with tempfile.TemporaryDirectory() as tmp:
            model = BitNetModel(config)
            path = os.path.join(tmp, "model.onnx")
            export_onnx(model, path, form="inference", kv_cache=True)
            graph = onnx.load(path).graph
            past, present = cache_names(config.num_layers)
            self.assertEqual([i.name for i in graph.input],
                             ["input_ids"] + past)
            self.assertEqual([o.name for o in graph.output],
                             ["logits"] + present)
            dims = graph.input[1].type.tensor_type.shape.dim
            self.assertEqual(dims[2].dim_param, "past_sequence")
            self.assertEqual(dims[1].dim_value, config.num_kv_heads)


if __name__ == "__main__":
    unittest.main()
