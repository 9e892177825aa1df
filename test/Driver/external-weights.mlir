// tritc --weights=external: the model's constants (here every one of at
// least 64 bytes: the 5x8 f32 embedding and the packed 8x8 BitLinear) go to
// OUT.weights, which the runtime maps; the binary generates what the one
// with embedded weights generates.
// RUN: rm -rf %t && mkdir -p %t
// RUN: tritc %S/emit-levels.mlir --emit=lib --context-length=16 -o %t/embedded.so
// RUN: trit-run %t/embedded.so --generate 4 --prompt-ids 1,3 > %t/embedded.txt
// RUN: tritc %S/emit-levels.mlir --emit=lib --context-length=16 --weights=external --weights-min-bytes=64 -o %t/model.so
// RUN: llvm-nm -D %t/model.so | FileCheck %s --check-prefix=SYMBOLS
// RUN: od -A n -c -N 7 %t/model.so.weights | FileCheck %s --check-prefix=MAGIC
// RUN: trit-run %t/model.so --generate 4 --prompt-ids 1,3 | diff %t/embedded.txt -
// The executable finds its weights beside itself.
// RUN: tritc %S/emit-levels.mlir --emit=exe --context-length=16 --weights=external --weights-min-bytes=64 -o %t/model
// RUN: %t/model --generate 4 --prompt-ids 1,3 | diff %t/embedded.txt -

// A missing, foreign or truncated weights file is refused at load.
// RUN: mv %t/model.so.weights %t/saved.weights
// RUN: not trit-run %t/model.so --generate 1 --prompt-ids 1 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: tritc %S/emit-levels.mlir --emit=lib --context-length=16 --weights=external --weights-min-bytes=64 --layout=tq1 -o %t/other.so
// RUN: cp %t/other.so.weights %t/model.so.weights
// RUN: not trit-run %t/model.so --generate 1 --prompt-ids 1 2>&1 | FileCheck %s --check-prefix=FOREIGN
// RUN: head -c 100 %t/saved.weights > %t/model.so.weights
// RUN: not trit-run %t/model.so --generate 1 --prompt-ids 1 2>&1 | FileCheck %s --check-prefix=TRUNCATED
// RUN: cp %t/embedded.so %t/model.so.weights
// RUN: not trit-run %t/model.so --generate 1 --prompt-ids 1 2>&1 | FileCheck %s --check-prefix=NOTWEIGHTS

// Only binaries have weights files.
// RUN: not tritc %S/emit-levels.mlir --emit=llvm --weights=external 2>&1 | FileCheck %s --check-prefix=LEVEL

// SYMBOLS-DAG: T trit_bind_weights
// SYMBOLS-DAG: T trit_compiled_weights_id
// SYMBOLS-DAG: T trit_compiled_weights_size
// MAGIC: T R I T W G T
// MISSING: cannot open the weights file '{{.*}}model.so.weights' (the model was compiled with --weights=external)
// FOREIGN: the weights file '{{.*}}model.so.weights' belongs to another build of the model
// TRUNCATED: the weights file '{{.*}}model.so.weights' has 100 bytes; the model needs
// NOTWEIGHTS: the weights file '{{.*}}model.so.weights' is not a trit weights file
// LEVEL: tritc: error: --weights=external applies to --emit=lib and --emit=exe
