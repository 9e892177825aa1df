// RUN: trit-opt %s --split-input-file --trit-fuse-quantization | FileCheck %s

// Expected ternary bytes and scales were worked out by hand (see each case)
// and cross-checked with an independent numpy float32 evaluation of the same
// graphs. A blob is "0x01000000" (alignment 1) followed by one byte per
// weight, row-major in trit's [N, K] layout: 01 = +1, 00 = 0, FF = -1.

// Training-style export: the absmean chain on a constant W[N=4, K=6] (PyTorch
// layout) with its STE pair, transposed to [K, N], times the activation chain
// with its STE pair. sum |W| = 12, so g = 0.5 and 1/g = 2; W * 2 hits the
// ties 0.5 and 1.5, which roundeven sends to 0 and 2 (round half away from
// zero would give 1 for 0.5):
//   row 0 = [0.25, -0.25, 0.75, -0.75, 1, 0] * 2 -> [0, 0, 1, -1, 1, 0]
//   row 1 = [0.5, -0.5, 0.125, 2, -1.5, 0.375] * 2 -> [1, -1, 0, 1, -1, 1]
//   row 2 = [0, 0.25, -0.625, 0, 0.5, -0.625] * 2 -> [0, 0, -1, 0, 1, -1]
//   row 3 = [0.25, 0.25, -0.5, 0.5, 0, 0.5] * 2 -> [0, 0, -1, 1, 0, 1]
// and the dequantized weight is {-1, 0, 1} / 2, so the scale is 0.5. Every op
// of both chains is gone afterwards.
// CHECK-LABEL: func.func @training_style(
// CHECK-SAME: %[[X:.*]]: tensor<2x6xf32>)
// CHECK-NEXT: %[[W:.*]] = arith.constant dense_resource<[[BLOB:trit_ternary_[0-9]+]]> : tensor<4x6xi8, #trit.ternary>
// CHECK-NEXT: %[[G:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT: %[[Y:.*]] = trit.bitlinear %[[X]], %[[W]], %[[G]] : tensor<2x6xf32>, tensor<4x6xi8, #trit.ternary> -> tensor<2x4xf32>
// CHECK-NEXT: return %[[Y]] : tensor<2x4xf32>
// CHECK: [[BLOB]]: "0x01000000000001FF010001FF0001FF010000FF0001FF0000FF010001"
func.func @training_style(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %q = arith.divf %c, %sb : tensor<2x6xf32>
  %d = arith.subf %q, %x : tensor<2x6xf32>
  %xq = arith.addf %x, %d : tensor<2x6xf32>
  %w = arith.constant dense<[[0.25, -0.25, 0.75, -0.75, 1.0, 0.0],
                             [0.5, -0.5, 0.125, 2.0, -1.5, 0.375],
                             [0.0, 0.25, -0.625, 0.0, 0.5, -0.625],
                             [0.25, 0.25, -0.5, 0.5, 0.0, 0.5]]> : tensor<4x6xf32>
  %wabs = math.absf %w : tensor<4x6xf32>
  %fzero = arith.constant 0.000000e+00 : f32
  %e2 = tensor.empty() : tensor<f32>
  %sum0 = linalg.fill ins(%fzero : f32) outs(%e2 : tensor<f32>) -> tensor<f32>
  %sum = linalg.reduce { arith.addf } ins(%wabs : tensor<4x6xf32>) outs(%sum0 : tensor<f32>) dimensions = [0, 1]
  %count = arith.constant dense<2.400000e+01> : tensor<f32>
  %mean = arith.divf %sum, %count : tensor<f32>
  %weps = arith.constant dense<1.000000e-05> : tensor<f32>
  %g = arith.maximumf %mean, %weps : tensor<f32>
  %one = arith.constant dense<1.000000e+00> : tensor<f32>
  %ig = arith.divf %one, %g : tensor<f32>
  %e3 = tensor.empty() : tensor<4x6xf32>
  %igb = linalg.broadcast ins(%ig : tensor<f32>) outs(%e3 : tensor<4x6xf32>) dimensions = [0, 1]
  %ws = arith.mulf %w, %igb : tensor<4x6xf32>
  %wr = math.roundeven %ws : tensor<4x6xf32>
  %wlo = arith.constant dense<-1.000000e+00> : tensor<4x6xf32>
  %whi = arith.constant dense<1.000000e+00> : tensor<4x6xf32>
  %wc0 = arith.maximumf %wr, %wlo : tensor<4x6xf32>
  %wc = arith.minimumf %wc0, %whi : tensor<4x6xf32>
  %u = arith.divf %wc, %igb : tensor<4x6xf32>
  %wd = arith.subf %u, %w : tensor<4x6xf32>
  %wste = arith.addf %w, %wd : tensor<4x6xf32>
  %e4 = tensor.empty() : tensor<6x4xf32>
  %wt = linalg.transpose ins(%wste : tensor<4x6xf32>) outs(%e4 : tensor<6x4xf32>) permutation = [1, 0]
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%xq, %wt : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// The absmean sum is the correctly rounded sum, not a sequential f32 one:
// W = [1, 22 x 2^-24, w = 0x3CAE4C49 (0.021276610)]. Summed left to right in
// f32 every 2^-24 is lost (1 + 2^-24 rounds to 1), giving 1/g = 23.5 and
// w / g = 0.50000036 -> 1; the exact sum 1.0212779 gives 1/g = 23.49997 and
// w / g = 0.49999967 -> 0. So the ternary weight is 1 at [0, 0] and 0
// elsewhere, and the scale 1 / 23.49997 = 0.042553246.
// CHECK-LABEL: func.func @absmean_sum_rounding(
// CHECK-SAME: %[[X:.*]]: tensor<2x6xf32>)
// CHECK-NEXT: %[[W:.*]] = arith.constant dense_resource<[[BLOB:trit_ternary_[0-9]+]]> : tensor<4x6xi8, #trit.ternary>
// CHECK-NEXT: %[[G:.*]] = arith.constant 0.042553246 : f32
// CHECK-NEXT: %[[Y:.*]] = trit.bitlinear %[[X]], %[[W]], %[[G]]
// CHECK: [[BLOB]]: "0x01000000010000000000000000000000000000000000000000000000"
func.func @absmean_sum_rounding(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %q = arith.divf %c, %sb : tensor<2x6xf32>
  %d = arith.subf %q, %x : tensor<2x6xf32>
  %xq = arith.addf %x, %d : tensor<2x6xf32>
  %w = arith.constant dense<[[1.0, 5.9604644775390625e-08, 5.9604644775390625e-08, 5.9604644775390625e-08, 5.9604644775390625e-08, 5.9604644775390625e-08],
                             [5.9604644775390625e-08, 5.9604644775390625e-08, 5.9604644775390625e-08, 5.9604644775390625e-08, 5.9604644775390625e-08, 5.9604644775390625e-08],
                             [5.9604644775390625e-08, 5.9604644775390625e-08, 5.9604644775390625e-08, 5.9604644775390625e-08, 5.9604644775390625e-08, 5.9604644775390625e-08],
                             [5.9604644775390625e-08, 5.9604644775390625e-08, 5.9604644775390625e-08, 5.9604644775390625e-08, 5.9604644775390625e-08, 0.02127660997211933]]> : tensor<4x6xf32>
  %wabs = math.absf %w : tensor<4x6xf32>
  %fzero = arith.constant 0.000000e+00 : f32
  %e2 = tensor.empty() : tensor<f32>
  %sum0 = linalg.fill ins(%fzero : f32) outs(%e2 : tensor<f32>) -> tensor<f32>
  %sum = linalg.reduce { arith.addf } ins(%wabs : tensor<4x6xf32>) outs(%sum0 : tensor<f32>) dimensions = [0, 1]
  %count = arith.constant dense<2.400000e+01> : tensor<f32>
  %mean = arith.divf %sum, %count : tensor<f32>
  %weps = arith.constant dense<1.000000e-05> : tensor<f32>
  %g = arith.maximumf %mean, %weps : tensor<f32>
  %one = arith.constant dense<1.000000e+00> : tensor<f32>
  %ig = arith.divf %one, %g : tensor<f32>
  %e3 = tensor.empty() : tensor<4x6xf32>
  %igb = linalg.broadcast ins(%ig : tensor<f32>) outs(%e3 : tensor<4x6xf32>) dimensions = [0, 1]
  %ws = arith.mulf %w, %igb : tensor<4x6xf32>
  %wr = math.roundeven %ws : tensor<4x6xf32>
  %wlo = arith.constant dense<-1.000000e+00> : tensor<4x6xf32>
  %whi = arith.constant dense<1.000000e+00> : tensor<4x6xf32>
  %wc0 = arith.maximumf %wr, %wlo : tensor<4x6xf32>
  %wc = arith.minimumf %wc0, %whi : tensor<4x6xf32>
  %u = arith.divf %wc, %igb : tensor<4x6xf32>
  %e4 = tensor.empty() : tensor<6x4xf32>
  %wt = linalg.transpose ins(%u : tensor<4x6xf32>) outs(%e4 : tensor<6x4xf32>) permutation = [1, 0]
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%xq, %wt : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Inference-style export: a ternary-valued float W[K=6, N=4] and the scale
// 0.25 applied after the MatMul; no STE. The ternary weight is W transposed:
//   column 0 = [1, 0, -1, 1, 0, -1], column 1 = [0, 1, -1, 0, 0, 1],
//   column 2 = [-1, 1, 0, 0, 1, 0], column 3 = [0, -1, 0, 1, 1, -1];
// the scale is 1 * 0.25.
// CHECK-LABEL: func.func @inference_style(
// CHECK-SAME: %[[X:.*]]: tensor<2x6xf32>)
// CHECK-NEXT: %[[W:.*]] = arith.constant dense_resource<[[BLOB:trit_ternary_[0-9]+]]> : tensor<4x6xi8, #trit.ternary>
// CHECK-NEXT: %[[G:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-NEXT: %[[Y:.*]] = trit.bitlinear %[[X]], %[[W]], %[[G]] : tensor<2x6xf32>, tensor<4x6xi8, #trit.ternary> -> tensor<2x4xf32>
// CHECK-NEXT: return %[[Y]] : tensor<2x4xf32>
// CHECK: [[BLOB]]: "0x010000000100FF0100FF0001FF000001FF010000010000FF000101FF"
func.func @inference_style(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %q = arith.divf %c, %sb : tensor<2x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%q, %w : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  %scale = arith.constant dense<2.500000e-01> : tensor<2x4xf32>
  %z = arith.mulf %y, %scale : tensor<2x4xf32>
  return %z : tensor<2x4xf32>
}

// -----

// Inference-style export as PyTorch writes it: the ternary values come from
// the absmean chain of training_style's W (without the STE pair), and the
// scale after the MatMul is computed from the same chain, 1 / (1 / g): the
// weight's evaluation and the rescale's share the scalar g = 0.5 (evaluated
// once). Same ternary bytes as training_style; the scale is 1 * 0.5.
// CHECK-LABEL: func.func @inference_computed_scale(
// CHECK-SAME: %[[X:.*]]: tensor<2x6xf32>)
// CHECK-NEXT: %[[W:.*]] = arith.constant dense_resource<[[BLOB:trit_ternary_[0-9]+]]> : tensor<4x6xi8, #trit.ternary>
// CHECK-NEXT: %[[G:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT: %[[Y:.*]] = trit.bitlinear %[[X]], %[[W]], %[[G]] : tensor<2x6xf32>, tensor<4x6xi8, #trit.ternary> -> tensor<2x4xf32>
// CHECK-NEXT: return %[[Y]] : tensor<2x4xf32>
// CHECK: [[BLOB]]: "0x01000000000001FF010001FF0001FF010000FF0001FF0000FF010001"
func.func @inference_computed_scale(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %q = arith.divf %c, %sb : tensor<2x6xf32>
  %w = arith.constant dense<[[0.25, -0.25, 0.75, -0.75, 1.0, 0.0],
                             [0.5, -0.5, 0.125, 2.0, -1.5, 0.375],
                             [0.0, 0.25, -0.625, 0.0, 0.5, -0.625],
                             [0.25, 0.25, -0.5, 0.5, 0.0, 0.5]]> : tensor<4x6xf32>
  %wabs = math.absf %w : tensor<4x6xf32>
  %fzero = arith.constant 0.000000e+00 : f32
  %e2 = tensor.empty() : tensor<f32>
  %sum0 = linalg.fill ins(%fzero : f32) outs(%e2 : tensor<f32>) -> tensor<f32>
  %sum = linalg.reduce { arith.addf } ins(%wabs : tensor<4x6xf32>) outs(%sum0 : tensor<f32>) dimensions = [0, 1]
  %count = arith.constant dense<2.400000e+01> : tensor<f32>
  %mean = arith.divf %sum, %count : tensor<f32>
  %weps = arith.constant dense<1.000000e-05> : tensor<f32>
  %g = arith.maximumf %mean, %weps : tensor<f32>
  %one = arith.constant dense<1.000000e+00> : tensor<f32>
  %ig = arith.divf %one, %g : tensor<f32>
  %e3 = tensor.empty() : tensor<4x6xf32>
  %igb = linalg.broadcast ins(%ig : tensor<f32>) outs(%e3 : tensor<4x6xf32>) dimensions = [0, 1]
  %ws = arith.mulf %w, %igb : tensor<4x6xf32>
  %wr = math.roundeven %ws : tensor<4x6xf32>
  %wlo = arith.constant dense<-1.000000e+00> : tensor<4x6xf32>
  %whi = arith.constant dense<1.000000e+00> : tensor<4x6xf32>
  %wc0 = arith.maximumf %wr, %wlo : tensor<4x6xf32>
  %wc = arith.minimumf %wc0, %whi : tensor<4x6xf32>
  %e4 = tensor.empty() : tensor<6x4xf32>
  %wt = linalg.transpose ins(%wc : tensor<4x6xf32>) outs(%e4 : tensor<6x4xf32>) permutation = [1, 0]
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%q, %wt : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  %rescale = arith.divf %one, %ig : tensor<f32>
  %e6 = tensor.empty() : tensor<2x4xf32>
  %rb = linalg.broadcast ins(%rescale : tensor<f32>) outs(%e6 : tensor<2x4xf32>) dimensions = [0, 1]
  %z = arith.mulf %y, %rb : tensor<2x4xf32>
  return %z : tensor<2x4xf32>
}

// -----

// The unscaled matmul result has another use (a negf, before the mulf), so
// the rescale cannot be folded into the scale: the bitlinear (scale 1)
// replaces the matmul and the mulf stays.
// CHECK-LABEL: func.func @rescale_input_also_used(
// CHECK-SAME: %[[X:.*]]: tensor<2x6xf32>)
// CHECK-DAG: %[[W:.*]] = arith.constant dense_resource<[[BLOB:trit_ternary_[0-9]+]]> : tensor<4x6xi8, #trit.ternary>
// CHECK-DAG: %[[G:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[Y:.*]] = trit.bitlinear %[[X]], %[[W]], %[[G]] :
// CHECK-NEXT: %[[N:.*]] = arith.negf %[[Y]] : tensor<2x4xf32>
// CHECK: %[[Z:.*]] = arith.mulf %[[Y]], %{{.*}} : tensor<2x4xf32>
// CHECK-NEXT: return %[[N]], %[[Z]]
// CHECK: [[BLOB]]: "0x010000000100FF0100FF0001FF000001FF010000010000FF000101FF"
func.func @rescale_input_also_used(%x: tensor<2x6xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %q = arith.divf %c, %sb : tensor<2x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%q, %w : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  %n = arith.negf %y : tensor<2x4xf32>
  %scale = arith.constant dense<2.500000e-01> : tensor<2x4xf32>
  %z = arith.mulf %y, %scale : tensor<2x4xf32>
  return %n, %z : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// Dequantized export (constant folding ran over the absmean chain): a
// dense_resource f32 W[K=6, N=4] with exactly the values {-1/32, 0, 1/32}
// (bytes 0000003D and 000000BD), rows
//   [0, 1, 0, -1], [1, 1, 0, 0], [-1, 0, 0, 1], [0, -1, 1, 0],
//   [1, 0, -1, -1], [0, 0, 1, 0]   (times 1/32),
// so the columns are [0, 1, -1, 0, 1, 0], [1, 1, 0, -1, 0, 0],
// [0, 0, 0, 1, -1, 1], [-1, 0, 1, 0, -1, 0] and the scale is 1/32.
// CHECK-LABEL: func.func @dequantized(
// CHECK-SAME: %[[X:.*]]: tensor<2x6xf32>)
// CHECK-NEXT: %[[W:.*]] = arith.constant dense_resource<[[BLOB:trit_ternary_[0-9]+]]> : tensor<4x6xi8, #trit.ternary>
// CHECK-NEXT: %[[G:.*]] = arith.constant 3.125000e-02 : f32
// CHECK-NEXT: %[[Y:.*]] = trit.bitlinear %[[X]], %[[W]], %[[G]] : tensor<2x6xf32>, tensor<4x6xi8, #trit.ternary> -> tensor<2x4xf32>
// CHECK-NEXT: return %[[Y]] : tensor<2x4xf32>
// CHECK: [[BLOB]]: "0x010000000001FF000100010100FF000000000001FF01FF000100FF00"
func.func @dequantized(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %q = arith.divf %c, %sb : tensor<2x6xf32>
  %d = arith.subf %q, %x : tensor<2x6xf32>
  %xq = arith.addf %x, %d : tensor<2x6xf32>
  %w = arith.constant dense_resource<dequantized_weight> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%xq, %w : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      dequantized_weight: "0x04000000000000000000003D00000000000000BD0000003D0000003D0000000000000000000000BD00000000000000000000003D00000000000000BD0000003D000000000000003D00000000000000BD000000BD00000000000000000000003D00000000"
    }
  }
#-}

// -----

// An exporter that folded the STE pair w + (u - w) of a small weight leaves
// an ulp of noise around +-u: 0.50000006 (0x3F000001) and -0.49999997
// (0x3EFFFFFF) count as +-0.5, the most frequent magnitude; the signs are
// those of @dequantized's weight (scale 0.5 instead of 1/32).
// CHECK-LABEL: func.func @dequantized_folded_ste(
// CHECK-SAME: %[[X:.*]]: tensor<2x6xf32>)
// CHECK-NEXT: %[[W:.*]] = arith.constant dense_resource<[[BLOB:trit_ternary_[0-9]+]]> : tensor<4x6xi8, #trit.ternary>
// CHECK-NEXT: %[[G:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT: %[[Y:.*]] = trit.bitlinear %[[X]], %[[W]], %[[G]] : tensor<2x6xf32>, tensor<4x6xi8, #trit.ternary> -> tensor<2x4xf32>
// CHECK-NEXT: return %[[Y]] : tensor<2x4xf32>
// CHECK: [[BLOB]]: "0x010000000001FF000100010100FF000000000001FF01FF000100FF00"
func.func @dequantized_folded_ste(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %q = arith.divf %c, %sb : tensor<2x6xf32>
  %d = arith.subf %q, %x : tensor<2x6xf32>
  %xq = arith.addf %x, %d : tensor<2x6xf32>
  %w = arith.constant dense<[[0.0, 0.5, 0.0, -0.5], [0.5, 0.50000006, 0.0, 0.0],
                             [-0.49999997, 0.0, 0.0, 0.5], [0.0, -0.5, 0.5, 0.0],
                             [0.5, 0.0, -0.5, -0.5], [0.0, 0.0, 0.5, 0.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%xq, %w : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Must not fire: 0.50002 is 4e-5 (relative) away from 0.5, past the 2^-16
// that a folded STE pair's rounding can leave.
// CHECK-LABEL: func.func @near_ternary_past_tolerance(
// CHECK-NOT: trit.bitlinear
// CHECK-NOT: dense_resource
// CHECK: math.roundeven
// CHECK: linalg.matmul
// CHECK-NOT: trit.bitlinear
func.func @near_ternary_past_tolerance(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %q = arith.divf %c, %sb : tensor<2x6xf32>
  %d = arith.subf %q, %x : tensor<2x6xf32>
  %xq = arith.addf %x, %d : tensor<2x6xf32>
  %w = arith.constant dense<[[0.0, 0.5, 0.0, -0.5], [0.5, 0.50002, 0.0, 0.0],
                             [-0.5, 0.0, 0.0, 0.5], [0.0, -0.5, 0.5, 0.0],
                             [0.5, 0.0, -0.5, -0.5], [0.0, 0.0, 0.5, 0.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%xq, %w : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// The STE pair on the weight means its forward value: w + (u - w) is u, a
// ternary-valued {-1/2, 0, 1/2} constant (the inference weight above times
// 1/2), although in f32 0.7 + (-0.5 - 0.7) is -0.50000006, not -0.5
// (evaluated literally, the weight would have four distinct values and the
// pass would not fire).
// CHECK-LABEL: func.func @ste_weight_pair(
// CHECK-SAME: %[[X:.*]]: tensor<2x6xf32>)
// CHECK-NEXT: %[[W:.*]] = arith.constant dense_resource<[[BLOB:trit_ternary_[0-9]+]]> : tensor<4x6xi8, #trit.ternary>
// CHECK-NEXT: %[[G:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT: %[[Y:.*]] = trit.bitlinear %[[X]], %[[W]], %[[G]] : tensor<2x6xf32>, tensor<4x6xi8, #trit.ternary> -> tensor<2x4xf32>
// CHECK-NEXT: return %[[Y]] : tensor<2x4xf32>
// CHECK: [[BLOB]]: "0x010000000100FF0100FF0001FF000001FF010000010000FF000101FF"
func.func @ste_weight_pair(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %q = arith.divf %c, %sb : tensor<2x6xf32>
  %d = arith.subf %q, %x : tensor<2x6xf32>
  %xq = arith.addf %x, %d : tensor<2x6xf32>
  %w = arith.constant dense<7.000000e-01> : tensor<6x4xf32>
  %u = arith.constant dense<[[0.5, 0.0, -0.5, 0.0], [0.0, 0.5, 0.5, -0.5],
                             [-0.5, -0.5, 0.0, 0.0], [0.5, 0.0, 0.0, 0.5],
                             [0.0, 0.0, 0.5, 0.5], [-0.5, 0.5, 0.0, -0.5]]> : tensor<6x4xf32>
  %wd = arith.subf %u, %w : tensor<6x4xf32>
  %wste = arith.addf %w, %wd : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%xq, %wste : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// One activation chain feeds two matmuls (q and k projections share the
// normalized input in PyTorch exports): both become bitlinears on the same
// %x, and the chain goes once neither matmul uses it. Wq is the inference
// weight above (scale 1), Wk the dequantized one with 1/2 instead of 1/32.
// CHECK-LABEL: func.func @shared_activation(
// CHECK-SAME: %[[X:.*]]: tensor<2x6xf32>)
// CHECK-NOT: math.
// CHECK-DAG: %[[WQ:.*]] = arith.constant dense_resource<[[BQ:trit_ternary_[0-9]+]]> : tensor<4x6xi8, #trit.ternary>
// CHECK-DAG: %[[WK:.*]] = arith.constant dense_resource<[[BK:trit_ternary_[0-9]+]]> : tensor<4x6xi8, #trit.ternary>
// CHECK-DAG: %[[GQ:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[GK:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-DAG: %[[YQ:.*]] = trit.bitlinear %[[X]], %[[WQ]], %[[GQ]] :
// CHECK-DAG: %[[YK:.*]] = trit.bitlinear %[[X]], %[[WK]], %[[GK]] :
// CHECK-NOT: linalg.
// CHECK: return %[[YQ]], %[[YK]]
// CHECK-DAG: [[BQ]]: "0x010000000100FF0100FF0001FF000001FF010000010000FF000101FF"
// CHECK-DAG: [[BK]]: "0x010000000001FF000100010100FF000000000001FF01FF000100FF00"
func.func @shared_activation(%x: tensor<2x6xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %q = arith.divf %c, %sb : tensor<2x6xf32>
  %d = arith.subf %q, %x : tensor<2x6xf32>
  %xq = arith.addf %x, %d : tensor<2x6xf32>
  %wq = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                              [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                              [0.0, 0.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %wk = arith.constant dense<[[0.0, 0.5, 0.0, -0.5], [0.5, 0.5, 0.0, 0.0],
                              [-0.5, 0.0, 0.0, 0.5], [0.0, -0.5, 0.5, 0.0],
                              [0.5, 0.0, -0.5, -0.5], [0.0, 0.0, 0.5, 0.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %yq = linalg.matmul ins(%xq, %wq : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  %yk = linalg.matmul ins(%xq, %wk : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %yq, %yk : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// A rank-3 activation [B=2, T=3, K=6]: the chain runs on rank 3, the
// quantized activation is collapsed to [6, 6] for the matmul and the result
// expanded back to [2, 3, 4], then divided by 4. The dequantization
// broadcasts s a second time and the STE pair has its operands the other way
// round. The bitlinear takes the rank-3 %x; W is the inference weight above
// and the scale 1 / 4.
// CHECK-LABEL: func.func @rank3(
// CHECK-SAME: %[[X:.*]]: tensor<2x3x6xf32>)
// CHECK-NEXT: %[[W:.*]] = arith.constant dense_resource<[[BLOB:trit_ternary_[0-9]+]]> : tensor<4x6xi8, #trit.ternary>
// CHECK-NEXT: %[[G:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-NEXT: %[[Y:.*]] = trit.bitlinear %[[X]], %[[W]], %[[G]] : tensor<2x3x6xf32>, tensor<4x6xi8, #trit.ternary> -> tensor<2x3x4xf32>
// CHECK-NEXT: return %[[Y]] : tensor<2x3x4xf32>
// CHECK: [[BLOB]]: "0x010000000100FF0100FF0001FF000001FF010000010000FF000101FF"
func.func @rank3(%x: tensor<2x3x6xf32>) -> tensor<2x3x4xf32> {
  %abs = math.absf %x : tensor<2x3x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2x3xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x3x6xf32>) outs(%init : tensor<2x3xf32>) dimensions = [2]
  %maxk = tensor.expand_shape %max [[0], [1, 2]] output_shape [2, 3, 1] : tensor<2x3xf32> into tensor<2x3x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x3x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x3x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x3x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x3x1xf32>
  %s1 = tensor.collapse_shape %s [[0], [1, 2]] : tensor<2x3x1xf32> into tensor<2x3xf32>
  %e1 = tensor.empty() : tensor<2x3x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2x3xf32>) outs(%e1 : tensor<2x3x6xf32>) dimensions = [2]
  %xs = arith.mulf %x, %sb : tensor<2x3x6xf32>
  %r = math.roundeven %xs : tensor<2x3x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x3x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x3x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x3x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x3x6xf32>
  %s2 = tensor.collapse_shape %s [[0], [1, 2]] : tensor<2x3x1xf32> into tensor<2x3xf32>
  %sb2 = linalg.broadcast ins(%s2 : tensor<2x3xf32>) outs(%e1 : tensor<2x3x6xf32>) dimensions = [2]
  %q = arith.divf %c, %sb2 : tensor<2x3x6xf32>
  %d = arith.subf %q, %x : tensor<2x3x6xf32>
  %xq = arith.addf %d, %x : tensor<2x3x6xf32>
  %x2 = tensor.collapse_shape %xq [[0, 1], [2]] : tensor<2x3x6xf32> into tensor<6x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<6x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<6x4xf32>) -> tensor<6x4xf32>
  %y2 = linalg.matmul ins(%x2, %w : tensor<6x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<6x4xf32>) -> tensor<6x4xf32>
  %y = tensor.expand_shape %y2 [[0, 1], [2]] output_shape [2, 3, 4] : tensor<6x4xf32> into tensor<2x3x4xf32>
  %four = arith.constant dense<4.000000e+00> : tensor<2x3x4xf32>
  %z = arith.divf %y, %four : tensor<2x3x4xf32>
  return %z : tensor<2x3x4xf32>
}

// -----

// The same rank-3 graph, but the [6, 4] matmul result is also returned as
// it is, so the expand_shape cannot be folded into the bitlinear: the
// bitlinear takes %x collapsed to [6, 6] and replaces the matmul; the
// expand_shape and the division stay.
// CHECK-LABEL: func.func @rank3_flat_result_used(
// CHECK-SAME: %[[X:.*]]: tensor<2x3x6xf32>)
// CHECK-DAG: %[[W:.*]] = arith.constant dense_resource<[[BLOB:trit_ternary_[0-9]+]]> : tensor<4x6xi8, #trit.ternary>
// CHECK-DAG: %[[X2:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<2x3x6xf32> into tensor<6x6xf32>
// CHECK-DAG: %[[G:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[Y2:.*]] = trit.bitlinear %[[X2]], %[[W]], %[[G]] : tensor<6x6xf32>, tensor<4x6xi8, #trit.ternary> -> tensor<6x4xf32>
// CHECK-NEXT: %[[Y:.*]] = tensor.expand_shape %[[Y2]]
// CHECK: %[[Z:.*]] = arith.divf %[[Y]],
// CHECK-NEXT: return %[[Y2]], %[[Z]]
// CHECK: [[BLOB]]: "0x010000000100FF0100FF0001FF000001FF010000010000FF000101FF"
func.func @rank3_flat_result_used(%x: tensor<2x3x6xf32>) -> (tensor<6x4xf32>, tensor<2x3x4xf32>) {
  %abs = math.absf %x : tensor<2x3x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2x3xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x3x6xf32>) outs(%init : tensor<2x3xf32>) dimensions = [2]
  %maxk = tensor.expand_shape %max [[0], [1, 2]] output_shape [2, 3, 1] : tensor<2x3xf32> into tensor<2x3x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x3x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x3x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x3x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x3x1xf32>
  %s1 = tensor.collapse_shape %s [[0], [1, 2]] : tensor<2x3x1xf32> into tensor<2x3xf32>
  %e1 = tensor.empty() : tensor<2x3x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2x3xf32>) outs(%e1 : tensor<2x3x6xf32>) dimensions = [2]
  %xs = arith.mulf %x, %sb : tensor<2x3x6xf32>
  %r = math.roundeven %xs : tensor<2x3x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x3x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x3x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x3x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x3x6xf32>
  %s2 = tensor.collapse_shape %s [[0], [1, 2]] : tensor<2x3x1xf32> into tensor<2x3xf32>
  %sb2 = linalg.broadcast ins(%s2 : tensor<2x3xf32>) outs(%e1 : tensor<2x3x6xf32>) dimensions = [2]
  %q = arith.divf %c, %sb2 : tensor<2x3x6xf32>
  %d = arith.subf %q, %x : tensor<2x3x6xf32>
  %xq = arith.addf %d, %x : tensor<2x3x6xf32>
  %x2 = tensor.collapse_shape %xq [[0, 1], [2]] : tensor<2x3x6xf32> into tensor<6x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<6x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<6x4xf32>) -> tensor<6x4xf32>
  %y2 = linalg.matmul ins(%x2, %w : tensor<6x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<6x4xf32>) -> tensor<6x4xf32>
  %y = tensor.expand_shape %y2 [[0, 1], [2]] output_shape [2, 3, 4] : tensor<6x4xf32> into tensor<2x3x4xf32>
  %four = arith.constant dense<4.000000e+00> : tensor<2x3x4xf32>
  %z = arith.divf %y, %four : tensor<2x3x4xf32>
  return %y2, %z : tensor<6x4xf32>, tensor<2x3x4xf32>
}

// -----

// A rank-3 activation with a dynamic batch [?, 3, 6] feeding two matmuls.
// The first expands its result with the batch size read off %x by
// tensor.dim, so it becomes a rank-3 bitlinear on %x; the second expands
// with an unrelated size %n, which need not split the rows as %x does, so
// its bitlinear takes %x collapsed to [?, 6] and the expand_shape stays.
// CHECK-LABEL: func.func @rank3_dynamic(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x3x6xf32>, %[[N:.*]]: index)
// CHECK-NOT: math.
// CHECK-DAG: %[[W:.*]] = arith.constant dense_resource<[[BLOB:trit_ternary_[0-9]+]]> : tensor<4x6xi8, #trit.ternary>
// CHECK-DAG: %[[G:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[Y:.*]] = trit.bitlinear %[[X]], %[[W]], %[[G]] : tensor<?x3x6xf32>, tensor<4x6xi8, #trit.ternary> -> tensor<?x3x4xf32>
// CHECK-DAG: %[[X2:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<?x3x6xf32> into tensor<?x6xf32>
// CHECK-DAG: %[[Y2:.*]] = trit.bitlinear %[[X2]], %[[W]], %{{.*}} : tensor<?x6xf32>, tensor<4x6xi8, #trit.ternary> -> tensor<?x4xf32>
// CHECK-DAG: %[[Z:.*]] = tensor.expand_shape %[[Y2]] {{\[}}[0, 1], [2]] output_shape [%[[N]], 3, 4]
// CHECK-NOT: linalg.
// CHECK: return %[[Y]], %[[Z]]
// CHECK: [[BLOB]]: "0x010000000100FF0100FF0001FF000001FF010000010000FF000101FF"
func.func @rank3_dynamic(%x: tensor<?x3x6xf32>, %n: index) -> (tensor<?x3x4xf32>, tensor<?x3x4xf32>) {
  %c0 = arith.constant 0 : index
  %b = tensor.dim %x, %c0 : tensor<?x3x6xf32>
  %abs = math.absf %x : tensor<?x3x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty(%b) : tensor<?x3xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<?x3xf32>) -> tensor<?x3xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<?x3x6xf32>) outs(%init : tensor<?x3xf32>) dimensions = [2]
  %maxk = tensor.expand_shape %max [[0], [1, 2]] output_shape [%b, 3, 1] : tensor<?x3xf32> into tensor<?x3x1xf32>
  %ek = tensor.empty(%b) : tensor<?x3x1xf32>
  %eps0 = arith.constant dense<1.000000e-05> : tensor<f32>
  %eps = linalg.broadcast ins(%eps0 : tensor<f32>) outs(%ek : tensor<?x3x1xf32>) dimensions = [0, 1, 2]
  %clamped = arith.maximumf %maxk, %eps : tensor<?x3x1xf32>
  %c127_0 = arith.constant dense<1.270000e+02> : tensor<f32>
  %c127 = linalg.broadcast ins(%c127_0 : tensor<f32>) outs(%ek : tensor<?x3x1xf32>) dimensions = [0, 1, 2]
  %s = arith.divf %c127, %clamped : tensor<?x3x1xf32>
  %s1 = tensor.collapse_shape %s [[0], [1, 2]] : tensor<?x3x1xf32> into tensor<?x3xf32>
  %e1 = tensor.empty(%b) : tensor<?x3x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<?x3xf32>) outs(%e1 : tensor<?x3x6xf32>) dimensions = [2]
  %xs = arith.mulf %x, %sb : tensor<?x3x6xf32>
  %r = math.roundeven %xs : tensor<?x3x6xf32>
  %lo0 = arith.constant dense<-1.280000e+02> : tensor<f32>
  %lo = linalg.broadcast ins(%lo0 : tensor<f32>) outs(%e1 : tensor<?x3x6xf32>) dimensions = [0, 1, 2]
  %hi = linalg.broadcast ins(%c127_0 : tensor<f32>) outs(%e1 : tensor<?x3x6xf32>) dimensions = [0, 1, 2]
  %rlo = arith.maximumf %r, %lo : tensor<?x3x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<?x3x6xf32>
  %q = arith.divf %c, %sb : tensor<?x3x6xf32>
  %x2 = tensor.collapse_shape %q [[0, 1], [2]] : tensor<?x3x6xf32> into tensor<?x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %m = tensor.dim %x2, %c0 : tensor<?x6xf32>
  %e5 = tensor.empty(%m) : tensor<?x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<?x4xf32>) -> tensor<?x4xf32>
  %y2 = linalg.matmul ins(%x2, %w : tensor<?x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<?x4xf32>) -> tensor<?x4xf32>
  %y = tensor.expand_shape %y2 [[0, 1], [2]] output_shape [%b, 3, 4] : tensor<?x4xf32> into tensor<?x3x4xf32>
  %v2 = linalg.matmul ins(%x2, %w : tensor<?x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<?x4xf32>) -> tensor<?x4xf32>
  %v = tensor.expand_shape %v2 [[0, 1], [2]] output_shape [%n, 3, 4] : tensor<?x4xf32> into tensor<?x3x4xf32>
  return %y, %v : tensor<?x3x4xf32>, tensor<?x3x4xf32>
}

// -----

// The rescale comes after the expand_shape back to rank 3 (whose size %n is
// not read off %x, as importers of dynamic shapes produce): a splat computed
// from constants (1 / 4) commutes with the reshape and folds into the scale.
// CHECK-LABEL: func.func @rescale_after_reshape(
// CHECK-DAG: %[[G:.*]] = arith.constant 2.500000e-01 : f32
// CHECK: %[[Y:.*]] = trit.bitlinear %{{.*}}, %{{.*}}, %[[G]] : tensor<?x6xf32>
// CHECK: %[[Z:.*]] = tensor.expand_shape %[[Y]]
// CHECK-NOT: arith.mulf
// CHECK: return %[[Z]]
func.func @rescale_after_reshape(%x: tensor<?x3x6xf32>, %n: index) -> tensor<?x3x4xf32> {
  %c0 = arith.constant 0 : index
  %b = tensor.dim %x, %c0 : tensor<?x3x6xf32>
  %abs = math.absf %x : tensor<?x3x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty(%b) : tensor<?x3xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<?x3xf32>) -> tensor<?x3xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<?x3x6xf32>) outs(%init : tensor<?x3xf32>) dimensions = [2]
  %maxk = tensor.expand_shape %max [[0], [1, 2]] output_shape [%b, 3, 1] : tensor<?x3xf32> into tensor<?x3x1xf32>
  %ek = tensor.empty(%b) : tensor<?x3x1xf32>
  %eps0 = arith.constant dense<1.000000e-05> : tensor<f32>
  %eps = linalg.broadcast ins(%eps0 : tensor<f32>) outs(%ek : tensor<?x3x1xf32>) dimensions = [0, 1, 2]
  %clamped = arith.maximumf %maxk, %eps : tensor<?x3x1xf32>
  %c127_0 = arith.constant dense<1.270000e+02> : tensor<f32>
  %c127 = linalg.broadcast ins(%c127_0 : tensor<f32>) outs(%ek : tensor<?x3x1xf32>) dimensions = [0, 1, 2]
  %s = arith.divf %c127, %clamped : tensor<?x3x1xf32>
  %s1 = tensor.collapse_shape %s [[0], [1, 2]] : tensor<?x3x1xf32> into tensor<?x3xf32>
  %e1 = tensor.empty(%b) : tensor<?x3x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<?x3xf32>) outs(%e1 : tensor<?x3x6xf32>) dimensions = [2]
  %xs = arith.mulf %x, %sb : tensor<?x3x6xf32>
  %r = math.roundeven %xs : tensor<?x3x6xf32>
  %lo0 = arith.constant dense<-1.280000e+02> : tensor<f32>
  %lo = linalg.broadcast ins(%lo0 : tensor<f32>) outs(%e1 : tensor<?x3x6xf32>) dimensions = [0, 1, 2]
  %hi = linalg.broadcast ins(%c127_0 : tensor<f32>) outs(%e1 : tensor<?x3x6xf32>) dimensions = [0, 1, 2]
  %rlo = arith.maximumf %r, %lo : tensor<?x3x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<?x3x6xf32>
  %q = arith.divf %c, %sb : tensor<?x3x6xf32>
  %x2 = tensor.collapse_shape %q [[0, 1], [2]] : tensor<?x3x6xf32> into tensor<?x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %m = tensor.dim %x2, %c0 : tensor<?x6xf32>
  %e5 = tensor.empty(%m) : tensor<?x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<?x4xf32>) -> tensor<?x4xf32>
  %v2 = linalg.matmul ins(%x2, %w : tensor<?x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<?x4xf32>) -> tensor<?x4xf32>
  %v = tensor.expand_shape %v2 [[0, 1], [2]] output_shape [%n, 3, 4] : tensor<?x4xf32> into tensor<?x3x4xf32>
  %e6 = tensor.empty(%n) : tensor<?x3x4xf32>
  %one = arith.constant dense<1.000000e+00> : tensor<f32>
  %four = arith.constant dense<4.000000e+00> : tensor<f32>
  %quarter = arith.divf %one, %four : tensor<f32>
  %qb = linalg.broadcast ins(%quarter : tensor<f32>) outs(%e6 : tensor<?x3x4xf32>) dimensions = [0, 1, 2]
  %z = arith.mulf %v, %qb : tensor<?x3x4xf32>
  return %z : tensor<?x3x4xf32>
}

// -----

// Must not fold: after the reshape comes a per-channel factor, not a
// splat; the bitlinear keeps scale 1 and the multiplication stays.
// CHECK-LABEL: func.func @per_channel_after_reshape(
// CHECK-DAG: %[[G:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: trit.bitlinear %{{.*}}, %{{.*}}, %[[G]] : tensor<?x6xf32>
// CHECK: tensor.expand_shape
// CHECK: arith.mulf
func.func @per_channel_after_reshape(%x: tensor<?x3x6xf32>, %n: index) -> tensor<?x3x4xf32> {
  %c0 = arith.constant 0 : index
  %b = tensor.dim %x, %c0 : tensor<?x3x6xf32>
  %abs = math.absf %x : tensor<?x3x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty(%b) : tensor<?x3xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<?x3xf32>) -> tensor<?x3xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<?x3x6xf32>) outs(%init : tensor<?x3xf32>) dimensions = [2]
  %maxk = tensor.expand_shape %max [[0], [1, 2]] output_shape [%b, 3, 1] : tensor<?x3xf32> into tensor<?x3x1xf32>
  %ek = tensor.empty(%b) : tensor<?x3x1xf32>
  %eps0 = arith.constant dense<1.000000e-05> : tensor<f32>
  %eps = linalg.broadcast ins(%eps0 : tensor<f32>) outs(%ek : tensor<?x3x1xf32>) dimensions = [0, 1, 2]
  %clamped = arith.maximumf %maxk, %eps : tensor<?x3x1xf32>
  %c127_0 = arith.constant dense<1.270000e+02> : tensor<f32>
  %c127 = linalg.broadcast ins(%c127_0 : tensor<f32>) outs(%ek : tensor<?x3x1xf32>) dimensions = [0, 1, 2]
  %s = arith.divf %c127, %clamped : tensor<?x3x1xf32>
  %s1 = tensor.collapse_shape %s [[0], [1, 2]] : tensor<?x3x1xf32> into tensor<?x3xf32>
  %e1 = tensor.empty(%b) : tensor<?x3x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<?x3xf32>) outs(%e1 : tensor<?x3x6xf32>) dimensions = [2]
  %xs = arith.mulf %x, %sb : tensor<?x3x6xf32>
  %r = math.roundeven %xs : tensor<?x3x6xf32>
  %lo0 = arith.constant dense<-1.280000e+02> : tensor<f32>
  %lo = linalg.broadcast ins(%lo0 : tensor<f32>) outs(%e1 : tensor<?x3x6xf32>) dimensions = [0, 1, 2]
  %hi = linalg.broadcast ins(%c127_0 : tensor<f32>) outs(%e1 : tensor<?x3x6xf32>) dimensions = [0, 1, 2]
  %rlo = arith.maximumf %r, %lo : tensor<?x3x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<?x3x6xf32>
  %q = arith.divf %c, %sb : tensor<?x3x6xf32>
  %x2 = tensor.collapse_shape %q [[0, 1], [2]] : tensor<?x3x6xf32> into tensor<?x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %m = tensor.dim %x2, %c0 : tensor<?x6xf32>
  %e5 = tensor.empty(%m) : tensor<?x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<?x4xf32>) -> tensor<?x4xf32>
  %v2 = linalg.matmul ins(%x2, %w : tensor<?x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<?x4xf32>) -> tensor<?x4xf32>
  %v = tensor.expand_shape %v2 [[0, 1], [2]] output_shape [%n, 3, 4] : tensor<?x4xf32> into tensor<?x3x4xf32>
  %e6 = tensor.empty(%n) : tensor<?x3x4xf32>
  %ch = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %chb = linalg.broadcast ins(%ch : tensor<4xf32>) outs(%e6 : tensor<?x3x4xf32>) dimensions = [0, 1]
  %z = arith.mulf %v, %chb : tensor<?x3x4xf32>
  return %z : tensor<?x3x4xf32>
}

// -----

// A dynamic number of tokens: every constant of the chain is a 0-d tensor
// broadcast into a tensor.empty sized by tensor.dim. The result is scaled by
// -2 (on the left of the mulf): the scale becomes 0.5 * 2 = 1 and the
// ternary values are negated. W is Wk of @shared_activation, whose columns
// [0, 1, -1, 0, 1, 0], [1, 1, 0, -1, 0, 0], [0, 0, 0, 1, -1, 1],
// [-1, 0, 1, 0, -1, 0] negate to the bytes below.
// CHECK-LABEL: func.func @dynamic_tokens(
// CHECK-SAME: %[[X:.*]]: tensor<?x6xf32>)
// CHECK-NOT: math.
// CHECK-DAG: %[[W:.*]] = arith.constant dense_resource<[[BLOB:trit_ternary_[0-9]+]]> : tensor<4x6xi8, #trit.ternary>
// CHECK-DAG: %[[G:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[Y:.*]] = trit.bitlinear %[[X]], %[[W]], %[[G]] : tensor<?x6xf32>, tensor<4x6xi8, #trit.ternary> -> tensor<?x4xf32>
// CHECK-NEXT: return %[[Y]] : tensor<?x4xf32>
// CHECK: [[BLOB]]: "0x0100000000FF0100FF00FFFF00010000000000FF01FF0100FF000100"
func.func @dynamic_tokens(%x: tensor<?x6xf32>) -> tensor<?x4xf32> {
  %c0 = arith.constant 0 : index
  %m = tensor.dim %x, %c0 : tensor<?x6xf32>
  %abs = math.absf %x : tensor<?x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty(%m) : tensor<?xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<?xf32>) -> tensor<?xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<?x6xf32>) outs(%init : tensor<?xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [%m, 1] : tensor<?xf32> into tensor<?x1xf32>
  %ek = tensor.empty(%m) : tensor<?x1xf32>
  %eps0 = arith.constant dense<1.000000e-05> : tensor<f32>
  %eps = linalg.broadcast ins(%eps0 : tensor<f32>) outs(%ek : tensor<?x1xf32>) dimensions = [0, 1]
  %clamped = arith.maximumf %maxk, %eps : tensor<?x1xf32>
  %c127_0 = arith.constant dense<1.270000e+02> : tensor<f32>
  %c127 = linalg.broadcast ins(%c127_0 : tensor<f32>) outs(%ek : tensor<?x1xf32>) dimensions = [0, 1]
  %s = arith.divf %c127, %clamped : tensor<?x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<?x1xf32> into tensor<?xf32>
  %e1 = tensor.empty(%m) : tensor<?x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<?xf32>) outs(%e1 : tensor<?x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<?x6xf32>
  %r = math.roundeven %xs : tensor<?x6xf32>
  %lo0 = arith.constant dense<-1.280000e+02> : tensor<f32>
  %lo = linalg.broadcast ins(%lo0 : tensor<f32>) outs(%e1 : tensor<?x6xf32>) dimensions = [0, 1]
  %hi = linalg.broadcast ins(%c127_0 : tensor<f32>) outs(%e1 : tensor<?x6xf32>) dimensions = [0, 1]
  %rlo = arith.maximumf %r, %lo : tensor<?x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<?x6xf32>
  %q = arith.divf %c, %sb : tensor<?x6xf32>
  %w = arith.constant dense<[[0.0, 0.5, 0.0, -0.5], [0.5, 0.5, 0.0, 0.0],
                             [-0.5, 0.0, 0.0, 0.5], [0.0, -0.5, 0.5, 0.0],
                             [0.5, 0.0, -0.5, -0.5], [0.0, 0.0, 0.5, 0.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty(%m) : tensor<?x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<?x4xf32>) -> tensor<?x4xf32>
  %y = linalg.matmul ins(%q, %w : tensor<?x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<?x4xf32>) -> tensor<?x4xf32>
  %m2 = arith.constant dense<-2.000000e+00> : tensor<f32>
  %m2b = linalg.broadcast ins(%m2 : tensor<f32>) outs(%e5 : tensor<?x4xf32>) dimensions = [0, 1]
  %z = arith.mulf %m2b, %y : tensor<?x4xf32>
  return %z : tensor<?x4xf32>
}

// -----

// Must not fire: the weight is a function argument, not a compile-time
// constant.
// CHECK-LABEL: func.func @weight_not_constant(
// CHECK-NOT: trit.bitlinear
// CHECK: math.roundeven
// CHECK: linalg.matmul
// CHECK-NOT: trit.bitlinear
func.func @weight_not_constant(%x: tensor<2x6xf32>, %w: tensor<6x4xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %q = arith.divf %c, %sb : tensor<2x6xf32>
  %d = arith.subf %q, %x : tensor<2x6xf32>
  %xq = arith.addf %x, %d : tensor<2x6xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%xq, %w : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Must not fire: the activation is clipped to [-127, 127], not BitNet's
// [-128, 127].
// CHECK-LABEL: func.func @symmetric_clip(
// CHECK-NOT: trit.bitlinear
// CHECK-NOT: dense_resource
// CHECK: math.roundeven
// CHECK: linalg.matmul
// CHECK-NOT: trit.bitlinear
func.func @symmetric_clip(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.270000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %q = arith.divf %c, %sb : tensor<2x6xf32>
  %d = arith.subf %q, %x : tensor<2x6xf32>
  %xq = arith.addf %x, %d : tensor<2x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%xq, %w : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Must not fire: the absmax multiplier is 100, not 127.
// CHECK-LABEL: func.func @multiplier_not_127(
// CHECK-NOT: trit.bitlinear
// CHECK-NOT: dense_resource
// CHECK: math.roundeven
// CHECK: linalg.matmul
// CHECK-NOT: trit.bitlinear
func.func @multiplier_not_127(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.000000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %q = arith.divf %c, %sb : tensor<2x6xf32>
  %d = arith.subf %q, %x : tensor<2x6xf32>
  %xq = arith.addf %x, %d : tensor<2x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%xq, %w : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Must not fire: the weight has four distinct values {-1, 0, 1, 2}.
// CHECK-LABEL: func.func @four_weight_values(
// CHECK-NOT: trit.bitlinear
// CHECK-NOT: dense_resource
// CHECK: math.roundeven
// CHECK: linalg.matmul
// CHECK-NOT: trit.bitlinear
func.func @four_weight_values(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %q = arith.divf %c, %sb : tensor<2x6xf32>
  %d = arith.subf %q, %x : tensor<2x6xf32>
  %xq = arith.addf %x, %d : tensor<2x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 2.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%xq, %w : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Must not fire: three distinct values that are not {-a, 0, +a}
// ({-0.5, 0, 0.25}).
// CHECK-LABEL: func.func @asymmetric_weight_values(
// CHECK-NOT: trit.bitlinear
// CHECK-NOT: dense_resource
// CHECK: math.roundeven
// CHECK: linalg.matmul
// CHECK-NOT: trit.bitlinear
func.func @asymmetric_weight_values(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %q = arith.divf %c, %sb : tensor<2x6xf32>
  %d = arith.subf %q, %x : tensor<2x6xf32>
  %xq = arith.addf %x, %d : tensor<2x6xf32>
  %w = arith.constant dense<[[0.25, 0.0, -0.5, 0.0], [0.0, 0.25, 0.25, -0.5],
                             [-0.5, -0.5, 0.0, 0.0], [0.25, 0.0, 0.0, 0.25],
                             [0.0, 0.0, 0.25, 0.25], [-0.5, 0.25, 0.0, -0.5]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%xq, %w : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Must not fire: the absmax is taken over axis 0 (per feature), not over the
// last axis (per token).
// CHECK-LABEL: func.func @reduce_not_last_axis(
// CHECK-NOT: trit.bitlinear
// CHECK-NOT: dense_resource
// CHECK: math.roundeven
// CHECK: linalg.matmul
// CHECK-NOT: trit.bitlinear
func.func @reduce_not_last_axis(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<6xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<6xf32>) -> tensor<6xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<6xf32>) dimensions = [0]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [1, 6] : tensor<6xf32> into tensor<1x6xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<1x6xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<1x6xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<1x6xf32>
  %s = arith.divf %c127, %clamped : tensor<1x6xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<1x6xf32> into tensor<6xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<6xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [0]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %q = arith.divf %c, %sb : tensor<2x6xf32>
  %d = arith.subf %q, %x : tensor<2x6xf32>
  %xq = arith.addf %x, %d : tensor<2x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%xq, %w : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Must not fire: the activation is clipped to [-128, 126].
// CHECK-LABEL: func.func @clip_high_not_127(
// CHECK-NOT: trit.bitlinear
// CHECK-NOT: dense_resource
// CHECK: math.roundeven
// CHECK: linalg.matmul
// CHECK-NOT: trit.bitlinear
func.func @clip_high_not_127(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.260000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %q = arith.divf %c, %sb : tensor<2x6xf32>
  %d = arith.subf %q, %x : tensor<2x6xf32>
  %xq = arith.addf %x, %d : tensor<2x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%xq, %w : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Must not fire: the absmax is clamped to at least 1e-4, not
// 1e-5.
// CHECK-LABEL: func.func @floor_1e_4(
// CHECK-NOT: trit.bitlinear
// CHECK-NOT: dense_resource
// CHECK: math.roundeven
// CHECK: linalg.matmul
// CHECK-NOT: trit.bitlinear
func.func @floor_1e_4(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-04> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %q = arith.divf %c, %sb : tensor<2x6xf32>
  %d = arith.subf %q, %x : tensor<2x6xf32>
  %xq = arith.addf %x, %d : tensor<2x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%xq, %w : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Must not fire: the absmax reduction starts from 1, so it computes
// max(1, |x|...), not the absmax.
// CHECK-LABEL: func.func @absmax_init_positive(
// CHECK-NOT: trit.bitlinear
// CHECK-NOT: dense_resource
// CHECK: math.roundeven
// CHECK: linalg.matmul
// CHECK-NOT: trit.bitlinear
func.func @absmax_init_positive(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 1.000000e+00 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %q = arith.divf %c, %sb : tensor<2x6xf32>
  %d = arith.subf %q, %x : tensor<2x6xf32>
  %xq = arith.addf %x, %d : tensor<2x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%xq, %w : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Must not fire: the matmul accumulates onto 1, not 0.
// CHECK-LABEL: func.func @matmul_init_nonzero(
// CHECK-NOT: trit.bitlinear
// CHECK-NOT: dense_resource
// CHECK: math.roundeven
// CHECK: linalg.matmul
// CHECK-NOT: trit.bitlinear
func.func @matmul_init_nonzero(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %q = arith.divf %c, %sb : tensor<2x6xf32>
  %d = arith.subf %q, %x : tensor<2x6xf32>
  %xq = arith.addf %x, %d : tensor<2x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 1.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%xq, %w : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Must not fire: on a square x [6, 6] the absmax is reduced over
// axis 0 (per feature) although the scale is then broadcast per row.
// CHECK-LABEL: func.func @reduce_axis_0_square(
// CHECK-NOT: trit.bitlinear
// CHECK-NOT: dense_resource
// CHECK: math.roundeven
// CHECK: linalg.matmul
// CHECK-NOT: trit.bitlinear
func.func @reduce_axis_0_square(%x: tensor<6x6xf32>) -> tensor<6x4xf32> {
  %abs = math.absf %x : tensor<6x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<6xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<6xf32>) -> tensor<6xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<6x6xf32>) outs(%init : tensor<6xf32>) dimensions = [0]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [6, 1] : tensor<6xf32> into tensor<6x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<6x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<6x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<6x1xf32>
  %s = arith.divf %c127, %clamped : tensor<6x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<6x1xf32> into tensor<6xf32>
  %e1 = tensor.empty() : tensor<6x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<6xf32>) outs(%e1 : tensor<6x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<6x6xf32>
  %r = math.roundeven %xs : tensor<6x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<6x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<6x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<6x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<6x6xf32>
  %q = arith.divf %c, %sb : tensor<6x6xf32>
  %d = arith.subf %q, %x : tensor<6x6xf32>
  %xq = arith.addf %x, %d : tensor<6x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<6x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<6x4xf32>) -> tensor<6x4xf32>
  %y = linalg.matmul ins(%xq, %w : tensor<6x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<6x4xf32>) -> tensor<6x4xf32>
  return %y : tensor<6x4xf32>
}

// -----

// PyTorch's exporter writes the activation scale 127 / m as Reciprocal then
// Mul: s = (1 / max(m, 1e-5)) * 127. It is the same chain.
// CHECK-LABEL: func.func @reciprocal_mul_scale
// CHECK: trit.bitlinear
// CHECK-NOT: linalg.matmul
func.func @reciprocal_mul_scale(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %max2 = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.0e-05> : tensor<2x1xf32>
  %clip = arith.maximumf %max2, %eps : tensor<2x1xf32>
  %one = arith.constant dense<1.0> : tensor<2x1xf32>
  %inv = arith.divf %one, %clip : tensor<2x1xf32>
  %c127 = arith.constant dense<127.0> : tensor<2x1xf32>
  %s = arith.mulf %inv, %c127 : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %eb = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%eb : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-128.0> : tensor<2x6xf32>
  %hi = arith.constant dense<127.0> : tensor<2x6xf32>
  %c1 = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c2 = arith.minimumf %c1, %hi : tensor<2x6xf32>
  %q = arith.divf %c2, %sb : tensor<2x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 0.0, -1.0], [1.0, 1.0, 0.0, 0.0], [0.0, 0.0, -1.0, 1.0], [-1.0, 0.0, 1.0, 0.0], [0.0, -1.0, 0.0, 1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e1 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%q, %w : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// transformers' BitLinear: the MatMul takes the rounded and clipped
// activation xq (not divided by s) and its result is divided by the product
// s * beta of the per-token scale and the constant weight scale beta = 4.
// trit-fuse-quantization rewrites it to matmul(xq / s, W) / 4 and fuses
// that: W is the inference weight, so the scale is 1 / 4.
// CHECK-LABEL: func.func @scale_product(
// CHECK-SAME: %[[X:.*]]: tensor<2x6xf32>
// CHECK-NEXT: %[[W:.*]] = arith.constant dense_resource<[[BLOB:trit_ternary_[0-9]+]]> : tensor<4x6xi8, #trit.ternary>
// CHECK-NEXT: %[[G:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-NEXT: %[[Y:.*]] = trit.bitlinear %[[X]], %[[W]], %[[G]] : tensor<2x6xf32>, tensor<4x6xi8, #trit.ternary> -> tensor<2x4xf32>
// CHECK-NEXT: return %[[Y]] : tensor<2x4xf32>
// CHECK: [[BLOB]]: "0x010000000100FF0100FF0001FF000001FF010000010000FF000101FF"
func.func @scale_product(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%c, %w : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  %beta = arith.constant dense<4.000000e+00> : tensor<2x1xf32>
  %prod = arith.mulf %s, %beta : tensor<2x1xf32>
  %p1 = tensor.collapse_shape %prod [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e6 = tensor.empty() : tensor<2x4xf32>
  %pb = linalg.broadcast ins(%p1 : tensor<2xf32>) outs(%e6 : tensor<2x4xf32>) dimensions = [1]
  %z = arith.divf %y, %pb : tensor<2x4xf32>
  return %z : tensor<2x4xf32>
}

// -----

// The product the other way round, beta * s (as transformers' code writes
// it), with beta a 0-d constant broadcast to [2, 1] by the importer: the
// scale is 1 / 2.
// CHECK-LABEL: func.func @scale_product_beta_first(
// CHECK-SAME: %[[X:.*]]: tensor<2x6xf32>
// CHECK-NEXT: %[[W:.*]] = arith.constant dense_resource<[[BLOB:trit_ternary_[0-9]+]]> : tensor<4x6xi8, #trit.ternary>
// CHECK-NEXT: %[[G:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT: %[[Y:.*]] = trit.bitlinear %[[X]], %[[W]], %[[G]] : tensor<2x6xf32>, tensor<4x6xi8, #trit.ternary> -> tensor<2x4xf32>
// CHECK-NEXT: return %[[Y]] : tensor<2x4xf32>
// CHECK: [[BLOB]]: "0x010000000100FF0100FF0001FF000001FF010000010000FF000101FF"
func.func @scale_product_beta_first(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%c, %w : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  %beta0 = arith.constant dense<2.000000e+00> : tensor<f32>
  %e7 = tensor.empty() : tensor<2x1xf32>
  %beta = linalg.broadcast ins(%beta0 : tensor<f32>) outs(%e7 : tensor<2x1xf32>) dimensions = [0, 1]
  %prod = arith.mulf %beta, %s : tensor<2x1xf32>
  %p1 = tensor.collapse_shape %prod [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e6 = tensor.empty() : tensor<2x4xf32>
  %pb = linalg.broadcast ins(%p1 : tensor<2xf32>) outs(%e6 : tensor<2x4xf32>) dimensions = [1]
  %z = arith.divf %y, %pb : tensor<2x4xf32>
  return %z : tensor<2x4xf32>
}

// -----

// A beta of shape [4] (every element 0.5) makes the product full-shape:
// broadcast(s) * beta, then the division by it. The scale is 1 / 0.5.
// CHECK-LABEL: func.func @scale_product_full_shape(
// CHECK-SAME: %[[X:.*]]: tensor<2x6xf32>
// CHECK-NEXT: %[[W:.*]] = arith.constant dense_resource<[[BLOB:trit_ternary_[0-9]+]]> : tensor<4x6xi8, #trit.ternary>
// CHECK-NEXT: %[[G:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT: %[[Y:.*]] = trit.bitlinear %[[X]], %[[W]], %[[G]] : tensor<2x6xf32>, tensor<4x6xi8, #trit.ternary> -> tensor<2x4xf32>
// CHECK-NEXT: return %[[Y]] : tensor<2x4xf32>
// CHECK: [[BLOB]]: "0x010000000100FF0100FF0001FF000001FF010000010000FF000101FF"
func.func @scale_product_full_shape(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%c, %w : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  %e6 = tensor.empty() : tensor<2x4xf32>
  %sb4 = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e6 : tensor<2x4xf32>) dimensions = [1]
  %beta = arith.constant dense<5.000000e-01> : tensor<2x4xf32>
  %prod = arith.mulf %sb4, %beta : tensor<2x4xf32>
  %z = arith.divf %y, %prod : tensor<2x4xf32>
  return %z : tensor<2x4xf32>
}

// -----

// Rank 3 static [2, 3, 6], s * beta with beta = 8: the scale is 1 / 8.
// CHECK-LABEL: func.func @scale_product_rank3(
// CHECK-SAME: %[[X:.*]]: tensor<2x3x6xf32>
// CHECK-NEXT: %[[W:.*]] = arith.constant dense_resource<[[BLOB:trit_ternary_[0-9]+]]> : tensor<4x6xi8, #trit.ternary>
// CHECK-NEXT: %[[G:.*]] = arith.constant 1.250000e-01 : f32
// CHECK-NEXT: %[[Y:.*]] = trit.bitlinear %[[X]], %[[W]], %[[G]] : tensor<2x3x6xf32>, tensor<4x6xi8, #trit.ternary> -> tensor<2x3x4xf32>
// CHECK-NEXT: return %[[Y]] : tensor<2x3x4xf32>
// CHECK: [[BLOB]]: "0x010000000100FF0100FF0001FF000001FF010000010000FF000101FF"
func.func @scale_product_rank3(%x: tensor<2x3x6xf32>) -> tensor<2x3x4xf32> {
  %abs = math.absf %x : tensor<2x3x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2x3xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x3x6xf32>) outs(%init : tensor<2x3xf32>) dimensions = [2]
  %maxk = tensor.expand_shape %max [[0], [1, 2]] output_shape [2, 3, 1] : tensor<2x3xf32> into tensor<2x3x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x3x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x3x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x3x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x3x1xf32>
  %s1 = tensor.collapse_shape %s [[0], [1, 2]] : tensor<2x3x1xf32> into tensor<2x3xf32>
  %e1 = tensor.empty() : tensor<2x3x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2x3xf32>) outs(%e1 : tensor<2x3x6xf32>) dimensions = [2]
  %xs = arith.mulf %x, %sb : tensor<2x3x6xf32>
  %r = math.roundeven %xs : tensor<2x3x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x3x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x3x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x3x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x3x6xf32>
  %x2 = tensor.collapse_shape %c [[0, 1], [2]] : tensor<2x3x6xf32> into tensor<6x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<6x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<6x4xf32>) -> tensor<6x4xf32>
  %y2 = linalg.matmul ins(%x2, %w : tensor<6x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<6x4xf32>) -> tensor<6x4xf32>
  %y = tensor.expand_shape %y2 [[0, 1], [2]] output_shape [2, 3, 4] : tensor<6x4xf32> into tensor<2x3x4xf32>
  %beta = arith.constant dense<8.000000e+00> : tensor<1x1x1xf32>
  %e7 = tensor.empty() : tensor<2x3x1xf32>
  %beta0 = tensor.collapse_shape %beta [] : tensor<1x1x1xf32> into tensor<f32>
  %betab = linalg.broadcast ins(%beta0 : tensor<f32>) outs(%e7 : tensor<2x3x1xf32>) dimensions = [0, 1, 2]
  %prod = arith.mulf %s, %betab : tensor<2x3x1xf32>
  %p1 = tensor.collapse_shape %prod [[0], [1, 2]] : tensor<2x3x1xf32> into tensor<2x3xf32>
  %e6 = tensor.empty() : tensor<2x3x4xf32>
  %pb = linalg.broadcast ins(%p1 : tensor<2x3xf32>) outs(%e6 : tensor<2x3x4xf32>) dimensions = [2]
  %z = arith.divf %y, %pb : tensor<2x3x4xf32>
  return %z : tensor<2x3x4xf32>
}

// -----

// Rank 3 with dynamic [B, T]: the rounded activation is collapsed to
// [B * T, 6] for the matmul and expanded back (sizes read off the collapsed
// tensor), then divided by beta * s with beta = 4 a 0-d constant broadcast
// to [B, T, 1]. The bitlinear takes the rank-3 %x; the scale is 1 / 4.
// CHECK-LABEL: func.func @scale_product_rank3_dynamic(
// CHECK-SAME: %[[X:.*]]: tensor<?x?x6xf32>
// CHECK-NEXT: %[[W:.*]] = arith.constant dense_resource<[[BLOB:trit_ternary_[0-9]+]]> : tensor<4x6xi8, #trit.ternary>
// CHECK-NEXT: %[[G:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-NEXT: %[[Y:.*]] = trit.bitlinear %[[X]], %[[W]], %[[G]] : tensor<?x?x6xf32>, tensor<4x6xi8, #trit.ternary> -> tensor<?x?x4xf32>
// CHECK-NEXT: return %[[Y]] : tensor<?x?x4xf32>
// CHECK: [[BLOB]]: "0x010000000100FF0100FF0001FF000001FF010000010000FF000101FF"
func.func @scale_product_rank3_dynamic(%x: tensor<?x?x6xf32>) -> tensor<?x?x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %x, %c0 : tensor<?x?x6xf32>
  %t = tensor.dim %x, %c1 : tensor<?x?x6xf32>
  %abs = math.absf %x : tensor<?x?x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty(%b, %t) : tensor<?x?xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<?x?xf32>) -> tensor<?x?xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<?x?x6xf32>) outs(%init : tensor<?x?xf32>) dimensions = [2]
  %maxk = tensor.expand_shape %max [[0], [1, 2]] output_shape [%b, %t, 1] : tensor<?x?xf32> into tensor<?x?x1xf32>
  %eps0 = arith.constant dense<1.000000e-05> : tensor<f32>
  %ek = tensor.empty(%b, %t) : tensor<?x?x1xf32>
  %eps = linalg.broadcast ins(%eps0 : tensor<f32>) outs(%ek : tensor<?x?x1xf32>) dimensions = [0, 1, 2]
  %clamped = arith.maximumf %maxk, %eps : tensor<?x?x1xf32>
  %c1270 = arith.constant dense<1.270000e+02> : tensor<f32>
  %c127 = linalg.broadcast ins(%c1270 : tensor<f32>) outs(%ek : tensor<?x?x1xf32>) dimensions = [0, 1, 2]
  %s = arith.divf %c127, %clamped : tensor<?x?x1xf32>
  %s1 = tensor.collapse_shape %s [[0], [1, 2]] : tensor<?x?x1xf32> into tensor<?x?xf32>
  %e1 = tensor.empty(%b, %t) : tensor<?x?x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<?x?xf32>) outs(%e1 : tensor<?x?x6xf32>) dimensions = [2]
  %xs = arith.mulf %sb, %x : tensor<?x?x6xf32>
  %r = math.roundeven %xs : tensor<?x?x6xf32>
  %lo0 = arith.constant dense<-1.280000e+02> : tensor<f32>
  %lo = linalg.broadcast ins(%lo0 : tensor<f32>) outs(%e1 : tensor<?x?x6xf32>) dimensions = [0, 1, 2]
  %hi = linalg.broadcast ins(%c1270 : tensor<f32>) outs(%e1 : tensor<?x?x6xf32>) dimensions = [0, 1, 2]
  %rlo = arith.maximumf %lo, %r : tensor<?x?x6xf32>
  %c = arith.minimumf %hi, %rlo : tensor<?x?x6xf32>
  %x2 = tensor.collapse_shape %c [[0, 1], [2]] : tensor<?x?x6xf32> into tensor<?x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %m = tensor.dim %x2, %c0 : tensor<?x6xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty(%m) : tensor<?x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<?x4xf32>) -> tensor<?x4xf32>
  %y2 = linalg.matmul ins(%x2, %w : tensor<?x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<?x4xf32>) -> tensor<?x4xf32>
  %cb = tensor.dim %c, %c0 : tensor<?x?x6xf32>
  %ct = tensor.dim %c, %c1 : tensor<?x?x6xf32>
  %y = tensor.expand_shape %y2 [[0, 1], [2]] output_shape [%cb, %ct, 4] : tensor<?x4xf32> into tensor<?x?x4xf32>
  %beta0 = arith.constant dense<4.000000e+00> : tensor<f32>
  %beta = linalg.broadcast ins(%beta0 : tensor<f32>) outs(%ek : tensor<?x?x1xf32>) dimensions = [0, 1, 2]
  %prod = arith.mulf %beta, %s : tensor<?x?x1xf32>
  %p1 = tensor.collapse_shape %prod [[0], [1, 2]] : tensor<?x?x1xf32> into tensor<?x?xf32>
  %e6 = tensor.empty(%b, %t) : tensor<?x?x4xf32>
  %pb = linalg.broadcast ins(%p1 : tensor<?x?xf32>) outs(%e6 : tensor<?x?x4xf32>) dimensions = [2]
  %z = arith.divf %y, %pb : tensor<?x?x4xf32>
  return %z : tensor<?x?x4xf32>
}

// -----

// Near-miss: the second factor of the product is not a constant.
// CHECK-LABEL: func.func @scale_product_factor_not_constant(
// CHECK-NOT: trit.bitlinear
// CHECK: %[[C:.*]] = arith.minimumf
// CHECK-NOT: trit.bitlinear
// CHECK: %[[Y:.*]] = linalg.matmul ins(%[[C]], %{{.*}} : tensor<2x6xf32>, tensor<6x4xf32>)
// CHECK: %[[Z:.*]] = arith.divf %[[Y]], %{{.*}} : tensor<2x4xf32>
// CHECK-NEXT: return %[[Z]]
func.func @scale_product_factor_not_constant(%x: tensor<2x6xf32>, %beta: tensor<2x1xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%c, %w : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  %prod = arith.mulf %s, %beta : tensor<2x1xf32>
  %p1 = tensor.collapse_shape %prod [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e6 = tensor.empty() : tensor<2x4xf32>
  %pb = linalg.broadcast ins(%p1 : tensor<2xf32>) outs(%e6 : tensor<2x4xf32>) dimensions = [1]
  %z = arith.divf %y, %pb : tensor<2x4xf32>
  return %z : tensor<2x4xf32>
}

// -----

// Near-miss: the per-token factor is not the quantization's scale s (it is
// 127 / max|x| again, but without the 1e-5 floor).
// CHECK-LABEL: func.func @scale_product_other_scale(
// CHECK-NOT: trit.bitlinear
// CHECK: %[[C:.*]] = arith.minimumf
// CHECK-NOT: trit.bitlinear
// CHECK: %[[Y:.*]] = linalg.matmul ins(%[[C]], %{{.*}} : tensor<2x6xf32>, tensor<6x4xf32>)
// CHECK: %[[Z:.*]] = arith.divf %[[Y]], %{{.*}} : tensor<2x4xf32>
// CHECK-NEXT: return %[[Z]]
func.func @scale_product_other_scale(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%c, %w : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  %other = arith.divf %c127, %maxk : tensor<2x1xf32>
  %beta = arith.constant dense<4.000000e+00> : tensor<2x1xf32>
  %prod = arith.mulf %other, %beta : tensor<2x1xf32>
  %p1 = tensor.collapse_shape %prod [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e6 = tensor.empty() : tensor<2x4xf32>
  %pb = linalg.broadcast ins(%p1 : tensor<2xf32>) outs(%e6 : tensor<2x4xf32>) dimensions = [1]
  %z = arith.divf %y, %pb : tensor<2x4xf32>
  return %z : tensor<2x4xf32>
}

// -----

// Near-miss: the divisor is not per token: a per-channel [4] value times
// beta, broadcast over the rows.
// CHECK-LABEL: func.func @scale_product_not_per_token(
// CHECK-NOT: trit.bitlinear
// CHECK: %[[C:.*]] = arith.minimumf
// CHECK-NOT: trit.bitlinear
// CHECK: %[[Y:.*]] = linalg.matmul ins(%[[C]], %{{.*}} : tensor<2x6xf32>, tensor<6x4xf32>)
// CHECK: %[[Z:.*]] = arith.divf %[[Y]], %{{.*}} : tensor<2x4xf32>
// CHECK-NEXT: return %[[Z]]
func.func @scale_product_not_per_token(%x: tensor<2x6xf32>, %v: tensor<4xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%c, %w : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  %beta = arith.constant dense<4.000000e+00> : tensor<4xf32>
  %prod = arith.mulf %v, %beta : tensor<4xf32>
  %e6 = tensor.empty() : tensor<2x4xf32>
  %pb = linalg.broadcast ins(%prod : tensor<4xf32>) outs(%e6 : tensor<2x4xf32>) dimensions = [0]
  %z = arith.divf %y, %pb : tensor<2x4xf32>
  return %z : tensor<2x4xf32>
}

// -----

// Near-miss: the form matches but the weight has four values; the rewrite
// to matmul(xq / s, W) / c is undone and the graph left as it was.
// CHECK-LABEL: func.func @scale_product_weight_not_ternary(
// CHECK-NOT: trit.bitlinear
// CHECK: %[[C:.*]] = arith.minimumf
// CHECK-NOT: trit.bitlinear
// CHECK: %[[Y:.*]] = linalg.matmul ins(%[[C]], %{{.*}} : tensor<2x6xf32>, tensor<6x4xf32>)
// CHECK: %[[Z:.*]] = arith.divf %[[Y]], %{{.*}} : tensor<2x4xf32>
// CHECK-NEXT: return %[[Z]]
func.func @scale_product_weight_not_ternary(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 2.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%c, %w : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  %beta = arith.constant dense<4.000000e+00> : tensor<2x1xf32>
  %prod = arith.mulf %s, %beta : tensor<2x1xf32>
  %p1 = tensor.collapse_shape %prod [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e6 = tensor.empty() : tensor<2x4xf32>
  %pb = linalg.broadcast ins(%p1 : tensor<2xf32>) outs(%e6 : tensor<2x4xf32>) dimensions = [1]
  %z = arith.divf %y, %pb : tensor<2x4xf32>
  return %z : tensor<2x4xf32>
}

// -----

// The division by s alone after the MatMul (no constant factor): rewritten
// to matmul(xq / s, W) / 1, fused with the scale 1.
// CHECK-LABEL: func.func @scale_after_matmul(
// CHECK-SAME: %[[X:.*]]: tensor<2x6xf32>
// CHECK-NEXT: %[[W:.*]] = arith.constant dense_resource<[[BLOB:trit_ternary_[0-9]+]]> : tensor<4x6xi8, #trit.ternary>
// CHECK-NEXT: %[[G:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[Y:.*]] = trit.bitlinear %[[X]], %[[W]], %[[G]] : tensor<2x6xf32>, tensor<4x6xi8, #trit.ternary> -> tensor<2x4xf32>
// CHECK-NEXT: return %[[Y]] : tensor<2x4xf32>
// CHECK: [[BLOB]]: "0x010000000100FF0100FF0001FF000001FF010000010000FF000101FF"
func.func @scale_after_matmul(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %abs = math.absf %x : tensor<2x6xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %max = linalg.reduce { arith.maximumf } ins(%abs : tensor<2x6xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
  %maxk = tensor.expand_shape %max [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %eps = arith.constant dense<1.000000e-05> : tensor<2x1xf32>
  %clamped = arith.maximumf %maxk, %eps : tensor<2x1xf32>
  %c127 = arith.constant dense<1.270000e+02> : tensor<2x1xf32>
  %s = arith.divf %c127, %clamped : tensor<2x1xf32>
  %s1 = tensor.collapse_shape %s [[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %sb = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e1 : tensor<2x6xf32>) dimensions = [1]
  %xs = arith.mulf %x, %sb : tensor<2x6xf32>
  %r = math.roundeven %xs : tensor<2x6xf32>
  %lo = arith.constant dense<-1.280000e+02> : tensor<2x6xf32>
  %hi = arith.constant dense<1.270000e+02> : tensor<2x6xf32>
  %rlo = arith.maximumf %r, %lo : tensor<2x6xf32>
  %c = arith.minimumf %rlo, %hi : tensor<2x6xf32>
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0],
                             [-1.0, -1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                             [0.0, 0.0, 1.0, 1.0], [-1.0, 1.0, 0.0, -1.0]]> : tensor<6x4xf32>
  %zero = arith.constant 0.000000e+00 : f32
  %e5 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e5 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%c, %w : tensor<2x6xf32>, tensor<6x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  %e6 = tensor.empty() : tensor<2x4xf32>
  %sb4 = linalg.broadcast ins(%s1 : tensor<2xf32>) outs(%e6 : tensor<2x4xf32>) dimensions = [1]
  %z = arith.divf %y, %sb4 : tensor<2x4xf32>
  return %z : tensor<2x4xf32>
}
