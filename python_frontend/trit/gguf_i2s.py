"""bitnet.cpp's I2_S tensors for GGUF files written with the `gguf` package.

I2_S is the 2-bit ternary type of bitnet.cpp's ggml fork (type id 36; the
`gguf` package on PyPI does not know it). Layout (x86, bitnet.cpp's
`quantize_i2_s` in src/ggml-bitnet-mad.cpp; see docs/gguf.md):

- the tensor's values, flattened row-major, in blocks of 128; each block is
  32 bytes, and byte ``p`` of block ``b`` holds values ``128*b + 32*g + p``
  for ``g = 0..3`` in bits ``7-2g .. 6-2g`` (the first group in the top bits);
- each value is stored as ``code + 1``: -1 -> 0, 0 -> 1, +1 -> 2 (3 unused);
- after the ``n / 4`` packed bytes, 32 bytes whose first four hold the
  tensor's one float32 scale (weight = code * scale); the rest is zero.

The writer passes the bytes to ``GGUFWriter.add_tensor`` as an int8 array
with ``raw_dtype=36`` and ``raw_shape`` (rows, cols): the package writes any
type id it is given, and only converts byte shapes (which needs a type it
knows) for uint8 arrays.
"""

import numpy as np

I2_S = 36
"""bitnet.cpp's GGML_TYPE_I2_S."""

BLOCK = 128
"""Values per I2_S block (x86 layout)."""


def pack_i2s(codes, scale):
    """The I2_S bytes of `codes` (int array in {-1, 0, 1}, rows x cols with
    cols a multiple of 128) and the float32 `scale`, as a uint8 array of
    ``codes.size // 4 + 32`` bytes."""
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[1] % BLOCK != 0:
        raise ValueError("I2_S needs a 2-D array whose rows are a multiple "
                         "of %d long, got shape %s" % (BLOCK, codes.shape))
    if not np.isin(codes, (-1, 0, 1)).all():
        raise ValueError("I2_S codes must be -1, 0 or 1")
    stored = (codes.reshape(-1) + 1).astype(np.uint8).reshape(-1, 4, 32)
    packed = ((stored[:, 0, :] << 6) | (stored[:, 1, :] << 4)
              | (stored[:, 2, :] << 2) | stored[:, 3, :]).reshape(-1)
    tail = np.zeros(32, dtype=np.uint8)
    tail[:4] = np.frombuffer(np.float32(scale).tobytes(), dtype=np.uint8)
    return np.concatenate([packed.astype(np.uint8), tail])


def unpack_i2s(data, rows, cols):
    """The codes (int8, rows x cols) and float32 scale of I2_S `data`."""
    data = np.asarray(data, dtype=np.uint8).reshape(-1)
    n = rows * cols
    packed = data[:n // 4].reshape(-1, 1, 32)
    shifts = np.array([6, 4, 2, 0], dtype=np.uint8).reshape(1, 4, 1)
    stored = (packed >> shifts) & 3
    if (stored == 3).any():
        raise ValueError("I2_S data holds the invalid code 3")
    codes = stored.astype(np.int8).reshape(rows, cols) - 1
    scale = np.frombuffer(data[n // 4:n // 4 + 4].tobytes(),
                          dtype=np.float32)[0]
    return codes, scale


def add_i2s_tensor(writer, name, codes, scale):
    """Adds tensor `name` (PyTorch shape rows x cols) to the gguf.GGUFWriter
    `writer` as I2_S."""
    codes = np.asarray(codes)
    data = pack_i2s(codes, scale)
    writer.add_tensor(name, data.view(np.int8), raw_shape=codes.shape,
                      raw_dtype=I2_S)
