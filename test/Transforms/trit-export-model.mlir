// RUN: trit-opt %s --split-input-file --trit-export-model="context-length=64" --verify-diagnostics | FileCheck %s
// RUN: trit-opt %s --split-input-file --trit-export-model="context-length=64 default-threads=1" --verify-diagnostics | FileCheck %s --check-prefix=THREADS
// THREADS-LABEL: func.func @trit_compiled_default_threads() -> i32
// THREADS: arith.constant 1 : i32

// The entry becomes trit_forward with a C interface, and the three constant
// functions of the model ABI appear (ABI version 2, vocabulary 32, context
// from the option).
// CHECK-LABEL: func.func @trit_forward
// CHECK-SAME: (%{{.*}}: tensor<?x?xi64>) -> tensor<?x?x32xf32> attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @trit_compiled_abi_version() -> i32
// CHECK: %[[V:.*]] = arith.constant 2 : i32
// CHECK: return %[[V]]
// CHECK-LABEL: func.func @trit_compiled_vocab_size() -> i64
// CHECK: arith.constant 32 : i64
// CHECK-LABEL: func.func @trit_compiled_context_length() -> i64
// CHECK: arith.constant 64 : i64
// CHECK-LABEL: func.func @trit_compiled_default_threads() -> i32
// CHECK: arith.constant 0 : i32
// CHECK-LABEL: func.func @trit_compiled_static_batch() -> i64
// CHECK: arith.constant 0 : i64
// CHECK-LABEL: func.func @trit_compiled_static_sequence() -> i64
// CHECK: arith.constant 0 : i64
func.func @main(%ids: tensor<?x?xi64>) -> tensor<?x?x32xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %ids, %c0 : tensor<?x?xi64>
  %t = tensor.dim %ids, %c1 : tensor<?x?xi64>
  %l = tensor.empty(%b, %t) : tensor<?x?x32xf32>
  return %l : tensor<?x?x32xf32>
}

// -----

// Without a @main, the only public function is the entry; private helpers
// are left alone.
// CHECK-LABEL: func.func private @helper
// CHECK-LABEL: func.func @trit_forward(%{{.*}}: tensor<1x8xi64>) -> tensor<1x8x5xf32>
// A static [1, 8] input is what the model requires exactly.
// CHECK-LABEL: func.func @trit_compiled_static_batch() -> i64
// CHECK: arith.constant 1 : i64
// CHECK-LABEL: func.func @trit_compiled_static_sequence() -> i64
// CHECK: arith.constant 8 : i64
func.func private @helper(%x: tensor<1x8x5xf32>) -> tensor<1x8x5xf32> {
  return %x : tensor<1x8x5xf32>
}
func.func @model(%ids: tensor<1x8xi64>) -> tensor<1x8x5xf32> {
  %l = tensor.empty() : tensor<1x8x5xf32>
  %r = func.call @helper(%l) : (tensor<1x8x5xf32>) -> tensor<1x8x5xf32>
  return %r : tensor<1x8x5xf32>
}

// -----

// Logits must be f32 [B, T, V].
// expected-error @+1 {{trit-export-model: the entry 'main' returns tensor<?x?xf32> instead of logits; a model maps token ids tensor<BxTxi64> to logits tensor<BxTxVxf32>}}
func.func @main(%ids: tensor<?x?xi64>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0 : index
  %b = tensor.dim %ids, %c0 : tensor<?x?xi64>
  %l = tensor.empty(%b, %b) : tensor<?x?xf32>
  return %l : tensor<?x?xf32>
}

// -----

// Token ids are i64.
// expected-error @+1 {{trit-export-model: the entry 'main' takes tensor<1x4xi32> instead of token ids}}
func.func @main(%ids: tensor<1x4xi32>) -> tensor<1x4x8xf32> {
  %l = tensor.empty() : tensor<1x4x8xf32>
  return %l : tensor<1x4x8xf32>
}

// -----

// The vocabulary must be static.
// expected-error @+1 {{trit-export-model: the entry 'main' returns logits with a dynamic vocabulary size}}
func.func @main(%ids: tensor<1x4xi64>) -> tensor<1x4x?xf32> {
  %c0 = arith.constant 0 : index
  %v = tensor.dim %ids, %c0 : tensor<1x4xi64>
  %l = tensor.empty(%v) : tensor<1x4x?xf32>
  return %l : tensor<1x4x?xf32>
}

// -----

// Extra arguments are cache tensors, which must come back extended.
// expected-error @+1 {{trit-export-model: the entry 'main' takes 1 cache tensors but returns 0; a KV-cache model returns each one extended}}
func.func @main(%ids: tensor<1x4xi64>, %extra: index) -> tensor<1x4x8xf32> {
  %l = tensor.empty() : tensor<1x4x8xf32>
  return %l : tensor<1x4x8xf32>
}

// -----

// A KV-cache model (Hugging Face-style: a key and a value per layer, here
// one layer): the graph becomes private and trit_forward_cached stacks the
// cache tensors into one argument and one result.
// (Its logits are no LM head's: no trit_forward_cached_last.)
// CHECK-LABEL: func.func private @trit_forward_graph(
// CHECK-LABEL: func.func @trit_forward_cached(
// The cache argument and result are marked: the GPU target keeps them in
// device memory between steps.
// CHECK-SAME: %[[IDS:.*]]: tensor<?x?xi64>, %[[CACHE:.*]]: tensor<2x?x3x?x4xf32> {trit.kv_cache}) -> (tensor<?x?x5xf32>, tensor<2x?x3x?x4xf32> {trit.kv_cache}) attributes {llvm.emit_c_interface}
// CHECK: %[[K:.*]] = tensor.extract_slice %[[CACHE]][0, 0, 0, 0, 0] [1, %{{.*}}, 3, %{{.*}}, 4] [1, 1, 1, 1, 1] : tensor<2x?x3x?x4xf32> to tensor<?x3x?x4xf32>
// CHECK: %[[V:.*]] = tensor.extract_slice %[[CACHE]][1, 0, 0, 0, 0]
// CHECK: %[[R:.*]]:3 = call @trit_forward_graph(%[[IDS]], %[[K]], %[[V]])
// CHECK: tensor.insert_slice %[[R]]#1 into %{{.*}}[0, 0, 0, 0, 0]
// CHECK: %[[P:.*]] = tensor.insert_slice %[[R]]#2 into %{{.*}}[1, 0, 0, 0, 0]
// CHECK: return %[[R]]#0, %[[P]]
// CHECK-LABEL: func.func @trit_compiled_kv_tensors() -> i64
// CHECK: arith.constant 2 : i64
// CHECK-LABEL: func.func @trit_compiled_kv_heads() -> i64
// CHECK: arith.constant 3 : i64
// CHECK-LABEL: func.func @trit_compiled_kv_head_dim() -> i64
// CHECK: arith.constant 4 : i64
// CHECK-NOT: trit_forward_cached_last
func.func @main(%ids: tensor<?x?xi64>, %k: tensor<?x3x?x4xf32>, %v: tensor<?x3x?x4xf32>)
    -> (tensor<?x?x5xf32>, tensor<?x3x?x4xf32>, tensor<?x3x?x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %ids, %c0 : tensor<?x?xi64>
  %t = tensor.dim %ids, %c1 : tensor<?x?xi64>
  %l = tensor.empty(%b, %t) : tensor<?x?x5xf32>
  return %l, %k, %v : tensor<?x?x5xf32>, tensor<?x3x?x4xf32>, tensor<?x3x?x4xf32>
}

// -----

// A KV-cache model whose logits come from an LM head in the importer's form
// (collapse [B, T, K] -> matmul by a constant -> expand to [B, T, V]): the
// graph takes the first row its logits start at, and computes the head on
// rows [first, T) only. trit_forward_cached passes 0;
// trit_forward_cached_last passes T - 1 (logits [B, 1, V], for
// generation). One graph, so the weights are not duplicated.
// CHECK-LABEL: func.func private @trit_forward_graph(
// CHECK-SAME: %[[FIRST:[^:]*]]: index) -> (tensor<?x?x5xf32>, tensor<?x3x?x4xf32>, tensor<?x3x?x4xf32>)
// CHECK: %[[X:.*]] = tensor.empty(%{{.*}}, %{{.*}}) : tensor<?x?x8xf32>
// CHECK: %[[B:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x?x8xf32>
// CHECK: %[[T:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x?x8xf32>
// CHECK-NEXT: %[[N:.*]] = arith.subi %[[T]], %[[FIRST]] : index
// CHECK-NEXT: %[[ROWS:.*]] = tensor.extract_slice %[[X]][0, %[[FIRST]], 0] [%[[B]], %[[N]], 8] [1, 1, 1] : tensor<?x?x8xf32> to tensor<?x?x8xf32>
// CHECK-NEXT: %[[FLAT:.*]] = tensor.collapse_shape %[[ROWS]] {{\[}}[0, 1], [2]] : tensor<?x?x8xf32> into tensor<?x8xf32>
// CHECK: %[[Y:.*]] = linalg.matmul ins(%[[FLAT]], %{{.*}} : tensor<?x8xf32>, tensor<8x5xf32>)
// CHECK-NEXT: %[[L:.*]] = tensor.expand_shape %[[Y]] {{\[}}[0, 1], [2]] output_shape [%[[B]], %[[N]], 5] : tensor<?x5xf32> into tensor<?x?x5xf32>
// CHECK-NOT: linalg.matmul
// CHECK: return %[[L]]
// CHECK-LABEL: func.func @trit_forward_cached(
// CHECK-SAME: -> (tensor<?x?x5xf32>, tensor<2x?x3x?x4xf32> {trit.kv_cache})
// CHECK: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK-NEXT: call @trit_forward_graph(%{{.*}}, %{{.*}}, %{{.*}}, %[[ZERO]])
// CHECK-LABEL: func.func @trit_forward_cached_last(
// CHECK-SAME: %[[IDS:[^:]*]]: tensor<?x?xi64>, %{{.*}}: tensor<2x?x3x?x4xf32> {trit.kv_cache}) -> (tensor<?x1x5xf32>, tensor<2x?x3x?x4xf32> {trit.kv_cache})
// CHECK: %[[LEN:.*]] = tensor.dim %[[IDS]], %[[ONE:.*]] : tensor<?x?xi64>
// CHECK-NEXT: %[[LASTROW:.*]] = arith.subi %[[LEN]], %[[ONE]] : index
// CHECK-NEXT: %[[R:.*]]:3 = call @trit_forward_graph(%{{.*}}, %{{.*}}, %{{.*}}, %[[LASTROW]])
// CHECK: %[[LOGITS:.*]] = tensor.cast %[[R]]#0 : tensor<?x?x5xf32> to tensor<?x1x5xf32>
// CHECK: return %[[LOGITS]]
func.func @main(%ids: tensor<?x?xi64>, %k: tensor<?x3x?x4xf32>, %v: tensor<?x3x?x4xf32>)
    -> (tensor<?x?x5xf32>, tensor<?x3x?x4xf32>, tensor<?x3x?x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %ids, %c0 : tensor<?x?xi64>
  %t = tensor.dim %ids, %c1 : tensor<?x?xi64>
  %x = tensor.empty(%b, %t) : tensor<?x?x8xf32>
  %c = tensor.collapse_shape %x [[0, 1], [2]] : tensor<?x?x8xf32> into tensor<?x8xf32>
  %w = arith.constant dense<1.0> : tensor<8x5xf32>
  %bt = arith.muli %b, %t : index
  %z = arith.constant 0.0 : f32
  %e = tensor.empty(%bt) : tensor<?x5xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<?x5xf32>) -> tensor<?x5xf32>
  %y = linalg.matmul ins(%c, %w : tensor<?x8xf32>, tensor<8x5xf32>) outs(%f : tensor<?x5xf32>) -> tensor<?x5xf32>
  %l = tensor.expand_shape %y [[0, 1], [2]] output_shape [%b, %t, 5] : tensor<?x5xf32> into tensor<?x?x5xf32>
  return %l, %k, %v : tensor<?x?x5xf32>, tensor<?x3x?x4xf32>, tensor<?x3x?x4xf32>
}

// -----

// The logits are also used inside the graph (by a tensor.dim here): the
// head stays as it is, and there is no trit_forward_cached_last.
// CHECK-LABEL: func.func private @trit_forward_graph(
// CHECK-SAME: %{{[^:]*}}: tensor<?x3x?x4xf32>) -> (tensor<?x?x5xf32>, tensor<?x3x?x4xf32>, tensor<?x3x?x4xf32>)
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<?x8xf32>, tensor<8x5xf32>)
// CHECK-NOT: tensor.extract_slice
// CHECK-LABEL: func.func @trit_forward_cached(
// CHECK-NOT: trit_forward_cached_last
func.func @main(%ids: tensor<?x?xi64>, %k: tensor<?x3x?x4xf32>, %v: tensor<?x3x?x4xf32>)
    -> (tensor<?x?x5xf32>, tensor<?x3x?x4xf32>, tensor<?x3x?x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %ids, %c0 : tensor<?x?xi64>
  %t = tensor.dim %ids, %c1 : tensor<?x?xi64>
  %x = tensor.empty(%b, %t) : tensor<?x?x8xf32>
  %c = tensor.collapse_shape %x [[0, 1], [2]] : tensor<?x?x8xf32> into tensor<?x8xf32>
  %w = arith.constant dense<1.0> : tensor<8x5xf32>
  %bt = arith.muli %b, %t : index
  %z = arith.constant 0.0 : f32
  %e = tensor.empty(%bt) : tensor<?x5xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<?x5xf32>) -> tensor<?x5xf32>
  %y = linalg.matmul ins(%c, %w : tensor<?x8xf32>, tensor<8x5xf32>) outs(%f : tensor<?x5xf32>) -> tensor<?x5xf32>
  %l = tensor.expand_shape %y [[0, 1], [2]] output_shape [%b, %t, 5] : tensor<?x5xf32> into tensor<?x?x5xf32>
  %s = tensor.dim %l, %c1 : tensor<?x?x5xf32>
  %k2 = tensor.empty(%b, %s) : tensor<?x3x?x4xf32>
  return %l, %k2, %v : tensor<?x?x5xf32>, tensor<?x3x?x4xf32>, tensor<?x3x?x4xf32>
}
