"""Blocks of text compressed apart and stitched into one gzip member
(analytics.gzip_blocks): what they decode to, and the CRC-32 of the whole worked out from
the blocks' own."""

import gzip
import zlib

import pytest

from analytics.gzip_blocks import crc32_combine, deflated, gzip_member, inflated

TEXTS = [
    b'{"study_id":"P001","age_years":41},',
    b"",
    b"x" * 70_000,  # longer than deflate's window of 32 KiB
    bytes(range(256)) * 3,
    "étude ≥ 2 – µL".encode(),
]


@pytest.mark.parametrize(
    ("first", "second"),
    [(b"", b""), (b"a", b""), (b"", b"a"), (b"abc", b"defg"), (b"x" * 100_003, b"y" * 65_537)],
)
def test_the_combined_crc_is_the_crc_of_the_two_texts_together(first, second):
    combined = crc32_combine(zlib.crc32(first), zlib.crc32(second), len(second))

    assert combined == zlib.crc32(first + second)


def test_the_stitched_member_decodes_to_the_texts_one_after_the_other():
    member = gzip_member([deflated(text, 3) for text in TEXTS])

    assert gzip.decompress(member) == b"".join(TEXTS)


def test_it_is_one_member_read_to_its_end():
    # A decoder that reads the first member alone would read it all.
    decoder = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)

    text = decoder.decompress(gzip_member([deflated(text, 1) for text in TEXTS]))

    assert text == b"".join(TEXTS)
    assert decoder.eof
    assert decoder.unused_data == b""


def test_a_block_kept_is_put_back_as_it_is():
    kept = deflated(TEXTS[0], 3)
    first = gzip_member([kept, deflated(b"first", 3)])
    second = gzip_member([kept, deflated(b"second", 3)])

    assert gzip.decompress(first) == TEXTS[0] + b"first"
    assert gzip.decompress(second) == TEXTS[0] + b"second"


def test_no_block_is_an_empty_text():
    assert gzip.decompress(gzip_member([])) == b""


def test_the_blocks_inflated_are_their_texts():
    assert inflated([deflated(text, 3) for text in TEXTS]) == b"".join(TEXTS)


def test_each_block_knows_its_text_size_and_crc():
    block = deflated(TEXTS[3], 3)

    assert (block.size, block.crc) == (len(TEXTS[3]), zlib.crc32(TEXTS[3]))
