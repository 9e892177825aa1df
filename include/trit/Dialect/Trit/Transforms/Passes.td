//===- Passes.td - trit transformation passes ---------------*- tablegen -*-===//

#ifndef TRIT_DIALECT_TRIT_TRANSFORMS_PASSES_TD
#define TRIT_DIALECT_TRIT_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TritFuseQuantizationPass : Pass<"trit-fuse-quantization", "ModuleOp"> {
  let summary = "Fold BitNet's quantize-dequantize graph around a MatMul into "
                "trit.bitlinear";
  let description = [{
    Matches, in IR of the graph contract (`docs/graph-contract.md`), a
    `linalg.matmul` `x_q[M, K] x W[K, N]` whose

    - activation operand is the per-token absmax int8 chain of a float `x`
      (`s = 127 / clip(max(|x|, last axis, keepdims), min = 1e-5)`,
      `x_q = clip(roundeven(x * s), -128, 127) / s`), optionally wrapped in
      the straight-through pair `x + (x_q - x)`; a rank > 2 `x` reaches the
      matmul through the contract's `tensor.collapse_shape` to `[M, K]` and
      leaves it through the matching `tensor.expand_shape`;
    - weight operand depends only on constants and evaluates (in f32, op by
      op, e.g. the absmean chain
      `u = clip(roundeven(W * (1 / g)), -1, 1) / (1 / g)` with its STE
      pair) to a matrix whose elements are all -a, 0 or +a for one a > 0
      (nonzero elements within 2^-16 relative of the largest |element|
      count as +-a, a being their most frequent magnitude: the rounding
      noise of an STE pair that an exporter folded into the constant);
    - result is optionally rescaled by a constant splat `c`
      (`arith.mulf` by `c` or `arith.divf` by `c`, the inference-style form
      where the scale follows the MatMul),

    and replaces the matmul (with its expand_shape and rescale) by
    `trit.bitlinear %x, %wq, %g` on the original-rank `x`. `%wq` is a
    `dense_resource` constant `tensor<NxKxi8, #trit.ternary>` holding
    `sign(W)` transposed to trit's `[N, K]`, `%g` the f32 constant `a`
    (`a * c` or `a / c` after a rescale; a negative result negates `%wq`
    instead). The quantization chains are erased once nothing else uses
    them.

    Before matching, the dequantization of transformers' BitLinear,
    `matmul(xq, W) / (s * beta)` (`xq` the rounded and clipped `x * s`
    without its division, `beta` a splat constant, either operand order,
    the product per token and broadcast or at full shape), is rewritten to
    `matmul(xq / s, W) / beta`, the form above, when the divisor's
    per-token factor is the very `s` of the quantization; the rewrite is
    undone if the matmul then does not fuse. The division by `beta` folds
    into `%g = a / beta` (never a run-time `* (1 / beta)`): the result
    agrees with the graph's to float rounding (graph contract section 4).

    The weights of the matched matmuls are evaluated before any fusion,
    on the context's threads (one weight per thread at a time; each
    weight's ops in the same order as alone, so the result does not depend
    on the thread count), without copying the constants they read.

    Anything else is left untouched without a diagnostic: a weight that is
    not a compile-time constant, one with other values than {-a, 0, +a}
    (beyond that tolerance), an
    activation chain with other constants than 127, 1e-5 and [-128, 127], or
    a reduction over another axis than the last.

    Example:

    ```mlir
    // %xq: the activation chain of %x (+ STE); %wt: the absmean chain of a
    // constant W, transposed to [6, 4].
    %y = linalg.matmul ins(%xq, %wt : tensor<2x6xf32>, tensor<6x4xf32>)
                       outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    // becomes
    %wq = arith.constant dense_resource<trit_ternary_0>
        : tensor<4x6xi8, #trit.ternary>
    %g = arith.constant 5.000000e-01 : f32
    %y = trit.bitlinear %x, %wq, %g
        : tensor<2x6xf32>, tensor<4x6xi8, #trit.ternary> -> tensor<2x4xf32>
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::trit::TritDialect"];
}

def TritPackWeightsPass : Pass<"trit-pack-weights", "ModuleOp"> {
  let summary = "Pack ternary constant weights into a byte layout";
  let description = [{
    Finds every `trit.bitlinear` and `trit.ternary_matmul` whose weight is a
    constant `#trit.ternary` tensor (`dense` or `dense_resource`), packs it
    into the layout chosen by `layout` and makes the op consume the packed
    constant. The packed bytes always go into a `dense_resource` blob, never
    into a textual `dense<>`. A weight that is not a constant is left alone.
    A constant that holds a value other than -1, 0 or +1 is an error.

    Example (`layout=i2`):

    ```mlir
    %w = arith.constant dense<...> : tensor<64x100xi8, #trit.ternary>
    %y = trit.bitlinear %x, %w, %g : ...
    // becomes
    %p = arith.constant dense_resource<trit_packed_0>
        : tensor<64x25xi8, #trit.packed<i2>>
    %y = trit.bitlinear %x, %p, %g : ...
    ```
  }];
  let options = [
    Option<"layout", "layout", "std::string", /*default=*/"\"i2\"",
           "Packed layout: 'i2' (four 2-bit codes per byte) or 'tq1' "
           "(five base-3 digits per byte, 1.6 bits per weight)">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::trit::TritDialect"];
}

def TritTileBitLinearPass : Pass<"trit-tile-bitlinear", "ModuleOp"> {
  let summary = "Lower BitLinear on packed weights to tiled add/subtract loops";
  let description = [{
    Lowers `trit.bitlinear`, `trit.ternary_matmul` (on packed weights) and
    `trit.quantize_activations` to loops over tensors. Each BitLinear
    becomes a call of a private kernel function (one per shape, layout and
    kernel, shared by all ops of that kind, named like
    `__trit_bitlinear_i2_addsub_2560x6912`) that takes `[M, K]` activations
    of any M, the packed weight and the scale:

    - activations are quantized per token (absmax, int8) by `linalg.generic`
      ops into a zero-padded `i16` buffer whose rows cover whole weight
      blocks;
    - an `scf.forall` over tiles of `tile-n` output features (the parallel
      loop that becomes OpenMP) holds `scf.for` loops over tokens and rows
      with a register tile of `tile-tokens` x `tile-rows` accumulators;
    - the innermost loop walks the 64-byte weight blocks. For each slot of a
      block it derives two lane masks from the packed bytes (weight +1 and
      weight -1: bit tests for `i2`, unsigned compares after a multiply by
      3^slot done with additions for `tq1`) and adds or subtracts 64 int16
      activations into int16 accumulators under those masks. There is no
      multiplication by a weight. Accumulators are flushed into int32 before
      they can overflow (every 255 additions per lane);
    - the int32 sum is rescaled by `g / s` per token for `trit.bitlinear`.

    Batch 1 (decode GEMV), batch > 1 (prefill GEMM) and any N and K are
    handled: token and row remainders run with a 1-wide tile and K is padded
    with zero weights to whole blocks. Weights that are not packed are an
    error (run `trit-pack-weights` first).

    `kernel=dot` selects the dot-product variant: the weight codes `w + 1`
    of each slot (masked in place for `i2`, decoded digits for `tq1`) are
    unsigned bytes that `trit.dot_codes` multiplies with int8 activations
    by groups of four into int32 (one accumulator per slot, shifted back by
    the slot's bit position at the end), and the per-token sum of the
    activations is subtracted once. `convert-trit-to-llvm` turns
    `trit.dot_codes` into AVX512-VNNI `vpdpbusd` where the CPU has it. It
    multiplies by the codes, so it is opt-in; `addsub` is the portable
    lowering that the tests pin down.

    `kernel=dp4a` is the GPU kernel (`i2` only; trit-gpu-pipeline selects
    it): an `scf.forall` over every (token, output feature) whose body walks
    the weight row a 32-bit word at a time; each slot's codes, masked with
    `0x03030303`, meet the 4 int8 activations of their weights in one
    `nvvm.dot.accumulate.4way` (`dp4a.u32.s32`), and the token's
    activation sum is subtracted once. It only compiles for NVVM targets.
  }];
  let options = [
    Option<"kernel", "kernel", "std::string", /*default=*/"\"addsub\"",
           "Inner kernel: 'addsub' (portable masked add/subtract), "
           "'dot' (dot products on the weight codes, VNNI on x86) or "
           "'dp4a' (GPU: one thread per output, dp4a on the codes)">,
    Option<"tileN", "tile-n", "int64_t", /*default=*/"64",
           "Output features per parallel tile">,
    Option<"tileRows", "tile-rows", "int64_t", /*default=*/"0",
           "Weight rows per register tile (0: the kernel's default, 4)">,
    Option<"tileTokens", "tile-tokens", "int64_t", /*default=*/"0",
           "Tokens per register tile (0: the kernel's default, 2 for addsub "
           "and 4 for dot)">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::NVVM::NVVMDialect"];
}

def TritExportModelPass : Pass<"trit-export-model", "ModuleOp"> {
  let summary = "Give a model's entry function the runtime's model ABI";
  let description = [{
    Makes a module a trit model library (see `runtime/include/trit/runtime.h`):
    the entry function, which must map token ids `tensor<BxTxi64>` to logits
    `tensor<BxTxVxf32>` (B and T may be dynamic, V static), is renamed
    `trit_forward` and gets a C interface (`_mlir_ciface_trit_forward`); and
    `trit_compiled_abi_version`, `trit_compiled_vocab_size`,
    `trit_compiled_context_length`, `trit_compiled_default_threads`,
    `trit_compiled_static_batch` and `trit_compiled_static_sequence` are
    added, returning the ABI version the runtime checks, V, the context
    length, the default thread count, and the batch and sequence length the
    model requires exactly (0 where it is dynamic).

    A KV-cache model takes the cache after the ids and returns it extended
    after the logits: `(ids, past_0, ..., past_{n-1}) -> (logits,
    present_0, ..., present_{n-1})`, each cache tensor
    `tensor<B x heads x length x head_dim x f32>` with the same static heads
    and head_dim (Hugging Face-style exports: a key and a value per layer).
    Its entry becomes the private `trit_forward_graph`, and a public
    `trit_forward_cached(ids, cache) -> (logits, cache)` with a C interface
    wraps it with all n tensors stacked into one
    `tensor<n x B x heads x ? x head_dim x f32>`, so that the runtime calls
    one fixed signature whatever the number of layers (the cache argument
    and result are marked `trit.kv_cache`: the GPU target keeps them in
    device memory); the constants
    `trit_compiled_kv_tensors`, `trit_compiled_kv_heads` and
    `trit_compiled_kv_head_dim` describe the cache. When the logits come
    from an LM head in the importer's form (`collapse_shape` of
    `[B, T, K]`, `linalg.matmul` into a fill, `expand_shape` to
    `[B, T, V]`), the graph also takes an index `first` and computes the
    head on token rows `[first, T)` only; `trit_forward_cached` passes 0,
    and a second wrapper `trit_forward_cached_last` passes `T - 1` and
    returns logits `[B, 1, V]`: what generation needs. An entry of any
    other signature is an error naming what does not fit.

    Example:

    ```mlir
    func.func @main(%ids: tensor<?x?xi64>) -> tensor<?x?x32xf32>
    // becomes, with context-length=128
    func.func @trit_forward(%ids: tensor<?x?xi64>) -> tensor<?x?x32xf32>
        attributes {llvm.emit_c_interface}
    func.func @trit_compiled_vocab_size() -> i64 { ... 32 ... }
    func.func @trit_compiled_context_length() -> i64 { ... 128 ... }
    ```
  }];
  let options = [
    Option<"entry", "entry", "std::string", /*default=*/"\"main\"",
           "The model's forward function (the only public function if "
           "there is no function of this name)">,
    Option<"contextLength", "context-length", "int64_t", /*default=*/"0",
           "Longest sequence the model takes (0: the module's "
           "trit.max_positions (the model builder's rotary tables), else "
           "the static sequence dimension of the input, or 4096 if it is "
           "dynamic; more than trit.max_positions is an error)">,
    Option<"defaultThreads", "default-threads", "int64_t", /*default=*/"0",
           "Threads the runtime uses for this model unless told otherwise "
           "(0: OpenMP's default, all cores); exported as "
           "trit_compiled_default_threads">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::tensor::TensorDialect"];
}

def TritDecomposeAggregatesPass
    : Pass<"trit-decompose-aggregates", "func::FuncOp"> {
  let summary = "Decompose aggregate linalg ops (softmax) into simpler ones";
  let description = [{
    Importers emit `linalg.softmax` (ONNX Softmax), which the loop lowering
    cannot take as it is. This pass replaces every op implementing
    `linalg::AggregatedOpInterface` on tensors by its decomposition (for
    softmax: a max reduction, a subtraction and exponential, a sum
    reduction and a division, as `linalg.generic` ops), before
    bufferization. Other ops are left alone.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
}

def TritCopiesToLoopsPass : Pass<"trit-copies-to-loops", "func::FuncOp"> {
  let summary = "Turn memref.copy into linalg.copy, which becomes loops";
  let description = [{
    Bufferization copies strided slices with `memref.copy`, whose lowering
    to LLVM calls `memrefCopy` from MLIR's runner library whenever a side
    is not contiguous. Compiled models link no such library: this pass
    rewrites every `memref.copy` into `linalg.copy`, which
    `convert-linalg-to-loops` turns into plain loops.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def TritFuseParallelLoopsPass : Pass<"trit-fuse-parallel-loops",
                                     "func::FuncOp"> {
  let summary = "Fuse adjacent parallel loops over the same space "
                "(upstream's fusion, with allocations out of the way)";
  let description = [{
    Upstream's `scf-parallel-loop-fusion` fuses `scf.parallel` loops with
    the same bounds that follow each other with no side-effecting op in
    between, when the second reads what the first writes only at the same
    indices. On bufferized models it fuses almost nothing: bufferization
    puts each result's `memref.alloc` right before the loop that writes it,
    and the generic alias analysis cannot tell a fresh allocation from a
    constant global (the weights) the next loop reads.

    This pass first moves every `memref.alloc` of the function's top-level
    blocks up to just after the last definition of its operands (its
    dynamic sizes), keeping the allocations' order, and then runs
    upstream's fusion (`scf::naivelyFuseParallelOps`) with an alias oracle
    that knows what a function of buffers knows: two buffers whose bases
    (through view-like ops) are different allocations, or an allocation and
    a global or an argument, or two different globals, do not alias;
    anything else may. Allocations inside loops or other regions stay where
    they are. The GPU pipeline runs it before mapping loops to kernels:
    fewer loops are fewer kernel launches.
  }];
}

def TritTileMatmulPass : Pass<"trit-tile-matmul", "ModuleOp"> {
  let summary = "Tile f32 matmuls by a constant weight into parallel "
                "vector kernels";
  let description = [{
    The layers of a BitNet model that stay in floating point are matmuls by
    a constant weight; the LM head (hidden x vocabulary, e.g. 2560 x 128256)
    is by far the largest and would otherwise become scalar loops. Each
    `linalg.matmul` of f32 `[M, K] x [K, N]` whose right operand is a
    constant (or the `linalg.transpose` of a constant `[N, K]`, as a tied
    LM head is), whose accumulator is a fill of 0.0 and whose K is a
    multiple of 16 becomes a call of a private kernel function
    `__trit_matmul_f32_NxK`, shared by every matmul of that shape: the
    weight is stored `[N, K]` (transposed at compile time unless it already
    is), an `scf.forall` runs over tiles of `tile-n` output features, and
    each (token, group of 4 features) accumulates 16-lane f32 FMAs over K.
    Other matmuls are left alone.

    With `weight-type=f16` or `bf16` the kernel is `__trit_matmul_f16_NxK`
    (or `_bf16_`): the weight is stored in that type, each element rounded
    to nearest even at compile time, and extended to f32 in the kernel
    (exactly) before the same f32 FMAs. It halves the bytes read per
    token, at the weight's rounding: a flag, since the numerics contract
    keeps everything outside BitLinear in f32 unless asked otherwise.

    With `kernel=generic` (the GPU target) no kernel function is made: the
    matmul becomes a `linalg.generic` over (token, feature, k) that reads
    the same `[N, K]` constant in the weight type, extended to f32 in its
    body, for the target's own lowering of loops (on the GPU, a warp per
    output whose lanes read consecutive k of one weight row).
  }];
  let options = [
    Option<"tileN", "tile-n", "int64_t", /*default=*/"64",
           "Output features per parallel tile">,
    Option<"weightType", "weight-type", "std::string", /*default=*/"\"f32\"",
           "Element type the weights are stored in: f32, f16 or bf16">,
    Option<"kernel", "kernel", "std::string", /*default=*/"\"vector\"",
           "vector (a CPU kernel function per shape) or generic (a "
           "linalg.generic over the converted weight)">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::func::FuncDialect"];
}

def TritInterchangeLoopsPass
    : Pass<"trit-interchange-loops", "func::FuncOp"> {
  let summary = "Move a unit-stride parallel dimension innermost in linalg "
                "ops whose innermost loop is a reduction";
  let description = [{
    `convert-linalg-to-loops` nests loops in the order of an op's
    iterators. For `linalg.matmul` and `linalg.batch_matmul` (attention's
    `q k^T` and `p v`, which stay float) that puts the reduction innermost:
    every iteration loads and stores the same output element, and the
    other operand is read with the stride of a row. This pass rewrites a
    linalg op on buffers whose innermost iterator is a reduction into a
    `linalg.generic` whose innermost iterator is instead the parallel
    dimension `d` that

    - is the last index of the (single) output,
    - is, in every input that uses it, that input's last index and used
      nowhere else in it,
    - indexes only memrefs whose innermost stride is statically 1,

    keeping the order of the other iterators. Each output element still
    accumulates its products in the same order (the reduction loop runs
    the same way, only outside), so results are bit for bit the same;
    `trit-vectorize-loops` then turns the innermost loop into vector
    operations. Ops on tensors, with several outputs, or without such a
    dimension are left as they are.

    Example: `linalg.batch_matmul` (b, m, n, k) becomes a `linalg.generic`
    with iterators (b, m, k, n).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def TritVectorizeLoopsPass : Pass<"trit-vectorize-loops", "func::FuncOp"> {
  let summary = "Vectorize innermost elementwise loops along a unit-stride "
                "dimension";
  let description = [{
    What `convert-linalg-to-loops` leaves of copies, transposes,
    broadcasts and elementwise ops is scalar loops; LLVM fully unrolls the
    short ones (a 64-wide head, a 16-wide row) and then cannot vectorize
    them, since it cannot prove that their memrefs do not overlap. This
    pass vectorizes such loops itself: an innermost `scf.for` with step 1
    and no results whose body is only

    - `memref.load` / `memref.store` whose last index is the induction
      variable (no other index uses it) on a memref whose innermost stride
      is statically 1 and whose elements are not i1: these become
      `vector.load` / `vector.store` of `lanes` elements;
    - loads whose indices do not use the induction variable from memrefs
      the loop does not store to, and values defined outside the loop:
      broadcast;
    - `arith` ops and the `math` ops `absf`, `sqrt`, `rsqrt`, `exp`,
      `roundeven`, `floor`, `ceil` on non-index scalars: the same op on
      vectors (one rounding per element, as before: results are bit for
      bit those of the loop)

    and whose induction variable has no other use. A memref the loop
    stores to may be loaded only at the indices it is stored at (in place).
    One maximum or minimum through memory, `C[I] = maximumf(C[I], p)` with
    loop-invariant `I` (what `linalg.reduce` over the last dimension
    becomes: absmax, softmax's max), is also vectorized: lanes of partial
    maxima, one `vector.reduction` after the loop, then into `C[I]`; the
    result is the same in any order. The loop becomes a loop of step
    `lanes` over the whole vectors and the original loop over the rest
    (none when the trip count is a known multiple of `lanes`). Loops with
    fewer than `lanes` iterations, sums (whose order would change: the
    loop's order also matches PyTorch's results more closely), loops
    carrying values and anything else are left as they are.

    Memrefs are assumed not to overlap partially: bufferization gives an
    op an output buffer that is either distinct from its inputs or the
    same elements (in place).

    Example (`lanes` = 16):

    ```mlir
    scf.for %j = %c0 to %c64 step %c1 {
      %v = memref.load %a[%i, %j] : memref<?x64xf32>
      memref.store %v, %b[%i, %j] : memref<?x64xf32>
    }
    // becomes
    scf.for %j = %c0 to %c64 step %c16 {
      %v = vector.load %a[%i, %j] : memref<?x64xf32>, vector<16xf32>
      vector.store %v, %b[%i, %j] : memref<?x64xf32>, vector<16xf32>
    }
    ```
  }];
  let options = [
    Option<"lanes", "lanes", "int64_t", "16",
           "Elements per vector (a power of two, at least 2)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def TritOutlineLoopsPass : Pass<"trit-outline-loops", "ModuleOp"> {
  let summary = "Outline the top-level loop nests of model functions into "
                "shared functions";
  let description = [{
    A model's graph function holds one loop nest per non-BitLinear op of
    every layer: thousands of loops in one function, on which LLVM's
    dominance-based optimizations are superlinear. This pass moves each
    top-level `scf.for` or `scf.parallel` of every function that is not a
    trit kernel (`__trit_*`) into a private function `__trit_loop_N` whose
    arguments are the memrefs, indices and scalars the nest uses (constants
    are cloned in), calls it instead, and shares one function between
    nests that are the same up to those arguments, as the layers of a model
    are. The functions are `noinline` (passthrough), so LLVM optimizes each
    once, small.
    A nest that uses a value of another type stays where it is.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def TritExpandDynamicReshapesPass
    : Pass<"trit-expand-dynamic-reshapes", "func::FuncOp"> {
  let summary = "Lower expand_shapes that split one dynamic size into "
                "several";
  let description = [{
    `expand-strided-metadata` (MLIR 22) crashes on a `memref.expand_shape`
    whose reassociation group holds more than one dynamic size, such as
    `memref<?x64xf32>` into `memref<?x?x64xf32>` (tokens back into batch and
    sequence, which dynamic-shape models do after every BitLinear). This
    pass rewrites such an expand_shape into a `memref.reinterpret_cast` of
    the source's base buffer (`memref.extract_strided_metadata`): within
    each group the innermost dimension keeps the source dimension's stride
    and each outer one multiplies it by the sizes inside it. Other
    expand_shapes are left to `expand-strided-metadata`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def TritLowerAssertsPass : Pass<"trit-lower-asserts", "ModuleOp"> {
  let summary = "cf.assert -> a call of the runtime's error handler, which "
                "returns an error through the C API";
  let description = [{
    Run-time checks (two dynamic sizes that must agree, a cache's batch,
    ...) are `cf.assert`s in the graph. Upstream lowers a failed assert to
    `abort()`, which would end the host process; a model library must
    instead return an error through the runtime's C API. This pass, run
    once control flow is `cf` (after `scf-to-cf`), rewrites each
    `cf.assert %ok, "message"` into a branch to a block that calls
    `__trit_check_failed(message, a, b)` and is unreachable after it, `a`
    and `b` being the two sides of the `arith.cmpi eq` that computes `%ok`
    (the sizes that differ; -1 for another condition).

    `__trit_check_failed` (added to the module) calls the handler that the
    runtime installs through the exported `trit_set_check_handler(fn)`
    (`void fn(const char *message, int64_t a, int64_t b)`, which does not
    return: the runtime unwinds to its call into the model), and calls
    `abort()` if no handler was installed. A module without asserts is left
    alone.

    Example:

    ```mlir
    %ok = arith.cmpi eq, %t, %rows : index
    cf.assert %ok, "node 'Add_1' (Add): dimension 1 of its operands differs"
    ```

    becomes a `cf.cond_br %ok, ^continue, ^failed` whose `^failed` block
    calls `@__trit_check_failed` with the message's address, `%t` and
    `%rows` as i64, then `llvm.unreachable`.
  }];
  let options = [
    Option<"always", "always", "bool", /*default=*/"false",
           "Add the runtime hooks even to a module without asserts (the GPU "
           "target's runtime reports CUDA errors through "
           "__trit_check_failed, which then has hidden, not internal, "
           "linkage)">
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::cf::ControlFlowDialect"];
}

def TritCheckLoweredPass : Pass<"trit-check-lowered", "ModuleOp"> {
  let summary = "Contract check: only LLVM-level ops are left";
  let description = [{
    Ends `trit-cpu-pipeline` and `trit-gpu-pipeline`. Every operation must
    belong to the `llvm` or `omp` dialect, be the `builtin.module`, or be a
    `gpu.binary` or `gpu.launch_func` (the GPU target's embedded kernels and
    their launches), which is what translation to LLVM IR accepts. A `trit` op that is left gets an error that says why
    it could not be lowered (for example a `trit.quantize_weights` on a
    weight that is not a constant); any other op gets an error naming it.
  }];
}


def TritGpuMapLoopsPass : Pass<"trit-gpu-map-loops", "func::FuncOp"> {
  let summary = "Map bufferized parallel loops to GPU blocks and threads";
  let description = [{
    Prepares a function of bufferized loops for upstream's
    `convert-parallel-loops-to-gpu` (the GPU target, `trit-gpu-pipeline`):

    - host code that reads or writes buffers outside any `scf.parallel`
      (a serial `scf.for`, a lone `memref.store`) is wrapped into a
      one-iteration `scf.parallel`, so that it runs on the device as a
      one-thread kernel: on this target every buffer lives in device
      memory. Such code whose result host code uses (a value read back
      from a buffer) is an error;
    - every outermost `scf.parallel` is tiled (upstream
      `scf::tileParallelLoop`) by `block-size` along its innermost
      dimension, which is unit-stride in the row-major buffers: the intra-
      tile dimension becomes thread x (adjacent threads touch adjacent
      elements), the tile loop's dimensions become blocks x, y and z from
      the innermost outwards, and any further dimension and every nested
      parallel loop run sequentially in their thread;
    - an outermost `scf.parallel` whose body is a reduction (an `scf.for`
      whose carried values each fold in one value per iteration, such as
      linalg's reductions and the dp4a BitLinear kernel's row) gets a new
      innermost dimension of lanes that split the iterations, each lane's
      share unrolled by 4: a warp per output (`gpu.subgroup_reduce`, as
      shuffles), or, for a reduction of at least 1024 iterations whose
      outputs known at compile time are fewer than 2048 (a token's norm or
      absmax), a block per output (`gpu.all_reduce`, lowered with the
      kernels). A float sum is then added in another order.

    Mappings are the `mapping` attributes upstream's converter reads.

    Example:

    ```mlir
    scf.parallel (%i, %j) = (%c0, %c0) to (%m, %n) step (%c1, %c1) { ... }
    // becomes (block-size=256) a tile loop mapped to (block_y, block_x)
    // around a (1, 256) loop mapped to (sequential, thread_x).
    ```
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block along the innermost dimension (1 to 1024)">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::gpu::GPUDialect"];
}

def TritGpuHostBuffersPass : Pass<"trit-gpu-host-buffers", "ModuleOp"> {
  let summary = "Put a GPU program's buffers on the device";
  let description = [{
    Runs after `convert-parallel-loops-to-gpu`, before kernel outlining, on
    functions whose buffer accesses are all inside `gpu.launch`:

    - every `memref.alloc`/`alloca` of host code becomes `gpu.alloc`, and
      every buffer a function owns (its allocations, the buffers its
      callees return) is freed with `gpu.dealloc` before it returns, except
      the ones it returns. Buffers live to the end of their function (no
      earlier reuse yet). A function that returns a view of an argument
      or a constant is an error;
    - a small constant that host code itself uses (passes to a callee)
      is copied to a device buffer where it is read, once per call;
    - a public function (the model's entry points) copies each memref
      argument to the device on entry (`gpu.alloc` + `gpu.memcpy`) and
      each result back into a host `memref.alloc` (tagged `trit.host`),
      which the runtime frees with `free()`. An argument or result marked
      `trit.kv_cache` (trit-export-model's cache) is not copied: it is a
      device buffer that the runtime keeps between steps and releases
      (`trit_cuda_release`), so a decode step copies only the new tokens
      in and the logits out;
    - `memref.get_global` of a constant smaller than
      `kernel-constant-bytes`, or a splat, used inside a `gpu.launch` is
      moved into it, so that outlining compiles the constant into the
      kernel module. Larger constants stay pointers: tritc puts them into
      the weights file, which the runtime copies to the device once.

    Any buffer access left in host code is an error.
  }];
  let options = [
    Option<"kernelConstantBytes", "kernel-constant-bytes", "int64_t",
           /*default=*/"4096",
           "Constants below this size go into the kernels that read them">
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect"];
}


def TritGpuMergeKernelsPass : Pass<"trit-gpu-merge-kernels", "ModuleOp"> {
  let summary = "Put every outlined GPU kernel into one gpu.module, once";
  let description = [{
    `gpu-kernel-outlining` makes one `gpu.module` per `gpu.launch`: a 30-
    layer model would embed hundreds of binaries and load each at start.
    This pass moves every kernel into one `gpu.module` named `module-name`
    (each kernel renamed after the module it came from, which outlining
    names uniquely), keeps one copy of kernels that are the same but for
    their names (a layer's launches repeat in every layer), keeps one copy
    of each constant that outlining cloned into several modules, and points
    every `gpu.launch_func` at the merged kernel.

    Example:

    ```mlir
    gpu.module @main_kernel { gpu.func @main_kernel(...) kernel {...} }
    gpu.module @main_kernel_0 { gpu.func @main_kernel(...) kernel {...} }
    gpu.launch_func @main_kernel_0::@main_kernel ...
    // becomes
    gpu.module @trit_kernels {
      gpu.func @main_kernel(...) kernel {...}
      gpu.func @main_kernel_0(...) kernel {...}
    }
    gpu.launch_func @trit_kernels::@main_kernel_0 ...
    ```
  }];
  let options = [
    Option<"moduleName", "module-name", "std::string",
           /*default=*/"\"trit_kernels\"", "Name of the merged gpu.module">
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}


def TritGpuStreamOrderPass : Pass<"trit-gpu-stream-order", "ModuleOp"> {
  let summary = "Let private functions return without waiting for the GPU";
  let description = [{
    `gpu-async-region` ends every function with a host-blocking `gpu.wait`
    on its work, so that its results are ready when it returns. The trit
    runtime's CUDA backend runs all work on one stream (`mgpuStreamCreate`
    returns it every time), so a caller's later launches already come after
    a callee's work in stream order: only the entry points, whose results
    the host reads, need to wait. This pass removes the final wait of every
    private function (a BitLinear kernel function is called 7 times a
    layer; each wait stalled the host until the GPU drained). Entry points
    (public functions) keep theirs. For the same reason it removes the
    host-blocking wait that `gpu-async-region` puts before every call of a
    private function of the module (the BitLinear kernels again): the
    callee's work is queued after the caller's on the one stream, and the
    callee waits itself where its host code reads device memory. Runs after
    `gpu-async-region`, before `gpu-to-llvm`.

    Example:

    ```mlir
    func.func private @f(...) -> memref<...> {
      %t0 = gpu.wait async
      ...
      gpu.wait [%t3]   // removed
      return %m : memref<...>
    }
    ```
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

#endif // TRIT_DIALECT_TRIT_TRANSFORMS_PASSES_TD
