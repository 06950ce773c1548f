"""The subset of Bullhorn's `query` language the emulator understands.

`where`: comparisons (=, <>, !=, <, <=, >, >=) of a (possibly dotted) property with a number,
quoted string, true/false or null; IS [NOT] NULL; [NOT] IN (...); NOT; AND/OR; parentheses.
`fields`: comma-separated names, `*`, and sub-selections such as `owner(id,firstName)`.
`orderBy`: comma-separated properties, `-` prefix for descending.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Optional, Tuple

Predicate = Callable[[Dict[str, Any]], bool]

#: Deepest nesting of parentheses and NOT in `where`, and of sub-selections in `fields`; deeper
#: input is a 400, not a RecursionError (Bullhorn's own queries nest a handful of levels).
MAX_DEPTH = 64


class QueryError(ValueError):
    """A malformed query parameter (answered with HTTP 400)."""


_TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<num>-?\d+(?:\.\d+)?)
      | (?P<str>'(?:[^']|'')*')
      | (?P<op><>|!=|<=|>=|=|<|>)
      | (?P<lpar>\()
      | (?P<rpar>\))
      | (?P<comma>,)
      | (?P<ident>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)

_KEYWORDS = {"AND", "OR", "NOT", "IS", "NULL", "IN", "TRUE", "FALSE", "EMPTY", "MEMBER", "OF"}


def _tokenize(text: str) -> List[Tuple[str, str]]:
    pos = 0
    out: List[Tuple[str, str]] = []
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise QueryError(f"Cannot parse where clause near: {text[pos:pos + 20]!r}")
        pos = m.end()
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "ident" and value.upper() in _KEYWORDS:
            kind, value = "kw", value.upper()
        out.append((kind, value))
    return out


def _resolve(record: Dict[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "=":
        return left == right
    if op in ("<>", "!="):
        return left != right
    if left is None or right is None:
        return False
    try:
        if op == "<":
            return left < right
        if op == "<=":
            return left <= right
        if op == ">":
            return left > right
        if op == ">=":
            return left >= right
    except TypeError:
        return False
    raise QueryError(f"Unknown operator {op}")


class _Parser:
    def __init__(self, tokens: List[Tuple[str, str]], known_fields: Optional[set]):
        self.tokens = tokens
        self.i = 0
        self.known = known_fields
        self.depth = 0

    def peek(self) -> Tuple[str, str]:
        return self.tokens[self.i] if self.i < len(self.tokens) else ("eof", "")

    def take(self, kind: Optional[str] = None, value: Optional[str] = None) -> Tuple[str, str]:
        tok = self.peek()
        if (kind and tok[0] != kind) or (value and tok[1] != value):
            raise QueryError(f"Unexpected token {tok[1]!r} in where clause")
        self.i += 1
        return tok

    def parse(self) -> Predicate:
        pred = self.or_expr()
        if self.peek()[0] != "eof":
            raise QueryError(f"Unexpected token {self.peek()[1]!r} in where clause")
        return pred

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while self.peek() == ("kw", "OR"):
            self.take()
            parts.append(self.and_expr())
        if len(parts) == 1:
            return parts[0]
        return lambda r: any(p(r) for p in parts)

    def and_expr(self) -> Predicate:
        parts = [self.not_expr()]
        while self.peek() == ("kw", "AND"):
            self.take()
            parts.append(self.not_expr())
        if len(parts) == 1:
            return parts[0]
        return lambda r: all(p(r) for p in parts)

    def not_expr(self) -> Predicate:
        if self.peek() == ("kw", "NOT") or self.peek()[0] == "lpar":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QueryError(f"where clause nested deeper than {MAX_DEPTH} levels")
            try:
                if self.take()[0] == "kw":
                    inner = self.not_expr()
                    return lambda r: not inner(r)
                inner = self.or_expr()
                self.take("rpar")
                return inner
            finally:
                self.depth -= 1
        return self.comparison()

    def literal(self) -> Any:
        kind, value = self.take()
        if kind == "num":
            return float(value) if "." in value else int(value)
        if kind == "str":
            return value[1:-1].replace("''", "'")
        if kind == "kw" and value in ("TRUE", "FALSE"):
            return value == "TRUE"
        if kind == "kw" and value == "NULL":
            return None
        raise QueryError(f"Expected a value, got {value!r}")

    def comparison(self) -> Predicate:
        kind, prop = self.take()
        if kind != "ident":
            raise QueryError(f"Expected a property name, got {prop!r}")
        root = prop.split(".")[0]
        if self.known is not None and root not in self.known:
            raise QueryError(f"Invalid field '{root}' in where clause")
        tok = self.peek()
        if tok == ("kw", "IS"):
            self.take()
            negate = False
            if self.peek() == ("kw", "NOT"):
                self.take()
                negate = True
            self.take("kw", "NULL")
            return (lambda r: _resolve(r, prop) is not None) if negate else (lambda r: _resolve(r, prop) is None)
        negate_in = False
        if tok == ("kw", "NOT"):
            self.take()
            negate_in = True
            tok = self.peek()
        if tok == ("kw", "IN"):
            self.take()
            self.take("lpar")
            values = [self.literal()]
            while self.peek()[0] == "comma":
                self.take()
                values.append(self.literal())
            self.take("rpar")
            valueset = set(values)
            if negate_in:
                return lambda r: _resolve(r, prop) not in valueset
            return lambda r: _resolve(r, prop) in valueset
        if negate_in:
            raise QueryError("NOT must be followed by IN here")
        _, op = self.take("op")
        value = self.literal()
        return lambda r: _compare(op, _resolve(r, prop), value)


def parse_where(text: str, known_fields: Optional[set] = None) -> Predicate:
    if not text or not text.strip():
        raise QueryError("Missing required parameter: where")
    return _Parser(_tokenize(text), known_fields).parse()


FieldSpec = Dict[str, Optional["FieldSpec"]]  # type: ignore[misc]


def parse_fields(text: str) -> Dict[str, Any]:
    """Parse `id,name,owner(id,firstName)` into {"id": None, "name": None, "owner": {...}}."""
    pos = 0

    def parse_list(end: Optional[str], depth: int = 0) -> Dict[str, Any]:
        nonlocal pos
        if depth > MAX_DEPTH:
            raise QueryError(f"fields nested deeper than {MAX_DEPTH} levels")
        result: Dict[str, Any] = {}
        while True:
            m = re.compile(r"\s*([A-Za-z_*][A-Za-z0-9_]*)\s*").match(text, pos)
            if not m:
                raise QueryError(f"Cannot parse fields near: {text[pos:pos + 20]!r}")
            name = m.group(1)
            pos = m.end()
            sub = None
            if pos < len(text) and text[pos] == "(":
                pos += 1
                sub = parse_list(")", depth + 1)
            result[name] = sub
            if pos < len(text) and text[pos] == ",":
                pos += 1
                continue
            if end is not None:
                if pos < len(text) and text[pos] == end:
                    pos += 1
                    return result
                raise QueryError("Unbalanced parentheses in fields")
            if pos != len(text):
                raise QueryError(f"Cannot parse fields near: {text[pos:pos + 20]!r}")
            return result

    if not text or not text.strip():
        raise QueryError("Missing required parameter: fields")
    return parse_list(None)


def parse_order_by(text: Optional[str]) -> List[Tuple[str, bool]]:
    if not text:
        return [("id", False)]
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        desc = part.startswith("-")
        name = part.lstrip("-+").strip()
        if " " in name:
            name, direction = name.split(None, 1)
            desc = direction.strip().upper() == "DESC"
        out.append((name, desc))
    return out or [("id", False)]
