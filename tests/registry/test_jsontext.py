"""registry.jsontext: how deep JSON text nests, told before parsing it."""

import pytest

from registry.jsontext import MAX_DEPTH, TooDeep, loads, too_deep


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        (b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, False),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), True),
        (b'{"a": ' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1), True),
        (b"[" * 100_000, True),  # never closed: the parser would recurse before failing
        (b'["' + b"[" * 1000 + b'"]', False),  # brackets within a string are text
        (b'["\\"' + b"[" * 1000 + b'"]', False),  # after an escaped quote, too
        (b"[" + b"[], " * 10_000 + b"[]]", False),  # long, but shallow
        (b"]" + b"[" * 100, False),  # not JSON: refused at the first character
    ],
)
def test_it_tells_text_nested_too_deep(text, deep):
    assert too_deep(text) is deep


def test_it_reads_text_within_the_limit():
    assert loads(b'{"patients": [{"infusions": [{"lot": "[["}]}]}') == {
        "patients": [{"infusions": [{"lot": "[["}]}]
    }


def test_it_refuses_text_beyond_the_limit_before_parsing():
    with pytest.raises(TooDeep, match=f"nested more than {MAX_DEPTH} levels deep"):
        loads(b"[" * 1000 + b"]" * 1000)
