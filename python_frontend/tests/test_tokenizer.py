"""The runtime's tokenizer (build/bin/trit-tokenize) against the reference
libraries, on tokenizers the test trains itself (no model hub):

- a LLaMA-3 style byte-level BPE trained with `tokenizers` on Debian's
  license texts: LLaMA-3's Split regex (Isolated) then ByteLevel without
  prefix space or regex, ignore_merges, <|begin_of_text|> added by a
  TemplateProcessing post-processor, special tokens at the end of the
  vocabulary and one non-special added token;
- a GPT-2 style byte-level BPE (ByteLevel with its own regex and a prefix
  space) with added tokens that strip spaces (lstrip, rstrip) or must be
  single words;
- small tokenizers with the other Split forms (String pattern, Removed,
  invert);
- a LLaMA-2 style SentencePiece BPE model (byte fallback, BOS added) trained
  with `sentencepiece`.

Each is compared on every line of the license texts, on whole files and
paragraphs (runs of newlines), on a hand-written line set (accents, CJK,
emoji, digit groups, runs of spaces, contractions, embedded special tokens)
and on seeded random strings: ids exactly equal, decode equal to the
reference's and to the input bytes, streaming decode equal to decode.

Needs the built tool (TRIT_BUILD_DIR, as ctest sets it, or ../build): a
missing tool is a failure. Skipped, saying why, only where `tokenizers` or
`sentencepiece` cannot be imported (the project's /usr/bin/python3 run).
"""

import glob
import json
import os
import random
import subprocess
import tempfile
import unittest

try:
    import tokenizers
    from tokenizers import (AddedToken, Regex, Tokenizer, decoders, models,
                            pre_tokenizers, processors, trainers)
    TOKENIZERS_MISSING = None
except ImportError as error:
    TOKENIZERS_MISSING = f"the tokenizers library is not importable ({error})"

try:
    import sentencepiece
    SENTENCEPIECE_MISSING = None
except ImportError as error:
    SENTENCEPIECE_MISSING = (
        f"the sentencepiece library is not importable ({error})")

BUILD = os.environ.get(
    "TRIT_BUILD_DIR",
    os.path.join(os.path.dirname(__file__), "..", "..", "build"))
TOOL = os.path.join(BUILD, "bin", "trit-tokenize")

LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|"
                  r"\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|"
                  r"\s+(?!\S)|\s+")
LLAMA3_SPECIALS = (["<|begin_of_text|>", "<|end_of_text|>"] +
                   [f"<|reserved_special_token_{i}|>" for i in range(4)])

LICENSE_FILES = sorted({os.path.realpath(path) for path in
                        glob.glob("/usr/share/common-licenses/*")
                        if os.path.isfile(path)})

HAND_WRITTEN_LINES = [
    "Héllo wörld, ça va? Ångström naïve café résumé Ærøskøbing",
    "日本語のテキストです。中文字符测试，한국어 텍스트",
    "emoji: 😀🚀👍🏽 family 👨‍👩‍👧‍👦 flags 🇫🇷🇩🇪 ❤️",
    "digits 1 12 123 1234 12345 123456 1234567 3.14159 1,000,000 2024-01-01",
    "٠١٢٣٤٥٦٧٨٩ arabic-indic digits, ①②③ circled, Ⅻ roman",
    "runs of spaces:    a     b\t\ttabs  \u00a0nbsp \u3000ideographic",
    "trailing spaces   ", "   leading spaces", "", " ", "  ", "\t",
    "\n", "\n\n\n", "a\n\nb\r\nc\r\r\nd   \n  e", "line\n   \n\tindented",
    "contractions: it's I'LL we'Re they've I'm he'd don't O'Neil 'S 'sup",
    "x's X'S ſ's 's's '''",
    "<|begin_of_text|>text after bos<|end_of_text|>",
    "mid<|reserved_special_token_0|>word <|reserved_special_token_3|> spaced",
    "<|begin_of_text|><|begin_of_text|>", "<|end_of_text|>",
    "not special: <|begin_of_text| <|unknown|> <| |> <|reserved_special_token_9|>",
    "the Free Software Foundation, FoundationFoundation, foundation",
    "next-line \u0085 char, line separator \u2028 and \u2029 paragraph",
    "a \u0085b \u0085\u0085 c\u00a0 d\u3000\u3000e",
    "zero width\u200bspace, BOM \ufeff, soft\u00adhyphen",
    "combining e\u0301 a\u0308 o\u0302\u0323",
    "math ∑∫√∞ ≠ ≤ ≥ ±×÷", "arabic مرحبا بالعالم", "hebrew שלום עולם",
    "thai สวัสดีครับ", "devanagari नमस्ते दुनिया", "greek ΑΒΓ αβγ Ωmega",
    "cyrillic кириллица Привет", "symbols !!! ??? ... --- ___ *** ### $$$",
    "code: def f(x):\n    return x**2  # comment\n",
    "url https://example.com/path?q=1&r=2#frag email a.b@c.de",
    "long word " + "a" * 300, "mixed123abc456DEF789ghi", "CamelCaseWordsHere",
    "tab\tseparated\tvalues\t", "control \x01\x02\x1f chars \x7f",
    "<mask> lstrip and rstrip [SEP]   x  <mask>[SEP]y", "foo foobar barfoo foo.",
    "\U0001F600" * 5, "\U00010000\U0010FFFD private use \ue000",
]

RANDOM_ALPHABET = (
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") +
    list("     \t\n\n\r'.,;:!?-_()[]{}<>|/\\\"@#$%^&*+=~`") +
    list("éèêëàâäôöûüçñÅØßÆœ") + list("日本語中文字한국어") +
    ["😀", "🚀", "👍🏽", "\u0085", "\u00a0", "\u3000", "\u200b", "ſ", "١", "²"] +
    ["'s", "'LL", "<|begin_of_text|>", "<|end_of_text|>", "<mask>", "[SEP]",
     "foo", "Foundation"])


def random_lines(count, seed):
    rng = random.Random(seed)
    return ["".join(rng.choice(RANDOM_ALPHABET)
                    for _ in range(rng.randint(0, 40)))
            for _ in range(count)]


def license_records():
    """Every line of every license text, each whole text, and its
    paragraphs (blank lines and indentation kept)."""
    lines, documents = [], []
    for path in LICENSE_FILES:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        documents.append(text)
        lines.extend(text.split("\n"))
        paragraphs = text.split("\n\n")
        documents.extend("\n\n".join(paragraphs[i:i + 3]) + "\n"
                         for i in range(0, len(paragraphs), 3))
    return lines, documents


class ToolRunner:
    """Runs trit-tokenize over many NUL-terminated records at once."""

    def __init__(self, directory):
        self.directory = directory

    def run(self, tokenizer, records, *flags):
        path = os.path.join(self.directory, "records.bin")
        with open(path, "wb") as f:
            for record in records:
                f.write(record.encode("utf-8") + b"\0")
        result = subprocess.run(
            [TOOL, tokenizer, "--file", path, "--lines", "-z", *flags],
            capture_output=True, timeout=300)
        if result.returncode != 0:
            raise AssertionError(
                f"trit-tokenize {' '.join(flags)} failed "
                f"({result.returncode}): {result.stderr.decode()}")
        outputs = result.stdout.split(b"\0")
        assert outputs[-1] == b"", "output does not end with a terminator"
        return outputs[:-1]

    def encode(self, tokenizer, records, *flags):
        outputs = self.run(tokenizer, records, *flags)
        return [[int(i) for i in out.split(b",")] if out else []
                for out in outputs]

    def decode(self, tokenizer, id_lists, *flags):
        records = [",".join(str(i) for i in ids) for ids in id_lists]
        return self.run(tokenizer, records, "--decode", *flags)


def require_tool():
    if not (os.path.isfile(TOOL) and os.access(TOOL, os.X_OK)):
        raise AssertionError(f"trit-tokenize not found at {TOOL}: build it "
                             "(ninja trit-tokenize) or set TRIT_BUILD_DIR")


class TokenizerComparison:
    """Shared checks; subclasses provide `reference_encode` and friends."""

    def compare_encodings(self, records, what, *flags):
        expected = self.reference_encode(records, "--no-special" not in flags)
        actual = self.tool.encode(self.path, records, *flags)
        self.assertEqual(len(actual), len(records))
        mismatches = [i for i, (a, b) in enumerate(zip(actual, expected))
                      if a != b]
        if mismatches:
            i = mismatches[0]
            self.fail(f"{what}: {len(mismatches)} of {len(records)} records "
                      f"differ; first {records[i]!r}:\n trit:      {actual[i]}"
                      f"\n reference: {expected[i]}")
        return expected

    def compare_decodings(self, records, id_lists, what):
        plain = self.tool.decode(self.path, id_lists)
        streamed = self.tool.decode(self.path, id_lists, "--stream")
        skipped = self.tool.decode(self.path, id_lists, "--no-special")
        for i, ids in enumerate(id_lists):
            context = f"{what}: record {records[i]!r} ids {ids}"
            self.assertEqual(plain[i].decode("utf-8"),
                             self.reference_decode(ids, False), context)
            self.assertEqual(skipped[i].decode("utf-8"),
                             self.reference_decode(ids, True), context)
            self.assertEqual(streamed[i], plain[i], context)
            self.assertEqual(skipped[i].decode("utf-8"),
                             self.round_trip_text(records[i]), context)

    def check_corpus(self):
        lines, documents = license_records()
        self.assertGreater(len(lines), 3000)
        hand = HAND_WRITTEN_LINES + random_lines(600, seed=11)
        for records, what in ((lines, "license lines"),
                              (documents, "license documents"),
                              (hand, "hand-written and random lines")):
            ids = self.compare_encodings(records, what)
            self.compare_encodings(records, what + " (no special)",
                                   "--no-special")
            self.compare_decodings(records, ids, what)


@unittest.skipIf(TOKENIZERS_MISSING, TOKENIZERS_MISSING)
class Llama3StyleTest(TokenizerComparison, unittest.TestCase):
    """Byte-level BPE with LLaMA-3's pre-tokenizer and post-processor."""

    @classmethod
    def setUpClass(cls):
        require_tool()
        cls.directory = tempfile.TemporaryDirectory()
        cls.tool = ToolRunner(cls.directory.name)
        tokenizer = Tokenizer(models.BPE(ignore_merges=True))
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated",
                                 invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ])
        tokenizer.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=2500, show_progress=False,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
        tokenizer.train(LICENSE_FILES, trainer)
        # As in LLaMA-3, the special tokens follow the learned vocabulary.
        tokenizer.add_special_tokens(LLAMA3_SPECIALS)
        tokenizer.add_tokens([AddedToken("Foundation", normalized=True,
                                         special=False)])
        bos = tokenizer.token_to_id("<|begin_of_text|>")
        tokenizer.post_processor = processors.Sequence([
            processors.ByteLevel(trim_offsets=False),
            processors.TemplateProcessing(
                single="<|begin_of_text|> $A",
                pair="<|begin_of_text|> $A <|begin_of_text|> $B",
                special_tokens=[("<|begin_of_text|>", bos)]),
        ])
        cls.path = os.path.join(cls.directory.name, "tokenizer.json")
        tokenizer.save(cls.path)
        # Words of a trained vocabulary are what its merges produce, so
        # ignore_merges would change nothing. As in LLaMA-3 (whose vocabulary
        # does not come from its merges), drop the merges that make 40 whole
        # words: those words are now found only by the whole-word lookup.
        with open(cls.path, encoding="utf-8") as f:
            saved = json.load(f)
        merges = saved["model"]["merges"]
        words = [i for i, (left, right) in enumerate(merges)
                 if left.startswith("\u0120") and len(left + right) >= 6 and
                 (left + right)[1:].isalpha()]
        dropped = set(words[-40:])
        saved["model"]["merges"] = [m for i, m in enumerate(merges)
                                    if i not in dropped]
        with open(cls.path, "w", encoding="utf-8") as f:
            json.dump(saved, f, ensure_ascii=False)
        cls.reference = Tokenizer.from_file(cls.path)
        cls.bos = bos

    @classmethod
    def tearDownClass(cls):
        cls.directory.cleanup()

    def reference_encode(self, records, add_special):
        return [e.ids for e in self.reference.encode_batch(
            records, add_special_tokens=add_special)]

    def reference_decode(self, ids, skip_special):
        return self.reference.decode(ids, skip_special_tokens=skip_special)

    def round_trip_text(self, record):
        for special in LLAMA3_SPECIALS:
            record = record.replace(special, "")
        return record

    def test_corpus(self):
        self.check_corpus()

    def test_directory_and_known_ids(self):
        # A directory works like its tokenizer.json; BOS comes first.
        ids = self.tool.encode(self.directory.name, ["Hello world"])[0]
        self.assertEqual(ids, self.reference.encode("Hello world").ids)
        self.assertEqual(ids[0], self.bos)

    def test_throughput_is_reported(self):
        result = subprocess.run(
            [TOOL, self.path, "--file", LICENSE_FILES[0], "--bench", "2"],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("MB/s", result.stderr)


@unittest.skipIf(TOKENIZERS_MISSING, TOKENIZERS_MISSING)
class Gpt2StyleTest(TokenizerComparison, unittest.TestCase):
    """Byte-level BPE with GPT-2's regex, a prefix space, and added tokens
    that strip whitespace or match single words only."""

    @classmethod
    def setUpClass(cls):
        require_tool()
        cls.directory = tempfile.TemporaryDirectory()
        cls.tool = ToolRunner(cls.directory.name)
        tokenizer = Tokenizer(models.BPE())
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(
            add_prefix_space=True, use_regex=True)
        tokenizer.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=1500, show_progress=False,
            special_tokens=["<|endoftext|>"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
        tokenizer.train(LICENSE_FILES, trainer)
        tokenizer.add_special_tokens([
            AddedToken("<mask>", lstrip=True, special=True),
            AddedToken("[SEP]", rstrip=True, special=True)])
        tokenizer.add_tokens([AddedToken("foo", single_word=True,
                                         normalized=True, special=False)])
        tokenizer.post_processor = processors.ByteLevel(trim_offsets=True)
        cls.path = os.path.join(cls.directory.name, "gpt2.json")
        tokenizer.save(cls.path)
        cls.reference = tokenizer

    @classmethod
    def tearDownClass(cls):
        cls.directory.cleanup()

    reference_encode = Llama3StyleTest.reference_encode
    reference_decode = Llama3StyleTest.reference_decode

    def compare_decodings(self, records, id_lists, what):
        # The prefix space and stripped spaces do not round-trip here, so
        # only the reference's decode is the oracle.
        plain = self.tool.decode(self.path, id_lists)
        streamed = self.tool.decode(self.path, id_lists, "--stream")
        for i, ids in enumerate(id_lists):
            context = f"{what}: record {records[i]!r} ids {ids}"
            self.assertEqual(plain[i].decode("utf-8"),
                             self.reference_decode(ids, False), context)
            self.assertEqual(streamed[i], plain[i], context)

    def test_corpus(self):
        lines, _ = license_records()
        hand = HAND_WRITTEN_LINES + random_lines(400, seed=12)
        for records, what in ((lines[:1500], "license lines"),
                              (hand, "hand-written and random lines")):
            ids = self.compare_encodings(records, what)
            self.compare_decodings(records, ids, what)


@unittest.skipIf(TOKENIZERS_MISSING, TOKENIZERS_MISSING)
class SplitVariantsTest(unittest.TestCase):
    """The other Split pre-tokenizer forms: a literal String pattern, the
    Removed behavior, inverted patterns, with ByteLevel's prefix space and
    regex on or off; small vocabularies trained on three license texts."""

    VARIANTS = {
        "removed-space": lambda: [
            pre_tokenizers.Split(" ", behavior="removed"),
            pre_tokenizers.ByteLevel(add_prefix_space=False,
                                     use_regex=False)],
        "inverted-digits": lambda: [
            pre_tokenizers.Split(Regex(r"\d+"), behavior="isolated",
                                 invert=True),
            pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=False)],
        "inverted-removed-vowels": lambda: [
            pre_tokenizers.Split(Regex(r"[aeiou]"), behavior="removed",
                                 invert=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)],
        "literal": lambda: [
            pre_tokenizers.Split("a.b", behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False,
                                     use_regex=False)],
    }

    def test_variants(self):
        require_tool()
        records = HAND_WRITTEN_LINES + ["a.b a.b.c axb", "12 34 x5y6"] + \
            random_lines(200, seed=14)
        with tempfile.TemporaryDirectory() as directory:
            tool = ToolRunner(directory)
            for name, steps in self.VARIANTS.items():
                tokenizer = Tokenizer(models.BPE())
                tokenizer.pre_tokenizer = pre_tokenizers.Sequence(steps())
                tokenizer.decoder = decoders.ByteLevel()
                tokenizer.train(LICENSE_FILES[:3], trainers.BpeTrainer(
                    vocab_size=400, show_progress=False,
                    initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
                path = os.path.join(directory, name + ".json")
                tokenizer.save(path)
                expected = [e.ids for e in tokenizer.encode_batch(records)]
                self.assertEqual(tool.encode(path, records), expected, name)


@unittest.skipIf(SENTENCEPIECE_MISSING, SENTENCEPIECE_MISSING)
class SentencePieceTest(TokenizerComparison, unittest.TestCase):
    """A LLaMA-2 style SentencePiece BPE model (tokenizer.model)."""

    @classmethod
    def setUpClass(cls):
        require_tool()
        cls.directory = tempfile.TemporaryDirectory()
        cls.tool = ToolRunner(cls.directory.name)
        lines, _ = license_records()
        cls.path = os.path.join(cls.directory.name, "tokenizer.model")
        # LLaMA-2's settings: BPE, byte fallback, digits split, no
        # normalization beyond the whitespace escape and dummy prefix.
        sentencepiece.SentencePieceTrainer.train(
            sentence_iterator=iter([line for line in lines if line.strip()]),
            model_prefix=os.path.join(cls.directory.name, "tokenizer"),
            vocab_size=1000, model_type="bpe", byte_fallback=True,
            split_digits=True, character_coverage=1.0,
            normalization_rule_name="identity",
            remove_extra_whitespaces=False, add_dummy_prefix=True,
            allow_whitespace_only_pieces=True, unk_id=0, bos_id=1, eos_id=2,
            minloglevel=2)
        cls.reference = sentencepiece.SentencePieceProcessor(
            model_file=cls.path)

    @classmethod
    def tearDownClass(cls):
        cls.directory.cleanup()

    def reference_encode(self, records, add_special):
        return self.reference.encode(records, add_bos=add_special)

    def reference_decode(self, ids, skip_special):
        return self.reference.decode(ids)

    def round_trip_text(self, record):
        return record

    def compare_decodings(self, records, id_lists, what):
        plain = self.tool.decode(self.path, id_lists)
        streamed = self.tool.decode(self.path, id_lists, "--stream")
        for i, ids in enumerate(id_lists):
            context = f"{what}: record {records[i]!r} ids {ids}"
            self.assertEqual(plain[i].decode("utf-8"),
                             self.reference_decode(ids, False), context)
            self.assertEqual(streamed[i], plain[i], context)

    def test_corpus(self):
        lines, documents = license_records()
        hand = HAND_WRITTEN_LINES + random_lines(400, seed=13)
        for records, what in ((lines, "license lines"),
                              (documents[:20], "license documents"),
                              (hand, "hand-written and random lines")):
            ids = self.compare_encodings(records, what)
            self.compare_decodings(records, ids, what)


if __name__ == "__main__":
    unittest.main()
