# -*- Python -*-
# lit configuration for trit.

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "TRIT"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".onnxtext"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.trit_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]

config.environment["FILECHECK_OPTS"] = (
    "-enable-var-scope --allow-unused-prefixes=false")

llvm_config.use_default_substitutions()

# `-Dverify_roundtrip=1` runs every trit-opt invocation with
# --verify-roundtrip: each output is printed, parsed back and compared.
trit_opt = ToolSubst("trit-opt", unresolved="fatal")
if lit_config.params.get("verify_roundtrip"):
    trit_opt = ToolSubst(
        "trit-opt",
        command=os.path.join(config.trit_tools_dir, "trit-opt"),
        extra_args=["--verify-roundtrip"],
    )

tool_dirs = [config.trit_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(
    [trit_opt, "FileCheck", "not", "count", "split-file", "llvm-nm"],
    tool_dirs)
llvm_config.add_tool_substitutions(["trit-run", "tritc", "trit-gguf-dump",
                                    "trit-tokenize", "trit-stress"],
                                   [config.trit_tools_dir])

# A hand-written model library (unittests/FakeModel.cpp) for runtime tests.
config.substitutions.append(
    ("%fake_model", os.path.join(config.trit_obj_root, "lib",
                                 "libtrit_fake_model.so")))
config.substitutions.append(("%python", config.trit_python))
# Test inputs written by the project's Python (trit.hf's safetensors writer).
config.substitutions.append(
    ("%trit_pythonpath", os.path.join(config.trit_src_root, "python_frontend")))

# The GPU target's tests. `cuda-driver`: the NVIDIA driver (libcuda.so.1)
# loads here, so models compiled with tritc --target=cuda run; else
# `no-cuda-driver`, where loading one must fail with an error.
import ctypes
try:
    ctypes.CDLL("libcuda.so.1")
    config.available_features.add("cuda-driver")
except OSError:
    config.available_features.add("no-cuda-driver")

# `ptxas` (substitution %ptxas): the CUDA toolkit's assembler, on PATH or in
# /usr/local/cuda/bin as tritc looks for it; tests that assemble PTX or emit
# cubins need it and are UNSUPPORTED without.
import shutil
ptxas = shutil.which("ptxas") or shutil.which("ptxas",
                                               path="/usr/local/cuda/bin")
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
