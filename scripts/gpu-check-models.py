#!/usr/bin/env python3
"""Helpers of scripts/gpu-check.sh (numpy and the standard library only).

  gemv OUT.mlir ROUNDS NxK...  a "model" that is BitLinear GEMVs y = W x
                               (W: N x K random ternary, packed i2) as the
                               model ABI wants it: ids [1, T] pick embedding
                               rows x [1, T, K]; ROUNDS rounds of one GEMV
                               per shape run in a chain, each with its own
                               weight constant (of the same content per
                               shape), so that one forward pass streams
                               ROUNDS * sum(N * K / 4) bytes, each once;
                               logits [1, T, N] = the last GEMV's.
  compare CPU.npy GPU.npy      "max|GPU - CPU| max|CPU|" of two logits.
  repeat HF_DIR PERIOD         rewrites HF_DIR's model.safetensors in place
                               so that every layer holds layer 0's tensors
                               and embedding row r is row r % PERIOD (same
                               names, dtypes, shapes): its compiled weights
                               then compress to about one layer.
  ids OUT.npy 1,2,3            token ids [1, T] (int64) as trit-run --input
                               reads them.
  pack IN OUT.xz               xz-compresses IN (a big dictionary, so that
                               repeats megabytes apart collapse).
  unpack IN.xz OUT             the inverse (standard library only).
  read-bytes HF_DIR [TYPE]     bytes a decode step reads: packed ternary
                               weights and the (tied) LM head in TYPE (f32,
                               f16, bf16; default f32).
  gemv-kernel GPU.mlir N K     the kernel of BitLinear N x K that reads its
                               weights (tritc --emit=gpu).
  gemv-table N K KERNEL CALLS PROFILE...
                               one line per shape from TRIT_CUDA_PROFILE
                               tables: us per call and GB/s of the packed
                               weights (COPY_READ_GBS: the copy's read side).
"""
import json
import lzma
import os
import re
import shutil
import struct
import sys
import time


def gemv(out, rounds, shapes, seed=0):
    """`rounds` rounds of BitLinear GEMVs of `shapes` [(N, K), ...] in one
    chain; see the module's doc."""
    import numpy as np
    rng = np.random.default_rng(seed)
    for n, k in shapes:
        if k % 256:
            raise SystemExit(f"K = {k} is not a multiple of 256")
    # One pool of random packed bytes (four 2-bit codes 0..2 each); every
    # shape's matrix is a prefix of it, so that compressed they share it.
    pool_bytes = max(n * k // 4 for n, k in shapes)
    codes = rng.integers(0, 3, (pool_bytes, 4), dtype=np.uint8)
    pool = (codes[:, 0] | codes[:, 1] << 2 | codes[:, 2] << 4
            | codes[:, 3] << 6).astype(np.uint8).tobytes()
    rows = 16  # embedding rows (the ids)
    ks = sorted({k for _, k in shapes})
    xtype = {k: f"tensor<1x?x{k}xf32>" for k in ks}
    emb = {k: rng.standard_normal((rows, k), dtype=np.float32) for k in ks}
    # The GEMVs run in one chain, so that no elementwise kernel gathers
    # them all (a sum of 100 of them is one kernel with 100 buffer
    # parameters, more than a kernel may take): after each, the next one's
    # input x_K += 1e-30 * sum(y) (the term rounds away: every GEMV of a
    # shape sees the same x); logits = the last y.
    with open(out, "w") as f:
        last_n = shapes[-1][0]
        f.write(f"""// {rounds} rounds of BitLinear GEMVs {shapes} (scripts/gpu-check.sh).
func.func @main(%ids: tensor<1x?xi64>) -> tensor<1x?x{last_n}xf32> {{
  %c1 = arith.constant 1 : index
  %t = tensor.dim %ids, %c1 : tensor<1x?xi64>
  %zero = arith.constant 0.000000e+00 : f32
  %z0 = tensor.empty(%t) : tensor<1x?xf32>
  %z = linalg.fill ins(%zero : f32) outs(%z0 : tensor<1x?xf32>) -> tensor<1x?xf32>
  %eps0 = arith.constant dense<1.0e-30> : tensor<f32>
""")
        x = {}
        for k in ks:
            t = xtype[k]
            f.write(f"""  %emb{k} = arith.constant dense_resource<emb{k}> : tensor<{rows}x{k}xf32>
  %e{k} = tensor.empty(%t) : {t}
  %x{k}_0 = linalg.generic {{indexing_maps = [affine_map<(b, s, d) -> (b, s)>, affine_map<(b, s, d) -> (b, s, d)>],
                       iterator_types = ["parallel", "parallel", "parallel"]}}
      ins(%ids : tensor<1x?xi64>) outs(%e{k} : {t}) {{
  ^bb0(%id: i64, %out: f32):
    %row = arith.index_cast %id : i64 to index
    %col = linalg.index 2 : index
    %v = tensor.extract %emb{k}[%row, %col] : tensor<{rows}x{k}xf32>
    linalg.yield %v : f32
  }} -> {t}
  %eb{k} = tensor.empty(%t) : {t}
  %eps{k} = linalg.broadcast ins(%eps0 : tensor<f32>) outs(%eb{k} : {t}) dimensions = [0, 1, 2]
""")
            x[k] = f"%x{k}_0"
        steps = [(r, n, k) for r in range(rounds) for n, k in shapes]
        for i, (r, n, k) in enumerate(steps):
            bpr = k // 4  # packed i2 bytes per row: 256 weights per 64 bytes
            wtype = f"tensor<{n}x{bpr}xi8, #trit.packed<i2>>"
            ytype = f"tensor<1x?x{n}xf32>"
            g = 1.0 / np.sqrt(k)
            f.write(f"""  %w{i} = arith.constant dense_resource<w{i}> : {wtype}
  %g{i} = arith.constant {g:.8e} : f32
  %y{i} = trit.bitlinear {x[k]}, %w{i}, %g{i} : {xtype[k]}, {wtype} -> {ytype}
""")
            if i + 1 == len(steps):
                f.write(f"  return %y{i} : {ytype}\n}}\n")
                break
            f.write(f"  %r{i} = linalg.reduce {{ arith.addf }} ins(%y{i} : {ytype}) "
                    f"outs(%z : tensor<1x?xf32>) dimensions = [2]\n")
            for kk in [steps[i + 1][2]]:  # the next GEMV's input
                t = xtype[kk]
                f.write(f"""  %rb{i}_{kk} = tensor.empty(%t) : {t}
  %b{i}_{kk} = linalg.broadcast ins(%r{i} : tensor<1x?xf32>) outs(%rb{i}_{kk} : {t}) dimensions = [2]
  %d{i}_{kk} = arith.mulf %b{i}_{kk}, %eps{kk} : {t}
  %x{kk}_{i + 1} = arith.addf {x[kk]}, %d{i}_{kk} : {t}
""")
                x[kk] = f"%x{kk}_{i + 1}"
        f.write("{-#\n  dialect_resources: {\n    builtin: {\n")
        f.write(",\n".join(f'      emb{k}: "0x04000000{emb[k].tobytes().hex()}"'
                           for k in ks))
        for i, (r, n, k) in enumerate(steps):
            f.write(f',\n      w{i}: "0x01000000')
            f.write(pool[:n * k // 4].hex())
            f.write('"')
        f.write("\n    }\n  }\n#-}\n")


def compare(cpu_path, gpu_path):
    """max |GPU - CPU| (then, after /p0:, that of the first position alone)
    and max |CPU| of two logits files [batch, seq, vocab]. The first
    position attends to itself alone: a GPU that sums attention in another
    order still matches there, while in deep random models an int8
    rounding flipped by one ulp in a later position's attention grows layer
    after layer (the CPU against the PyTorch reference shows the same)."""
    import numpy as np
    cpu, gpu = np.load(cpu_path), np.load(gpu_path)
    if cpu.shape != gpu.shape:
        raise SystemExit(f"shapes differ: {cpu.shape} {gpu.shape}")
    d = np.abs(cpu - gpu)
    first = d[..., 0, :].max() if d.ndim == 3 else d.max()
    print(f"{d.max():.3g}/p0:{first:.2g} {np.abs(cpu).max():.3g}")


def read_header(path):
    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        return size, json.loads(f.read(size))


def repeat(directory, period):
    """Layer i's tensors := layer 0's; embedding row r := row r % period."""
    path = os.path.join(directory, "model.safetensors")
    if not os.path.exists(path):
        raise SystemExit(f"{path}: not found (a sharded checkpoint?)")
    size, header = read_header(path)
    base = 8 + size
    layer = re.compile(r"^model\.layers\.(\d+)\.(.*)$")
    with open(path, "r+b") as f:
        def read(entry):
            begin, end = entry["data_offsets"]
            f.seek(base + begin)
            return f.read(end - begin)

        for name, entry in header.items():
            if name == "__metadata__":
                continue
            m = layer.match(name)
            if m and m.group(1) != "0":
                src = header[f"model.layers.0.{m.group(2)}"]
                if (src["dtype"], src["shape"]) != (entry["dtype"],
                                                    entry["shape"]):
                    raise SystemExit(f"{name}: not shaped as layer 0's")
                data = read(src)
                f.seek(base + entry["data_offsets"][0])
                f.write(data)
            elif name in ("model.embed_tokens.weight", "lm_head.weight"):
                rows = entry["shape"][0]
                data = read(entry)
                row_bytes = len(data) // rows
                head = data[:period * row_bytes]
                reps = -(-rows // period)
                f.seek(base + entry["data_offsets"][0])
                f.write((head * reps)[:len(data)])
    # Check: the file still parses and its shapes are unchanged.
    size2, header2 = read_header(path)
    assert (size2, header2) == (size, header)


def ids(out, text):
    import numpy as np
    values = [int(t) for t in text.split(",")]
    np.save(out, np.array([values], dtype=np.int64))


def pack(src, dst, dict_mib=256):
    # Preset 0 (the fast hash-chain match finder) with a big dictionary:
    # ~30 MB/s on repetitive data, within 3 % of preset 6's size here
    # (which takes minutes); xz -T1 --lzma2=preset=0,dict=256MiB alike.
    filters = [{"id": lzma.FILTER_LZMA2, "preset": 0,
                "dict_size": dict_mib << 20}]
    start = time.time()
    with open(src, "rb") as fin, lzma.open(dst, "wb", format=lzma.FORMAT_XZ,
                                           check=lzma.CHECK_CRC32,
                                           filters=filters) as fout:
        shutil.copyfileobj(fin, fout, 16 << 20)
    print(f"{os.path.basename(src)}: {os.path.getsize(src) / 1e6:.1f} MB -> "
          f"{os.path.getsize(dst) / 1e6:.2f} MB in {time.time() - start:.1f} s")


def unpack(src, dst):
    with lzma.open(src, "rb") as fin, open(dst, "wb") as fout:
        shutil.copyfileobj(fin, fout, 16 << 20)


def read_bytes(directory, head_type):
    """What one decode step of the HF checkpoint reads: the packed ternary
    weights (its U8 tensors) and the (tied) LM head in `head_type` (tritc's
    --lm-head-type). Prints "TERNARY HEAD HEAD_TYPE", in bytes."""
    width = {"f32": 4, "f16": 2, "bf16": 2}[head_type]
    size, header = read_header(os.path.join(directory, "model.safetensors"))
    ternary = head = 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        count = 1
        for d in entry["shape"]:
            count *= d
        if entry["dtype"] == "U8":
            ternary += count
        elif name == "lm_head.weight" or (
                name == "model.embed_tokens.weight"
                and "lm_head.weight" not in header):
            head = count * width
    print(ternary, head, head_type)


def gemv_kernel(path, n, k):
    """The kernel of BitLinear N x K that reads the weights, from tritc
    --emit=gpu: a launch in @__trit_bitlinear_i2_dp4a_NxK that passes its
    weight argument (memref<N x ...>)."""
    func = f"@__trit_bitlinear_i2_dp4a_{n}x{k}("
    launch = re.compile(r"gpu\.launch_func\s+@[\w$.]+::@([\w$.]+)")
    weight, found = None, []
    with open(path, errors="replace") as f:
        inside = False
        for line in f:
            if len(line) > 100000:  # a resource blob
                continue
            if "func.func" in line:
                inside = func in line
                if inside:
                    m = re.search(rf"(%arg\d+): memref<{n}x\d+x", line)
                    weight = m.group(1) if m else None
                continue
            if inside and weight and f"{weight} :" in line:
                m = launch.search(line)
                if m:
                    found.append(m.group(1))
    print(" ".join(dict.fromkeys(found)))


def gemv_table(n, k, kernel, copies, profiles):
    """One line: the GEMV kernel's us per call (median over the profiles of
    each run's average), GB/s of the packed weights, % of COPY_READ_GBS,
    (where @__trit_bitlinear_i2_dp4a_NxK launches more kernels than the
    GEMV) all its kernels' us per call, GPU-vs-CPU logits."""
    prefix = f"__trit_bitlinear_i2_dp4a_{n}x{k}"
    kernels = set(kernel.split())
    gemv_us, bitlinear_us, calls, rows = [], [], 0, {}
    for path in profiles:
        gemv_ms = gemv_calls = all_ms = 0.0
        try:
            lines = open(path, errors="replace").read().splitlines()
        except OSError:
            lines = []
        for line in lines:
            fields = line.split()
            if len(fields) < 4 or not re.fullmatch(r"[0-9.]+", fields[0]):
                continue
            name = fields[-1]
            if not (name == prefix or name.startswith(prefix + "_")):
                continue
            total_ms, count = float(fields[0]), float(fields[1])
            all_ms += total_ms
            rows.setdefault(name, []).append(total_ms * 1e3 / count)
            if name in kernels:
                gemv_ms += total_ms
                gemv_calls += count
        if gemv_calls:
            gemv_us.append(gemv_ms * 1e3 / gemv_calls)
            calls = int(gemv_calls)
        if all_ms:
            bitlinear_us.append(all_ms * 1e3 / copies)
    median = lambda xs: sorted(xs)[len(xs) // 2]
    weight_bytes = n * k / 4
    shape = f"{n}x{k}"
    if not gemv_us:
        print(f"{shape:>9}: no GEMV row ({kernel or 'kernel unknown'}) in the "
              f"profile; the rows of {prefix}: " +
              ", ".join(f"{name} {median(us):.1f} us"
                        for name, us in sorted(rows.items())))
        return
    us = median(gemv_us)
    gbs = weight_bytes / (us * 1e-6) / 1e9
    copy = float(os.environ.get("COPY_READ_GBS") or 0)
    ratio = f"{100 * gbs / copy:5.1f} %" if copy > 0 else "    - %"
    # The other kernels of @__trit_bitlinear_... (activation quantization,
    # where the pipeline puts it there), per BitLinear.
    others = ""
    if set(rows) - kernels:
        others = (f" | all of {prefix}: {median(bitlinear_us):.1f} us/call")
    print(f"{shape:>9}: {weight_bytes / 1e6:5.2f} MB {us:8.1f} us {gbs:6.0f} GB/s"
          f" {ratio} of copy | runs {', '.join(f'{u:.1f}' for u in gemv_us)}"
          f" us, {calls} calls each{others}")


def main(argv):
    if not argv:
        raise SystemExit(__doc__)
    cmd, args = argv[0], argv[1:]
    if cmd == "gemv":
        gemv(args[0], int(args[1]),
             [tuple(int(d) for d in a.split("x")) for a in args[2:]])
    elif cmd == "compare":
        compare(args[0], args[1])
    elif cmd == "repeat":
        repeat(args[0], int(args[1]))
    elif cmd == "ids":
        ids(args[0], args[1])
    elif cmd == "pack":
        pack(args[0], args[1])
    elif cmd == "unpack":
        unpack(args[0], args[1])
    elif cmd == "read-bytes":
        read_bytes(args[0], args[1] if len(args) > 1 else "f32")
    elif cmd == "gemv-kernel":
        gemv_kernel(args[0], int(args[1]), int(args[2]))
    elif cmd == "gemv-table":
        gemv_table(int(args[0]), int(args[1]), args[2], int(args[3]),
                   args[4:])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
