// RUN: trit-opt %s --split-input-file --convert-trit-to-llvm="vnni=1" | FileCheck %s --check-prefix=VNNI
// RUN: trit-opt %s --split-input-file --convert-trit-to-llvm | FileCheck %s --check-prefix=PORTABLE

// 64 code bytes: one 512-bit vpdpbusd with VNNI; otherwise products summed
// over groups of four lanes with strided shuffles.
// VNNI-LABEL: func.func @dot64
// VNNI-SAME: (%[[ACC:.*]]: vector<16xi32>, %[[C:.*]]: vector<64xi8>, %[[X:.*]]: vector<64xi8>)
// VNNI: %[[R:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[ACC]], %[[C]], %[[X]]) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// VNNI: return %[[R]]
// PORTABLE-LABEL: func.func @dot64
// PORTABLE-SAME: (%[[ACC:.*]]: vector<16xi32>, %[[C:.*]]: vector<64xi8>, %[[X:.*]]: vector<64xi8>)
// PORTABLE-NOT: llvm.call_intrinsic
// PORTABLE: %[[CW:.*]] = arith.extui %[[C]] : vector<64xi8> to vector<64xi32>
// PORTABLE: %[[XW:.*]] = arith.extsi %[[X]] : vector<64xi8> to vector<64xi32>
// PORTABLE: %[[P:.*]] = arith.muli %[[CW]], %[[XW]] : vector<64xi32>
// PORTABLE: %[[S0:.*]] = vector.shuffle %[[P]], %[[P]] [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60]
// PORTABLE: %[[A0:.*]] = arith.addi %[[ACC]], %[[S0]]
// PORTABLE: %[[S1:.*]] = vector.shuffle %[[P]], %[[P]] [1, 5, 9,
// PORTABLE: %[[A1:.*]] = arith.addi %[[A0]], %[[S1]]
// PORTABLE: %[[S2:.*]] = vector.shuffle %[[P]], %[[P]] [2, 6, 10,
// PORTABLE: %[[A2:.*]] = arith.addi %[[A1]], %[[S2]]
// PORTABLE: %[[S3:.*]] = vector.shuffle %[[P]], %[[P]] [3, 7, 11,
// PORTABLE: %[[A3:.*]] = arith.addi %[[A2]], %[[S3]]
// PORTABLE: return %[[A3]]
func.func @dot64(%acc: vector<16xi32>, %c: vector<64xi8>, %x: vector<64xi8>) -> vector<16xi32> {
  %r = trit.dot_codes %acc, %c, %x : vector<64xi8> into vector<16xi32>
  return %r : vector<16xi32>
}

// -----

// 32 code bytes use the 256-bit form.
// VNNI-LABEL: func.func @dot32
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// PORTABLE-LABEL: func.func @dot32
// PORTABLE-NOT: llvm.call_intrinsic
func.func @dot32(%acc: vector<8xi32>, %c: vector<32xi8>, %x: vector<32xi8>) -> vector<8xi32> {
  %r = trit.dot_codes %acc, %c, %x : vector<32xi8> into vector<8xi32>
  return %r : vector<8xi32>
}

// -----

// Widths vpdpbusd does not have are expanded even with VNNI.
// VNNI-LABEL: func.func @dot16
// VNNI-NOT: llvm.call_intrinsic
// VNNI: arith.muli
func.func @dot16(%acc: vector<4xi32>, %c: vector<16xi8>, %x: vector<16xi8>) -> vector<4xi32> {
  %r = trit.dot_codes %acc, %c, %x : vector<16xi8> into vector<4xi32>
  return %r : vector<4xi32>
}

// -----

// Other ops are left alone.
// VNNI-LABEL: func.func @no_dot
// VNNI-NEXT: arith.addi
// VNNI-NEXT: return
func.func @no_dot(%a: vector<4xi32>) -> vector<4xi32> {
  %b = arith.addi %a, %a : vector<4xi32>
  return %b : vector<4xi32>
}

// -----

// Private functions with a body get internal linkage; public ones and
// declarations keep theirs.
// VNNI-LABEL: func.func private @kernel
// VNNI-SAME: llvm.linkage = #llvm.linkage<internal>
// VNNI-LABEL: func.func @public_fn
// VNNI-NOT: llvm.linkage
// VNNI: func.func private @external_decl
// VNNI-NOT: llvm.linkage
func.func private @kernel() {
  return
}
func.func @public_fn() {
  call @kernel() : () -> ()
  return
}
func.func private @external_decl()
