"""JSON text in and out, fast for what browsers send and safe for what they sometimes send.

orjson reads and writes almost every batch. What it refuses (lone UTF-16
surrogates, which a browser writes when a page cuts a string inside an
emoji; nesting deeper than 1024) goes to the standard library's reader, and
what that cannot nest goes to an iterative reader whose nesting is bounded
only by the text's length: a page's DOM may be thousands of elements deep.
That reader walks by hand only the containers nested too deep for the
standard library's C reader, which reads every other value whole: a body of
a few kilobytes of gzip (1,100 brackets, then a million numbers) took a web
worker 13 s read all by hand, and 8 MB would outlast gunicorn's timeout.
Every reader refuses what is not JSON (NaN, Infinity, trailing data, control
characters inside strings) and numbers beyond a double; an integer beyond 64
bits is read as a float, as orjson does. Strings (and keys) may hold lone
surrogates after reading; `text_repair` mends them, and the writer mends
what is left: orjson refuses to write them, and the iterative writer that
takes over writes each as U+FFFD.
"""
import json
import re
from json.decoder import scanstring
from json.encoder import encode_basestring
from typing import Any

import orjson

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_SURROGATE = re.compile("[\ud800-\udfff]")
INT_MIN, INT_MAX = -(2**63), 2**64 - 1  # what orjson reads and writes
_END = object()


class JSONError(ValueError):
    """Not JSON this server reads; the message says where."""


def loads(data: bytes | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    try:
        return _DECODER.decode(text)
    except RecursionError:
        return _loads_iterative(text)
    except ValueError as error:
        raise JSONError(str(error)) from None


# Nesting the C reader is given whole: well within the recursion limit left to it inside a request or a task.
_C_DEPTH = 400
# What the deep reader takes on, so that no body holds a worker for seconds: brackets and strings measured,
# levels of nesting, and values walked by hand. A browser's JSON.stringify stops far sooner (its stack).
DEEP_TOKENS_MAX, DEEP_LEVELS_MAX, DEEP_STEPS_MAX = 500_000, 100_000, 200_000
# A string (with its escapes), or a bracket: what a container's depth is measured by.
_STRUCTURE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


def _constant(name: str):
    raise JSONError(f"{name} is not JSON")


def _float(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise JSONError(f"number out of range: {text[:40]}")
    return number


def _int(text: str) -> int | float:
    """An integer beyond 64 bits becomes a float, as orjson reads it."""
    if len(text) > 20:
        return _float(text)
    number = int(text)
    return number if INT_MIN <= number <= INT_MAX else float(number)


_DECODER = json.JSONDecoder(parse_constant=_constant, parse_float=_float, parse_int=_int)


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON (the iterative writer takes over where orjson refuses: nesting deeper than it
    writes, a lone surrogate, which it writes as U+FFFD)."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return _dumps_iterative(value).encode("utf-8")


def text_repair(text: str) -> str:
    """A string with every lone surrogate replaced by U+FFFD (Python joins valid pairs already)."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def _string(text: str, pos: int) -> tuple[str, int]:
    try:
        return scanstring(text, pos + 1, True)
    except ValueError as error:
        raise JSONError(str(error)) from None


def _expect(text: str, pos: int, char: str) -> int:
    if text[pos:pos + 1] != char:
        raise JSONError(f"expected {char!r} at character {pos}")
    return _WHITESPACE.match(text, pos + 1).end()


def _key(text: str, pos: int) -> tuple[str, int]:
    if text[pos:pos + 1] != '"':
        raise JSONError(f"expected a property name at character {pos}")
    key, pos = _string(text, pos)
    pos = _WHITESPACE.match(text, pos).end()
    return key, _expect(text, pos, ":")


def _deep_containers(text: str) -> set[int]:
    """Where the containers with more than _C_DEPTH levels of nesting inside them start."""
    deep = set()
    starts: list[int] = []  # the open containers' starts, and how many levels each holds so far
    inside: list[int] = []
    for count, match in enumerate(_STRUCTURE.finditer(text)):
        at = match.start()
        char = text[at]
        if char == '"':
            continue
        if count >= DEEP_TOKENS_MAX or len(starts) >= DEEP_LEVELS_MAX:
            raise JSONError(f"nested deeper than {_C_DEPTH} levels, and too large or too deep to read")
        if char in "[{":
            starts.append(at)
            inside.append(0)
        elif starts:
            at, levels = starts.pop(), inside.pop()
            if levels > _C_DEPTH:
                deep.add(at)
            if inside and inside[-1] <= levels:
                inside[-1] = levels + 1
    return deep


def _value_whole(text: str, pos: int) -> tuple[Any, int] | None:
    """The value at `pos` read by the C reader, or None when it runs out of nesting there."""
    try:
        return _DECODER.scan_once(text, pos)
    except RecursionError:
        return None
    except StopIteration:
        raise JSONError(f"expected a value at character {pos}") from None
    except ValueError as error:
        raise JSONError(str(error)) from None


def _loads_iterative(text: str) -> Any:
    """A JSON reader with an explicit stack: nesting is bounded by the text's length only. It walks the
    containers too deep for the C reader; that reads every other value whole."""
    space = _WHITESPACE.match
    deep = _deep_containers(text)
    stack: list[list] = []  # [container, pending key or None for a list]
    pos = space(text, 0).end()
    for _ in range(DEEP_STEPS_MAX):
        char = text[pos:pos + 1]
        whole = None if pos in deep else _value_whole(text, pos)
        if whole is not None:
            value, pos = whole
        else:  # a container too deep for the C reader: walked here
            pos = space(text, pos + 1).end()
            if text[pos:pos + 1] == ("}" if char == "{" else "]"):
                value, pos = ({} if char == "{" else []), pos + 1
            elif char == "{":
                key, pos = _key(text, pos)
                stack.append([{}, key])
                continue
            else:
                stack.append([[], None])
                continue
        # A value is complete: put it in its container, closing containers as they end.
        while True:
            pos = space(text, pos).end()
            if not stack:
                if pos != len(text):
                    raise JSONError(f"extra data at character {pos}")
                return value
            frame = stack[-1]
            container, key = frame
            if key is None:
                container.append(value)
            else:
                container[key] = value
            char = text[pos:pos + 1]
            if char == ",":
                pos = space(text, pos + 1).end()
                if key is not None:
                    frame[1], pos = _key(text, pos)
                break
            if char != ("]" if key is None else "}"):
                raise JSONError(f"expected ',' or a closing bracket at character {pos}")
            stack.pop()
            value, pos = container, pos + 1
    raise JSONError(f"more than {DEEP_STEPS_MAX} values inside nesting deeper than {_C_DEPTH} levels")


def _scalar_text(value: Any) -> str:
    if isinstance(value, str):
        return encode_basestring(text_repair(value))
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float) and value == value and value not in (float("inf"), float("-inf")):
        return float.__repr__(value)
    raise JSONError(f"cannot write {type(value).__name__} {value!r} as JSON")


def _dumps_iterative(value: Any) -> str:
    parts: list[str] = []
    stack: list[list] = []  # [iterator, closing bracket, first item still to come]
    while True:
        if isinstance(value, dict) and value:
            parts.append("{")
            stack.append([iter(value.items()), "}", True])
        elif isinstance(value, list) and value:
            parts.append("[")
            stack.append([iter(value), "]", True])
        elif isinstance(value, dict):
            parts.append("{}")
        elif isinstance(value, list):
            parts.append("[]")
        else:
            parts.append(_scalar_text(value))
        while stack:
            frame = stack[-1]
            item = next(frame[0], _END)
            if item is _END:
                parts.append(frame[1])
                stack.pop()
                continue
            if not frame[2]:
                parts.append(",")
            frame[2] = False
            if frame[1] == "}":
                key, value = item
                parts.append(encode_basestring(text_repair(key)) + ":")
            else:
                value = item
            break
        else:
            return "".join(parts)
