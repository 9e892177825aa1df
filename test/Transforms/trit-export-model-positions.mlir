// RUN: trit-opt %s --split-input-file --trit-export-model | FileCheck %s
// RUN: trit-opt %s --split-input-file --trit-export-model="context-length=8" | FileCheck %s --check-prefix=SHORTER

// A constant table sliced at rows computed from the sequence length (a RoPE
// cache): the model takes at most its 16 rows, the default context.
// CHECK-LABEL: func.func @trit_compiled_context_length() -> i64
// CHECK: arith.constant 16 : i64
// A shorter context is allowed.
// SHORTER-LABEL: func.func @trit_compiled_context_length() -> i64
// SHORTER: arith.constant 8 : i64
func.func @main(%ids: tensor<?x?xi64>) -> tensor<?x?x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %table = arith.constant dense<1.0> : tensor<16x4xf32>
  %b = tensor.dim %ids, %c0 : tensor<?x?xi64>
  %t = tensor.dim %ids, %c1 : tensor<?x?xi64>
  %rows = tensor.extract_slice %table[0, 0] [%t, 4] [1, 1] : tensor<16x4xf32> to tensor<?x4xf32>
  %e = tensor.empty(%b, %t) : tensor<?x?x4xf32>
  %y = linalg.broadcast ins(%rows : tensor<?x4xf32>) outs(%e : tensor<?x?x4xf32>) dimensions = [0]
  return %y : tensor<?x?x4xf32>
}

// -----

// A table gathered at positions computed from sizes (the last position,
// T - 1) bounds the context the same way.
// CHECK-LABEL: func.func @trit_compiled_context_length() -> i64
// CHECK: arith.constant 12 : i64
// SHORTER-LABEL: func.func @trit_compiled_context_length() -> i64
// SHORTER: arith.constant 8 : i64
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @main(%ids: tensor<?x?xi64>) -> tensor<?x?x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %table = arith.constant dense<1.0> : tensor<12x4xf32>
  %b = tensor.dim %ids, %c0 : tensor<?x?xi64>
  %t = tensor.dim %ids, %c1 : tensor<?x?xi64>
  %last = arith.subi %t, %c1 : index
  %e = tensor.empty(%b, %t) : tensor<?x?x4xf32>
  %y = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel", "parallel"]} outs(%e : tensor<?x?x4xf32>) {
  ^bb0(%out: f32):
    %j = linalg.index 2 : index
    %v = tensor.extract %table[%last, %j] : tensor<12x4xf32>
    linalg.yield %v : f32
  } -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// Must not bound: an embedding gathered by token ids (data, not positions)
// and a table sliced at constant rows. The dynamic default stays 4096.
// CHECK-LABEL: func.func @trit_compiled_context_length() -> i64
// CHECK: arith.constant 4096 : i64
#ids = affine_map<(d0, d1, d2) -> (d0, d1)>
#out = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @main(%ids: tensor<?x?xi64>) -> tensor<?x?x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %embed = arith.constant dense<1.0> : tensor<5x4xf32>
  %table = arith.constant dense<1.0> : tensor<16x4xf32>
  %b = tensor.dim %ids, %c0 : tensor<?x?xi64>
  %t = tensor.dim %ids, %c1 : tensor<?x?xi64>
  %e = tensor.empty(%b, %t) : tensor<?x?x4xf32>
  %x = linalg.generic {indexing_maps = [#ids, #out], iterator_types = ["parallel", "parallel", "parallel"]} ins(%ids : tensor<?x?xi64>) outs(%e : tensor<?x?x4xf32>) {
  ^bb0(%id: i64, %out: f32):
    %row = arith.index_cast %id : i64 to index
    %j = linalg.index 2 : index
    %v = tensor.extract %embed[%row, %j] : tensor<5x4xf32>
    linalg.yield %v : f32
  } -> tensor<?x?x4xf32>
  %first = tensor.extract_slice %table[2, 0] [1, 4] [1, 1] : tensor<16x4xf32> to tensor<4xf32>
  %e2 = tensor.empty(%b, %t) : tensor<?x?x4xf32>
  %f = linalg.broadcast ins(%first : tensor<4xf32>) outs(%e2 : tensor<?x?x4xf32>) dimensions = [0, 1]
  %y = arith.addf %x, %f : tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}
