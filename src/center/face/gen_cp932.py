#!/usr/bin/env python3
"""Writes cp932.bin: every Unicode scalar value (BMP) that CP932 (Windows-31J) encodes in two
bytes, as big-endian (u16 code point, u16 CP932 code) pairs sorted by code point. The
one-byte part (ASCII, half-width katakana) is computed in cp932.rs, not stored.
Source of truth: Python's own cp932 codec, except that a character it encodes in the
NEC-selected IBM extension rows (0xED40..0xEEFC) gets its IBM extension code (0xFA40..0xFC4B),
as Windows and the WHATWG encoder write it; both decode to the same character. A character
whose code decodes to another one (Python's one-way best fits such as U+00A2 ¢ -> 0x8191,
which every CP932 reader decodes as U+FFE0 ￠) is left out: the writer then keeps it exact
as a numeric character reference.
Run: python3 gen_cp932.py > cp932.bin"""
import struct
import sys

ibm = {}
for code in range(0xFA40, 0xFC4C):
    try:
        ibm.setdefault(bytes([code >> 8, code & 0xFF]).decode("cp932"), code)
    except UnicodeDecodeError:
        pass

out = bytearray()
for cp in range(0x80, 0x10000):
    if 0xD800 <= cp <= 0xDFFF:
        continue
    try:
        b = chr(cp).encode("cp932")
    except UnicodeEncodeError:
        continue
    if len(b) == 2 and b.decode("cp932") == chr(cp):
        code = (b[0] << 8) | b[1]
        if 0xED40 <= code <= 0xEEFC:
            code = ibm[chr(cp)]
        out += struct.pack(">HH", cp, code)
sys.stdout.buffer.write(bytes(out))
