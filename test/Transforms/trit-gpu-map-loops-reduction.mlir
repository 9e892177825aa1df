// RUN: trit-opt %s --split-input-file --trit-gpu-map-loops | FileCheck %s
// RUN: trit-opt %s --split-input-file --trit-gpu-map-loops --convert-parallel-loops-to-gpu --canonicalize | FileCheck %s --check-prefix=LAUNCH

// A parallel loop whose body is one reduction gets a warp per output: a
// 32-lane dimension (threads x) is added, the outputs take threads y (8 a
// block of 256) and blocks; lane l takes iterations l, l + 32, ...; a
// shuffle reduction (gpu.subgroup_reduce, lowered to gpu.shuffle xor 1 ...
// 16) joins the lanes, then the initial value.

// linalg's form: the accumulator in memory (load, combine, store at
// loop-invariant indices) is first carried in a register; the max's
// identity is -inf.
// CHECK-LABEL: func.func @row_max
// CHECK-SAME: (%[[X:.*]]: memref<?x2560xf32>, %[[OUT:.*]]: memref<?xf32>, %[[M:.*]]: index)
// CHECK-DAG: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG: %[[C32:.*]] = arith.constant 32 : index
// CHECK-DAG: %[[C2560:.*]] = arith.constant 2560 : index
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = ({{.*}}) to (%[[M]], %[[C32]]) step (%{{.*}}, %[[C32]])
// CHECK: scf.parallel (%{{.*}}, %[[LANE:.*]]) = ({{.*}}) to ({{.*}}, %[[C32]])
// CHECK: %[[ROW:.*]] = arith.addi
// CHECK: %[[START:.*]] = arith.addi %[[LANE]]
// CHECK: scf.if
// CHECK: %[[INIT:.*]] = memref.load %[[OUT]][%[[ROW]]]
// CHECK: %[[PART:.*]] = scf.for %{{.*}} = %[[START]] to %[[C2560]] step %[[C32]] iter_args(%[[ACC:.*]] = %[[NEGINF]]) -> (f32) {
// CHECK: memref.load %[[X]]
// CHECK: arith.maximumf %[[ACC]]
// CHECK-NOT: memref.store
// CHECK: scf.yield
// CHECK: gpu.shuffle  xor %[[PART]]
// CHECK: gpu.shuffle  xor
// CHECK: gpu.shuffle  xor
// CHECK: gpu.shuffle  xor
// CHECK: gpu.shuffle  xor
// CHECK: %[[ALL:.*]] = arith.maximumf
// CHECK: %[[FINAL:.*]] = arith.maximumf %[[INIT]], %[[ALL]] : f32
// CHECK: memref.store %[[FINAL]], %[[OUT]][%[[ROW]]]
// CHECK: {mapping = [#gpu.loop_dim_map<processor = thread_y, {{.*}}>, #gpu.loop_dim_map<processor = thread_x, {{.*}}>]}
// CHECK: {mapping = [#gpu.loop_dim_map<processor = block_x, {{.*}}>, #gpu.loop_dim_map<processor = sequential, {{.*}}>]}
// LAUNCH-LABEL: func.func @row_max
// LAUNCH: gpu.launch blocks({{.*}}) in ({{.*}} = %{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}) threads({{.*}}) in ({{.*}} = %c32, {{.*}} = %c8, {{.*}} = %c1{{.*}})
// LAUNCH: gpu.shuffle  xor

func.func @row_max(%x: memref<?x2560xf32>, %out: memref<?xf32>, %m: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2560 = arith.constant 2560 : index
  scf.parallel (%i) = (%c0) to (%m) step (%c1) {
    scf.for %k = %c0 to %c2560 step %c1 {
      %v = memref.load %x[%i, %k] : memref<?x2560xf32>
      %a = memref.load %out[%i] : memref<?xf32>
      %r = arith.maximumf %a, %v : f32
      memref.store %r, %out[%i] : memref<?xf32>
    }
  }
  return
}

// -----

// An integer sum carried in a register (the dp4a kernel's form): 2-D
// outputs take blocks x (tokens) and y (features, 8 a block); 0 + the
// lanes' sum folds to the sum.
// CHECK-LABEL: func.func @dot_sums
// CHECK: scf.for %{{.*}} = %{{.*}} to %c160 step %c32 iter_args(%{{.*}} = %c0_i32) -> (i32)
// CHECK: arith.addi
// CHECK: gpu.shuffle  xor
// CHECK-COUNT-4: gpu.shuffle  xor
// CHECK: memref.store
// CHECK: {mapping = [#gpu.loop_dim_map<processor = sequential, {{.*}}>, #gpu.loop_dim_map<processor = thread_y, {{.*}}>, #gpu.loop_dim_map<processor = thread_x, {{.*}}>]}
// CHECK: {mapping = [#gpu.loop_dim_map<processor = block_x, {{.*}}>, #gpu.loop_dim_map<processor = block_y, {{.*}}>, #gpu.loop_dim_map<processor = sequential, {{.*}}>]}
func.func @dot_sums(%w: memref<640x160xi32>, %out: memref<?x640xi32>, %m: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c160 = arith.constant 160 : index
  %c640 = arith.constant 640 : index
  %zero = arith.constant 0 : i32
  scf.parallel (%t, %n) = (%c0, %c0) to (%m, %c640) step (%c1, %c1) {
    %s = scf.for %q = %c0 to %c160 step %c1 iter_args(%acc = %zero) -> (i32) {
      %v = memref.load %w[%n, %q] : memref<640x160xi32>
      %a = arith.addi %acc, %v : i32
      scf.yield %a : i32
    }
    memref.store %s, %out[%t, %n] : memref<?x640xi32>
  }
  return
}

// -----

// Must not fire: a reduction of 16 iterations (fewer than two per lane)
// keeps one thread per output.
// CHECK-LABEL: func.func @short
// CHECK-NOT: gpu.shuffle
// CHECK: scf.for %{{.*}} = %c0 to %c16 step %c1
// CHECK-NOT: gpu.shuffle
// CHECK: {mapping = [#gpu.loop_dim_map<processor = thread_x, {{.*}}>]}
func.func @short(%x: memref<?x16xf32>, %out: memref<?xf32>, %m: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%m) step (%c1) {
    %s = scf.for %k = %c0 to %c16 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %x[%i, %k] : memref<?x16xf32>
      %a = arith.addf %acc, %v : f32
      scf.yield %a : f32
    }
    memref.store %s, %out[%i] : memref<?xf32>
  }
  return
}

// -----

// Must not fire: a loop that writes memory is no reduction.
// CHECK-LABEL: func.func @writes
// CHECK-NOT: gpu.shuffle
// CHECK: {mapping = [#gpu.loop_dim_map<processor = thread_x, {{.*}}>]}
func.func @writes(%x: memref<?x256xf32>, %y: memref<?x256xf32>, %m: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  scf.parallel (%i) = (%c0) to (%m) step (%c1) {
    scf.for %k = %c0 to %c256 step %c1 {
      %v = memref.load %x[%i, %k] : memref<?x256xf32>
      memref.store %v, %y[%i, %k] : memref<?x256xf32>
    }
  }
  return
}

// -----

// Must not fire: v - acc is not an associative fold of the carried value.
// CHECK-LABEL: func.func @not_a_fold
// CHECK-NOT: gpu.shuffle
// CHECK: arith.subf
// CHECK-NOT: gpu.shuffle
// CHECK: {mapping = [#gpu.loop_dim_map<processor = thread_x, {{.*}}>]}
func.func @not_a_fold(%x: memref<?x256xf32>, %out: memref<?xf32>, %m: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%m) step (%c1) {
    %s = scf.for %k = %c0 to %c256 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %x[%i, %k] : memref<?x256xf32>
      %a = arith.subf %v, %acc : f32
      scf.yield %a : f32
    }
    memref.store %s, %out[%i] : memref<?xf32>
  }
  return
}
