"""Reading one input line into an Airbyte message: the orjson fast path and the exact fallback.

orjson reads almost every line. It refuses some JSON a real source can write, and it reads
integers beyond 64 bits as floats (losing digits). Those lines go to the standard library's
``json``, which is exact and tolerant:

- ``NaN``, ``Infinity``, ``-Infinity`` (Python's ``json.dumps`` writes them) and numbers too large
  for a double (``1e400``) are read as non-finite floats; ``unstorable_values`` then names them;
- invalid UTF-8 is decoded with ``surrogateescape`` and lone surrogates (``"\\ud800"``) are kept, so
  the line is read and ``unstorable_values`` names the strings that cannot be sent;
- a UTF-8 byte order mark before the line is skipped (it is not part of the JSON);
- integers keep every digit.

A line with a digit run of ``LONG_NUMBER_DIGITS`` or more (a number that may be beyond 64 bits)
takes the exact path too; the check is one ``bytes.translate`` and one substring search of the raw
bytes, so the fast path stays fast. A line neither parser reads (not JSON at all, nesting deeper than the recursion
limit, an integer of more than 4,300 digits) raises ``UnreadableLine``; ``guess_stream`` then tries
to tell which stream the record was for, so it can be counted as a rejected record of that stream.
"""
from __future__ import annotations

import json
import re
from typing import Any, List, Optional, Tuple

import orjson

BOM = b"\xef\xbb\xbf"
#: orjson reads integers up to 2**64 - 1 exactly (20 digits); a run of 20 digits may be beyond.
LONG_NUMBER_DIGITS = 20
#: Digits → "0", every other byte → " ": a long digit run is then one substring search (C speed,
#: ~1 µs for a 1 kB line; a regular expression takes ~10-20 µs).
_DIGITS_ONLY = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
_LONG_RUN = b"0" * LONG_NUMBER_DIGITS
#: Where Airbyte's serialisers put the stream of a record: ``"record": {["namespace": "…",] "stream": "…"``.
_RECORD_STREAM = re.compile(
    rb'"record"\s*:\s*\{\s*(?:"namespace"\s*:\s*(?:"((?:[^"\\]|\\.)*)"|null)\s*,\s*)?"stream"\s*:\s*"((?:[^"\\]|\\.)*)"'
)
_NON_FINITE = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}
_ORJSON_LOADS = orjson.loads
_JSONDecodeError = orjson.JSONDecodeError


class UnreadableLine(ValueError):
    """A line that is not one JSON value either parser can read."""


def read_message(line: bytes) -> Tuple[Any, bool]:
    """``(message, exact)``: the parsed line, and whether it took the exact (slow) path.

    Values read on the exact path must go through ``unstorable_values`` before they are used.
    """
    try:
        message = _ORJSON_LOADS(line)
    except _JSONDecodeError:
        return _read_exactly(line), True
    if _LONG_RUN in line.translate(_DIGITS_ONLY):
        return _read_exactly(line), True
    return message, False


def _read_exactly(line: bytes) -> Any:
    if line.startswith(BOM):
        line = line[len(BOM):]
    text = line.decode("utf-8", "surrogateescape")
    try:
        return json.loads(text, parse_constant=_NON_FINITE.__getitem__)
    except RecursionError:
        raise UnreadableLine("is nested deeper than the JSON parser's limit") from None
    except ValueError as exc:  # json.JSONDecodeError, or an integer of more than 4,300 digits
        raise UnreadableLine(f"is not JSON ({exc})") from None


def guess_stream(line: bytes) -> Optional[Tuple[Optional[str], str]]:
    """``(namespace, stream)`` of a RECORD line that could not be parsed, if the line says so plainly."""
    if b'"RECORD"' not in line:
        return None
    match = _RECORD_STREAM.search(line)
    if match is None:
        return None
    try:
        namespace = json.loads(b'"' + match.group(1) + b'"') if match.group(1) is not None else None
        stream = json.loads(b'"' + match.group(2) + b'"')
    except ValueError:
        return None
    return (namespace or None, stream)


def _unstorable(value: Any) -> Optional[str]:
    cls = value.__class__
    if cls is float:
        if value != value:
            return "is NaN, which JSON cannot carry to Sense"
        if value in (float("inf"), float("-inf")):
            return "is infinite (or beyond the range of a double), which JSON cannot carry to Sense"
    elif cls is str:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "is not valid Unicode text (invalid UTF-8 or a lone surrogate)"
    return None


def unstorable_values(data: Any, null_non_finite: bool = False) -> List[Tuple[str, str]]:
    """``(field path, reason)`` for each value in ``data`` that cannot be sent as it is.

    With ``null_non_finite`` NaN and infinite numbers are replaced by null in place instead (and not
    reported). Keys that are not valid Unicode are reported too.
    """
    problems: List[Tuple[str, str]] = []
    stack: List[Tuple[str, Any]] = [("", data)]
    while stack:
        path, node = stack.pop()
        if node.__class__ is dict:
            items = list(node.items())
        elif node.__class__ is list:
            items = [(str(i), v) for i, v in enumerate(node)]
        else:
            continue
        for key, value in items:
            name = f"{path}.{key}" if path else key
            key_problem = _unstorable(key) if key.__class__ is str else None
            if key_problem:
                problems.append((name.encode("utf-8", "backslashreplace").decode(), "has a name that is not valid Unicode text"))
                continue
            reason = _unstorable(value)
            if reason is None:
                if value.__class__ in (dict, list):
                    stack.append((name, value))
                continue
            if null_non_finite and value.__class__ is float:
                node[key if node.__class__ is dict else int(key)] = None
                continue
            problems.append((name, reason))
    problems.sort()
    return problems
