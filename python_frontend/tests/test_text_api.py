"""Text in, text out through the Python API: `trit.compile` on the Hugging
Face directory `python -m trit.hf --trained` writes (the project's tiny
trained model with a byte-level tokenizer.json), then `generate("text")`
against the id-level path decoded, the tokenizer beside the library, GGUF
tokenizers, and the errors.

The tokenizer runs in C++ (`trit-tokenize`); nothing here needs a Python
tokenizer package. Where the `gguf` package is installed (the torch-2
venv), a GGUF model with a vocabulary is compiled too: tritc writes its
tokenizer beside the library as LIBRARY.tokenizer.gguf.
"""

import contextlib
import json
import io
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np

import trit
from trit.compiler import TritRuntimeError
from trit.hf import main as write_hf

try:
    import gguf
    from tests import test_gguf_model
    GGUF_SKIP = None
except Exception as error:  # Debian's Python has no gguf package
    GGUF_SKIP = f"gguf is not importable ({error})"

PROMPT = "This Source Code Form"
# What the trained model continues PROMPT with (greedy); lit's
# test/Runtime/trit-run-prompt.test checks trit-run's output against it too.
CONTINUATION_START = "s.\n"

_GGUF_TOKENIZER = os.path.join(os.path.dirname(__file__), "..", "..", "test",
                               "Runtime", "Inputs", "gguf_tokenizer.py")


class TextApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="trit-text-")
        cls.hf = os.path.join(cls.tmp, "hf")
        with contextlib.redirect_stdout(io.StringIO()):
            write_hf([cls.hf, "--trained"])
        cls.model = trit.compile(cls.hf)

    @classmethod
    def tearDownClass(cls):
        cls.model.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def gguf_tokenizer(self, name, *args):
        path = os.path.join(self.tmp, name)
        subprocess.run([sys.executable, _GGUF_TOKENIZER,
                        os.path.join(self.hf, "tokenizer.json"), path, *args],
                       check=True)
        return path

    def test_the_tokenizer_travels_with_the_library(self):
        self.assertEqual(self.model.tokenizer_path,
                         self.model.library_path + ".tokenizer.json")
        self.assertEqual(self.model.tokenizer_info(),
                         {"kind": "bpe", "vocab_size": 256, "bos": None,
                          "eos": None})

    def test_text_generation_is_the_id_generation_decoded(self):
        text = self.model.generate(PROMPT, max_new_tokens=20)
        self.assertIsInstance(text, str)
        self.assertTrue(text.startswith(CONTINUATION_START), repr(text))

        ids = self.model.encode(PROMPT)
        # A byte-level vocabulary without BOS: the ids are the bytes.
        self.assertEqual(ids.tolist(), list(PROMPT.encode()))
        generated = self.model.generate(ids, max_new_tokens=20)
        self.assertIsInstance(generated, np.ndarray)
        self.assertEqual(len(generated), 20)
        self.assertEqual(text, self.model.decode(generated))
        self.assertEqual(text, bytes(generated.tolist()).decode())

    def test_sampling_options_reach_text_generation(self):
        kwargs = dict(max_new_tokens=12, temperature=0.8, top_k=20, seed=3)
        text = self.model.generate(PROMPT, **kwargs)
        ids = self.model.generate(self.model.encode(PROMPT), **kwargs)
        self.assertEqual(text, self.model.decode(ids))

    def test_stop_ids_end_generation_after_the_id(self):
        ids = self.model.generate(self.model.encode(PROMPT), 20,
                                  stop_ids=[ord(".")])
        self.assertEqual(bytes(ids.tolist()), b"s.")
        self.assertEqual(self.model.generate(PROMPT, 20, stop_ids=[10]),
                         "s.\n")

    def test_a_gguf_tokenizer_with_eos_stops_there(self):
        library = self.model.library_path
        runtime = self.model.runtime_path
        with trit.CompiledModel(library, runtime,
                                tokenizer=self.gguf_tokenizer("t.gguf")) as m:
            self.assertEqual(m.generate(PROMPT, 20),
                             self.model.generate(PROMPT, 20))
        with trit.CompiledModel(
                library, runtime,
                tokenizer=self.gguf_tokenizer("eos.gguf", "--eos", "10")) as m:
            self.assertEqual(m.tokenizer_info()["eos"], 10)
            self.assertEqual(m.generate(PROMPT, 20), "s.\n")

    def test_errors(self):
        bare = os.path.join(self.tmp, "bare.so")
        shutil.copy(self.model.library_path, bare)
        runtime = self.model.runtime_path
        with trit.CompiledModel(bare, runtime) as m:
            self.assertIsNone(m.tokenizer_path)
            with self.assertRaisesRegex(TritRuntimeError,
                                        "a text prompt needs a tokenizer"):
                m.generate("hello", 2)
            # Ids need no tokenizer.
            self.assertEqual(len(m.generate([72, 105], 2)), 2)
        with self.assertRaisesRegex(ValueError, "a prompt of 0 tokens"):
            self.model.generate("", 2)
        big = self.gguf_tokenizer("big.gguf", "--extra", "3")
        with trit.CompiledModel(self.model.library_path, runtime,
                                tokenizer=big) as m:
            with self.assertRaisesRegex(
                    TritRuntimeError,
                    "has 259 tokens, more than the model's vocabulary of 256"):
                m.generate("hello", 2)


@unittest.skipIf(GGUF_SKIP, GGUF_SKIP)
class GgufTextTest(unittest.TestCase):
    """A GGUF model whose metadata holds the byte-level vocabulary of the
    trained model's tokenizer.json (random weights: only the plumbing is
    tested, against the id-level path)."""

    def test_a_gguf_models_tokenizer_is_written_beside_it(self):
        with tempfile.TemporaryDirectory(prefix="trit-text-gguf-") as tmp:
            hf = os.path.join(tmp, "hf")
            with contextlib.redirect_stdout(io.StringIO()):
                write_hf([hf, "--trained"])
            with open(os.path.join(hf, "tokenizer.json")) as f:
                vocab = json.load(f)["model"]["vocab"]
            tokens = sorted(vocab, key=vocab.get)

            class WithTokenizer(gguf.GGUFWriter):
                def write_header_to_file(self, *args, **kwargs):
                    self.add_tokenizer_model("gpt2")
                    self.add_tokenizer_pre("llama-bpe")
                    self.add_token_list(tokens)
                    self.add_token_types([1] * len(tokens))
                    self.add_token_merges([])
                    self.add_eos_token_id(ord("\n"))
                    self.add_add_bos_token(False)
                    return super().write_header_to_file(*args, **kwargs)

            family = dict(test_gguf_model.FAMILIES["2b4t"], vocab=256)
            path = os.path.join(tmp, "model.gguf")
            # write_gguf makes its writer from the module's `gguf`.
            module_gguf = test_gguf_model.gguf
            test_gguf_model.gguf = type("Gguf", (), {
                "GGUFWriter": WithTokenizer,
                "GGMLQuantizationType": gguf.GGMLQuantizationType,
                "quants": gguf.quants})
            try:
                test_gguf_model.write_gguf(
                    path, family, "bitnet-b1.58", "TQ2_0", "F32",
                    test_gguf_model.random_model(family, False, 0))
            finally:
                test_gguf_model.gguf = module_gguf

            with trit.compile(path) as model:
                self.assertEqual(model.tokenizer_path,
                                 model.library_path + ".tokenizer.gguf")
                self.assertEqual(model.tokenizer_info()["eos"], 10)
                ids = model.generate(model.encode("Hello"), 12,
                                     stop_ids=[10])
                self.assertEqual(model.generate("Hello", 12),
                                 model.decode(ids))


if __name__ == "__main__":
    unittest.main()
