// RUN: trit-opt %s --split-input-file --trit-pack-weights | FileCheck %s --check-prefixes=CHECK,I2
// RUN: trit-opt %s --split-input-file --trit-pack-weights=layout=tq1 | FileCheck %s --check-prefixes=CHECK,TQ1
// RUN: not trit-opt %s --split-input-file --trit-pack-weights=layout=i3 2>&1 | FileCheck %s --check-prefix=BADLAYOUT

// BADLAYOUT: trit-pack-weights: unknown layout 'i3' (expected 'i2' or 'tq1')

// A dense ternary constant is packed into a dense_resource blob with the
// expected bytes. Each row is one 64-byte block; weight k < 64 sits in slot 0
// of byte k, every other slot is padding (digit 1, weight 0).
// i2, row 0 = [1, 0, -1, 1, 0]: byte = (w + 1) | 1 << 2 | 1 << 4 | 1 << 6,
// so 0x56 0x55 0x54 0x56 0x55, then 59 bytes 0x55.
// tq1: v = (w + 1) * 81 + 40, byte = ceil(v * 256 / 243): 0xD5 0x80 0x2B ...
// CHECK-LABEL: func.func @dense_weight
// CHECK-NOT: dense<
// I2: %[[P:.*]] = arith.constant dense_resource<[[BLOB:trit_packed_[0-9]+]]> : tensor<2x64xi8, #trit.packed<i2>>
// TQ1: %[[P:.*]] = arith.constant dense_resource<[[BLOB:trit_packed_[0-9]+]]> : tensor<2x64xi8, #trit.packed<tq1>>
// CHECK: trit.bitlinear %{{.*}}, %[[P]], %{{.*}} :
// I2: trit_packed_0: "0x010000005655545655555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555545555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555"
// TQ1: trit_packed_0: "0x01000000D5802BD5808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080802B8080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080"
func.func @dense_weight(%x: tensor<3x5xf32>, %g: f32) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1, 0, -1, 1, 0], [0, 0, 0, 0, -1]]> : tensor<2x5xi8, #trit.ternary>
  %y = trit.bitlinear %x, %w, %g : tensor<3x5xf32>, tensor<2x5xi8, #trit.ternary> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// A weight that is not a constant cannot be packed at compile time: the pass
// does not fire.
// CHECK-LABEL: func.func @argument_weight
// CHECK-NOT: dense_resource
// CHECK: trit.bitlinear %{{.*}}, %{{.*}}, %{{.*}} : tensor<3x5xf32>, tensor<2x5xi8, #trit.ternary>
func.func @argument_weight(%x: tensor<3x5xf32>, %w: tensor<2x5xi8, #trit.ternary>, %g: f32) -> tensor<3x2xf32> {
  %y = trit.bitlinear %x, %w, %g : tensor<3x5xf32>, tensor<2x5xi8, #trit.ternary> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// A weight used twice (ternary_matmul and bitlinear) is packed once.
// CHECK-LABEL: func.func @shared_weight
// CHECK-COUNT-1: arith.constant dense_resource
// CHECK-NOT: arith.constant dense_resource
// CHECK: trit.ternary_matmul
// CHECK: trit.bitlinear
func.func @shared_weight(%x: tensor<3x5xf32>, %xq: tensor<3x5xi8>, %g: f32) -> (tensor<3x2xi32>, tensor<3x2xf32>) {
  %w = arith.constant dense<[[1, 0, -1, 1, 0], [0, 0, 0, 0, -1]]> : tensor<2x5xi8, #trit.ternary>
  %a = trit.ternary_matmul %xq, %w : tensor<3x5xi8>, tensor<2x5xi8, #trit.ternary> -> tensor<3x2xi32>
  %y = trit.bitlinear %x, %w, %g : tensor<3x5xf32>, tensor<2x5xi8, #trit.ternary> -> tensor<3x2xf32>
  return %a, %y : tensor<3x2xi32>, tensor<3x2xf32>
}

// -----

// A splat (all zero) weight packs to padding-code bytes.
// I2-LABEL: func.func @splat_weight
// I2: arith.constant dense_resource<{{.*}}> : tensor<4x64xi8, #trit.packed<i2>>
// I2: trit_packed_0: "0x0100000055555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555"
// TQ1-LABEL: func.func @splat_weight
// TQ1: arith.constant dense_resource<{{.*}}> : tensor<4x64xi8, #trit.packed<tq1>>
// TQ1: trit_packed_0: "0x0100000080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080808080"
func.func @splat_weight(%x: tensor<1x3xf32>, %g: f32) -> tensor<1x4xf32> {
  %w = arith.constant dense<0> : tensor<4x3xi8, #trit.ternary>
  %y = trit.bitlinear %x, %w, %g : tensor<1x3xf32>, tensor<4x3xi8, #trit.ternary> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// An already packed weight is left as it is.
// CHECK-LABEL: func.func @packed_already
// CHECK: trit.bitlinear %{{.*}}, %{{.*}}, %{{.*}} : tensor<1x8xf32>, tensor<4x64xi8, #trit.packed<i2>>
func.func @packed_already(%x: tensor<1x8xf32>, %w: tensor<4x64xi8, #trit.packed<i2>>, %g: f32) -> tensor<1x4xf32> {
  %y = trit.bitlinear %x, %w, %g : tensor<1x8xf32>, tensor<4x64xi8, #trit.packed<i2>> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}
