// RUN: trit-opt %s --split-input-file --trit-tile-bitlinear="tile-n=4 tile-rows=2 tile-tokens=2" | FileCheck %s
// RUN: trit-opt %s --split-input-file --trit-tile-bitlinear | FileCheck %s --check-prefix=DEFAULT
// RUN: trit-opt %s --split-input-file --trit-tile-bitlinear=kernel=dot | FileCheck %s --check-prefix=DOT

// i2 BitLinear, batch dynamic, K = 130 padded to one 256-value block: the
// activations are quantized per token into a zero-padded i16 buffer, an
// scf.forall covers 6 rows in tiles of 4, and the block loop adds and
// subtracts activations (a 64-byte block as two 32-lane halves) under masks
// tested from the packed bytes, with no multiplication anywhere in its body.
// The op becomes a call of a kernel function that takes the weight without
// its encoding.
// CHECK-LABEL: func.func @bitlinear_i2
// CHECK-SAME: (%[[ARG:.*]]: tensor<?x130xf32>, %[[PACKED:.*]]: tensor<6x64xi8, #trit.packed<i2>>, %[[SCALE:.*]]: f32)
// CHECK: %[[PLAIN:.*]] = tensor.cast %[[PACKED]] : tensor<6x64xi8, #trit.packed<i2>> to tensor<6x64xi8>
// CHECK: %[[RES:.*]] = call @__trit_bitlinear_i2_addsub_6x130(%[[ARG]], %[[PLAIN]], %[[SCALE]]) : (tensor<?x130xf32>, tensor<6x64xi8>, f32) -> tensor<?x6xf32>
// CHECK: return %[[RES]]
// CHECK-LABEL: func.func private @__trit_bitlinear_i2_addsub_6x130
// CHECK-SAME: (%[[X:.*]]: tensor<?x130xf32>, %[[W:.*]]: tensor<6x64xi8>, %[[G:.*]]: f32) -> tensor<?x6xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}}ins(%[[X]]
// CHECK: math.absf
// CHECK: arith.maximumf
// CHECK: linalg.generic
// CHECK: arith.divf
// CHECK: linalg.generic
// CHECK: math.roundeven
// CHECK: arith.fptosi {{.*}} : f32 to i16
// CHECK: %[[XQ:.*]] = tensor.insert_slice {{.*}} : tensor<?x130xi16> into tensor<?x256xi16>
// CHECK: scf.forall (%{{.*}}) in (2) shared_outs
// CHECK: scf.for {{.*}} -> (index, index, vector<32xi16>, vector<32xi16>, vector<32xi16>, vector<32xi16>)
// CHECK-NOT: arith.muli
// CHECK: vector.transfer_read %[[W]]{{.*}} : tensor<6x64xi8>, vector<32xi8>
// CHECK-NOT: arith.muli
// CHECK: arith.andi {{.*}} : vector<32xi8>
// CHECK-NOT: arith.muli
// CHECK: arith.cmpi ne
// CHECK-NOT: arith.muli
// CHECK: arith.cmpi eq
// CHECK-NOT: arith.muli
// CHECK: vector.transfer_read %[[XQ]]{{.*}} : tensor<?x256xi16>, vector<32xi16>
// CHECK-NOT: arith.muli
// CHECK: arith.addi {{.*}} : vector<32xi16>
// CHECK-NOT: arith.muli
// CHECK: arith.select
// CHECK-NOT: arith.muli
// CHECK: arith.subi {{.*}} : vector<32xi16>
// CHECK-NOT: arith.muli
// CHECK: scf.yield {{.*}} : index, index, vector<32xi16>, vector<32xi16>, vector<32xi16>, vector<32xi16>
// CHECK: arith.extsi {{.*}} : vector<32xi16> to vector<32xi32>
// CHECK: vector.reduction <add>
// CHECK: arith.sitofp
// CHECK: arith.mulf %{{.*}}, %[[G]]
// CHECK: arith.divf
// CHECK: tensor.insert
// CHECK: tensor.parallel_insert_slice
// DEFAULT-LABEL: func.func private @__trit_bitlinear_i2_addsub_6x130
// DEFAULT: scf.forall (%{{.*}}) in (1) shared_outs
func.func @bitlinear_i2(%x: tensor<?x130xf32>, %w: tensor<6x64xi8, #trit.packed<i2>>, %g: f32) -> tensor<?x6xf32> {
  %y = trit.bitlinear %x, %w, %g : tensor<?x130xf32>, tensor<6x64xi8, #trit.packed<i2>> -> tensor<?x6xf32>
  return %y : tensor<?x6xf32>
}

// -----

// tq1: digits come from byte additions (x3) and unsigned compares; still no
// multiplication in the block loop.
// CHECK-LABEL: func.func @bitlinear_tq1
// CHECK: call @__trit_bitlinear_tq1_addsub_3x160
// CHECK-LABEL: func.func private @__trit_bitlinear_tq1_addsub_3x160
// CHECK: scf.for {{.*}} -> (index, index, vector<32xi16>
// CHECK-NOT: arith.muli
// CHECK: arith.cmpi uge, %{{.*}}, %{{.*}} : vector<32xi8>
// CHECK-NOT: arith.muli
// CHECK: arith.cmpi ult, %{{.*}}, %{{.*}} : vector<32xi8>
// CHECK-NOT: arith.muli
// CHECK: arith.addi %{{.*}}, %{{.*}} : vector<32xi8>
// CHECK-NOT: arith.muli
// CHECK: scf.yield {{.*}} : index, index, vector<32xi16>
func.func @bitlinear_tq1(%x: tensor<1x160xf32>, %w: tensor<3x64xi8, #trit.packed<tq1>>, %g: f32) -> tensor<1x3xf32> {
  %y = trit.bitlinear %x, %w, %g : tensor<1x160xf32>, tensor<3x64xi8, #trit.packed<tq1>> -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// -----

// ternary_matmul: int8 activations are only sign-extended (no
// quantization) and the int32 sums are stored without a rescale.
// CHECK-LABEL: func.func @ternary_matmul
// CHECK: call @__trit_ternary_matmul_i2_addsub_7x128({{.*}}) : (tensor<?x128xi8>, tensor<7x64xi8>) -> tensor<?x7xi32>
// CHECK-LABEL: func.func private @__trit_ternary_matmul_i2_addsub_7x128
// CHECK-NOT: math.roundeven
// CHECK: arith.extsi {{.*}} : i8 to i16
// CHECK: scf.forall
// CHECK-NOT: arith.sitofp
// CHECK: tensor.insert {{.*}} : tensor<?x?xi32>
func.func @ternary_matmul(%x: tensor<5x128xi8>, %w: tensor<7x64xi8, #trit.packed<i2>>) -> tensor<5x7xi32> {
  %a = trit.ternary_matmul %x, %w : tensor<5x128xi8>, tensor<7x64xi8, #trit.packed<i2>> -> tensor<5x7xi32>
  return %a : tensor<5x7xi32>
}

// -----

// A rank-3 input is collapsed to [tokens, K] and the result expanded back.
// CHECK-LABEL: func.func @bitlinear_rank3
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<2x?x128xf32> into tensor<?x128xf32>
// CHECK: call @__trit_bitlinear_i2_addsub_4x128
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2]] output_shape [2, %{{.*}}, 4] : tensor<?x4xf32> into tensor<2x?x4xf32>
func.func @bitlinear_rank3(%x: tensor<2x?x128xf32>, %w: tensor<4x64xi8, #trit.packed<i2>>, %g: f32) -> tensor<2x?x4xf32> {
  %y = trit.bitlinear %x, %w, %g : tensor<2x?x128xf32>, tensor<4x64xi8, #trit.packed<i2>> -> tensor<2x?x4xf32>
  return %y : tensor<2x?x4xf32>
}

// -----

// A rank-1 input is one token.
// CHECK-LABEL: func.func @bitlinear_rank1
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1]] output_shape [1, 128] : tensor<128xf32> into tensor<1x128xf32>
// CHECK: call @__trit_bitlinear_i2_addsub_4x128
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1]] : tensor<1x4xf32> into tensor<4xf32>
func.func @bitlinear_rank1(%x: tensor<128xf32>, %w: tensor<4x64xi8, #trit.packed<i2>>, %g: f32) -> tensor<4xf32> {
  %y = trit.bitlinear %x, %w, %g : tensor<128xf32>, tensor<4x64xi8, #trit.packed<i2>> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// quantize_activations on its own becomes the absmax reduction, the scale
// and the rounding, producing i8.
// CHECK-LABEL: func.func @quantize_activations
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: math.roundeven
// CHECK: arith.fptosi {{.*}} : f32 to i8
// CHECK-NOT: trit.quantize_activations
func.func @quantize_activations(%x: tensor<2x3x8xf32>) -> (tensor<2x3x8xi8>, tensor<2x3xf32>) {
  %q, %s = trit.quantize_activations %x : tensor<2x3x8xf32> -> tensor<2x3x8xi8>, tensor<2x3xf32>
  return %q, %s : tensor<2x3x8xi8>, tensor<2x3xf32>
}

// -----

// Nothing to lower: the function is left alone.
// CHECK-LABEL: func.func @no_trit
// CHECK-NEXT: arith.addf
// CHECK-NEXT: return
func.func @no_trit(%a: tensor<4xf32>) -> tensor<4xf32> {
  %b = arith.addf %a, %a : tensor<4xf32>
  return %b : tensor<4xf32>
}

// -----

// kernel=dot: int8 activations padded to whole blocks, a per-token sum of
// them, and one trit.dot_codes per (token, row) and slot on the codes
// shifted down and masked; the sum of the activations is subtracted.
// DOT-LABEL: func.func @bitlinear_dot
// DOT: call @__trit_bitlinear_i2_dot_2x200
// DOT-LABEL: func.func private @__trit_bitlinear_i2_dot_2x200
// DOT: arith.fptosi {{.*}} : f32 to i8
// DOT: %[[XQ:.*]] = tensor.insert_slice {{.*}} into tensor<?x256xi8>
// DOT: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}}ins(%[[XQ]]
// DOT: arith.extsi {{.*}} : i8 to i32
// DOT: scf.for
// DOT: arith.andi {{.*}} : vector<64xi8>
// DOT: trit.dot_codes {{.*}} : vector<64xi8> into vector<16xi32>
// DOT: arith.shrui {{.*}} : vector<64xi8>
// DOT: arith.andi {{.*}} : vector<64xi8>
// DOT: trit.dot_codes {{.*}} : vector<64xi8> into vector<16xi32>
// DOT: scf.yield
// DOT: vector.reduction <add>
// DOT: arith.subi
// DOT: arith.sitofp
func.func @bitlinear_dot(%x: tensor<1x200xf32>, %w: tensor<2x64xi8, #trit.packed<i2>>, %g: f32) -> tensor<1x2xf32> {
  %y = trit.bitlinear %x, %w, %g : tensor<1x200xf32>, tensor<2x64xi8, #trit.packed<i2>> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Ops of one shape share one kernel function; another shape gets its own.
// CHECK-LABEL: func.func @shared_kernels
// CHECK: call @__trit_bitlinear_i2_addsub_8x64(
// CHECK: call @__trit_bitlinear_i2_addsub_8x64(
// CHECK: call @__trit_bitlinear_i2_addsub_3x8(
// CHECK-COUNT-2: func.func private @__trit_bitlinear_i2_addsub_
// CHECK-NOT: func.func private
func.func @shared_kernels(%x: tensor<1x64xf32>, %w: tensor<8x64xi8, #trit.packed<i2>>, %v: tensor<3x64xi8, #trit.packed<i2>>, %g: f32) -> tensor<1x3xf32> {
  %a = trit.bitlinear %x, %w, %g : tensor<1x64xf32>, tensor<8x64xi8, #trit.packed<i2>> -> tensor<1x8xf32>
  %b = trit.bitlinear %x, %w, %g : tensor<1x64xf32>, tensor<8x64xi8, #trit.packed<i2>> -> tensor<1x8xf32>
  %c = arith.addf %a, %b : tensor<1x8xf32>
  %d = trit.bitlinear %c, %v, %g : tensor<1x8xf32>, tensor<3x64xi8, #trit.packed<i2>> -> tensor<1x3xf32>
  return %d : tensor<1x3xf32>
}

// -----

// A static rank-3 input: the kernel's dynamic [?, N] result is cast back to
// the call site's static [8, N] before it is expanded to [1, 8, N].
// CHECK-LABEL: func.func @static_rank3
// CHECK: %[[R:.*]] = call @__trit_bitlinear_i2_addsub_4x64
// CHECK: %[[S:.*]] = tensor.cast %[[R]] : tensor<?x4xf32> to tensor<8x4xf32>
// CHECK: tensor.expand_shape %[[S]] {{\[\[}}0, 1], [2]] output_shape [1, 8, 4] : tensor<8x4xf32> into tensor<1x8x4xf32>
func.func @static_rank3(%x: tensor<1x8x64xf32>, %w: tensor<4x64xi8, #trit.packed<i2>>, %g: f32) -> tensor<1x8x4xf32> {
  %y = trit.bitlinear %x, %w, %g : tensor<1x8x64xf32>, tensor<4x64xi8, #trit.packed<i2>> -> tensor<1x8x4xf32>
  return %y : tensor<1x8x4xf32>
}
