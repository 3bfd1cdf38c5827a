"""One gzip member stitched from blocks compressed apart, so that a large answer can be
compressed again in part: a block whose text did not change is kept compressed and put
back as it is.

Each block is raw deflate data ended with a sync flush, which ends it on a byte boundary
without marking the stream's end; such blocks, compressed each by its own compressor (so
that none refers back to another's text), follow one another as one deflate stream
(RFC 1951, 3.2.3; zlib.h, Z_SYNC_FLUSH). The member (RFC 1952) is a header, the blocks,
an empty final block, and the CRC-32 and length of the whole text. The CRC-32 of the whole
is worked out from the blocks' own (crc32_combine), which Python's zlib module does not
offer.

A member, not one member per block: RFC 1952 allows several members in one file, but a
client decoding a response's Content-Encoding may read the first alone.
"""

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

# The reflected CRC-32 polynomial of gzip (RFC 1952, 8).
POLYNOMIAL = 0xEDB88320
# ID1 ID2, deflate, no flags, no modification time, no extra flags, Unix: the header
# gzip.compress(..., mtime=0) writes here at the level the registry uses.
HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"
# A last block (BFINAL set) of fixed Huffman codes holding only its end-of-block code.
FINAL_BLOCK = b"\x03\x00"


@dataclass(frozen=True)
class Block:
    """A block of text, compressed: its deflate data, and the CRC-32 and length of its
    text."""

    deflated: bytes
    crc: int
    size: int


def deflated(text: bytes, level: int) -> Block:
    """The text as a block: compressed by a compressor of its own, ended by a sync flush."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    data = compressor.compress(text) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return Block(data, zlib.crc32(text), len(text))


def inflated(blocks: Sequence[Block]) -> bytes:
    """The blocks' text."""
    decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
    return decompressor.decompress(b"".join(block.deflated for block in blocks))


def gzip_member(blocks: Sequence[Block]) -> bytes:
    """The blocks' text as one gzip member."""
    crc, size = 0, 0
    for block in blocks:
        crc = crc32_combine(crc, block.crc, block.size)
        size += block.size
    trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
    return b"".join([HEADER, *(block.deflated for block in blocks), FINAL_BLOCK, trailer])


def crc32_combine(first: int, second: int, second_size: int) -> int:
    """The CRC-32 of two texts one after the other, from the CRC-32 of each and the length
    of the second: the first's CRC moved on by as many zero bytes (multiplied by x to the
    power of their bits, modulo the polynomial), added to the second's. zlib's
    crc32_combine (crc32.c, Mark Adler), in Python."""
    return _times_modulo(_x_to_the_bits(second_size), first) ^ second


def _times_modulo(a: int, b: int) -> int:
    """a times b modulo the polynomial; bit-reflected, as the CRC is (zlib's multmodp)."""
    product = 0
    bit = 1 << 31
    while a:
        if a & bit:
            product ^= b
            a ^= bit
        bit >>= 1
        b = (b >> 1) ^ POLYNOMIAL if b & 1 else b >> 1
    return product


def _powers_of_x() -> list[int]:
    """x to the power 2**n modulo the polynomial, for n from 0 to 31 (zlib's x2n_table):
    x to the power 2**32 is x again (x's order divides 2**32 - 1), so n repeats every 32."""
    powers = [1 << 30]  # x itself, reflected
    for _ in range(31):
        powers.append(_times_modulo(powers[-1], powers[-1]))
    return powers


X_TO_THE_POWERS_OF_TWO = _powers_of_x()


def _x_to_the_bits(size: int) -> int:
    """x to the power 8 * size modulo the polynomial (zlib's x2nmodp(size, 3))."""
    power = 1 << 31  # 1, reflected
    exponent = 3  # a byte is 2**3 bits
    while size:
        if size & 1:
            power = _times_modulo(X_TO_THE_POWERS_OF_TWO[exponent & 31], power)
        size >>= 1
        exponent += 1
    return power
