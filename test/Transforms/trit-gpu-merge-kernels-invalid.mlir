// RUN: trit-opt %s --split-input-file --trit-gpu-merge-kernels --verify-diagnostics

// The merged module's name is taken.
// expected-error @+1 {{trit-gpu-merge-kernels: the module already has a symbol named 'trit_kernels'}}
module attributes {gpu.container_module} {
  func.func private @trit_kernels()
  gpu.module @main_kernel {
    gpu.func @main() kernel {
      gpu.return
    }
  }
}
