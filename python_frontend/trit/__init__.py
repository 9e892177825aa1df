"""trit's Python frontend: the PyTorch reference models of BitNet b1.58,
their ONNX exports (the numerics oracle of the project's tests), and the
API that compiles and runs models through `tritc` and the runtime:

    import trit
    compiled = trit.compile(model_or_onnx_path)  # dynamic shapes + KV cache
    logits = compiled(ids)                       # any [batch, seq]
    tokens = compiled.generate(prompt, 16)       # one token per step
    ppl = compiled.perplexity(text_ids)

(`kv_cache=False` exports without the cache, `dynamic=False, seq_len=N`
for exactly [1, N]; see `trit.compiler`.)
"""

from .compiler import (CompiledModel, CompileError, Session,
                       TritRuntimeError, compile, set_num_threads)

__all__ = ["compile", "CompiledModel", "Session", "CompileError",
           "TritRuntimeError", "set_num_threads"]
