"""trit's Python API: compile a model with `tritc`, run it through the runtime.

    import trit
    compiled = trit.compile(model)                     # or "model.onnx"
    logits = compiled(ids)                             # any [batch, seq]
    new_ids = compiled.generate(prompt, max_new_tokens=16)
    compiled = trit.compile("hf-dir")                  # or "model.gguf"
    text = compiled.generate("Once upon", max_new_tokens=16)   # str in, out
    with compiled.session() as s:                      # piece by piece
        s.append(prompt); logits = s.append([next_id])
    ppl = compiled.perplexity(text_ids)

Why this shape: the compiler is a command-line tool and the runtime a C
library (design.md section 3), so the API drives `tritc --emit=lib` as a
subprocess and loads the library with the runtime's C API through ctypes.
Nothing here links MLIR, and the C header `runtime/include/trit/runtime.h`
stays the only contract. torch is imported only when a torch model is
compiled.

Where the tools come from: `tritc` is looked up in $TRIT_BUILD_DIR/bin (an
explicit choice, e.g. ctest's), then on PATH, then in this source tree's
`build/bin`; the runtime library is `../lib/libtrit_runtime.so` next to the
tritc that was found, and `trit-tokenize` (text) is beside that tritc.

Text: a model compiled from a checkpoint with a tokenizer (a Hugging Face
directory, a GGUF file) has it beside its library (tritc writes
LIBRARY.tokenizer.json, .tokenizer.model or .tokenizer.gguf), and
`generate("text", ...)` returns text. Encoding and decoding run the C++
tokenizer through `trit-tokenize` (a subprocess, like tritc): no Python
tokenizer package is needed at run time.

Shapes and the KV cache: a torch model is exported by default with dynamic
batch and sequence axes and a Hugging Face-style KV cache
(past_key_values / present), so the compiled model takes any [batch, seq]
up to its context length (default: the model's `config.max_position`),
and `generate` and sessions feed only the new tokens at each step
(trit_generate, trit_session_*). `kv_cache=False` exports without the cache
(generation then reruns the whole sequence at each step: correct, slower);
`dynamic=False, seq_len=N` exports the old static [1, N] graph.

Static models (`dynamic=False`, or a file whose graph has a static input
shape, read from the ONNX input or else from the compiled library) take
exactly their shape in `__call__` (other shapes raise the runtime's
message). `generate`, `session` and `perplexity` still work on shorter
sequences: they pad the input to the compiled length, which changes nothing
at the positions they read, because the model is causal (position t sees
ids 0..t only).
"""

import ctypes
import math
import os
import shutil
import subprocess
import tempfile
import time
import warnings
import weakref

import numpy as np

__all__ = ["compile", "CompiledModel", "Session", "CompileError",
           "TritRuntimeError", "find_tritc", "set_num_threads",
           "next_token_windows"]


class CompileError(Exception):
    """tritc failed (or could not be found). `message` is tritc's own
    diagnostic (its stderr), `command` the command line that reproduces it.
    """

    def __init__(self, message, command=None, returncode=None):
        self.message = message
        self.command = command
        self.returncode = returncode
        text = message
        if command:
            text += "\n(command: " + " ".join(command) + ")"
        super().__init__(text)


class TritRuntimeError(RuntimeError):
    """The runtime refused or failed a call; the message is the runtime's
    `trit_last_error()`, `status` its trit_status code."""

    def __init__(self, message, status=None):
        self.message = message
        self.status = status
        super().__init__(message)


# --------------------------------------------------------------------------
# Finding the tools
# --------------------------------------------------------------------------

_SOURCE_TREE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..",
                                            ".."))


def find_tritc(explicit=None):
    """The tritc to use (see the module docstring for the search order)."""
    candidates = []
    if explicit:
        candidates.append(explicit)
    if os.environ.get("TRIT_BUILD_DIR"):
        candidates.append(os.path.join(os.environ["TRIT_BUILD_DIR"], "bin",
                                       "tritc"))
    on_path = shutil.which("tritc")
    if on_path:
        candidates.append(on_path)
    candidates.append(os.path.join(_SOURCE_TREE, "build", "bin", "tritc"))
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return os.path.abspath(path)
    raise CompileError("tritc not found; looked in: " + ", ".join(candidates)
                       + " (build the project or set TRIT_BUILD_DIR)")


def _runtime_path(tritc):
    path = os.path.join(os.path.dirname(tritc), "..", "lib",
                        "libtrit_runtime.so")
    return os.path.abspath(path)


# --------------------------------------------------------------------------
# The runtime's C API (runtime/include/trit/runtime.h) through ctypes
# --------------------------------------------------------------------------


class _Sampling(ctypes.Structure):
    """trit_sampling."""
    _fields_ = [("temperature", ctypes.c_float), ("top_k", ctypes.c_int32),
                ("top_p", ctypes.c_float), ("seed", ctypes.c_uint64)]


class _Timing(ctypes.Structure):
    """trit_timing."""
    _fields_ = [("prefill_seconds", ctypes.c_double),
                ("decode_seconds", ctypes.c_double),
                ("prompt_tokens", ctypes.c_int64),
                ("generated_tokens", ctypes.c_int64)]


_I64P = ctypes.POINTER(ctypes.c_int64)
_F32P = ctypes.POINTER(ctypes.c_float)
# trit_token_callback: int (*)(int64_t id, int64_t index, void *user_data).
_TOKEN_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int64,
                                   ctypes.c_int64, ctypes.c_void_p)
_runtimes = {}


def _load_runtime(path):
    """The runtime library at `path` with its functions' signatures, loaded
    once per path (the runtime's thread setting is process-wide)."""
    if path in _runtimes:
        return _runtimes[path]
    if not os.path.isfile(path):
        raise TritRuntimeError(f"the trit runtime '{path}' does not exist "
                               "(build the project)")
    lib = ctypes.CDLL(path)
    signatures = {
        "trit_last_error": (ctypes.c_char_p, []),
        "trit_model_load": (ctypes.c_int, [ctypes.c_char_p,
                                           ctypes.POINTER(ctypes.c_void_p)]),
        "trit_model_free": (None, [ctypes.c_void_p]),
        "trit_model_vocab_size": (ctypes.c_int64, [ctypes.c_void_p]),
        "trit_model_context_length": (ctypes.c_int64, [ctypes.c_void_p]),
        "trit_model_has_kv_cache": (ctypes.c_int, [ctypes.c_void_p]),
        "trit_set_num_threads": (None, [ctypes.c_int]),
        "trit_model_forward": (ctypes.c_int, [ctypes.c_void_p, _I64P,
                                              ctypes.c_int64, ctypes.c_int64,
                                              _F32P]),
        "trit_session_create": (ctypes.c_int, [
            ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]),
        "trit_session_free": (None, [ctypes.c_void_p]),
        "trit_session_length": (ctypes.c_int64, [ctypes.c_void_p]),
        "trit_session_append": (ctypes.c_int, [ctypes.c_void_p, _I64P,
                                               ctypes.c_int64, _F32P]),
        "trit_sample": (ctypes.c_int64, [_F32P, ctypes.c_int64,
                                         ctypes.POINTER(_Sampling),
                                         ctypes.POINTER(ctypes.c_uint64)]),
        "trit_generate": (ctypes.c_int, [
            ctypes.c_void_p, _I64P, ctypes.c_int64, ctypes.c_int64,
            ctypes.POINTER(_Sampling), _I64P, _I64P,
            ctypes.POINTER(_Timing)]),
        "trit_generate_stream": (ctypes.c_int, [
            ctypes.c_void_p, _I64P, ctypes.c_int64, ctypes.c_int64,
            ctypes.POINTER(_Sampling), _I64P, _I64P,
            ctypes.POINTER(_Timing), _TOKEN_CALLBACK, ctypes.c_void_p]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    _runtimes[path] = lib
    return lib


def set_num_threads(threads, tritc=None):
    """Threads for every model of this process (trit_set_num_threads: a
    positive count also overrides each library's compiled default)."""
    _load_runtime(_runtime_path(find_tritc(tritc))).trit_set_num_threads(
        int(threads))


def _find_tool(name, runtime):
    """The trit tool `name`: beside the runtime's build (`../bin`), else in
    $TRIT_BUILD_DIR/bin, else on PATH."""
    candidates = [os.path.join(os.path.dirname(os.path.abspath(runtime)),
                               "..", "bin", name)]
    if os.environ.get("TRIT_BUILD_DIR"):
        candidates.append(os.path.join(os.environ["TRIT_BUILD_DIR"], "bin",
                                       name))
    on_path = shutil.which(name)
    if on_path:
        candidates.append(on_path)
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return os.path.abspath(path)
    raise TritRuntimeError(f"{name} not found; looked in: "
                           + ", ".join(candidates)
                           + " (build the project or set TRIT_BUILD_DIR)")


# The files tritc puts beside a compiled model, in the order trit-run looks.
_TOKENIZER_SUFFIXES = (".tokenizer.json", ".tokenizer.model",
                       ".tokenizer.gguf")


def _ptr(array, ctype):
    return array.ctypes.data_as(ctypes.POINTER(ctype))


def _token_ids(ids, what="ids"):
    """ids as a C-contiguous int64 array (same shape), checked to be
    integers."""
    array = np.asarray(ids)
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"{what} must be integers, got {array.dtype}")
    return np.ascontiguousarray(array, dtype=np.int64)


# --------------------------------------------------------------------------
# Helpers shared with the training script's evaluation
# --------------------------------------------------------------------------


def next_token_windows(ids, length):
    """Splits a 1-D id sequence into consecutive non-overlapping windows of
    at most `length` ids, dropping a last window shorter than 2 ids. Each
    window predicts its ids 1..n-1 from the ones before; `perplexity` and
    `trit.train.mean_nll` both evaluate this way, so their figures compare.
    """
    ids = np.asarray(ids).reshape(-1)
    return [ids[i:i + length] for i in range(0, len(ids), length)
            if len(ids[i:i + length]) >= 2]


def _onnx_input_shape(path):
    """The static [batch, seq] of an ONNX graph's first input, or None if
    any of its dimensions is symbolic (or the file is not ONNX)."""
    if not path.endswith(".onnx"):
        return None
    try:
        import onnx
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # protobuf on a corrupt file
            model = onnx.load(path, load_external_data=False)
        dims = model.graph.input[0].type.tensor_type.shape.dim
    except Exception:  # a corrupt file: tritc reports it properly
        return None
    if len(dims) != 2 or any(not d.HasField("dim_value") or d.dim_value <= 0
                             for d in dims):
        return None
    return (dims[0].dim_value, dims[1].dim_value)


def _library_static_shape(library):
    """(batch, seq) from a loaded model library's optional
    trit_compiled_static_batch/_sequence symbols (batch None where only the
    sequence is static), or None for a dynamic model."""
    try:
        # The runtime has loaded it already: take that handle, load nothing.
        lib = ctypes.CDLL(library, mode=os.RTLD_NOLOAD | os.RTLD_LAZY)
    except OSError:
        return None

    def value(name):
        try:
            function = getattr(lib, name)
        except AttributeError:
            return 0
        function.restype = ctypes.c_int64
        function.argtypes = []
        return int(function())

    seq = value("trit_compiled_static_sequence")
    if seq <= 0:
        return None
    batch = value("trit_compiled_static_batch")
    return (batch if batch > 0 else None, seq)


# --------------------------------------------------------------------------
# compile()
# --------------------------------------------------------------------------

# Options that map one-to-one to tritc flags.
_FLAG_OPTIONS = {
    "layout": "--layout",          # i2 | tq1
    "kernel": "--kernel",          # auto | addsub | dot
    "cpu": "--cpu",                # native | an LLVM CPU name
    "threads": "--default-threads",
    "entry": "--entry",
    "lm_head_type": "--lm-head-type",  # f32 | f16 | bf16
}


def compile(model, target="cpu", *, dynamic=None, kv_cache=None,
            seq_len=None, context_length=None, weights=None,
            form="training", opset=None, exporter=None, opt_level=None,
            tritc=None,
            extra_args=(), **options):
    """Compiles `model` (a `trit.models.BitNetModel`, or the path of an
    .onnx / .onnxtext / .mlir file, a Hugging Face directory or a .gguf
    file) into a native library and loads it. A checkpoint's tokenizer stays
    with the compiled model (tritc writes it beside the library in the
    compile's temporary directory), so `generate("text", ...)` works.

    Export options (torch models only; a file's graph has its own shapes
    and opset):
    `dynamic` (default True: dynamic batch and sequence axes), `kv_cache`
    (default: True for a dynamic export; it needs dynamic shapes),
    `seq_len` (a static export's sequence length, default the model's
    `config.max_position`; for a dynamic export, the default of
    `context_length`), `form` (the BitLinear form exported: training,
    inference or dequantized), `exporter` ("torchscript" or "dynamo";
    default `trit.export.default_exporter()`), `opset` (default: 17 for
    TorchScript, the exporter's own for dynamo).

    Compiler options: `target` (tritc --target), `opt_level` (-O0..3),
    `context_length` (the longest sequence the model takes; default for a
    torch model: `seq_len`, else `config.max_position`; for a file, tritc's
    default: its static length, or 4096), `weights` ("embedded", the
    default, or "external": a memory-mapped weights file beside the
    library), and `layout`, `kernel`, `cpu`, `threads` (->
    --default-threads), `entry`, `lm_head_type` (f32, f16 or bf16) as
    tritc's flags of the same names;
    `extra_args` is appended verbatim. `tritc` names the compiler to use.

    Raises CompileError with tritc's message when compilation fails.
    """
    unknown = set(options) - set(_FLAG_OPTIONS)
    if unknown:
        raise TypeError(f"unknown option(s) {sorted(unknown)}; known: "
                        f"{sorted(_FLAG_OPTIONS)} plus target, dynamic, "
                        "kv_cache, seq_len, context_length, weights, form, "
                        "opset, exporter, opt_level, tritc, extra_args")
    is_file = isinstance(model, (str, os.PathLike))
    if is_file:
        given = [name for name, value in (("dynamic", dynamic),
                                          ("kv_cache", kv_cache),
                                          ("seq_len", seq_len),
                                          ("opset", opset),
                                          ("exporter", exporter))
                 if value is not None]
        if given:
            raise ValueError(f"{', '.join(given)} only apply when exporting "
                             "a torch model; a file's graph has its own "
                             "shapes and inputs")
    else:
        dynamic = True if dynamic is None else bool(dynamic)
        kv_cache = dynamic if kv_cache is None else bool(kv_cache)
        if kv_cache and not dynamic:
            raise ValueError("kv_cache=True needs dynamic shapes (pass "
                             "kv_cache=False with dynamic=False)")
        if dynamic and context_length is None:
            context_length = (seq_len if seq_len is not None
                              else model.config.max_position)
    tritc_path = find_tritc(tritc)
    workdir = tempfile.TemporaryDirectory(prefix="trit-")
    try:
        if is_file:
            source = os.path.abspath(os.fspath(model))
            if not os.path.exists(source):
                raise FileNotFoundError(source)
            static_shape = _onnx_input_shape(source)
        else:
            from .export import export_onnx
            export_len = 8  # a dynamic export's trace length: any will do
            if not dynamic:
                export_len = (seq_len if seq_len is not None
                              else model.config.max_position)
            source = os.path.join(workdir.name, "model.onnx")
            # export_onnx switches the model to `form` and eval mode; the
            # caller's model is given back as it was.
            forms = [(layer, layer.form) for layer in model.bitlinears()]
            was_training = model.training
            try:
                export_onnx(model, source, form=form, opset=opset,
                            exporter=exporter,
                            seq_len=export_len, dynamic=dynamic,
                            kv_cache=kv_cache)
            finally:
                for layer, layer_form in forms:
                    layer.form = layer_form
                model.train(was_training)
            static_shape = None if dynamic else (1, export_len)

        library = os.path.join(workdir.name, "model.so")
        command = [tritc_path, source, "--emit=lib", "--target=" + target,
                   "-o", library]
        if opt_level is not None:
            command.append(f"-O{int(opt_level)}")
        if context_length is not None:
            command.append(f"--context-length={int(context_length)}")
        if weights is not None:
            command.append(f"--weights={weights}")
        for name, value in options.items():
            if value is not None:
                command.append(f"{_FLAG_OPTIONS[name]}={value}")
        command.extend(extra_args)
        result = subprocess.run(command, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        if result.returncode != 0 or not os.path.exists(library):
            message = (result.stderr.strip() or result.stdout.strip() or
                       f"tritc exited with status {result.returncode}")
            raise CompileError(message, command, result.returncode)
        return CompiledModel(library, _runtime_path(tritc_path),
                             static_shape=static_shape, workdir=workdir,
                             source=source)
    except BaseException:
        workdir.cleanup()
        raise


# --------------------------------------------------------------------------
# CompiledModel
# --------------------------------------------------------------------------

# Logits one batched perplexity call may hold (float32 bytes).
_PERPLEXITY_BATCH_BYTES = 256 << 20


class _Closing:
    """`with` support and a best-effort close() when garbage-collected."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class CompiledModel(_Closing):
    """A loaded model library. Call it for logits, `generate` for tokens,
    `session` to feed a sequence piece by piece, `perplexity` for an
    evaluation. `close()` (or the end of a `with` block, or garbage
    collection) frees it, its sessions and its temporary files.

    `CompiledModel(library, runtime)` also loads a library built by tritc
    directly; its static shape, if any, is read from the library.

    Text: `tokenizer_path` is the tokenizer tritc put beside the library
    (LIBRARY.tokenizer.json, .tokenizer.model or .tokenizer.gguf), or None;
    `CompiledModel(..., tokenizer=PATH)` names another (a tokenizer.json,
    tokenizer.model, a directory holding one, or a .gguf file). With one,
    `encode`, `decode` and `generate("text", ...)` work.
    """

    def __init__(self, library, runtime, static_shape=None, workdir=None,
                 source=None, tokenizer=None):
        self.library_path = library
        self.source_path = source
        self.runtime_path = runtime
        if tokenizer is None:
            tokenizer = next((os.fspath(library) + suffix
                              for suffix in _TOKENIZER_SUFFIXES
                              if os.path.isfile(os.fspath(library) + suffix)),
                             None)
        self.tokenizer_path = (os.fspath(tokenizer) if tokenizer is not None
                               else None)
        self._tokenizer_info = None
        self._workdir = workdir
        self._model = None
        self._sessions = weakref.WeakSet()
        self._rt = _load_runtime(runtime)
        handle = ctypes.c_void_p()
        status = self._rt.trit_model_load(os.fspath(library).encode(),
                                          ctypes.byref(handle))
        if status != 0:
            self._raise(status)
        self._model = handle
        # (batch, seq): a model compiled for exactly that shape (batch None:
        # any batch); None: dynamic.
        self.static_shape = (tuple(static_shape) if static_shape
                             else _library_static_shape(library))
        self.vocab_size = int(self._rt.trit_model_vocab_size(handle))
        self.context_length = int(self._rt.trit_model_context_length(handle))
        self.has_kv_cache = bool(self._rt.trit_model_has_kv_cache(handle))
        self.last_timing = None

    @property
    def dynamic(self):
        """Whether the model takes any sequence length (up to its
        context)."""
        return self.static_shape is None

    # -- lifetime -----------------------------------------------------------

    def close(self):
        for session in list(self._sessions):
            session.close()
        if self._model is not None:
            self._rt.trit_model_free(self._model)
            self._model = None
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    def __repr__(self):
        shape = (f"static {list(self.static_shape)}" if self.static_shape
                 else "dynamic")
        cache = ", kv cache" if self.has_kv_cache else ""
        return (f"CompiledModel(vocab={self.vocab_size}, "
                f"context={self.context_length}, {shape}{cache}, "
                f"library='{self.library_path}')")

    # -- calls into the runtime --------------------------------------------

    def _raise(self, status):
        message = self._rt.trit_last_error().decode("utf-8", "replace")
        raise TritRuntimeError(message or f"trit status {status}", status)

    def _check_open(self):
        if self._model is None:
            raise TritRuntimeError("the model was closed")

    def _forward(self, ids):
        """ids int64 [batch, seq] (C order) -> logits float32."""
        self._check_open()
        batch, seq = ids.shape
        logits = np.empty((batch, seq, self.vocab_size), dtype=np.float32)
        status = self._rt.trit_model_forward(self._model, _ptr(ids,
                                                              ctypes.c_int64),
                                             batch, seq,
                                             _ptr(logits, ctypes.c_float))
        if status != 0:
            self._raise(status)
        return logits

    def __call__(self, ids):
        """Logits (float32 [batch, seq, vocab]) of token ids (int [batch,
        seq]; a 1-D sequence gives [seq, vocab]). A dynamic model takes any
        batch and any seq up to its context length; a model compiled for
        static shapes takes exactly its shape. Others raise
        TritRuntimeError with the runtime's message."""
        ids = _token_ids(ids)
        if ids.ndim not in (1, 2):
            raise ValueError(f"ids must be [seq] or [batch, seq], got shape "
                             f"{ids.shape}")
        logits = self._forward(ids.reshape(-1, ids.shape[-1]))
        return logits if ids.ndim == 2 else logits[0]

    def _padded_logits(self, ids):
        """Logits [len(ids), vocab] of a 1-D sequence that may be shorter
        than a static model's length: padded with id 0, which does not
        change the logits at positions < len(ids) (causal model)."""
        n = len(ids)
        if self.static_shape is None:
            return self._forward(ids[None].astype(np.int64))[0]
        batch, seq = self.static_shape
        if n > seq:
            raise TritRuntimeError(
                f"sequence of {n} tokens is longer than the {seq} the model "
                f"was compiled for (compile with seq_len >= {n}, or with "
                "dynamic shapes)")
        padded = np.zeros((batch or 1, seq), dtype=np.int64)
        padded[:, :n] = ids
        return self._forward(padded)[0, :n]

    def session(self):
        """A new `Session`: one sequence (batch 1) fed piece by piece."""
        self._check_open()
        return Session(self)

    # -- text -----------------------------------------------------------

    def _tokenize(self, *args, stdin=None):
        """Runs trit-tokenize on the model's tokenizer; its stdout bytes."""
        if self.tokenizer_path is None:
            raise TritRuntimeError(
                f"a text prompt needs a tokenizer, and {self.library_path} "
                "has none beside it (looked for LIBRARY"
                + ", ".join(_TOKENIZER_SUFFIXES) + "); pass tokenizer= to "
                "CompiledModel, or give token ids")
        command = [_find_tool("trit-tokenize", self.runtime_path),
                   *args, "--", self.tokenizer_path]
        result = subprocess.run(command, input=stdin, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        if result.returncode != 0:
            message = result.stderr.decode("utf-8", "replace").strip()
            raise TritRuntimeError(message or "trit-tokenize exited with "
                                   f"status {result.returncode}")
        return result.stdout

    def tokenizer_info(self):
        """{"kind", "vocab_size", "bos", "eos"} of the model's tokenizer
        (bos and eos may be None). Raises TritRuntimeError when there is no
        tokenizer, or when its vocabulary is larger than the model's (its
        ids would be out of range: it is not this model's tokenizer)."""
        if self._tokenizer_info is None:
            import json
            info = json.loads(self._tokenize("--info"))
            if info["vocab_size"] > self.vocab_size:
                raise TritRuntimeError(
                    f"the tokenizer {self.tokenizer_path} has "
                    f"{info['vocab_size']} tokens, more than the model's "
                    f"vocabulary of {self.vocab_size}: it is not this "
                    "model's tokenizer")
            self._tokenizer_info = info
        return self._tokenizer_info

    def encode(self, text, add_special_tokens=True):
        """The token ids (int64 array) of `text` with the model's tokenizer,
        as the Hugging Face `tokenizers` library gives them (its BOS
        included unless add_special_tokens=False)."""
        self.tokenizer_info()  # refuses a tokenizer too large for the model
        args = ["--file=/dev/stdin"]
        if not add_special_tokens:
            args.append("--no-special")
        out = self._tokenize(*args, stdin=text.encode("utf-8")).strip()
        return np.array([int(i) for i in out.split(b",")] if out else [],
                        dtype=np.int64)

    def decode(self, ids, skip_special_tokens=True):
        """The text of token ids (special tokens such as BOS and EOS left
        out unless skip_special_tokens=False). Bytes that are not valid
        UTF-8 (a character cut off by the end of the ids) become U+FFFD."""
        ids = _token_ids(ids).reshape(-1)
        if len(ids) == 0:
            return ""
        args = ["--decode", "--file=/dev/stdin"]
        if skip_special_tokens:
            args.append("--no-special")
        stdin = ",".join(str(int(i)) for i in ids).encode()
        out = self._tokenize(*args, stdin=stdin)
        # trit-tokenize ends the text with a newline of its own.
        return out[:-1].decode("utf-8", "replace")

    def generate(self, ids, max_new_tokens, temperature=0.0, top_k=0,
                 top_p=1.0, seed=0, stop_ids=()):
        """The `max_new_tokens` ids generated after the prompt `ids` (1-D,
        or [1, seq]) as an int64 array. temperature <= 0 is greedy (lowest
        id on ties); top_k <= 0 and top_p >= 1 disable those filters; `seed`
        makes sampling reproducible; generation ends early after any id in
        `stop_ids`. A dynamic model runs trit_generate_stream (with a KV
        cache, one token per step after the prompt); a static one the same
        loop here on padded sequences, with the runtime's sampling
        (trit_sample), so both draw the same tokens. `last_timing` then
        holds the prefill and decode times.

        Given a str, `generate` is text in, text out: the prompt is encoded
        with the model's tokenizer (see `encode`), generation also stops at
        the tokenizer's EOS, and the generated text is returned (special
        tokens left out, as `decode`). Raises TritRuntimeError when the
        model has no tokenizer, ValueError for a prompt of 0 tokens."""
        if isinstance(ids, str):
            prompt = self.encode(ids)
            if len(prompt) == 0:
                raise ValueError("the prompt is a prompt of 0 tokens (the "
                                 "tokenizer adds no BOS to an empty text): "
                                 "generation needs at least one")
            eos = self.tokenizer_info()["eos"]
            stops = tuple(stop_ids) + ((eos,) if eos is not None else ())
            return self.decode(self.generate(
                prompt, max_new_tokens, temperature=temperature, top_k=top_k,
                top_p=top_p, seed=seed, stop_ids=stops))
        self._check_open()
        array = _token_ids(ids, "the prompt")
        if array.ndim == 2 and array.shape[0] != 1 or array.ndim > 2:
            raise ValueError("generate takes one prompt (batch 1)")
        prompt = np.ascontiguousarray(array.reshape(-1))
        if max_new_tokens < 0:
            raise ValueError("max_new_tokens must not be negative")
        sampling = _Sampling(float(temperature), int(top_k), float(top_p),
                             int(seed))
        stops = frozenset(int(i) for i in stop_ids)
        if self.static_shape is not None:
            return self._generate_padded(prompt, max_new_tokens, sampling,
                                         stops)
        out = np.zeros(max(1, max_new_tokens), dtype=np.int64)
        generated = ctypes.c_int64(0)
        timing = _Timing()
        # Without stop ids no callback: no Python call per token.
        callback = (_TOKEN_CALLBACK(lambda token, index, user:
                                    int(token in stops))
                    if stops else _TOKEN_CALLBACK())
        status = self._rt.trit_generate_stream(
            self._model, _ptr(prompt, ctypes.c_int64), len(prompt),
            max_new_tokens, ctypes.byref(sampling),
            _ptr(out, ctypes.c_int64), ctypes.byref(generated),
            ctypes.byref(timing), callback, None)
        if status != 0:
            self._raise(status)
        self.last_timing = {f: getattr(timing, f)
                            for f, _ in _Timing._fields_}
        return out[:generated.value].copy()

    def _generate_padded(self, prompt, max_new_tokens, sampling, stops):
        """trit_generate's loop for a static-shape model: each step runs
        the padded sequence and samples from the last real position."""
        seq = self.static_shape[1]
        if len(prompt) < 1:
            raise TritRuntimeError("the prompt needs at least one token")
        if len(prompt) + max_new_tokens > seq:
            raise TritRuntimeError(
                f"prompt of {len(prompt)} tokens plus {max_new_tokens} new "
                f"ones is longer than the {seq} tokens the model was "
                f"compiled for (at most {max(0, seq - len(prompt))} new "
                "tokens fit; compile with a larger seq_len or with dynamic "
                "shapes)")
        sequence = list(prompt)
        rng = ctypes.c_uint64(sampling.seed)
        timing = {"prefill_seconds": 0.0, "decode_seconds": 0.0,
                  "prompt_tokens": len(prompt), "generated_tokens": 0}
        for step in range(max_new_tokens):
            start = time.perf_counter()
            last = np.ascontiguousarray(
                self._padded_logits(np.array(sequence, dtype=np.int64))[-1])
            timing["prefill_seconds" if step == 0 else "decode_seconds"] += \
                time.perf_counter() - start
            token = self._rt.trit_sample(_ptr(last, ctypes.c_float),
                                         self.vocab_size,
                                         ctypes.byref(sampling),
                                         ctypes.byref(rng))
            if token < 0:
                self._raise(1)
            sequence.append(int(token))
            timing["generated_tokens"] = step + 1
            if token in stops:
                break
        self.last_timing = timing
        return np.array(sequence[len(prompt):], dtype=np.int64)

    def perplexity(self, ids, window=None):
        """exp(mean next-token negative log-likelihood) of `ids` (1-D, or
        [batch, seq] rows evaluated separately and pooled), in float64 from
        the logits. Sequences longer than `window` (default: the compiled
        sequence length of a static model, else the context length) are
        evaluated in consecutive non-overlapping windows
        (`next_token_windows`). A dynamic model runs windows of equal
        length together as one batch."""
        self._check_open()
        ids = _token_ids(ids)
        rows = ids.reshape(-1, ids.shape[-1]) if ids.ndim else ids[None]
        if window is None:
            window = (self.static_shape[1] if self.static_shape
                      else self.context_length)
        if window < 2:
            raise ValueError("perplexity needs a window of at least 2 ids")
        chunks = [c for row in rows for c in next_token_windows(row, window)]
        if not chunks:
            raise ValueError("perplexity needs at least 2 tokens")
        total, count = 0.0, 0
        for batch in self._perplexity_batches(chunks):
            logits = (self._forward(batch) if self.static_shape is None
                      else self._padded_logits(batch[0])[None])
            logits = logits[:, :-1].astype(np.float64)
            targets = batch[:, 1:]
            top = logits.max(axis=-1, keepdims=True)
            log_z = top[..., 0] + np.log(np.exp(logits - top).sum(-1))
            picked = np.take_along_axis(logits, targets[..., None],
                                        axis=-1)[..., 0]
            total += float((log_z - picked).sum())
            count += targets.size
        return math.exp(total / count)

    def _perplexity_batches(self, chunks):
        """[n, length] int64 arrays of the windows: one window each for a
        static model; for a dynamic one, runs of windows of equal length
        (in order), as many as _PERPLEXITY_BATCH_BYTES of logits allow."""
        if self.static_shape is not None:
            return [c[None] for c in chunks]
        batches, start = [], 0
        while start < len(chunks):
            length = len(chunks[start])
            limit = max(1, _PERPLEXITY_BATCH_BYTES //
                        (length * self.vocab_size * 4))
            end = start + 1
            while (end < len(chunks) and end - start < limit
                   and len(chunks[end]) == length):
                end += 1
            batches.append(np.ascontiguousarray(np.stack(chunks[start:end])))
            start = end
        return batches


# --------------------------------------------------------------------------
# Session
# --------------------------------------------------------------------------


class Session(_Closing):
    """One sequence (batch 1) fed piece by piece (`CompiledModel.session()`):
    `append(ids)` returns the logits [len(ids), vocab] of the appended ids
    given everything before them, as a forward pass over the whole sequence
    would. With a KV cache only the new ids run (trit_session_*); without
    one the runtime reruns the whole sequence; a static model's session
    runs it here, padded. `len(session)` is the number of ids it holds,
    `tokens` those ids. `close()` (or the end of a `with` block, or closing
    the model) frees it.
    """

    def __init__(self, model):
        self._owner = model
        self._rt = model._rt
        self._handle = None
        self._tokens = []
        if model.static_shape is None:
            handle = ctypes.c_void_p()
            status = self._rt.trit_session_create(model._model,
                                                  ctypes.byref(handle))
            if status != 0:
                model._raise(status)
            self._handle = handle
        self._open = True
        model._sessions.add(self)

    @property
    def tokens(self):
        """The ids appended so far (int64 [len])."""
        return np.array(self._tokens, dtype=np.int64)

    def __len__(self):
        if self._handle is not None:
            return int(self._rt.trit_session_length(self._handle))
        return len(self._tokens)

    def append(self, ids, logits=True):
        """Appends token ids (an int, a 1-D sequence or [1, n]) and returns
        their logits, float32 [n, vocab] (None with logits=False, which
        skips copying them). On an error (a bad id, or a sequence that
        would outgrow the context) raises TritRuntimeError and leaves the
        session unchanged."""
        if not self._open:
            raise TritRuntimeError("the session was closed")
        self._owner._check_open()
        array = _token_ids(ids)
        if array.ndim == 2 and array.shape[0] != 1 or array.ndim > 2:
            raise ValueError("a session holds one sequence: append [n] or "
                             f"[1, n] ids, not {array.shape}")
        new = np.ascontiguousarray(array.reshape(-1))
        vocab = self._owner.vocab_size
        if len(new) == 0:
            return np.empty((0, vocab), dtype=np.float32) if logits else None
        if self._handle is None:  # a static model: padded in Python
            whole = np.array(self._tokens + new.tolist(), dtype=np.int64)
            rows = self._owner._padded_logits(whole)[len(self._tokens):]
            self._tokens.extend(new.tolist())
            return np.ascontiguousarray(rows) if logits else None
        out = (np.empty((len(new), vocab), dtype=np.float32) if logits
               else None)
        status = self._rt.trit_session_append(
            self._handle, _ptr(new, ctypes.c_int64), len(new),
            _ptr(out, ctypes.c_float) if logits else None)
        if status != 0:
            self._owner._raise(status)
        self._tokens.extend(new.tolist())
        return out

    def close(self):
        if self._handle is not None:
            self._rt.trit_session_free(self._handle)
            self._handle = None
        self._open = False

    def __repr__(self):
        state = "" if self._open else ", closed"
        return f"Session(length={len(self._tokens)}{state})"
