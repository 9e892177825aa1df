// RUN: trit-opt %s --split-input-file --trit-gpu-map-loops | FileCheck %s
// RUN: trit-opt %s --split-input-file --trit-gpu-map-loops --convert-parallel-loops-to-gpu --canonicalize | FileCheck %s --check-prefix=LAUNCH

// A parallel loop whose body is one reduction gets a warp per output: a
// 32-lane dimension (threads x) is added, the outputs take threads y (8 a
// block of 256) and blocks; lane l takes iterations l, l + 32, ...,
// unrolled by 4 (then a remainder loop); a shuffle reduction
// (gpu.subgroup_reduce, lowered to gpu.shuffle xor 1 ... 16) joins the
// lanes, then the initial value.

// linalg's form: the accumulator in memory (load, combine, store at
// loop-invariant indices) is first carried in a register; the max's
// identity is -inf. 512 iterations: a warp.
// CHECK-LABEL: func.func @row_max
// CHECK-SAME: (%[[X:.*]]: memref<?x512xf32>, %[[OUT:.*]]: memref<?xf32>, %[[M:.*]]: index)
// CHECK-DAG: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG: %[[C32:.*]] = arith.constant 32 : index
// CHECK-DAG: %[[C128:.*]] = arith.constant 128 : index
// CHECK-DAG: %[[C512:.*]] = arith.constant 512 : index
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = ({{.*}}) to (%[[M]], %[[C32]]) step (%{{.*}}, %[[C32]])
// CHECK: scf.parallel (%{{.*}}, %[[LANE:.*]]) = ({{.*}}) to ({{.*}}, %[[C32]])
// CHECK: %[[ROW:.*]] = arith.addi
// CHECK: %[[FIRST:.*]] = arith.addi %[[LANE]]
// CHECK: scf.if
// CHECK: %[[INIT:.*]] = memref.load %[[OUT]][%[[ROW]]]
// A lane past the end starts at the end (the unrolled trip count is
// (end - start) / stride, never negative).
// CHECK: %[[START:.*]] = arith.minsi %[[FIRST]], %[[C512]] : index
// CHECK: %[[MAIN:.*]] = scf.for %{{.*}} = %[[START]] to %[[END:.*]] step %[[C128]] iter_args(%[[ACC:.*]] = %[[NEGINF]]) -> (f32) {
// CHECK-COUNT-4: memref.load %[[X]]
// CHECK-NOT: memref.store
// CHECK: scf.yield
// CHECK: %[[PART:.*]] = scf.for %{{.*}} = %[[END]] to %[[C512]] step %[[C32]] iter_args(%{{.*}} = %[[MAIN]]) -> (f32) {
// CHECK: memref.load %[[X]]
// CHECK: arith.maximumf
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

func.func @row_max(%x: memref<?x512xf32>, %out: memref<?xf32>, %m: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c512 = arith.constant 512 : index
  scf.parallel (%i) = (%c0) to (%m) step (%c1) {
    scf.for %k = %c0 to %c512 step %c1 {
      %v = memref.load %x[%i, %k] : memref<?x512xf32>
      %a = memref.load %out[%i] : memref<?xf32>
      %r = arith.maximumf %a, %v : f32
      memref.store %r, %out[%i] : memref<?xf32>
    }
  }
  return
}

// -----

// A long reduction (2560 iterations, at least 1024) over outputs that are
// few at compile time (the tokens: dynamic, one at decode): a block of 256
// threads per output, joined by gpu.all_reduce (lowered with the kernels,
// through shared memory); thread t takes iterations t, t + 256, ...
// CHECK-LABEL: func.func @token_max
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK-DAG: %[[C1024:.*]] = arith.constant 1024 : index
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = ({{.*}}) to (%{{.*}}, %[[C256]]) step (%{{.*}}, %[[C256]])
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C1024]]
// CHECK-COUNT-4: memref.load
// CHECK: %[[PART:.*]] = scf.for %{{.*}} step %[[C256]]
// CHECK: %[[ALL:.*]] = gpu.all_reduce  maximumf %[[PART]] uniform
// CHECK-NOT: gpu.shuffle
// CHECK: arith.maximumf %{{.*}}, %[[ALL]] : f32
// CHECK: memref.store
// CHECK: {mapping = [#gpu.loop_dim_map<processor = thread_y, {{.*}}>, #gpu.loop_dim_map<processor = thread_x, {{.*}}>]}
// CHECK: {mapping = [#gpu.loop_dim_map<processor = block_x, {{.*}}>, #gpu.loop_dim_map<processor = sequential, {{.*}}>]}
// LAUNCH-LABEL: func.func @token_max
// LAUNCH: gpu.launch blocks({{.*}}) in ({{.*}} = %{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}) threads({{.*}}) in ({{.*}} = %c256, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}})
// LAUNCH: gpu.all_reduce
func.func @token_max(%x: memref<?x2560xf32>, %out: memref<?xf32>, %m: index) {
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

// Must not fire as a block: the same length over many outputs known at
// compile time (an LM head's 4096 rows) keeps a warp each.
// CHECK-LABEL: func.func @many_rows
// CHECK-NOT: gpu.all_reduce
// CHECK: gpu.shuffle  xor
// CHECK-NOT: gpu.all_reduce
func.func @many_rows(%x: memref<4096x2560xf32>, %out: memref<4096xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2560 = arith.constant 2560 : index
  %c4096 = arith.constant 4096 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%c4096) step (%c1) {
    %s = scf.for %k = %c0 to %c2560 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %x[%i, %k] : memref<4096x2560xf32>
      %a = arith.addf %acc, %v : f32
      scf.yield %a : f32
    }
    memref.store %s, %out[%i] : memref<4096xf32>
  }
  return
}

// -----

// An integer sum carried in a register (the dp4a kernel's form): 2-D
// outputs take blocks x (tokens) and y (features, 8 a block); 0 + the
// lanes' sum folds to the sum.
// CHECK-LABEL: func.func @dot_sums
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c128 iter_args(%{{.*}} = %c0_i32) -> (i32)
// CHECK-COUNT-4: arith.addi %{{.*}}, %{{.*}} : i32
// CHECK: scf.for %{{.*}} = %{{.*}} to %c160 step %c32 iter_args
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
