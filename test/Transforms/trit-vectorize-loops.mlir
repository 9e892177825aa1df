// RUN: trit-opt %s -split-input-file --trit-vectorize-loops | FileCheck %s
// RUN: trit-opt %s -split-input-file --trit-vectorize-loops=lanes=8 | FileCheck %s --check-prefix=EIGHT
// RUN: not trit-opt %s -split-input-file --trit-vectorize-loops=lanes=3 2>&1 | FileCheck %s --check-prefix=LANES

// LANES: trit-vectorize-loops: lanes must be a power of two of at least 2, not 3

// A copy of 64-wide rows into a strided (innermost stride 1) view: vector
// loads and stores of 16, no scalar loop left (64 is a multiple of 16).
// CHECK-LABEL: func.func @copy_static(
// CHECK-SAME: %[[A:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<?x64xf32, strided<[128, 1], offset: ?>>
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: %[[C16:.*]] = arith.constant 16 : index
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %[[C16]] {
// CHECK-NEXT: %[[V:.*]] = vector.load %[[A]][%[[I]], %[[J]]] : memref<?x64xf32>, vector<16xf32>
// CHECK-NEXT: vector.store %[[V]], %[[B]][%[[I]], %[[J]]] : memref<?x64xf32, strided<[128, 1], offset: ?>>, vector<16xf32>
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NOT: memref.load
// CHECK: return
func.func @copy_static(%a: memref<?x64xf32>, %b: memref<?x64xf32, strided<[128, 1], offset: ?>>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.for %i = %c0 to %n step %c1 {
    scf.for %j = %c0 to %c64 step %c1 {
      %v = memref.load %a[%i, %j] : memref<?x64xf32>
      memref.store %v, %b[%i, %j] : memref<?x64xf32, strided<[128, 1], offset: ?>>
    }
  }
  return
}

// -----

// A dynamic row length: whole vectors up to max(n, 0) / 16 * 16 (a loop
// that does not run stays so), then the original loop for the rest. The per-row factor (its index does not use %j) and the
// constant are broadcast; the ops are the same, on vectors.
// CHECK-LABEL: func.func @row_scale_dynamic(
// CHECK-SAME: %[[X:[^:]*]]: memref<?x?xf32>, %[[S:[^:]*]]: memref<?xf32>, %[[Y:[^:]*]]: memref<?x?xf32>, %{{[^:]*}}: index, %[[N:[^:]*]]: index)
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: %[[C16:.*]] = arith.constant 16 : index
// CHECK: %[[COUNT:.*]] = arith.maxsi %[[N]], %{{.*}} : index
// CHECK: %[[Q:.*]] = arith.divui %[[COUNT]], %[[C16]] : index
// CHECK: %[[END:.*]] = arith.muli %[[Q]], %[[C16]] : index
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %[[END]] step %[[C16]] {
// CHECK-NEXT: %[[V:.*]] = vector.load %[[X]][%[[I]], %[[J]]] : memref<?x?xf32>, vector<16xf32>
// CHECK-NEXT: %[[F:.*]] = memref.load %[[S]][%[[I]]] : memref<?xf32>
// CHECK-NEXT: %[[FB:.*]] = vector.broadcast %[[F]] : f32 to vector<16xf32>
// CHECK-NEXT: %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT: %[[TWOB:.*]] = vector.broadcast %[[TWO]] : f32 to vector<16xf32>
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[V]], %[[FB]] : vector<16xf32>
// CHECK-NEXT: %[[R:.*]] = arith.addf %[[P]], %[[TWOB]] : vector<16xf32>
// CHECK-NEXT: %[[E:.*]] = math.roundeven %[[R]] : vector<16xf32>
// CHECK-NEXT: %[[C:.*]] = arith.cmpf olt, %[[E]], %[[TWOB]] : vector<16xf32>
// CHECK-NEXT: %[[SEL:.*]] = arith.select %[[C]], %[[E]], %[[V]] : vector<16xi1>, vector<16xf32>
// CHECK-NEXT: vector.store %[[SEL]], %[[Y]][%[[I]], %[[J]]] : memref<?x?xf32>, vector<16xf32>
// CHECK-NEXT: }
// CHECK-NEXT: scf.for %[[J2:.*]] = %[[END]] to %[[N]] step %{{.*}} {
// CHECK-NEXT: memref.load %[[X]][%[[I]], %[[J2]]] : memref<?x?xf32>
// CHECK: memref.store %{{.*}}, %[[Y]][%[[I]], %[[J2]]] : memref<?x?xf32>
func.func @row_scale_dynamic(%x: memref<?x?xf32>, %s: memref<?xf32>, %y: memref<?x?xf32>, %m: index, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %m step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %v = memref.load %x[%i, %j] : memref<?x?xf32>
      %f = memref.load %s[%i] : memref<?xf32>
      %two = arith.constant 2.0 : f32
      %p = arith.mulf %v, %f : f32
      %q = arith.addf %p, %two : f32
      %r = math.roundeven %q : f32
      %c = arith.cmpf olt, %r, %two : f32
      %sel = arith.select %c, %r, %v : f32
      memref.store %sel, %y[%i, %j] : memref<?x?xf32>
    }
  }
  return
}

// -----

// In place: the memref stored to is read at the same indices. Integers
// too; with lanes=8, vectors of 8.
// CHECK-LABEL: func.func @in_place(
// CHECK: vector.load %arg0{{.*}} : memref<4x32xi32>, vector<16xi32>
// CHECK: arith.muli %{{.*}}, %{{.*}} : vector<16xi32>
// CHECK: vector.store %{{.*}}, %arg0
// EIGHT-LABEL: func.func @in_place(
// EIGHT: vector.load %arg0{{.*}} : memref<4x32xi32>, vector<8xi32>
// EIGHT: arith.muli %{{.*}}, %{{.*}} : vector<8xi32>
// EIGHT: vector.store %{{.*}}, %arg0
func.func @in_place(%a: memref<4x32xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c32 = arith.constant 32 : index
  scf.for %i = %c0 to %c4 step %c1 {
    scf.for %j = %c0 to %c32 step %c1 {
      %v = memref.load %a[%i, %j] : memref<4x32xi32>
      %w = arith.muli %v, %v : i32
      memref.store %w, %a[%i, %j] : memref<4x32xi32>
    }
  }
  return
}

// -----

// Must not fire: a reduction (a loop-carried value: vectorizing would
// change the order of the sum).
// CHECK-LABEL: func.func @reduction(
// CHECK-NOT: vector.
// CHECK: scf.for {{.*}} iter_args
func.func @reduction(%a: memref<64xf32>, %out: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %sum = scf.for %j = %c0 to %c64 step %c1 iter_args(%acc = %zero) -> f32 {
    %v = memref.load %a[%j] : memref<64xf32>
    %s = arith.addf %acc, %v : f32
    scf.yield %s : f32
  }
  memref.store %sum, %out[] : memref<f32>
  return
}

// -----

// Must not fire: the induction variable indexes a dimension other than the
// last (a transpose: not contiguous).
// CHECK-LABEL: func.func @transposed_read(
// CHECK-NOT: vector.
func.func @transposed_read(%a: memref<64x64xf32>, %b: memref<64x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.for %i = %c0 to %c64 step %c1 {
    scf.for %j = %c0 to %c64 step %c1 {
      %v = memref.load %a[%j, %i] : memref<64x64xf32>
      memref.store %v, %b[%i, %j] : memref<64x64xf32>
    }
  }
  return
}

// -----

// Must not fire: the innermost stride is 2.
// CHECK-LABEL: func.func @strided_row(
// CHECK-NOT: vector.
func.func @strided_row(%a: memref<64xf32, strided<[2]>>, %b: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.for %j = %c0 to %c64 step %c1 {
    %v = memref.load %a[%j] : memref<64xf32, strided<[2]>>
    memref.store %v, %b[%j] : memref<64xf32>
  }
  return
}

// -----

// Must not fire: i1 memrefs (a vector of i1 is packed bits, the memref
// one byte per element).
// CHECK-LABEL: func.func @bool_memref(
// CHECK-NOT: vector.
func.func @bool_memref(%a: memref<64xf32>, %b: memref<64xi1>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  scf.for %j = %c0 to %c64 step %c1 {
    %v = memref.load %a[%j] : memref<64xf32>
    %c = arith.cmpf ogt, %v, %zero : f32
    memref.store %c, %b[%j] : memref<64xi1>
  }
  return
}

// -----

// Must not fire: the memref stored to is also read elsewhere than where it
// is written (a loop-carried dependence through memory).
// CHECK-LABEL: func.func @shifted_in_place(
// CHECK-NOT: vector.
func.func @shifted_in_place(%a: memref<2x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.for %j = %c0 to %c64 step %c1 {
    %v = memref.load %a[%c0, %j] : memref<2x64xf32>
    memref.store %v, %a[%c1, %j] : memref<2x64xf32>
  }
  return
}

// -----

// Must not fire: the induction variable is used as a value (an iota).
// CHECK-LABEL: func.func @iota(
// CHECK-NOT: vector.
func.func @iota(%a: memref<64xi64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.for %j = %c0 to %c64 step %c1 {
    %v = arith.index_cast %j : index to i64
    memref.store %v, %a[%j] : memref<64xi64>
  }
  return
}

// -----

// Must not fire: fewer iterations than lanes, and an op outside the list
// (math.tanh).
// CHECK-LABEL: func.func @short_and_tanh(
// CHECK-NOT: vector.
func.func @short_and_tanh(%a: memref<8xf32>, %b: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  scf.for %j = %c0 to %c8 step %c1 {
    %v = memref.load %a[%j] : memref<8xf32>
    memref.store %v, %a[%j] : memref<8xf32>
  }
  scf.for %j = %c0 to %c64 step %c1 {
    %v = memref.load %b[%j] : memref<64xf32>
    %t = math.tanh %v : f32
    memref.store %t, %b[%j] : memref<64xf32>
  }
  return
}

// -----

// A maximum through memory (absmax over a dynamic row): lanes of partial
// maxima from -inf, one vector.reduction, then into the element; the rest
// in the scalar loop, through memory as before.
// CHECK-LABEL: func.func @absmax(
// CHECK-SAME: %[[X:[^:]*]]: memref<?x?xf32>, %[[OUT:[^:]*]]: memref<?xf32>
// CHECK: %[[NINF:.*]] = arith.constant dense<0xFF800000> : vector<16xf32>
// CHECK: %[[ACC:.*]] = scf.for %[[J:.*]] = {{.*}} iter_args(%[[A:.*]] = %[[NINF]]) -> (vector<16xf32>) {
// CHECK-NEXT: %[[V:.*]] = vector.load %[[X]][%{{.*}}, %[[J]]]
// CHECK-NEXT: %[[ABS:.*]] = math.absf %[[V]] : vector<16xf32>
// CHECK-NEXT: %[[M:.*]] = arith.maximumf %[[A]], %[[ABS]] : vector<16xf32>
// CHECK-NEXT: scf.yield %[[M]]
// CHECK: %[[R:.*]] = vector.reduction <maximumf>, %[[ACC]] : vector<16xf32> into f32
// CHECK-NEXT: %[[OLD:.*]] = memref.load %[[OUT]][%{{.*}}]
// CHECK-NEXT: %[[NEW:.*]] = arith.maximumf %[[OLD]], %[[R]] : f32
// CHECK-NEXT: memref.store %[[NEW]], %[[OUT]][%{{.*}}]
// CHECK: scf.for
// CHECK: memref.load %[[X]]
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : f32
func.func @absmax(%x: memref<?x?xf32>, %out: memref<?xf32>, %m: index, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %m step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %v = memref.load %x[%i, %j] : memref<?x?xf32>
      %a = math.absf %v : f32
      %acc = memref.load %out[%i] : memref<?xf32>
      %s = arith.maximumf %a, %acc : f32
      memref.store %s, %out[%i] : memref<?xf32>
    }
  }
  return
}

// -----

// Must not fire: a sum through memory (vector lanes would change its
// order), and a maximum whose element is also read elsewhere in the loop.
// CHECK-LABEL: func.func @sum_and_reread(
// CHECK-NOT: vector.
func.func @sum_and_reread(%x: memref<64xf32>, %out: memref<1xf32>, %copy: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.for %j = %c0 to %c64 step %c1 {
    %v = memref.load %x[%j] : memref<64xf32>
    %acc = memref.load %out[%c0] : memref<1xf32>
    %s = arith.addf %acc, %v : f32
    memref.store %s, %out[%c0] : memref<1xf32>
  }
  scf.for %j = %c0 to %c64 step %c1 {
    %v = memref.load %x[%j] : memref<64xf32>
    %acc = memref.load %out[%c0] : memref<1xf32>
    %s = arith.maximumf %acc, %v : f32
    memref.store %s, %out[%c0] : memref<1xf32>
    %again = memref.load %out[%c0] : memref<1xf32>
    memref.store %again, %copy[%j] : memref<64xf32>
  }
  return
}
