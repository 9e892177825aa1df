// RUN: trit-opt %s --split-input-file --trit-fuse-parallel-loops | FileCheck %s

memref.global "private" constant @weight : memref<8xf32> = dense<2.0>

// Bufferization's form: each loop's allocation right before it. The
// allocations move up (in their order) and the three loops over the same
// space become one: a fill, a row sum into the filled buffer, and a
// scaling that reads the sum where it was written and a constant global
// (no alias of a fresh allocation).
// CHECK-LABEL: func.func @norm
// CHECK-SAME: (%[[X:.*]]: memref<?x8xf32>, %[[N:.*]]: index)
// CHECK-NEXT: %[[SUM:.*]] = memref.alloc(%[[N]]) : memref<?xf32>
// CHECK-NEXT: %[[OUT:.*]] = memref.alloc(%[[N]]) : memref<?xf32>
// CHECK: memref.get_global @weight
// CHECK: scf.parallel
// CHECK: memref.store %{{.*}}, %[[SUM]]
// CHECK: scf.for
// CHECK: memref.store %{{.*}}, %[[SUM]]
// CHECK: memref.load %[[SUM]]
// CHECK: memref.store %{{.*}}, %[[OUT]]
// CHECK: scf.reduce
// CHECK-NOT: scf.parallel
// CHECK: return %[[OUT]]
func.func @norm(%x: memref<?x8xf32>, %n: index) -> memref<?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  %w = memref.get_global @weight : memref<8xf32>
  %sum = memref.alloc(%n) : memref<?xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %zero, %sum[%i] : memref<?xf32>
  }
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.for %k = %c0 to %c8 step %c1 {
      %v = memref.load %x[%i, %k] : memref<?x8xf32>
      %a = memref.load %sum[%i] : memref<?xf32>
      %s = arith.addf %a, %v : f32
      memref.store %s, %sum[%i] : memref<?xf32>
    }
  }
  %out = memref.alloc(%n) : memref<?xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %s = memref.load %sum[%i] : memref<?xf32>
    %g = memref.load %w[%c0] : memref<8xf32>
    %y = arith.mulf %s, %g : f32
    memref.store %y, %out[%i] : memref<?xf32>
  }
  return %out : memref<?xf32>
}

// -----

// Must not fuse: the second loop reads what the first writes at another
// index (a transpose), which another thread of the fused loop would write.
// CHECK-LABEL: func.func @transpose
// CHECK: scf.parallel
// CHECK: scf.parallel
func.func @transpose(%x: memref<4x4xf32>) -> memref<4x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %a = memref.alloc() : memref<4x4xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c4) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<4x4xf32>
    memref.store %v, %a[%i, %j] : memref<4x4xf32>
  }
  %b = memref.alloc() : memref<4x4xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c4) step (%c1, %c1) {
    %v = memref.load %a[%j, %i] : memref<4x4xf32>
    memref.store %v, %b[%i, %j] : memref<4x4xf32>
  }
  return %b : memref<4x4xf32>
}

// -----

// Must not fuse: the loops' spaces differ.
// CHECK-LABEL: func.func @bounds
// CHECK: scf.parallel
// CHECK: scf.parallel
func.func @bounds(%x: memref<8xf32>) -> memref<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %a = memref.alloc() : memref<8xf32>
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %v = memref.load %x[%i] : memref<8xf32>
    memref.store %v, %a[%i] : memref<8xf32>
  }
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %v = memref.load %a[%i] : memref<8xf32>
    memref.store %v, %x[%i] : memref<8xf32>
  }
  return %a : memref<8xf32>
}

// -----

// Must not fuse: two views of one argument may overlap (the oracle knows
// only allocations and globals apart), and the second loop writes through
// one what the first reads through the other.
// CHECK-LABEL: func.func @views
// CHECK: scf.parallel
// CHECK: scf.parallel
func.func @views(%x: memref<8xf32>, %y: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %lo = memref.subview %x[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  %hi = memref.subview %x[2] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 2>>
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %v = memref.load %lo[%i] : memref<4xf32, strided<[1]>>
    memref.store %v, %y[%i] : memref<8xf32>
  }
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %v = memref.load %y[%i] : memref<8xf32>
    memref.store %v, %hi[%i] : memref<4xf32, strided<[1], offset: 2>>
  }
  return
}

// -----

// An allocation whose size is computed after the first loop cannot move
// above it and still separates the loops: no fusion (a side effect in
// between).
// CHECK-LABEL: func.func @late_size
// CHECK: scf.parallel
// CHECK: %[[B:.*]] = memref.alloc
// CHECK: scf.parallel
func.func @late_size(%x: memref<?xf32>, %n: index) -> memref<?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = memref.alloc(%n) : memref<?xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = memref.load %x[%i] : memref<?xf32>
    memref.store %v, %a[%i] : memref<?xf32>
  }
  %m = memref.load %x[%c0] : memref<?xf32>
  %k = arith.fptosi %m : f32 to i64
  %size = arith.index_cast %k : i64 to index
  %b = memref.alloc(%size) : memref<?xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = memref.load %a[%i] : memref<?xf32>
    memref.store %v, %b[%i] : memref<?xf32>
  }
  return %b : memref<?xf32>
}


// -----

// A run of loops that together use more than 2 KiB of outside values (the
// kernel parameters CUDA takes: 4 KiB) is cut: twelve copies into fresh
// rank-4 buffers (88 bytes a descriptor, 176 a loop) fuse into one loop of
// eleven and one of one, not one kernel that ptxas would refuse.
// CHECK-LABEL: func.func @budget
// CHECK: scf.parallel
// CHECK-COUNT-11: memref.store
// CHECK-NEXT: scf.reduce
// CHECK: scf.parallel
// CHECK-NEXT: memref.load
// CHECK-NEXT: memref.store
// CHECK-NEXT: scf.reduce
// CHECK-NOT: scf.parallel
// CHECK-NOT: memref.alloca
// CHECK: return
func.func @budget(%a0: memref<?x2x2x2xf32>, %a1: memref<?x2x2x2xf32>, %a2: memref<?x2x2x2xf32>, %a3: memref<?x2x2x2xf32>, %a4: memref<?x2x2x2xf32>, %a5: memref<?x2x2x2xf32>, %a6: memref<?x2x2x2xf32>, %a7: memref<?x2x2x2xf32>, %a8: memref<?x2x2x2xf32>, %a9: memref<?x2x2x2xf32>, %a10: memref<?x2x2x2xf32>, %a11: memref<?x2x2x2xf32>, %n: index) -> (memref<?x2x2x2xf32>, memref<?x2x2x2xf32>, memref<?x2x2x2xf32>, memref<?x2x2x2xf32>, memref<?x2x2x2xf32>, memref<?x2x2x2xf32>, memref<?x2x2x2xf32>, memref<?x2x2x2xf32>, memref<?x2x2x2xf32>, memref<?x2x2x2xf32>, memref<?x2x2x2xf32>, memref<?x2x2x2xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %b0 = memref.alloc(%n) : memref<?x2x2x2xf32>
  scf.parallel (%i, %j, %k, %l) = (%c0, %c0, %c0, %c0) to (%n, %c2, %c2, %c2) step (%c1, %c1, %c1, %c1) {
    %v = memref.load %a0[%i, %j, %k, %l] : memref<?x2x2x2xf32>
    memref.store %v, %b0[%i, %j, %k, %l] : memref<?x2x2x2xf32>
  }
  %b1 = memref.alloc(%n) : memref<?x2x2x2xf32>
  scf.parallel (%i, %j, %k, %l) = (%c0, %c0, %c0, %c0) to (%n, %c2, %c2, %c2) step (%c1, %c1, %c1, %c1) {
    %v = memref.load %a1[%i, %j, %k, %l] : memref<?x2x2x2xf32>
    memref.store %v, %b1[%i, %j, %k, %l] : memref<?x2x2x2xf32>
  }
  %b2 = memref.alloc(%n) : memref<?x2x2x2xf32>
  scf.parallel (%i, %j, %k, %l) = (%c0, %c0, %c0, %c0) to (%n, %c2, %c2, %c2) step (%c1, %c1, %c1, %c1) {
    %v = memref.load %a2[%i, %j, %k, %l] : memref<?x2x2x2xf32>
    memref.store %v, %b2[%i, %j, %k, %l] : memref<?x2x2x2xf32>
  }
  %b3 = memref.alloc(%n) : memref<?x2x2x2xf32>
  scf.parallel (%i, %j, %k, %l) = (%c0, %c0, %c0, %c0) to (%n, %c2, %c2, %c2) step (%c1, %c1, %c1, %c1) {
    %v = memref.load %a3[%i, %j, %k, %l] : memref<?x2x2x2xf32>
    memref.store %v, %b3[%i, %j, %k, %l] : memref<?x2x2x2xf32>
  }
  %b4 = memref.alloc(%n) : memref<?x2x2x2xf32>
  scf.parallel (%i, %j, %k, %l) = (%c0, %c0, %c0, %c0) to (%n, %c2, %c2, %c2) step (%c1, %c1, %c1, %c1) {
    %v = memref.load %a4[%i, %j, %k, %l] : memref<?x2x2x2xf32>
    memref.store %v, %b4[%i, %j, %k, %l] : memref<?x2x2x2xf32>
  }
  %b5 = memref.alloc(%n) : memref<?x2x2x2xf32>
  scf.parallel (%i, %j, %k, %l) = (%c0, %c0, %c0, %c0) to (%n, %c2, %c2, %c2) step (%c1, %c1, %c1, %c1) {
    %v = memref.load %a5[%i, %j, %k, %l] : memref<?x2x2x2xf32>
    memref.store %v, %b5[%i, %j, %k, %l] : memref<?x2x2x2xf32>
  }
  %b6 = memref.alloc(%n) : memref<?x2x2x2xf32>
  scf.parallel (%i, %j, %k, %l) = (%c0, %c0, %c0, %c0) to (%n, %c2, %c2, %c2) step (%c1, %c1, %c1, %c1) {
    %v = memref.load %a6[%i, %j, %k, %l] : memref<?x2x2x2xf32>
    memref.store %v, %b6[%i, %j, %k, %l] : memref<?x2x2x2xf32>
  }
  %b7 = memref.alloc(%n) : memref<?x2x2x2xf32>
  scf.parallel (%i, %j, %k, %l) = (%c0, %c0, %c0, %c0) to (%n, %c2, %c2, %c2) step (%c1, %c1, %c1, %c1) {
    %v = memref.load %a7[%i, %j, %k, %l] : memref<?x2x2x2xf32>
    memref.store %v, %b7[%i, %j, %k, %l] : memref<?x2x2x2xf32>
  }
  %b8 = memref.alloc(%n) : memref<?x2x2x2xf32>
  scf.parallel (%i, %j, %k, %l) = (%c0, %c0, %c0, %c0) to (%n, %c2, %c2, %c2) step (%c1, %c1, %c1, %c1) {
    %v = memref.load %a8[%i, %j, %k, %l] : memref<?x2x2x2xf32>
    memref.store %v, %b8[%i, %j, %k, %l] : memref<?x2x2x2xf32>
  }
  %b9 = memref.alloc(%n) : memref<?x2x2x2xf32>
  scf.parallel (%i, %j, %k, %l) = (%c0, %c0, %c0, %c0) to (%n, %c2, %c2, %c2) step (%c1, %c1, %c1, %c1) {
    %v = memref.load %a9[%i, %j, %k, %l] : memref<?x2x2x2xf32>
    memref.store %v, %b9[%i, %j, %k, %l] : memref<?x2x2x2xf32>
  }
  %b10 = memref.alloc(%n) : memref<?x2x2x2xf32>
  scf.parallel (%i, %j, %k, %l) = (%c0, %c0, %c0, %c0) to (%n, %c2, %c2, %c2) step (%c1, %c1, %c1, %c1) {
    %v = memref.load %a10[%i, %j, %k, %l] : memref<?x2x2x2xf32>
    memref.store %v, %b10[%i, %j, %k, %l] : memref<?x2x2x2xf32>
  }
  %b11 = memref.alloc(%n) : memref<?x2x2x2xf32>
  scf.parallel (%i, %j, %k, %l) = (%c0, %c0, %c0, %c0) to (%n, %c2, %c2, %c2) step (%c1, %c1, %c1, %c1) {
    %v = memref.load %a11[%i, %j, %k, %l] : memref<?x2x2x2xf32>
    memref.store %v, %b11[%i, %j, %k, %l] : memref<?x2x2x2xf32>
  }
  return %b0, %b1, %b2, %b3, %b4, %b5, %b6, %b7, %b8, %b9, %b10, %b11 : memref<?x2x2x2xf32>, memref<?x2x2x2xf32>, memref<?x2x2x2xf32>, memref<?x2x2x2xf32>, memref<?x2x2x2xf32>, memref<?x2x2x2xf32>, memref<?x2x2x2xf32>, memref<?x2x2x2xf32>, memref<?x2x2x2xf32>, memref<?x2x2x2xf32>, memref<?x2x2x2xf32>, memref<?x2x2x2xf32>
}
