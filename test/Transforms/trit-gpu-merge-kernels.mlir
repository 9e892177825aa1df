// RUN: trit-opt %s --split-input-file --trit-gpu-merge-kernels | FileCheck %s
// RUN: trit-opt %s --split-input-file --trit-gpu-merge-kernels=module-name=foo | FileCheck %s --check-prefix=FOO

// Four modules as gpu-kernel-outlining makes them (one per launch, each
// kernel named after the function, each module after its kernel, the
// constant each reads cloned into it): @main_kernel_0 repeats @main_kernel
// but for its name, @main_kernel_1 differs in its body and @main_kernel_2
// in its signature. One module is left, @trit_kernels, with the first
// module's target; each kept kernel is named after the module it came
// from; the repeat is dropped and its launch points at the first; the
// constant is kept once.
// CHECK-LABEL: module attributes {gpu.container_module}
// CHECK: memref.global "private" constant @k : memref<2xf32>
// CHECK-LABEL: func.func @main
// CHECK-NEXT: %[[C1:.*]] = arith.constant 1 : index
// CHECK-NEXT: gpu.launch_func  @trit_kernels::@main_kernel blocks in (%[[C1]], %[[C1]], %[[C1]]) threads in (%[[C1]], %[[C1]], %[[C1]])  args(%[[C1]] : index, %{{.*}} : memref<8xf32>)
// CHECK-NEXT: gpu.launch_func  @trit_kernels::@main_kernel blocks
// CHECK-NEXT: gpu.launch_func  @trit_kernels::@main_kernel_1 blocks
// CHECK-NEXT: gpu.launch_func  @trit_kernels::@main_kernel_2 blocks
// CHECK-NEXT: return
// CHECK-NOT: gpu.module @main_kernel
// CHECK: gpu.module @trit_kernels [#nvvm.target<chip = "sm_80">] {
// CHECK-NEXT: gpu.func @main_kernel(%{{.*}}: index, %{{.*}}: memref<8xf32>) kernel {
// CHECK: memref.get_global @k
// CHECK: arith.addf
// CHECK: gpu.return
// CHECK-NEXT: }
// CHECK-NEXT: memref.global "private" constant @k : memref<2xf32>
// CHECK-NEXT: gpu.func @main_kernel_1(%{{.*}}: index, %{{.*}}: memref<8xf32>) kernel {
// CHECK: arith.mulf
// CHECK: gpu.return
// CHECK-NEXT: }
// CHECK-NEXT: gpu.func @main_kernel_2(%{{.*}}: index, %{{.*}}: memref<4xf32>) kernel {
// CHECK: gpu.return
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NOT: gpu.module
// CHECK-NOT: memref.global
// FOO-LABEL: func.func @main
// FOO-NEXT: arith.constant
// FOO-NEXT: gpu.launch_func  @foo::@main_kernel blocks
// FOO-NEXT: gpu.launch_func  @foo::@main_kernel blocks
// FOO-NEXT: gpu.launch_func  @foo::@main_kernel_1 blocks
// FOO-NEXT: gpu.launch_func  @foo::@main_kernel_2 blocks
// FOO: gpu.module @foo
// FOO-NOT: gpu.module
module attributes {gpu.container_module} {
  memref.global "private" constant @k : memref<2xf32> = dense<[1.0, 2.0]>
  func.func @main(%a: memref<8xf32>, %b: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @main_kernel::@main blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%c1 : index, %a : memref<8xf32>)
    gpu.launch_func @main_kernel_0::@main blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%c1 : index, %a : memref<8xf32>)
    gpu.launch_func @main_kernel_1::@main blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%c1 : index, %a : memref<8xf32>)
    gpu.launch_func @main_kernel_2::@main blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%c1 : index, %b : memref<4xf32>)
    return
  }
  gpu.module @main_kernel [#nvvm.target<chip = "sm_80">] {
    gpu.func @main(%i: index, %a: memref<8xf32>) kernel {
      %g = memref.get_global @k : memref<2xf32>
      %v = memref.load %g[%i] : memref<2xf32>
      %w = arith.addf %v, %v : f32
      memref.store %w, %a[%i] : memref<8xf32>
      gpu.return
    }
    memref.global "private" constant @k : memref<2xf32> = dense<[1.0, 2.0]>
  }
  gpu.module @main_kernel_0 [#nvvm.target<chip = "sm_80">] {
    gpu.func @main(%i: index, %a: memref<8xf32>) kernel {
      %g = memref.get_global @k : memref<2xf32>
      %v = memref.load %g[%i] : memref<2xf32>
      %w = arith.addf %v, %v : f32
      memref.store %w, %a[%i] : memref<8xf32>
      gpu.return
    }
    memref.global "private" constant @k : memref<2xf32> = dense<[1.0, 2.0]>
  }
  gpu.module @main_kernel_1 [#nvvm.target<chip = "sm_80">] {
    gpu.func @main(%i: index, %a: memref<8xf32>) kernel {
      %g = memref.get_global @k : memref<2xf32>
      %v = memref.load %g[%i] : memref<2xf32>
      %w = arith.mulf %v, %v : f32
      memref.store %w, %a[%i] : memref<8xf32>
      gpu.return
    }
    memref.global "private" constant @k : memref<2xf32> = dense<[1.0, 2.0]>
  }
  gpu.module @main_kernel_2 [#nvvm.target<chip = "sm_80">] {
    gpu.func @main(%i: index, %a: memref<4xf32>) kernel {
      %v = memref.load %a[%i] : memref<4xf32>
      %w = arith.addf %v, %v : f32
      memref.store %w, %a[%i] : memref<4xf32>
      gpu.return
    }
  }
}

// -----

// A module without gpu.module is left as it is.
// CHECK: {{^}}module {
// CHECK-NEXT: func.func @host
// CHECK-NEXT: return
// CHECK-NEXT: }
// CHECK-NEXT: }
// FOO-LABEL: func.func @host
// FOO-NOT: gpu.module
module {
  func.func @host() {
    return
  }
}
