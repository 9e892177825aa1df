// The entry glue (functions without loops that run a bounded number of
// times per call of an entry point) is compiled without optimization:
// `optnone` in the LLVM IR, and a separate object compiled at -O0 that is
// linked into libraries; --optimize-entry-glue optimizes it like the rest.
// RUN: tritc %s --emit=llvm | FileCheck %s
// RUN: tritc %s --emit=llvm | grep "^attributes" | grep -c optnone | FileCheck %s --check-prefix=ONCE
// RUN: tritc %s --emit=llvm --optimize-entry-glue | FileCheck %s --check-prefix=OPT
// RUN: tritc %s --emit=llvm -O0 | FileCheck %s --check-prefix=OPT
// (emit-levels.mlir runs a library whose glue is compiled apart.)

// Entry points without a loop (the loop of @with_loop is outlined by
// trit-outline-loops), and a local function called once.
// CHECK-DAG: define {{.*}}float @main(float {{.*}}) {{.*}}#[[GLUE:[0-9]+]]
// CHECK-DAG: define internal {{.*}}float @once(float {{.*}}) {{.*}}#[[GLUE]]
// CHECK-DAG: define {{.*}}float @with_loop(i64 {{.*}}) {{.*}}#[[GLUE]]
// Not glue: the outlined loop, and a function called in a loop.
// CHECK-DAG: define internal {{.*}}float @__trit_loop_0({{.*}}) {{.*}}#[[LOOP:[0-9]+]]
// CHECK-DAG: define internal {{.*}}float @in_loop(float {{.*}}) {{.*}}#[[INLOOP:[0-9]+]]
// CHECK-DAG: attributes #[[GLUE]] = { noinline optnone "target-cpu"
// (The glue's group has no nounwind: these are other groups.)
// CHECK-DAG: attributes #[[LOOP]] = { {{.*}}noinline {{.*}}nounwind
// CHECK-DAG: attributes #[[INLOOP]] = { {{.*}}noinline {{.*}}nounwind

// ONCE: {{^1$}}

// OPT-NOT: optnone

func.func private @once(%x: f32) -> f32 {
  %y = arith.addf %x, %x : f32
  return %y : f32
}

func.func @main(%x: f32) -> f32 {
  %y = func.call @once(%x) : (f32) -> f32
  return %y : f32
}

func.func private @in_loop(%x: f32) -> f32 attributes {passthrough = ["noinline"]} {
  %y = arith.mulf %x, %x : f32
  return %y : f32
}

func.func @with_loop(%n: index, %x: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%a = %x) -> f32 {
    %y = func.call @in_loop(%a) : (f32) -> f32
    scf.yield %y : f32
  }
  return %r : f32
}
