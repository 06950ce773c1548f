"""The expression language of the mapping layer: how one Sense field is computed from a source record.

An expression is compiled once into a closure ``getter(record) -> value``; a getter returns
``MISSING`` when the record has nothing at that place, and the field is then not sent. Forms:

- ``"firstName"``: the value of a key (a rename);
- ``"owner.id"``: a nested path, one key per ``.``-separated step;
- ``"emails[0]"``, ``"emails[-1].value"``: an element of a list by position;
- ``"phone_numbers[type=mobile].value"``: the first object of a list whose key equals a text
  (compared without regard to case; ``true``/``false`` match booleans);
- ``"interviewers[*].id"``: the rest of the path applied to every element, giving a list;
- ``{"const": value}``: a constant;
- ``{"path": <expression>, "convert": name | [names], "sep": ",", "map": {...}, "default": value}``:
  an expression with conversions applied in order, an optional value map (keyed by the value's
  text; unmapped values are kept), and a default used when the result is missing or null;
- ``{"concat": [<expression>, ...], "sep": " "}``: the present, non-empty parts as text,
  joined with ``sep`` (default ``""``); missing when no part is present;
- ``{"coalesce": [<expression>, ...]}``: the first part that is present and not null;
- ``{"sum": [<expression>, ...], "times": [1, 60000]}``: the sum of numeric parts, each multiplied
  by its factor (default 1), e.g. a start in epoch milliseconds plus a duration in minutes;
  missing when a part is missing, null when a part is null.

Conversions: ``epoch_ms``, ``epoch_s`` (numbers → ISO 8601 date-time in UTC), ``date_string``
(alias ``iso``: a date or date-time text → ISO 8601 date-time), ``date`` (→ ``YYYY-MM-DD``),
``string``, ``round`` (number → nearest integer), ``not``, ``exists`` (not null/empty → true),
``first`` (first element of a list), ``join`` / ``split`` (list ↔ text, separator ``sep``,
default ``", "`` / ``","``), ``first_word`` / ``rest_words`` (a full name's first word / the rest).
Conversions leave ``None`` as ``None``; a value a conversion cannot handle is passed on unchanged
so the normaliser and validator report it with the record.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Tuple

from destination_sense.normalize import CoercionError, format_datetime, to_date, to_datetime


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()
Getter = Callable[[dict], Any]


class ExpressionError(ValueError):
    """A mapping expression is malformed; the message says why."""


# ---------------------------------------------------------------- paths

_STEP_RE = re.compile(r"\[([^\]]*)\]")
_INDEX_RE = re.compile(r"-?\d+\Z")


def parse_path(text: str) -> List[Tuple[str, Any]]:
    """``"a.b[0][type=x].c[*]"`` → [("key","a"),("key","b"),("index",0),("match",("type","x")),…]."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("a path must be a non-empty string")
    steps: List[Tuple[str, Any]] = []
    for part in text.split("."):
        bracket = part.find("[")
        name, rest = (part, "") if bracket < 0 else (part[:bracket], part[bracket:])
        if name:
            steps.append(("key", name))
        elif not rest:
            raise ExpressionError(f"path {text!r} has an empty step")
        pos = 0
        while pos < len(rest):
            m = _STEP_RE.match(rest, pos)
            if not m:
                raise ExpressionError(f"path {text!r}: cannot read {rest[pos:]!r} (expected [n], [key=value] or [*])")
            inner = m.group(1).strip()
            if inner == "*":
                steps.append(("each", None))
            elif _INDEX_RE.match(inner):
                steps.append(("index", int(inner)))
            elif "=" in inner:
                key, _, value = inner.partition("=")
                if not key.strip():
                    raise ExpressionError(f"path {text!r}: [{inner}] needs a key before '='")
                steps.append(("match", (key.strip(), value.strip())))
            else:
                raise ExpressionError(f"path {text!r}: [{inner}] is not [n], [key=value] or [*]")
            pos = m.end()
    return steps


def _step_getter(kind: str, arg: Any, nxt: Getter) -> Getter:
    if kind == "key":
        key = arg

        def get_key(value: Any) -> Any:
            if value.__class__ is dict:
                inner = value.get(key, MISSING)
                return inner if inner is MISSING else nxt(inner)
            return MISSING

        return get_key
    if kind == "index":
        index = arg

        def get_index(value: Any) -> Any:
            if value.__class__ is list:
                try:
                    return nxt(value[index])
                except IndexError:
                    return MISSING
            return MISSING

        return get_index
    if kind == "match":
        key, wanted = arg
        wanted = wanted.casefold()

        def get_match(value: Any) -> Any:
            if value.__class__ is list:
                for item in value:
                    if item.__class__ is dict:
                        found = item.get(key)
                        if found is None:
                            continue
                        if found.__class__ is str:
                            text = found.casefold()
                        elif found.__class__ is bool:
                            text = "true" if found else "false"
                        else:
                            text = str(found)
                        if text == wanted:
                            return nxt(item)
            return MISSING

        return get_match

    def get_each(value: Any) -> Any:  # kind == "each"
        if value.__class__ is list:
            out = []
            for item in value:
                got = nxt(item)
                if got is not MISSING and got is not None:
                    out.append(got)
            return out
        return MISSING

    return get_each


def _identity(value: Any) -> Any:
    return value


def compile_path(text: str) -> Getter:
    steps = parse_path(text)
    # Fast paths for the common shapes: one key, two keys.
    if len(steps) == 1 and steps[0][0] == "key":
        key = steps[0][1]
        return lambda record: record.get(key, MISSING)
    if len(steps) == 2 and steps[0][0] == "key" and steps[1][0] == "key":
        outer, inner = steps[0][1], steps[1][1]

        def get_two(record: dict) -> Any:
            value = record.get(outer)
            if value.__class__ is dict:
                return value.get(inner, MISSING)
            return MISSING

        return get_two
    getter: Getter = _identity
    for kind, arg in reversed(steps):
        getter = _step_getter(kind, arg, getter)
    return getter


# ---------------------------------------------------------------- conversions

def _number(value: Any) -> Any:
    cls = value.__class__
    if cls is int or cls is float:
        return value
    if cls is str:
        try:
            return int(value.strip())
        except ValueError:
            try:
                return float(value.strip())
            except ValueError:
                return None
    return None


def _epoch(divisor: float) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        number = _number(value)
        if number is None or isinstance(value, bool):
            return value
        try:
            return format_datetime(datetime.fromtimestamp(number / divisor, tz=timezone.utc))
        except (OverflowError, OSError, ValueError):
            return value

    return convert


def _date_string(value: Any) -> Any:
    if value.__class__ is not str:
        return value
    try:
        return to_datetime(value)
    except CoercionError:
        return value


def _date(value: Any) -> Any:
    if value.__class__ is bool:
        return value
    try:
        return to_date(value)
    except CoercionError:
        return value


def _string(value: Any) -> Any:
    if value.__class__ is bool:
        return "true" if value else "false"
    if value.__class__ in (int, float):
        return str(value)
    return value


def _round(value: Any) -> Any:
    number = _number(value)
    if number is None or value.__class__ is bool:
        return value
    try:
        return int(round(number))
    except (OverflowError, ValueError):
        return value


def _not(value: Any) -> Any:
    return value if value.__class__ is not bool else not value


def _exists(value: Any) -> Any:
    return value not in ("", [], {}) and value is not None


def _first(value: Any) -> Any:
    if value.__class__ is list:
        return value[0] if value else None
    return value


def _first_word(value: Any) -> Any:
    if value.__class__ is not str:
        return value
    words = value.split(None, 1)
    return words[0] if words else None


def _rest_words(value: Any) -> Any:
    if value.__class__ is not str:
        return value
    words = value.split(None, 1)
    return words[1].strip() if len(words) > 1 else None


def _join(sep: str) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if value.__class__ is list:
            return sep.join(str(item) for item in value if item is not None and item != "")
        return value

    return convert


def _split(sep: str) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if value.__class__ is str:
            return [part.strip() for part in value.split(sep) if part.strip()]
        return value

    return convert


_SIMPLE_CONVERSIONS: Dict[str, Callable[[Any], Any]] = {
    "epoch_ms": _epoch(1000.0),
    "epoch_s": _epoch(1.0),
    "date_string": _date_string,
    "iso": _date_string,
    "date": _date,
    "string": _string,
    "round": _round,
    "not": _not,
    "exists": _exists,
    "first": _first,
    "first_word": _first_word,
    "rest_words": _rest_words,
}
CONVERSIONS: Tuple[str, ...] = tuple(sorted(set(_SIMPLE_CONVERSIONS) | {"join", "split"}))


def _conversion(name: Any, sep: Any) -> Callable[[Any], Any]:
    if name == "join":
        return _join(", " if sep is None else sep)
    if name == "split":
        return _split("," if sep is None else sep)
    try:
        return _SIMPLE_CONVERSIONS[name]
    except (KeyError, TypeError):
        raise ExpressionError(f"unknown conversion {name!r} (known: {', '.join(CONVERSIONS)})") from None


# ---------------------------------------------------------------- expressions

_FORM_KEYS = {
    "const": {"const"},
    "path": {"path", "convert", "sep", "map", "default"},
    "concat": {"concat", "sep"},
    "coalesce": {"coalesce"},
    "sum": {"sum", "times"},
}


def compile_expression(expr: Any) -> Getter:
    """Compile one expression (see the module docstring) into ``getter(record) -> value | MISSING``."""
    if isinstance(expr, str):
        return compile_path(expr)
    if not isinstance(expr, dict) or not expr:
        raise ExpressionError(
            f"expected a path string or an object with one of {sorted(_FORM_KEYS)}, got {type(expr).__name__} {expr!r}"
        )
    forms = [form for form in _FORM_KEYS if form in expr]
    if len(forms) != 1:
        raise ExpressionError(f"an expression object needs exactly one of {sorted(_FORM_KEYS)}, got keys {sorted(expr)}")
    form = forms[0]
    unknown = set(expr) - _FORM_KEYS[form]
    if unknown:
        raise ExpressionError(f"unknown key(s) {sorted(unknown)} in a {form!r} expression (allowed: {sorted(_FORM_KEYS[form])})")
    if form == "const":
        constant = expr["const"]
        return lambda record: constant
    if form == "concat":
        return _compile_concat(expr)
    if form == "coalesce":
        return _compile_coalesce(expr)
    if form == "sum":
        return _compile_sum(expr)
    return _compile_path_form(expr)


def _parts(expr: dict, form: str) -> List[Getter]:
    parts = expr[form]
    if not isinstance(parts, list) or not parts:
        raise ExpressionError(f"{form!r} needs a non-empty list of expressions")
    return [compile_expression(part) for part in parts]


def _compile_concat(expr: dict) -> Getter:
    getters = _parts(expr, "concat")
    sep = expr.get("sep", "")
    if not isinstance(sep, str):
        raise ExpressionError("'sep' must be a string")

    def concat(record: dict) -> Any:
        texts = []
        for getter in getters:
            value = getter(record)
            if value is MISSING or value is None or value == "":
                continue
            texts.append(value if value.__class__ is str else str(value))
        return sep.join(texts) if texts else MISSING

    return concat


def _compile_coalesce(expr: dict) -> Getter:
    getters = _parts(expr, "coalesce")

    def coalesce(record: dict) -> Any:
        for getter in getters:
            value = getter(record)
            if value is not MISSING and value is not None:
                return value
        return MISSING

    return coalesce


def _compile_sum(expr: dict) -> Getter:
    getters = _parts(expr, "sum")
    factors = expr.get("times", [1] * len(getters))
    if (not isinstance(factors, list) or len(factors) != len(getters)
            or not all(f.__class__ in (int, float) for f in factors)):
        raise ExpressionError("'times' must be a list of numbers, one per part of 'sum'")
    pairs = tuple(zip(getters, factors))

    def total(record: dict) -> Any:
        result = 0
        null = False
        for getter, factor in pairs:
            value = getter(record)
            if value is MISSING:
                return MISSING
            if value is None:
                null = True
                continue
            number = _number(value)
            if number is None or value.__class__ is bool:
                return value  # not a number: passed on, so the record is rejected naming the field
            result += number * factor
        return None if null else result

    return total


def _compile_path_form(expr: dict) -> Getter:
    inner = compile_expression(expr["path"])
    sep = expr.get("sep")
    if sep is not None and not isinstance(sep, str):
        raise ExpressionError("'sep' must be a string")
    names = expr.get("convert", [])
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list):
        raise ExpressionError("'convert' must be a conversion name or a list of them")
    conversions = tuple(_conversion(name, sep) for name in names)
    value_map = expr.get("map")
    if value_map is not None and not isinstance(value_map, dict):
        raise ExpressionError("'map' must be an object")
    has_default = "default" in expr
    default = expr.get("default")

    def compute(record: dict) -> Any:
        value = inner(record)
        if value is MISSING or value is None:
            return default if has_default else value
        for convert in conversions:
            if value is None:
                break
            value = convert(value)
        if value_map is not None and value is not None:
            key = value if value.__class__ is str else ("true" if value is True else "false" if value is False else str(value))
            value = value_map.get(key, value)
        if value is None and has_default:
            return default
        return value

    return compute


def expression_reads(expr: Any) -> List[Tuple[str, Tuple[str, ...]]]:
    """Every path an expression reads, each with the conversions applied to its value, in order.

    ``{"path": {"coalesce": ["a", "b"]}, "convert": "epoch_ms"}`` → ``[("a", ("epoch_ms",)),
    ("b", ("epoch_ms",))]``; a value map shows as ``"map"`` after the conversions, concatenated parts
    as ``"concat"`` (read as text); constants read nothing. For checking a mapping against a source's declared schema (``source_schema``).
    """
    out: List[Tuple[str, Tuple[str, ...]]] = []

    def walk(node: Any, after: Tuple[str, ...]) -> None:
        if isinstance(node, str):
            out.append((node, after))
        elif isinstance(node, dict):
            if "coalesce" in node:
                for part in node["coalesce"]:
                    walk(part, after)
            elif "concat" in node:
                for part in node["concat"]:
                    walk(part, ("concat",) + after)
            elif "sum" in node:
                for part in node["sum"]:
                    walk(part, ("sum",) + after)
            elif "path" in node:
                names = node.get("convert", [])
                names = ([names] if isinstance(names, str) else list(names)) + (["map"] if "map" in node else [])
                walk(node["path"], tuple(names) + after)

    walk(expr, ())
    return out


def describe(expr: Any) -> str:
    """A short human-readable rendering of an expression, for docs and messages."""
    if isinstance(expr, str):
        return expr
    if not isinstance(expr, dict):
        return repr(expr)
    if "const" in expr:
        return f"const {expr['const']!r}"
    if "concat" in expr:
        inner = ", ".join(describe(part) for part in expr["concat"])
        sep = expr.get("sep", "")
        return f"concat({inner}{', sep=' + repr(sep) if sep else ''})"
    if "coalesce" in expr:
        return "first of(" + ", ".join(describe(part) for part in expr["coalesce"]) + ")"
    if "sum" in expr:
        factors = expr.get("times", [1] * len(expr["sum"]))
        return " + ".join(describe(part) + ("" if f == 1 else f" × {f}") for part, f in zip(expr["sum"], factors))
    text = describe(expr.get("path"))
    names = expr.get("convert", [])
    for name in [names] if isinstance(names, str) else names:
        text = f"{name}({text}{', ' + repr(expr['sep']) if name in ('join', 'split') and 'sep' in expr else ''})"
    if "map" in expr:
        text += " mapped " + ", ".join(f"{k}→{v!r}" for k, v in expr["map"].items())
    if "default" in expr:
        text += f" (default {expr['default']!r})"
    return text
