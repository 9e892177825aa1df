"""trit's GGUF reader against the `gguf` package: files written by
`gguf.GGUFWriter` with random ternary weights in F32, TQ1_0 and TQ2_0
(quantized by `gguf.quants.quantize`) and in I2_S (trit.gguf_i2s, bitnet.cpp's
layout), plus F16, BF16 and Q8_0 tensors, are decoded by trit-gguf-dump; the
codes and the scale must reproduce exactly what `gguf.quants.dequantize`
gives (for I2_S, the codes and float32 scale that were written).

Needs the `gguf` package (the torch-2 venv has it; /usr/bin/python3 does not)
and a built trit-gguf-dump (TRIT_BUILD_DIR, as ctest sets it, or the source
tree's build/): skipped, visibly, without the package; failed, saying so,
without the tool (CI always builds it: a skip would hide that).
"""

import os
import shutil
import subprocess
import tempfile
import unittest

import numpy as np

try:
    import gguf
    import gguf.quants
    GGUF_SKIP = None
except ImportError:
    GGUF_SKIP = "the gguf package is not installed in this Python"

from trit.gguf_i2s import I2_S, add_i2s_tensor, pack_i2s, unpack_i2s

_SOURCE_TREE = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _find_dump():
    candidates = []
    if os.environ.get("TRIT_BUILD_DIR"):
        candidates.append(os.path.join(os.environ["TRIT_BUILD_DIR"], "bin",
                                       "trit-gguf-dump"))
    candidates.append(os.path.join(_SOURCE_TREE, "build", "bin",
                                   "trit-gguf-dump"))
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


DUMP = _find_dump()

# PyTorch-order shapes: TQ types need rows of a multiple of 256, I2_S of 128.
SHAPES = {"blk.0.attn_q.weight": (64, 256), "blk.0.ffn_down.weight": (24, 512),
          "blk.1.attn_k.weight": (3, 768)}


def random_ternary(rng, shape):
    codes = rng.integers(-1, 2, size=shape).astype(np.int8)
    # A scale that is not a round number, so that f16 rounding shows.
    scale = np.float32(rng.uniform(0.01, 0.1))
    return codes, scale


def write_file(path, tensors, i2s=()):
    """Writes a GGUF file holding `tensors`, (name, array, raw_dtype or
    None), and the I2_S tensors `i2s`, (name, codes, scale)."""
    writer = gguf.GGUFWriter(path, "bitnet")
    writer.add_block_count(2)
    writer.add_embedding_length(256)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_token_list(["<s>", "</s>", "a"])
    for name, array, raw_dtype in tensors:
        writer.add_tensor(name, array, raw_dtype=raw_dtype)
    for name, codes, scale in i2s:
        add_i2s_tensor(writer, name, codes, scale)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


@unittest.skipIf(GGUF_SKIP, GGUF_SKIP or "")
class GgufReaderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not DUMP:
            raise AssertionError("trit-gguf-dump is not built (build it, or "
                                 "set TRIT_BUILD_DIR)")
        cls.dir = tempfile.mkdtemp(prefix="trit-gguf-")
        rng = np.random.default_rng(11)
        cls.weights = {name: random_ternary(rng, shape)
                       for name, shape in SHAPES.items()}
        cls.quantized = {}
        cls.paths = {}
        for kind in ("F32", "TQ1_0", "TQ2_0", "I2_S"):
            tensors = [("output_norm.weight",
                        rng.standard_normal(256).astype(np.float32), None)]
            i2s = []
            for name, (codes, scale) in cls.weights.items():
                dense = codes.astype(np.float32) * scale
                if kind == "F32":
                    tensors.append((name, dense, None))
                elif kind == "I2_S":
                    i2s.append((name, codes, scale))
                else:
                    qtype = getattr(gguf.GGMLQuantizationType, kind)
                    data = gguf.quants.quantize(dense, qtype)
                    cls.quantized[(kind, name)] = data
                    tensors.append((name, data, qtype))
            cls.paths[kind] = os.path.join(cls.dir, kind + ".gguf")
            write_file(cls.paths[kind], tensors, i2s)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def dump(self, path, *args, check=True):
        result = subprocess.run([DUMP, path] + list(args),
                                capture_output=True, text=True)
        if check:
            self.assertEqual(result.returncode, 0, result.stderr)
        return result

    def decode(self, path, name, *extra):
        """The scale (or None) and the array trit-gguf-dump decodes."""
        out = os.path.join(self.dir, "out.npy")
        result = self.dump(path, "--tensor", name, "--decode", "--npy", out,
                           *extra)
        scale = None
        for line in result.stdout.splitlines():
            if line.startswith("scale: "):
                scale = np.float32(float(line.split(": ")[1]))
        return scale, np.load(out)

    def test_listing(self):
        out = self.dump(self.paths["TQ2_0"]).stdout
        self.assertIn('general.architecture: string = "bitnet"', out)
        self.assertIn("bitnet.block_count: uint32 = 2", out)
        self.assertIn('tokenizer.ggml.tokens: array of string [3] = '
                      '["<s>", "</s>", "a"]', out)
        self.assertIn("blk.0.attn_q.weight  tq2_0  ne [256, 64]  "
                      "shape [64, 256]", out)

    def test_f32(self):
        for name, (codes, scale) in self.weights.items():
            got_scale, got = self.decode(self.paths["F32"], name,
                                         "--ternary")
            self.assertEqual(got.dtype, np.int8)
            np.testing.assert_array_equal(got, codes)
            self.assertEqual(got_scale, scale)

    def test_tq(self):
        for kind in ("TQ1_0", "TQ2_0"):
            qtype = getattr(gguf.GGMLQuantizationType, kind)
            for name, (codes, scale) in self.weights.items():
                with self.subTest(kind=kind, tensor=name):
                    got_scale, got = self.decode(self.paths[kind], name)
                    np.testing.assert_array_equal(got, codes)
                    # The block scale is f16: the reader returns it exactly.
                    self.assertEqual(got_scale,
                                     np.float32(np.float16(scale)))
                    expected = gguf.quants.dequantize(
                        self.quantized[(kind, name)], qtype)
                    np.testing.assert_array_equal(
                        got.astype(np.float32) * got_scale, expected)

    def test_i2s(self):
        for name, (codes, scale) in self.weights.items():
            got_scale, got = self.decode(self.paths["I2_S"], name)
            np.testing.assert_array_equal(got, codes)
            self.assertEqual(got_scale, scale)
        listing = self.dump(self.paths["I2_S"]).stdout
        self.assertIn("blk.0.attn_q.weight  i2_s  ne [256, 64]  shape "
                      "[64, 256]", listing)

    def test_i2s_writer_round_trip(self):
        codes, scale = self.weights["blk.0.attn_q.weight"]
        data = pack_i2s(codes, scale)
        self.assertEqual(data.size, codes.size // 4 + 32)
        back, back_scale = unpack_i2s(data, *codes.shape)
        np.testing.assert_array_equal(back, codes)
        self.assertEqual(back_scale, scale)
        # Byte 0 holds values 0, 32, 64, 96 of the first block, top bits
        # first, each as code + 1.
        flat = codes.reshape(-1)
        self.assertEqual(int(data[0]), int((flat[0] + 1) << 6
                                           | (flat[32] + 1) << 4
                                           | (flat[64] + 1) << 2
                                           | (flat[96] + 1)))
        self.assertEqual(I2_S, 36)

    def test_float_types(self):
        rng = np.random.default_rng(5)
        values = rng.standard_normal((4, 64)).astype(np.float32)
        path = os.path.join(self.dir, "floats.gguf")
        q8 = gguf.quants.quantize(values, gguf.GGMLQuantizationType.Q8_0)
        bf16 = gguf.quants.quantize(values, gguf.GGMLQuantizationType.BF16)
        write_file(path, [("h", values.astype(np.float16), None),
                          ("b", bf16, gguf.GGMLQuantizationType.BF16),
                          ("q", q8, gguf.GGMLQuantizationType.Q8_0)])
        _, got = self.decode(path, "h")
        np.testing.assert_array_equal(got,
                                      values.astype(np.float16)
                                      .astype(np.float32))
        _, got = self.decode(path, "b")
        np.testing.assert_array_equal(
            got, gguf.quants.dequantize(bf16, gguf.GGMLQuantizationType.BF16))
        _, got = self.decode(path, "q")
        np.testing.assert_array_equal(
            got, gguf.quants.dequantize(q8, gguf.GGMLQuantizationType.Q8_0))

    def test_differing_block_scales(self):
        # Not ternary: every TQ2_0 block gets its own absmax scale.
        rng = np.random.default_rng(3)
        values = rng.standard_normal((2, 256)).astype(np.float32)
        path = os.path.join(self.dir, "blocks.gguf")
        data = gguf.quants.quantize(values, gguf.GGMLQuantizationType.TQ2_0)
        write_file(path, [("w", data, gguf.GGMLQuantizationType.TQ2_0)])
        result = self.dump(path, "--tensor", "w", "--decode", check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn(path + ": tensor 'w': per-block scales differ (block 0:",
                      result.stderr)
        self.assertIn("trit supports one scale per tensor", result.stderr)


if __name__ == "__main__":
    unittest.main()
