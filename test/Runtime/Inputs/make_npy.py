"""Writes a .npy file byte by byte, for trit-run's tests of files that
numpy would not write: a shape that does not match the data, a header
length that lies, an unknown version.

usage: make_npy.py PATH [--version V] [--descr D] [--shape TEXT]
                        [--claim-header N] [--data BYTES]
"""

import argparse
import struct

parser = argparse.ArgumentParser()
parser.add_argument("path")
parser.add_argument("--version", type=int, default=1)
parser.add_argument("--descr", default="<i8")
parser.add_argument("--shape", default="(1, 2)",
                    help="the shape as the header spells it")
parser.add_argument("--claim-header", type=int,
                    help="header length to write in place of the real one")
parser.add_argument("--data", type=int,
                    help="bytes of (zero) data; default: what the shape "
                         "needs")
args = parser.parse_args()

header = ("{'descr': '%s', 'fortran_order': False, 'shape': %s, }"
          % (args.descr, args.shape)).encode()
length_bytes = 2 if args.version == 1 else 4
# Padded with spaces and a newline so that the data is 64-byte aligned.
prefix = 6 + 2 + length_bytes
header += b" " * ((64 - (prefix + len(header) + 1) % 64) % 64) + b"\n"
claimed = len(header) if args.claim_header is None else args.claim_header
data = args.data
if data is None:
    data = int(args.descr[2:])
    for dim in args.shape.strip("()").split(","):
        if dim.strip():
            data *= int(dim)
with open(args.path, "wb") as out:
    out.write(b"\x93NUMPY" + bytes([args.version, 0]))
    out.write(struct.pack("<H" if length_bytes == 2 else "<I", claimed))
    out.write(header)
    out.write(b"\0" * data)
