// RUN: not trit-opt %s --split-input-file --trit-export-model 2>&1 | FileCheck %s

// A dynamic sequence length needs the context-length option.
// CHECK: error: trit-export-model: the entry 'main' has a dynamic sequence length and no context-length option was given
func.func @main(%ids: tensor<1x?xi64>) -> tensor<1x?x8xf32> {
  %c1 = arith.constant 1 : index
  %t = tensor.dim %ids, %c1 : tensor<1x?xi64>
  %l = tensor.empty(%t) : tensor<1x?x8xf32>
  return %l : tensor<1x?x8xf32>
}

// -----

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
