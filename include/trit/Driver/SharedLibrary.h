//===- SharedLibrary.h - load a compiled trit library -----------*- C++ -*-===//
//
// A dlopen'd shared library produced by the CPU pipeline, and the memref
// descriptor layout its `_mlir_ciface_` entry points take. Plain C++ (no
// MLIR), for tests and benchmarks.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_DRIVER_SHAREDLIBRARY_H
#define TRIT_DRIVER_SHAREDLIBRARY_H

#include <dlfcn.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace mlir::trit {

/// The descriptor of a ranked memref as generated code passes it.
template <typename T, int Rank> struct MemRefDescriptor {
  T *allocated = nullptr;
  T *aligned = nullptr;
  int64_t offset = 0;
  int64_t sizes[Rank] = {};
  int64_t strides[Rank] = {};

  /// A row-major view of `data` with `shape` (not owned).
  static MemRefDescriptor view(T *data, const int64_t (&shape)[Rank]) {
    MemRefDescriptor d;
    d.allocated = d.aligned = data;
    int64_t stride = 1;
    for (int i = Rank - 1; i >= 0; --i) {
      d.sizes[i] = shape[i];
      d.strides[i] = stride;
      stride *= shape[i];
    }
    return d;
  }

  /// Frees a buffer that generated code allocated with malloc.
  void release() {
    std::free(allocated);
    allocated = aligned = nullptr;
  }
};

class SharedLibrary {
public:
  explicit SharedLibrary(const std::string &path) {
    handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
      error = dlerror();
  }
  ~SharedLibrary() {
    if (handle)
      dlclose(handle);
  }
  SharedLibrary(const SharedLibrary &) = delete;
  SharedLibrary &operator=(const SharedLibrary &) = delete;

  bool loaded() const { return handle != nullptr; }
  const std::string &loadError() const { return error; }

  /// The entry point `name`, or null.
  template <typename Fn> Fn *lookup(const std::string &name) const {
    return handle ? reinterpret_cast<Fn *>(dlsym(handle, name.c_str()))
                  : nullptr;
  }

private:
  void *handle = nullptr;
  std::string error;
};

} // namespace mlir::trit

#endif // TRIT_DRIVER_SHAREDLIBRARY_H
