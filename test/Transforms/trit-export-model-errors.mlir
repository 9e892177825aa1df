// RUN: not trit-opt %s --split-input-file --trit-export-model 2>&1 | FileCheck %s
// RUN: not trit-opt %s --split-input-file --trit-export-model=context-length=32 2>&1 | FileCheck %s --check-prefix=LONGER

// Two public functions and no @main: which one is the model?
// CHECK: error: trit-export-model: no function 'main' and 2 public functions to choose from; name the model's forward function with entry=
func.func @a(%ids: tensor<1x4xi64>) -> tensor<1x4x8xf32> {
  %l = tensor.empty() : tensor<1x4x8xf32>
  return %l : tensor<1x4x8xf32>
}
func.func @b(%ids: tensor<1x4xi64>) -> tensor<1x4x8xf32> {
  %l = tensor.empty() : tensor<1x4x8xf32>
  return %l : tensor<1x4x8xf32>
}

// -----

// A cache tensor needs static heads and head_dim.
// CHECK: error: trit-export-model: the entry 'main' has a cache tensor of type tensor<1x?x?x4xf32>, not tensor<batch x heads x length x head_dim x f32> with static heads and head_dim
func.func @main(%ids: tensor<1x4xi64>, %k: tensor<1x?x?x4xf32>) -> (tensor<1x4x8xf32>, tensor<1x?x?x4xf32>) {
  %l = tensor.empty() : tensor<1x4x8xf32>
  return %l, %k : tensor<1x4x8xf32>, tensor<1x?x?x4xf32>
}

// -----

// All cache tensors share heads and head_dim.
// CHECK: error: trit-export-model: the entry 'main' has cache tensors of different heads or head_dim
func.func @main(%ids: tensor<1x4xi64>, %k: tensor<1x2x?x4xf32>, %v: tensor<1x2x?x8xf32>) -> (tensor<1x4x8xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x8xf32>) {
  %l = tensor.empty() : tensor<1x4x8xf32>
  return %l, %k, %v : tensor<1x4x8xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x8xf32>
}

// -----

// A context longer than the rows of a position table the graph reads.
// LONGER: error: trit-export-model: the entry 'main' has position tables for 16 tokens, it cannot take a context length of 32
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
