"""JSON text: how the registry writes its own (`json_bytes`), and what it refuses in JSON
from outside (API bodies, cohort documents):

- Nesting. Python's json module parses arrays and objects within each other by
  recursion: two kilobytes of `[` exhaust the interpreter's stack (RecursionError) in the
  parser or in the code that walks what it gave. No registry document nests more than a
  few levels, so text nested deeper than MAX_DEPTH is refused before it is parsed.
- NUL characters (`\u0000`) in text: PostgreSQL can neither store nor compare them, so
  a value or key holding one is refused, named by its path, before anything reads it.
"""

import json
import re

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
    NotJSONNumber."""
    check_depth(text)
    return json.loads(text, parse_constant=_refuse_constant)


class NotJSONNumber(ValueError):
    pass


def _refuse_constant(name: str) -> None:
    raise NotJSONNumber(f"{name} is not a number JSON allows; leave the value out if unknown")


def nul_paths(value: object, path: str = "") -> list[str]:
    """The paths (e.g. `patients[3].infusions[0].lot`) of the text in the parsed JSON
    `value`, keys included, that holds a NUL character."""
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    # A path is spelled out only where a NUL is found: a large document holds none, and
    # naming each of its values would cost more than looking through them.
    if isinstance(value, list):
        return [
            found
            for i, item in enumerate(value)
            if _holds_nul(item)
            for found in nul_paths(item, f"{path}[{i}]")
        ]
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            if "\x00" in key:
                found.append(_key_path(path, key))
            elif _holds_nul(item):
                found += nul_paths(item, _key_path(path, key))
        return found
    return []


def _holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(map(_holds_nul, value))
    if isinstance(value, dict):
        return any("\x00" in key or _holds_nul(item) for key, item in value.items())
    return False


def _key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
