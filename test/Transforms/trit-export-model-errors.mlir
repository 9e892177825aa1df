// RUN: not trit-opt %s --split-input-file --trit-export-model 2>&1 | FileCheck %s

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
