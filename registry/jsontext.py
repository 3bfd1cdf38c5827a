"""JSON from outside (API bodies, cohort documents): what the registry refuses in it.

- Nesting. Python's json module parses arrays and objects within each other by
  recursion: two kilobytes of `[` exhaust the interpreter's stack (RecursionError) in the
  parser or in the code that walks what it gave. No registry document nests more than a
  few levels, so text nested deeper than MAX_DEPTH is refused before it is parsed.
- NUL characters (`\u0000`) in text: PostgreSQL can neither store nor compare them, so
  a value or key holding one is refused, named by its path, before anything reads it.
"""

import json
import re

MAX_DEPTH = 64


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
