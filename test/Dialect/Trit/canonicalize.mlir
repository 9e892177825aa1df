// RUN: trit-opt %s --canonicalize --split-input-file | FileCheck %s

// unpack(pack(w)) folds to w.
// CHECK-LABEL: func.func @unpack_of_pack
// CHECK-SAME: (%[[W:.*]]: tensor<8x9xi8, #trit.ternary>)
// CHECK-NOT: {{trit\.(un)?pack }}
// CHECK: return %[[W]]
func.func @unpack_of_pack(%w: tensor<8x9xi8, #trit.ternary>) -> tensor<8x9xi8, #trit.ternary> {
  %p = trit.pack %w : tensor<8x9xi8, #trit.ternary> -> tensor<8x64xi8, #trit.packed<i2>>
  %u = trit.unpack %p : tensor<8x64xi8, #trit.packed<i2>> -> tensor<8x9xi8, #trit.ternary>
  return %u : tensor<8x9xi8, #trit.ternary>
}

// -----

// pack(unpack(p)) folds to p when the layout is the same.
// CHECK-LABEL: func.func @pack_of_unpack
// CHECK-SAME: (%[[P:.*]]: tensor<8x64xi8, #trit.packed<tq1>>)
// CHECK-NOT: {{trit\.(un)?pack }}
// CHECK: return %[[P]]
func.func @pack_of_unpack(%p: tensor<8x64xi8, #trit.packed<tq1>>) -> tensor<8x64xi8, #trit.packed<tq1>> {
  %u = trit.unpack %p : tensor<8x64xi8, #trit.packed<tq1>> -> tensor<8x9xi8, #trit.ternary>
  %q = trit.pack %u : tensor<8x9xi8, #trit.ternary> -> tensor<8x64xi8, #trit.packed<tq1>>
  return %q : tensor<8x64xi8, #trit.packed<tq1>>
}

// -----

// Repacking into another layout is a real conversion: it must not fold.
// CHECK-LABEL: func.func @repack_other_layout
// CHECK: %[[U:.*]] = trit.unpack
// CHECK: %[[Q:.*]] = trit.pack %[[U]]
// CHECK: return %[[Q]]
func.func @repack_other_layout(%p: tensor<8x64xi8, #trit.packed<tq1>>) -> tensor<8x64xi8, #trit.packed<i2>> {
  %u = trit.unpack %p : tensor<8x64xi8, #trit.packed<tq1>> -> tensor<8x9xi8, #trit.ternary>
  %q = trit.pack %u : tensor<8x9xi8, #trit.ternary> -> tensor<8x64xi8, #trit.packed<i2>>
  return %q : tensor<8x64xi8, #trit.packed<i2>>
}

// -----

// A pack whose result is unused goes away (ops are pure).
// CHECK-LABEL: func.func @dead_pack
// CHECK-NOT: trit.pack
func.func @dead_pack(%w: tensor<8x9xi8, #trit.ternary>) {
  %p = trit.pack %w : tensor<8x9xi8, #trit.ternary> -> tensor<8x64xi8, #trit.packed<i2>>
  return
}
