// RUN: trit-opt %s | trit-opt | FileCheck %s
// RUN: trit-opt %s --mlir-print-op-generic | trit-opt | FileCheck %s

// Round trip of every trit op, both encodings and both packed layouts.

// CHECK-LABEL: func.func @quantize_weights
func.func @quantize_weights(%w: tensor<64x128xf32>) -> (tensor<64x128xi8, #trit.ternary>, f32) {
  // CHECK: %{{.*}}, %{{.*}} = trit.quantize_weights %{{.*}} : tensor<64x128xf32> -> tensor<64x128xi8, #trit.ternary>
  %wq, %g = trit.quantize_weights %w : tensor<64x128xf32> -> tensor<64x128xi8, #trit.ternary>
  return %wq, %g : tensor<64x128xi8, #trit.ternary>, f32
}

// CHECK-LABEL: func.func @quantize_activations
func.func @quantize_activations(%x: tensor<?x7x128xf32>) -> (tensor<?x7x128xi8>, tensor<?x7xf32>) {
  // CHECK: trit.quantize_activations %{{.*}} : tensor<?x7x128xf32> -> tensor<?x7x128xi8>, tensor<?x7xf32>
  %xq, %s = trit.quantize_activations %x : tensor<?x7x128xf32> -> tensor<?x7x128xi8>, tensor<?x7xf32>
  return %xq, %s : tensor<?x7x128xi8>, tensor<?x7xf32>
}

// CHECK-LABEL: func.func @bitlinear_ternary
func.func @bitlinear_ternary(%x: tensor<?x128xf32>, %w: tensor<64x128xi8, #trit.ternary>, %g: f32) -> tensor<?x64xf32> {
  // CHECK: trit.bitlinear %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x128xf32>, tensor<64x128xi8, #trit.ternary> -> tensor<?x64xf32>
  %y = trit.bitlinear %x, %w, %g : tensor<?x128xf32>, tensor<64x128xi8, #trit.ternary> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// CHECK-LABEL: func.func @bitlinear_packed_3d
func.func @bitlinear_packed_3d(%x: tensor<2x5x130xf32>, %w: tensor<64x64xi8, #trit.packed<tq1>>, %g: f32) -> tensor<2x5x64xf32> {
  // CHECK: trit.bitlinear {{.*}} : tensor<2x5x130xf32>, tensor<64x64xi8, #trit.packed<tq1>> -> tensor<2x5x64xf32>
  %y = trit.bitlinear %x, %w, %g : tensor<2x5x130xf32>, tensor<64x64xi8, #trit.packed<tq1>> -> tensor<2x5x64xf32>
  return %y : tensor<2x5x64xf32>
}

// CHECK-LABEL: func.func @ternary_matmul
func.func @ternary_matmul(%xq: tensor<?x128xi8>, %w: tensor<64x64xi8, #trit.packed<i2>>, %wt: tensor<64x128xi8, #trit.ternary>) -> (tensor<?x64xi32>, tensor<?x64xi32>) {
  // CHECK: trit.ternary_matmul %{{.*}}, %{{.*}} : tensor<?x128xi8>, tensor<64x64xi8, #trit.packed<i2>> -> tensor<?x64xi32>
  %a = trit.ternary_matmul %xq, %w : tensor<?x128xi8>, tensor<64x64xi8, #trit.packed<i2>> -> tensor<?x64xi32>
  // CHECK: trit.ternary_matmul %{{.*}}, %{{.*}} : tensor<?x128xi8>, tensor<64x128xi8, #trit.ternary> -> tensor<?x64xi32>
  %b = trit.ternary_matmul %xq, %wt : tensor<?x128xi8>, tensor<64x128xi8, #trit.ternary> -> tensor<?x64xi32>
  return %a, %b : tensor<?x64xi32>, tensor<?x64xi32>
}

// CHECK-LABEL: func.func @pack_unpack
func.func @pack_unpack(%w: tensor<64x100xi8, #trit.ternary>) -> (tensor<64x100xi8, #trit.ternary>, tensor<64x64xi8, #trit.packed<tq1>>) {
  // CHECK: trit.pack %{{.*}} : tensor<64x100xi8, #trit.ternary> -> tensor<64x64xi8, #trit.packed<i2>>
  %p = trit.pack %w : tensor<64x100xi8, #trit.ternary> -> tensor<64x64xi8, #trit.packed<i2>>
  // CHECK: trit.unpack %{{.*}} : tensor<64x64xi8, #trit.packed<i2>> -> tensor<64x100xi8, #trit.ternary>
  %u = trit.unpack %p : tensor<64x64xi8, #trit.packed<i2>> -> tensor<64x100xi8, #trit.ternary>
  // CHECK: trit.pack %{{.*}} : tensor<64x100xi8, #trit.ternary> -> tensor<64x64xi8, #trit.packed<tq1>>
  %q = trit.pack %u : tensor<64x100xi8, #trit.ternary> -> tensor<64x64xi8, #trit.packed<tq1>>
  return %u, %q : tensor<64x100xi8, #trit.ternary>, tensor<64x64xi8, #trit.packed<tq1>>
}

// CHECK-LABEL: func.func @ternary_constant
func.func @ternary_constant() -> tensor<2x3xi8, #trit.ternary> {
  // CHECK: arith.constant dense<{{\[\[}}1, 0, -1], [0, 0, 1]]> : tensor<2x3xi8, #trit.ternary>
  %w = arith.constant dense<[[1, 0, -1], [0, 0, 1]]> : tensor<2x3xi8, #trit.ternary>
  return %w : tensor<2x3xi8, #trit.ternary>
}

// CHECK-LABEL: func.func @dot_codes
func.func @dot_codes(%acc: vector<16xi32>, %codes: vector<64xi8>, %x: vector<64xi8>) -> vector<16xi32> {
  // CHECK: trit.dot_codes %{{.*}}, %{{.*}}, %{{.*}} : vector<64xi8> into vector<16xi32>
  %r = trit.dot_codes %acc, %codes, %x : vector<64xi8> into vector<16xi32>
  return %r : vector<16xi32>
}
