// RUN: trit-opt %s --split-input-file --verify-diagnostics

// quantize_weights: the weight must be a matrix.
func.func @qw_rank(%w: tensor<2x64x128xf32>) {
  // expected-error @+1 {{'trit.quantize_weights' op weight must be a 2-D tensor [N, K], got rank 3}}
  %wq, %g = trit.quantize_weights %w : tensor<2x64x128xf32> -> tensor<2x64x128xi8, #trit.ternary>
  return
}

// -----

// quantize_weights: result shape follows the weight.
func.func @qw_shape(%w: tensor<64x128xf32>) {
  // expected-error @+1 {{'trit.quantize_weights' op result shape must match the weight shape}}
  %wq, %g = trit.quantize_weights %w : tensor<64x128xf32> -> tensor<64x127xi8, #trit.ternary>
  return
}

// -----

// quantize_weights: the result must be tagged ternary.
func.func @qw_encoding(%w: tensor<64x128xf32>) {
  // expected-error @+1 {{'trit.quantize_weights' op result must carry the #trit.ternary encoding}}
  %wq, %g = trit.quantize_weights %w : tensor<64x128xf32> -> tensor<64x128xi8>
  return
}

// -----

// quantize_weights: the input is plain float.
func.func @qw_input_encoding(%w: tensor<4x4xf32, #trit.ternary>) {
  // expected-error @+1 {{'trit.quantize_weights' op weight must be a plain float tensor}}
  %wq, %g = trit.quantize_weights %w : tensor<4x4xf32, #trit.ternary> -> tensor<4x4xi8, #trit.ternary>
  return
}

// -----

// quantize_weights: only f32 weights (ODS type constraint).
func.func @qw_element_type(%w: tensor<4x4xf16>) {
  // expected-error @+1 {{'trit.quantize_weights' op operand #0 must be ranked tensor of 32-bit float values}}
  %wq, %g = "trit.quantize_weights"(%w) : (tensor<4x4xf16>) -> (tensor<4x4xi8, #trit.ternary>, f32)
  return
}

// -----

// quantize_activations: a scalar has no tokens.
func.func @qa_rank(%x: tensor<f32>) {
  // expected-error @+1 {{'trit.quantize_activations' op input must have at least one dimension}}
  %xq, %s = trit.quantize_activations %x : tensor<f32> -> tensor<i8>, tensor<f32>
  return
}

// -----

// quantize_activations: activations carry no encoding.
func.func @qa_encoding(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'trit.quantize_activations' op operands and results must not carry an encoding}}
  %xq, %s = trit.quantize_activations %x : tensor<4x8xf32> -> tensor<4x8xi8, #trit.ternary>, tensor<4xf32>
  return
}

// -----

// quantize_activations: quantized shape follows the input.
func.func @qa_shape(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'trit.quantize_activations' op quantized result shape must match the input shape}}
  %xq, %s = trit.quantize_activations %x : tensor<4x8xf32> -> tensor<4x9xi8>, tensor<4xf32>
  return
}

// -----

// quantize_activations: one scale per token.
func.func @qa_scale(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'trit.quantize_activations' op scale must have the input shape without its last dimension}}
  %xq, %s = trit.quantize_activations %x : tensor<4x8xf32> -> tensor<4x8xi8>, tensor<4x1xf32>
  return
}

// -----

// bitlinear: the weight must be a matrix.
func.func @bl_weight_rank(%x: tensor<4x8xf32>, %w: tensor<8xi8, #trit.ternary>, %g: f32) {
  // expected-error @+1 {{'trit.bitlinear' op weight must be a 2-D tensor [N, K], got rank 1}}
  %y = trit.bitlinear %x, %w, %g : tensor<4x8xf32>, tensor<8xi8, #trit.ternary> -> tensor<4x8xf32>
  return
}

// -----

// bitlinear: K of the weight and the activations agree.
func.func @bl_k(%x: tensor<4x8xf32>, %w: tensor<16x9xi8, #trit.ternary>, %g: f32) {
  // expected-error @+1 {{'trit.bitlinear' op weight has 9 input features but the activations have 8}}
  %y = trit.bitlinear %x, %w, %g : tensor<4x8xf32>, tensor<16x9xi8, #trit.ternary> -> tensor<4x16xf32>
  return
}

// -----

// bitlinear: a packed weight must hold exactly K values per row.
func.func @bl_packed_bytes(%x: tensor<4x130xf32>, %w: tensor<16x32xi8, #trit.packed<i2>>, %g: f32) {
  // expected-error @+1 {{'trit.bitlinear' op packed weight has 32 bytes per row but 130 input features need 64 in layout 'i2'}}
  %y = trit.bitlinear %x, %w, %g : tensor<4x130xf32>, tensor<16x32xi8, #trit.packed<i2>> -> tensor<4x16xf32>
  return
}

// -----

// bitlinear: a plain i8 tensor is not a ternary weight.
func.func @bl_plain_weight(%x: tensor<4x8xf32>, %w: tensor<16x8xi8>, %g: f32) {
  // expected-error @+1 {{'trit.bitlinear' op weight must carry the #trit.ternary or #trit.packed encoding}}
  %y = trit.bitlinear %x, %w, %g : tensor<4x8xf32>, tensor<16x8xi8> -> tensor<4x16xf32>
  return
}

// -----

// bitlinear: a scalar input has no features.
func.func @bl_input_rank(%x: tensor<f32>, %w: tensor<16x8xi8, #trit.ternary>, %g: f32) {
  // expected-error @+1 {{'trit.bitlinear' op input must have at least one dimension}}
  %y = trit.bitlinear %x, %w, %g : tensor<f32>, tensor<16x8xi8, #trit.ternary> -> tensor<16xf32>
  return
}

// -----

// bitlinear: the result keeps the input's rank.
func.func @bl_result_rank(%x: tensor<4x8xf32>, %w: tensor<16x8xi8, #trit.ternary>, %g: f32) {
  // expected-error @+1 {{'trit.bitlinear' op result rank 3 differs from input rank 2}}
  %y = trit.bitlinear %x, %w, %g : tensor<4x8xf32>, tensor<16x8xi8, #trit.ternary> -> tensor<1x4x16xf32>
  return
}

// -----

// bitlinear: leading (token) dimensions pass through.
func.func @bl_leading(%x: tensor<4x8xf32>, %w: tensor<16x8xi8, #trit.ternary>, %g: f32) {
  // expected-error @+1 {{'trit.bitlinear' op result leading dimensions must match the input's}}
  %y = trit.bitlinear %x, %w, %g : tensor<4x8xf32>, tensor<16x8xi8, #trit.ternary> -> tensor<5x16xf32>
  return
}

// -----

// bitlinear: N comes from the weight.
func.func @bl_n(%x: tensor<4x8xf32>, %w: tensor<16x8xi8, #trit.ternary>, %g: f32) {
  // expected-error @+1 {{'trit.bitlinear' op result has 17 output features but the weight has 16}}
  %y = trit.bitlinear %x, %w, %g : tensor<4x8xf32>, tensor<16x8xi8, #trit.ternary> -> tensor<4x17xf32>
  return
}

// -----

// bitlinear: activations are f32 (ODS type constraint).
func.func @bl_f16(%x: tensor<4x8xf16>, %w: tensor<16x8xi8, #trit.ternary>, %g: f32) {
  // expected-error @+1 {{'trit.bitlinear' op operand #0 must be ranked tensor of 32-bit float values}}
  %y = "trit.bitlinear"(%x, %w, %g) : (tensor<4x8xf16>, tensor<16x8xi8, #trit.ternary>, f32) -> tensor<4x16xf32>
  return
}

// -----

// ternary_matmul: lhs is [M, K].
func.func @tm_rank(%x: tensor<2x4x8xi8>, %w: tensor<16x8xi8, #trit.ternary>) {
  // expected-error @+1 {{'trit.ternary_matmul' op lhs must be a 2-D tensor [M, K], got rank 3}}
  %a = trit.ternary_matmul %x, %w : tensor<2x4x8xi8>, tensor<16x8xi8, #trit.ternary> -> tensor<4x16xi32>
  return
}

// -----

// ternary_matmul: lhs is plain int8.
func.func @tm_lhs_encoding(%x: tensor<4x8xi8, #trit.ternary>, %w: tensor<16x8xi8, #trit.ternary>) {
  // expected-error @+1 {{'trit.ternary_matmul' op lhs must be a plain int8 tensor}}
  %a = trit.ternary_matmul %x, %w : tensor<4x8xi8, #trit.ternary>, tensor<16x8xi8, #trit.ternary> -> tensor<4x16xi32>
  return
}

// -----

// ternary_matmul: result is [M, N].
func.func @tm_result(%x: tensor<4x8xi8>, %w: tensor<16x64xi8, #trit.packed<i2>>) {
  // expected-error @+1 {{'trit.ternary_matmul' op result must be [M, N] = [4, 16]}}
  %a = trit.ternary_matmul %x, %w : tensor<4x8xi8>, tensor<16x64xi8, #trit.packed<i2>> -> tensor<16x4xi32>
  return
}

// -----

// ternary_matmul: the weight's K agrees with lhs.
func.func @tm_k(%x: tensor<4x8xi8>, %w: tensor<16x7xi8, #trit.ternary>) {
  // expected-error @+1 {{'trit.ternary_matmul' op weight has 7 input features but the activations have 8}}
  %a = trit.ternary_matmul %x, %w : tensor<4x8xi8>, tensor<16x7xi8, #trit.ternary> -> tensor<4x16xi32>
  return
}

// -----

// pack: matrices only.
func.func @pack_rank(%w: tensor<8xi8, #trit.ternary>) {
  // expected-error @+1 {{'trit.pack' op operand and result must be 2-D tensors}}
  %p = trit.pack %w : tensor<8xi8, #trit.ternary> -> tensor<1x2xi8, #trit.packed<i2>>
  return
}

// -----

// pack: the input must be tagged ternary.
func.func @pack_input(%w: tensor<4x8xi8>) {
  // expected-error @+1 {{'trit.pack' op input must carry the #trit.ternary encoding}}
  %p = trit.pack %w : tensor<4x8xi8> -> tensor<4x2xi8, #trit.packed<i2>>
  return
}

// -----

// pack: the result must name a layout.
func.func @pack_result(%w: tensor<4x8xi8, #trit.ternary>) {
  // expected-error @+1 {{'trit.pack' op result must carry the #trit.packed encoding}}
  %p = trit.pack %w : tensor<4x8xi8, #trit.ternary> -> tensor<4x2xi8>
  return
}

// -----

// pack: rows are preserved.
func.func @pack_rows(%w: tensor<4x8xi8, #trit.ternary>) {
  // expected-error @+1 {{'trit.pack' op operand and result must have the same rows}}
  %p = trit.pack %w : tensor<4x8xi8, #trit.ternary> -> tensor<5x2xi8, #trit.packed<i2>>
  return
}

// -----

// pack: tq1 holds five values per byte.
func.func @pack_bytes(%w: tensor<4x11xi8, #trit.ternary>) {
  // expected-error @+1 {{'trit.pack' op packed tensor has 2 bytes per row but 11 values need 64 in layout 'tq1'}}
  %p = trit.pack %w : tensor<4x11xi8, #trit.ternary> -> tensor<4x2xi8, #trit.packed<tq1>>
  return
}

// -----

// unpack: the input must name a layout.
func.func @unpack_input(%p: tensor<4x2xi8>) {
  // expected-error @+1 {{'trit.unpack' op input must carry the #trit.packed encoding}}
  %w = trit.unpack %p : tensor<4x2xi8> -> tensor<4x8xi8, #trit.ternary>
  return
}

// -----

// unpack: the result must be tagged ternary.
func.func @unpack_result(%p: tensor<4x2xi8, #trit.packed<i2>>) {
  // expected-error @+1 {{'trit.unpack' op result must carry the #trit.ternary encoding}}
  %w = trit.unpack %p : tensor<4x2xi8, #trit.packed<i2>> -> tensor<4x8xi8>
  return
}

// -----

// unpack: K must need exactly the bytes there are.
func.func @unpack_k(%p: tensor<4x32xi8, #trit.packed<i2>>) {
  // expected-error @+1 {{'trit.unpack' op packed tensor has 32 bytes per row but 129 values need 64 in layout 'i2'}}
  %w = trit.unpack %p : tensor<4x32xi8, #trit.packed<i2>> -> tensor<4x129xi8, #trit.ternary>
  return
}

// -----

// #trit.packed names a known layout.
// expected-error @+2 {{expected ::mlir::trit::PackedLayout to be one of: i2, tq1}}
// expected-error @+1 {{failed to parse Trit_PackedEncodingAttr parameter 'layout'}}
func.func @bad_layout(%p: tensor<4x2xi8, #trit.packed<i3>>) {
  return
}

// -----

// dot_codes: four code bytes per accumulator lane.
func.func @dot_codes_lanes(%acc: vector<8xi32>, %codes: vector<64xi8>, %x: vector<64xi8>) {
  // expected-error @+1 {{'trit.dot_codes' op needs four code bytes per accumulator lane, got 64 bytes for 8 lanes}}
  %r = trit.dot_codes %acc, %codes, %x : vector<64xi8> into vector<8xi32>
  return
}

// -----

// dot_codes: codes and activations have one type (ODS constraint).
func.func @dot_codes_types(%acc: vector<16xi32>, %codes: vector<64xi8>, %x: vector<32xi8>) {
  // expected-error @+1 {{'trit.dot_codes' op failed to verify that all of {codes, activations} have same type}}
  %r = "trit.dot_codes"(%acc, %codes, %x) : (vector<16xi32>, vector<64xi8>, vector<32xi8>) -> vector<16xi32>
  return
}
