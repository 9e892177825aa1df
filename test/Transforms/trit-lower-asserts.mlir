// RUN: trit-opt %s --split-input-file --trit-lower-asserts | FileCheck %s
// always=true (the GPU target: its runtime reports CUDA errors through
// __trit_check_failed, which the model library then exports to itself with
// hidden visibility instead of internal linkage): hooks in every module,
// with or without asserts.
// RUN: trit-opt %s --split-input-file --trit-lower-asserts=always=true | FileCheck %s --check-prefix=ALWAYS

// A size check: the failure block passes both sizes, as i64, and the
// message to __trit_check_failed, which calls the runtime's handler (set
// through trit_set_check_handler) or abort().
// CHECK-LABEL: llvm.mlir.global internal constant @__trit_check_message_0("node 'Add_1' (Add): dimension 1 of its operands differs\00")
// CHECK-LABEL: func.func @main
// ALWAYS-LABEL: func.func @main
// ALWAYS: llvm.call @__trit_check_failed(
// ALWAYS-NOT: internal @__trit_check_failed
// ALWAYS: llvm.func hidden @__trit_check_failed(%{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64)
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[Y:.*]]: tensor<?x4xf32>)
// CHECK: %[[A:.*]] = tensor.dim %[[X]]
// CHECK: %[[B:.*]] = tensor.dim %[[Y]]
// CHECK: %[[OK:.*]] = arith.cmpi eq, %[[A]], %[[B]] : index
// CHECK: cf.cond_br %[[OK]], ^[[REST:.*]], ^[[FAILED:[a-z0-9]*]]
// CHECK: ^[[FAILED]]:
// CHECK: %[[MSG:.*]] = llvm.getelementptr
// CHECK: %[[A64:.*]] = arith.index_cast %[[A]] : index to i64
// CHECK: %[[B64:.*]] = arith.index_cast %[[B]] : index to i64
// CHECK: llvm.call @__trit_check_failed(%[[MSG]], %[[A64]], %[[B64]])
// CHECK: llvm.unreachable
// CHECK: ^[[REST]]:
// CHECK: arith.addf
// CHECK-LABEL: llvm.mlir.global internal @__trit_check_handler() {{.*}} : !llvm.ptr
// CHECK: llvm.mlir.zero
// CHECK-LABEL: llvm.func @trit_set_check_handler(%{{.*}}: !llvm.ptr)
// CHECK: llvm.store
// CHECK-LABEL: llvm.func internal @__trit_check_failed(%{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64)
// CHECK: llvm.load
// CHECK: llvm.icmp "eq"
// CHECK: llvm.call %{{.*}}(%{{.*}}, %{{.*}}, %{{.*}})
// CHECK: llvm.call @abort()
func.func @main(%x: tensor<?x4xf32>, %y: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %c0 = arith.constant 0 : index
  %a = tensor.dim %x, %c0 : tensor<?x4xf32>
  %b = tensor.dim %y, %c0 : tensor<?x4xf32>
  %ok = arith.cmpi eq, %a, %b : index
  cf.assert %ok, "node 'Add_1' (Add): dimension 1 of its operands differs"
  %z = arith.addf %x, %y : tensor<?x4xf32>
  return %z : tensor<?x4xf32>
}

// -----

// Another condition: the sizes are given as -1.
// CHECK-LABEL: func.func @other
// CHECK: %[[M1:.*]] = arith.constant -1 : i64
// CHECK: llvm.call @__trit_check_failed(%{{.*}}, %[[M1]], %[[M1]])
func.func @other(%ok: i1) {
  cf.assert %ok, "some condition"
  return
}

// -----

// Without asserts the module is left alone: no hooks.
// CHECK-LABEL: func.func @none
// CHECK-NOT: __trit_check
// CHECK-NOT: trit_set_check_handler
// With always=true it gets them.
// ALWAYS-LABEL: func.func @none
// ALWAYS-NEXT: return
// ALWAYS: llvm.mlir.global internal @__trit_check_handler() {{.*}} : !llvm.ptr
// ALWAYS: llvm.func @trit_set_check_handler(%{{.*}}: !llvm.ptr)
// ALWAYS: llvm.func hidden @__trit_check_failed(%{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64)
// ALWAYS: llvm.icmp "eq"
// ALWAYS: llvm.call @abort()
// ALWAYS: llvm.unreachable
// ALWAYS-NOT: __trit_check_message
func.func @none() {
  return
}
