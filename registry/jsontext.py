"""JSON text: how the registry writes its own (`json_bytes`), and what it refuses in JSON
from outside (API bodies, cohort documents):

- Nesting. Python's json module parses arrays and objects within each other by
  recursion: two kilobytes of `[` exhaust the interpreter's stack (RecursionError) in the
  parser or in the code that walks what it gave. No registry document nests more than a
  few levels, so text nested deeper than MAX_DEPTH is refused before it is parsed.
- What the registry cannot store or write out again, each named by its path before
  anything reads it (`refusals`): a NUL character (`\u0000`) in text, which PostgreSQL
  can neither store nor compare; the other control characters but tab and line ends, and
  U+FFFE and U+FFFF, which no XML document (the ODM export) can hold; half of a character
  (a lone surrogate, `\ud800`), which UTF-8 cannot encode; a number beyond a double's
  range (1e400), which would be read as infinity; a key given twice in one object, whose
  first value json would drop unseen.
"""

import json
import math
import re
import sys

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

MAX_DEPTH = 64
_DRF_ENCODER = JSONEncoder()
# Characters DRF's JSONRenderer escapes, as JavaScript (before ES2019) ends a line at them.
_LINE_ENDS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


def json_bytes(value) -> bytes:
    """The value as compact UTF-8 JSON, as DRF's JSONRenderer writes it, but written by
    orjson: several times faster than the standard library's encoder, which the renderer
    uses, on an API page of patients or an analysis dataset.

    What orjson would write otherwise goes through DRF's encoder: dates and times, numpy
    numbers, Decimals. A float is written in orjson's shortest form, which may differ in
    text from the standard library's but not in value (1e-05 as 0.00001). What orjson
    refuses to write (an integer beyond 64 bits, a key that is not text) the renderer
    writes."""
    try:
        written = orjson.dumps(
            value, default=_DRF_ENCODER.default, option=orjson.OPT_PASSTHROUGH_DATETIME
        )
    except orjson.JSONEncodeError:
        return renderers.JSONRenderer().render(value)
    for character, escaped in _LINE_ENDS:
        if character in written:
            written = written.replace(character, escaped)
    return written


class JSONRenderer(renderers.JSONRenderer):
    """The API's JSON renderer: DRF's, writing compact JSON by json_bytes, as the answers
    the API keeps (registry.api.caching) are written; indented JSON, when asked for, as
    DRF writes it."""

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        indent = self.get_indent(accepted_media_type, renderer_context or {})
        if data is None or indent is not None:
            return super().render(data, accepted_media_type, renderer_context)
        return json_bytes(data)


def nul_refusal(written_as: str) -> str:
    """The one refusal of a NUL character, with the character as the client wrote it: `\\u0000`
    in JSON, `%00` in an address or query (config.errors)."""
    return f"Must not contain a NUL character ({written_as})."


NUL_REFUSED = nul_refusal("\\u0000")
TOO_DEEP = (
    f"The JSON is nested more than {MAX_DEPTH} levels deep (arrays and objects within "
    "each other); nothing was read"
)

# A JSON string, whose brackets are text, not structure.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = bytes(sorted(set(range(256)) - set(b"[]{}")))
_AS_SQUARE = bytes.maketrans(b"{}", b"[]")
_OPEN = ord("[")


class TooDeep(ValueError):
    def __init__(self):
        super().__init__(TOO_DEEP)


def too_deep(text: bytes) -> bool:
    """Whether arrays and objects lie more than MAX_DEPTH deep within each other in the
    JSON `text`."""
    brackets = _STRING.sub(b"", text).translate(_AS_SQUARE, _NOT_A_BRACKET)
    # Each pass takes away the innermost level of every array: a document no deeper than
    # the limit is gone after that many passes of bytes.replace, faster than counting.
    left = brackets
    for _ in range(MAX_DEPTH):
        left = left.replace(b"[]", b"")
    return bool(left) and _deepest_prefix(brackets) > MAX_DEPTH


def _deepest_prefix(brackets: bytes) -> int:
    depth = deepest = 0
    for byte in brackets:
        depth += 1 if byte == _OPEN else -1
        if depth < 0 or depth > MAX_DEPTH:
            # Past the limit, or invalid JSON, which the parser refuses before recursing.
            return depth
        deepest = max(deepest, depth)
    return deepest


def check_depth(text: bytes) -> None:
    """Raise TooDeep for text nested deeper than MAX_DEPTH."""
    if too_deep(text):
        raise TooDeep


def loads(text: bytes) -> object:
    """json.loads, for text no deeper than MAX_DEPTH (else TooDeep). NaN, Infinity and
    -Infinity, which Python reads but JSON does not allow (nor the API's parser), raise
    NotJSONNumber. An object that gives a key twice is read as RepeatedKeys, which
    `refusals` names."""
    check_depth(text)
    return json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_object)


class NotJSONNumber(ValueError):
    pass


def _refuse_constant(name: str) -> None:
    raise NotJSONNumber(f"{name} is not a number JSON allows; leave the value out if unknown")


class RepeatedKeys(dict):
    """An object whose text gives the keys `repeated` more than once."""

    repeated: list[str]


def _object(pairs: list[tuple[str, object]]) -> dict:
    found = dict(pairs)
    if len(found) == len(pairs):
        return found
    keys = [key for key, _value in pairs]
    object_ = RepeatedKeys(found)
    object_.repeated = sorted({key for key in keys if keys.count(key) > 1})
    return object_


REPEATED = "Given more than once in the same object: give each key once."
TOO_LARGE = f"Too large a number to store (beyond {sys.float_info.max:.1e})."
# Characters text may not hold (see the module's docstring), as the ranges of a regular
# expression's class: exactly those XML 1.0 cannot hold, even as a character reference.
REFUSED_CHARACTERS = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
_REFUSED_CHARACTER = re.compile(f"[{REFUSED_CHARACTERS}]")


def character_refusal(character: str) -> str:
    """Why text holding `character`, one of _REFUSED_CHARACTER, is refused."""
    written = f"\\u{ord(character):04x}"
    if character == "\x00":
        return NUL_REFUSED
    if "\ud800" <= character <= "\udfff":
        return f"Must not contain half of a character ({written}, a lone surrogate)."
    if character in "\ufffe\uffff":
        return f"Must not contain {written}, which is no character."
    return f"Must not contain an invisible control character ({written})."


def refusals(value: object, path: str = "") -> list[tuple[str, str]]:
    """The path (e.g. `patients[3].infusions[0].lot`) and refusal of each value in the
    parsed JSON `value` that the registry cannot store: see the module's docstring."""
    # A path is spelled out only where something is refused: a large document holds
    # nothing refused, and naming each of its values would cost more than looking.
    if isinstance(value, list):
        return [
            found
            for i, item in enumerate(value)
            if _holds_refused(item)
            for found in refusals(item, f"{path}[{i}]")
        ]
    if isinstance(value, dict):
        found = [(_key_path(path, key), REPEATED) for key in getattr(value, "repeated", ())]
        for key, item in value.items():
            if _text_refused(key):
                found.append((_key_path(path, key), _refusal_of(key)))
            elif _holds_refused(item):
                found += refusals(item, _key_path(path, key))
        return found
    return [(path, _refusal_of(value))] if _holds_refused(value) else []


def _holds_refused(value: object) -> bool:
    kind = type(value)
    if kind is str:
        return _text_refused(value)
    if kind is list:
        return any(map(_holds_refused, value))
    if kind is dict:
        return any(_text_refused(key) or _holds_refused(item) for key, item in value.items())
    if kind is float:
        return not math.isfinite(value)
    if kind is int:
        return abs(value) > sys.float_info.max
    return kind is RepeatedKeys


def refused_character(text: str) -> str | None:
    """The first character of `text` the registry cannot store or export, if any (see the
    module's docstring): refused in JSON by `refusals`, in a form beside its field."""
    # Most text is printable ASCII, known at once.
    if text.isascii() and text.isprintable():
        return None
    found = _REFUSED_CHARACTER.search(text)
    return found.group() if found else None


def without_refused_characters(text: str) -> str:
    """`text` with every character the registry refuses left out: for text stored before
    they were refused (or written to the database directly), in the files whose format
    cannot hold them (ODM, XLSX)."""
    if text.isascii() and text.isprintable():
        return text
    return _REFUSED_CHARACTER.sub("", text)


def _text_refused(text: str) -> bool:
    return refused_character(text) is not None


def _refusal_of(value: str | float | int) -> str:
    if isinstance(value, str):
        return character_refusal(refused_character(value))
    return TOO_LARGE


def _key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
