// RUN: trit-opt %s --split-input-file --trit-pack-weights --trit-tile-bitlinear=kernel=dp4a | FileCheck %s
// What the GPU pipeline runs next: quantizations of one input kept once.
// RUN: trit-opt %s --split-input-file --trit-pack-weights --trit-tile-bitlinear=kernel=dp4a --canonicalize --cse | FileCheck %s --check-prefix=SHARED
// RUN: not trit-opt %s --split-input-file --trit-pack-weights=layout=tq1 --trit-tile-bitlinear=kernel=dp4a -o /dev/null 2>&1 | FileCheck %s --check-prefix=TQ1

// The GPU kernel: an i2 BitLinear (K = 8, one 256-value block of 64 bytes
// per row) quantizes the activations per token (absmax) to int8, four to a
// word (zero past K), where it is (so that BitLinears of one input share
// them), and calls the private @__trit_bitlinear_i2_dp4a_4x8 with the
// words, the absmax and the packed weight as little-endian 32-bit words
// (the same blob). The kernel runs an scf.forall over every (token, output
// feature). Each walks the row's 16 words; each word's four 2-bit slots,
// masked with 0x03030303 (50529027), meet a word of four int8 activations
// in one dp4a, unsigned codes times signed activations, while a second
// dp4a with 0x01010101 (16843009) sums the activations. The codes are
// w + 1: the sum is subtracted once, then acc * g / s.
// CHECK-LABEL: func.func @bitlinear
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
// CHECK: %[[W:.*]] = arith.constant dense_resource<trit_packed_0> : tensor<4x16xi32>
// CHECK: %[[G:.*]] = arith.constant 5.000000e-01 : f32
// The per-token absmax.
// CHECK: %[[ABSMAX:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}}ins(%[[X]] : tensor<?x8xf32>)
// CHECK: math.absf
// CHECK: arith.maximumf
// Activations as words of four int8 (s = 127 / max(absmax, eps)).
// CHECK: %[[WORDS:.*]] = linalg.generic {{.*}}ins(%[[ABSMAX]] : tensor<?xf32>) outs(%{{.*}} : tensor<?x64xi32>)
// CHECK: arith.divf
// CHECK: math.roundeven
// CHECK: arith.fptosi {{.*}} : f32 to i8
// CHECK: arith.extui {{.*}} : i8 to i32
// CHECK: arith.shli
// CHECK: linalg.yield %{{.*}} : i32
// CHECK: %[[Y:.*]] = call @__trit_bitlinear_i2_dp4a_4x8(%[[WORDS]], %[[ABSMAX]], %[[W]], %[[G]]) : (tensor<?x64xi32>, tensor<?xf32>, tensor<4x16xi32>, f32) -> tensor<?x4xf32>
// CHECK: return %[[Y]]
// CHECK-LABEL: func.func private @__trit_bitlinear_i2_dp4a_4x8
// CHECK-SAME: (%[[XQ:.*]]: tensor<?x64xi32>, %[[ABSMAXA:.*]]: tensor<?xf32>, %[[WA:.*]]: tensor<4x16xi32>, %[[GA:.*]]: f32) -> tensor<?x4xf32>
// CHECK-NOT: linalg.generic
// CHECK: scf.forall (%[[T:.*]], %[[N:.*]]) in (%{{.*}}, 4) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<?x4xf32>) {
// CHECK-DAG: %[[MASK:.*]] = arith.constant 50529027 : i32
// CHECK-DAG: %[[ONESW:.*]] = arith.constant 16843009 : i32
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG: %[[ONES:.*]] = llvm.bitcast %[[ONESW]] : i32 to vector<4xi8>
// CHECK: %[[LOOP:.*]]:2 = scf.for %[[Q:.*]] = %{{.*}} to %[[C16]] step %{{.*}} iter_args(%[[A0:.*]] = %{{.*}}, %[[S0:.*]] = %{{.*}}) -> (i32, i32) {
// CHECK-NOT: vector.
// CHECK: %[[WORD:.*]] = tensor.extract %[[WA]][%[[N]], %[[Q]]] : tensor<4x16xi32>
// Slot 0: bits 0-1 of each byte.
// CHECK: %[[SH0:.*]] = arith.shrui %[[WORD]], %{{.*}} : i32
// CHECK: %[[CODES0:.*]] = arith.andi %[[SH0]], %[[MASK]] : i32
// CHECK: %[[X0:.*]] = tensor.extract %[[XQ]][%[[T]], %{{.*}}] : tensor<?x64xi32>
// CHECK: %[[XB0:.*]] = llvm.bitcast %[[X0]] : i32 to vector<4xi8>
// CHECK: %[[B0:.*]] = llvm.bitcast %[[CODES0]] : i32 to vector<4xi8>
// CHECK: %[[D0:.*]] = nvvm.dot.accumulate.4way %[[B0]] <unsigned>, %[[XB0]] <signed>, %[[A0]] : vector<4xi8>, vector<4xi8>
// CHECK: %[[E0:.*]] = nvvm.dot.accumulate.4way %[[ONES]] <unsigned>, %[[XB0]] <signed>, %[[S0]] : vector<4xi8>, vector<4xi8>
// Slots 1-3: shifts by 2, 4, 6; activation words 16, 32, 48 further.
// CHECK: %[[C2:.*]] = arith.constant 2 : i32
// CHECK: arith.shrui %[[WORD]], %[[C2]] : i32
// CHECK: arith.constant 16 : index
// CHECK: %[[D1:.*]] = nvvm.dot.accumulate.4way %{{.*}} <unsigned>, %{{.*}} <signed>, %[[D0]]
// CHECK: %[[E1:.*]] = nvvm.dot.accumulate.4way %[[ONES]] <unsigned>, %{{.*}} <signed>, %[[E0]]
// CHECK: %[[C4:.*]] = arith.constant 4 : i32
// CHECK: arith.shrui %[[WORD]], %[[C4]] : i32
// CHECK: arith.constant 32 : index
// CHECK: %[[D2:.*]] = nvvm.dot.accumulate.4way %{{.*}} <unsigned>, %{{.*}} <signed>, %[[D1]]
// CHECK: %[[E2:.*]] = nvvm.dot.accumulate.4way %[[ONES]] <unsigned>, %{{.*}} <signed>, %[[E1]]
// CHECK: %[[C6:.*]] = arith.constant 6 : i32
// CHECK: arith.shrui %[[WORD]], %[[C6]] : i32
// CHECK: arith.constant 48 : index
// CHECK: %[[D3:.*]] = nvvm.dot.accumulate.4way %{{.*}} <unsigned>, %{{.*}} <signed>, %[[D2]]
// CHECK: %[[E3:.*]] = nvvm.dot.accumulate.4way %[[ONES]] <unsigned>, %{{.*}} <signed>, %[[E2]]
// CHECK-NOT: nvvm.dot.accumulate.4way
// CHECK: scf.yield %[[D3]], %[[E3]] : i32, i32
// CHECK: %[[R:.*]] = arith.subi %[[LOOP]]#0, %[[LOOP]]#1 : i32
// CHECK: tensor.extract %[[ABSMAXA]][%[[T]]] : tensor<?xf32>
// CHECK: %[[SCALE:.*]] = arith.divf
// CHECK: %[[F:.*]] = arith.sitofp %[[R]] : i32 to f32
// CHECK: %[[FG:.*]] = arith.mulf %[[F]], %[[GA]] : f32
// CHECK: %[[V:.*]] = arith.divf %[[FG]], %[[SCALE]] : f32
// CHECK: %[[SLOT:.*]] = tensor.extract_slice %[[OUT]][%[[T]], %[[N]]] [1, 1] [1, 1]
// CHECK: %[[ONE:.*]] = tensor.insert %[[V]] into %[[SLOT]]
// CHECK: scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice %[[ONE]] into %[[OUT]][%[[T]], %[[N]]] [1, 1] [1, 1] : tensor<1x1xf32> into tensor<?x4xf32>
func.func @bitlinear(%x: tensor<?x8xf32>) -> tensor<?x4xf32> {
  // TQ1: error: 'trit.bitlinear' op the dp4a kernel takes the i2 layout only, not tq1
  %w = arith.constant dense<[[1, 0, -1, 0, 1, 1, 0, -1], [0, 1, 1, -1, 0, 0, 1, 0],
                             [-1, 0, 0, 1, 1, -1, 0, 1], [1, 1, 0, 0, -1, 0, 1, 1]]> : tensor<4x8xi8, #trit.ternary>
  %g = arith.constant 0.5 : f32
  %y = trit.bitlinear %x, %w, %g : tensor<?x8xf32>, tensor<4x8xi8, #trit.ternary> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// Two blocks (K = 300: 512 padded values, 128 bytes a row): 32 words of
// weights, 128 of activations. Two
// ops of the same shape share one kernel; a rank-3 input is collapsed to
// [M, K] for the call. Both BitLinears read the same input: after CSE
// (the pipeline runs it next) one absmax and one set of words serve both.
// CHECK-LABEL: func.func @two_blocks
// CHECK: call @__trit_bitlinear_i2_dp4a_2x300({{.*}}) : (tensor<?x128xi32>, tensor<?xf32>, tensor<2x32xi32>, f32) -> tensor<?x2xf32>
// CHECK: call @__trit_bitlinear_i2_dp4a_2x300({{.*}}) : (tensor<?x128xi32>, tensor<?xf32>, tensor<2x32xi32>, f32) -> tensor<?x2xf32>
// SHARED-LABEL: func.func @two_blocks
// SHARED: %[[AMAX:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// SHARED: %[[WORDS:.*]] = linalg.generic
// SHARED-NOT: linalg.generic
// SHARED: call @__trit_bitlinear_i2_dp4a_2x300(%[[WORDS]], %[[AMAX]], {{.*}})
// SHARED-NOT: linalg.generic
// SHARED: call @__trit_bitlinear_i2_dp4a_2x300(%[[WORDS]], %[[AMAX]], {{.*}})
// SHARED-LABEL: func.func private @__trit_bitlinear_i2_dp4a_2x300
// CHECK-LABEL: func.func private @__trit_bitlinear_i2_dp4a_2x300
// CHECK-SAME: tensor<?x128xi32>
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (%{{.*}}, 2)
// CHECK: %[[C32:.*]] = arith.constant 32 : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[C32]]
// CHECK-COUNT-8: nvvm.dot.accumulate.4way
// CHECK-NOT: nvvm.dot.accumulate.4way
// CHECK-NOT: func.func private @__trit_bitlinear
func.func @two_blocks(%x: tensor<1x?x300xf32>, %g: f32) -> (tensor<1x?x2xf32>, tensor<1x?x2xf32>) {
  %w = arith.constant dense<1> : tensor<2x300xi8, #trit.ternary>
  %w2 = arith.constant dense<-1> : tensor<2x300xi8, #trit.ternary>
  // TQ1: error: 'trit.bitlinear' op the dp4a kernel takes the i2 layout only, not tq1
  %y = trit.bitlinear %x, %w, %g : tensor<1x?x300xf32>, tensor<2x300xi8, #trit.ternary> -> tensor<1x?x2xf32>
  %z = trit.bitlinear %x, %w2, %g : tensor<1x?x300xf32>, tensor<2x300xi8, #trit.ternary> -> tensor<1x?x2xf32>
  return %y, %z : tensor<1x?x2xf32>, tensor<1x?x2xf32>
}

// -----

// ternary_matmul (int8 activations, no scale): int32 sums, not rescaled.
// CHECK-LABEL: func.func @ternary_matmul
// CHECK: call @__trit_ternary_matmul_i2_dp4a_3x128({{.*}}) : (tensor<?x128xi8>, tensor<3x16xi32>) -> tensor<?x3xi32>
// CHECK-LABEL: func.func private @__trit_ternary_matmul_i2_dp4a_3x128
// CHECK-NOT: math.roundeven
// CHECK: scf.forall
// CHECK: nvvm.dot.accumulate.4way
// CHECK: arith.subi
// CHECK-NOT: arith.sitofp
// CHECK-NOT: arith.divf
// CHECK: tensor.insert %{{.*}} : tensor<1x1xi32>
func.func @ternary_matmul(%x: tensor<5x128xi8>) -> tensor<5x3xi32> {
  %w = arith.constant dense<1> : tensor<3x128xi8, #trit.ternary>
  // TQ1: error: 'trit.ternary_matmul' op the dp4a kernel takes the i2 layout only, not tq1
  %a = trit.ternary_matmul %x, %w : tensor<5x128xi8>, tensor<3x128xi8, #trit.ternary> -> tensor<5x3xi32>
  return %a : tensor<5x3xi32>
}
