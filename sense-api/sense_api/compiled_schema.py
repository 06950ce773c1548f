"""A compiled validator for the Sense entity schemas.

``jsonschema`` validates ~1,300 fields far too slowly for hundreds of thousands of records per
minute, so each entity schema is compiled once into a ``{field: check}`` table. A check returns
None when the value is valid, else a short reason. The rules are exactly the schema's keywords:
``type`` (with ``null``), ``format`` (``date``, ``date-time``, ``date-or-date-time``),
``minLength``/``maxLength``, array ``items``, ``required`` and ``additionalProperties: false``.
A differential test compares this with ``jsonschema`` on the same schema files.
"""
from __future__ import annotations

import re
from itertools import chain
from operator import itemgetter
from typing import Callable, Dict, List, Optional, Tuple

from sense_api.entities import load_schema
from sense_api.field_types import base_type, field_types
from sense_api.formats import DATE_STRICT, DATE_TIME_STRICT, is_iso_date, is_iso_date_time

Check = Callable[[object], Optional[str]]

def _column_re(single: str) -> "re.Pattern":
    """A pattern matching newline-joined values that each match ``single``."""
    return re.compile(f"(?:(?:{single})\n)*(?:{single})", re.ASCII)


_COLUMN_RES = {
    "date": _column_re(DATE_STRICT),
    "date-time": _column_re(DATE_TIME_STRICT),
    "date-or-date-time": _column_re(f"{DATE_STRICT}|{DATE_TIME_STRICT}"),
}

_FORMATS = {
    "date": (is_iso_date, "is not an ISO 8601 date (YYYY-MM-DD)"),
    "date-time": (is_iso_date_time, "is not an ISO 8601 date-time"),
    "date-or-date-time": (
        lambda v: is_iso_date(v) or is_iso_date_time(v),
        "is not an ISO 8601 date or date-time",
    ),
}


#: Per formatted field, how many distinct valid values are remembered (a bounded cache).
_KNOWN_VALID_LIMIT = 4096
#: Per entity, how many record shapes (field names and value classes) have a remembered plan.
_PLAN_LIMIT = 4096


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _compile_property(prop: dict) -> Check:
    types = field_types(prop)
    nullable = "null" in types
    base = base_type(prop)
    fmt = _FORMATS.get(prop.get("format", ""))
    max_len = prop.get("maxLength")
    min_len = prop.get("minLength")
    expected = f"expected {base}{' or null' if nullable else ''}"

    if base == "string":
        known_valid: set = set()  # formatted values already accepted (dates repeat a lot)

        def check(value: object) -> Optional[str]:
            if value.__class__ is not str:
                if value is None and nullable:
                    return None
                return f"{expected}, got {_type_name(value)}"
            if value in known_valid:
                return None
            if min_len is not None and len(value) < min_len:
                return "must not be empty" if min_len == 1 else f"shorter than {min_len} characters"
            if max_len is not None and len(value) > max_len:
                return f"longer than {max_len:,} characters ({len(value):,})"
            if fmt is not None:
                if not fmt[0](value):
                    return f"{value[:40]!r} {fmt[1]}"
                if len(known_valid) < _KNOWN_VALID_LIMIT:
                    known_valid.add(value)
            return None

    elif base == "integer":

        def check(value: object) -> Optional[str]:
            if value.__class__ is int or (value is None and nullable):
                return None
            return f"{expected}, got {_type_name(value)}"

    elif base == "number":

        def check(value: object) -> Optional[str]:
            cls = value.__class__
            if cls is float or cls is int or (value is None and nullable):
                return None
            return f"{expected}, got {_type_name(value)}"

    elif base == "boolean":

        def check(value: object) -> Optional[str]:
            if value.__class__ is bool or (value is None and nullable):
                return None
            return f"{expected}, got {_type_name(value)}"

    elif base == "array":
        item_type = prop.get("items", {}).get("type", "string")
        item_cls = {"string": str, "integer": int, "number": float, "boolean": bool}[item_type]

        def check(value: object) -> Optional[str]:
            if value.__class__ is list:
                for i, item in enumerate(value):
                    if item.__class__ is not item_cls:
                        return f"item {i}: expected {item_type}, got {_type_name(item)}"
                return None
            if value is None and nullable:
                return None
            return f"{expected} of {item_type}, got {_type_name(value)}"

    else:  # pragma: no cover - the Sense spec has no other types
        raise ValueError(f"unsupported type {base!r}")
    return check


_SIMPLE_CLASSES = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,)}


def _simple_classes(prop: dict) -> frozenset:
    """Classes of values that are valid for ``prop`` without calling its check (the fast path)."""
    classes = set()
    if "null" in field_types(prop):
        classes.add(type(None))
    base = base_type(prop)
    has_rules = any(key in prop for key in ("format", "minLength", "maxLength"))
    if base in _SIMPLE_CLASSES and not (base == "string" and has_rules):
        classes.update(_SIMPLE_CLASSES[base])
    return frozenset(classes)


def _column_check(prop: dict, check: Check) -> Callable[[list], bool]:
    """A whole-column validity test for a non-plain field: True when every value is valid.

    Mostly C-level work (sets, map, one regular-expression match over the joined column); a False
    answer only means "look record by record".
    """
    base = base_type(prop)
    allowed = frozenset([type(None)] if "null" in field_types(prop) else [])
    if base == "array":
        item_cls = {"string": str, "integer": int, "number": float, "boolean": bool}[prop.get("items", {}).get("type", "string")]
        lists_ok = allowed | {list}

        def column(values: list) -> bool:
            if not lists_ok.issuperset(map(type, values)):
                return False
            items = chain.from_iterable(v for v in values if v is not None)
            return {item_cls}.issuperset(map(type, items))

        return column
    min_len, max_len = prop.get("minLength"), prop.get("maxLength")
    if "format" in prop:
        pattern = _COLUMN_RES.get(prop["format"])

        def column(values: list) -> bool:
            strings = [v for v in values if v is not None] if allowed and None in values else values
            if not strings:
                return True
            try:
                joined = "\n".join(strings)  # also the type test: join refuses anything but str
            except TypeError:
                return False
            if joined.count("\n") != len(strings) - 1:  # a value holding a newline
                return False
            if min_len is not None or max_len is not None:
                lengths = list(map(len, strings))
                if (min_len is not None and min(lengths) < min_len) or (max_len is not None and max(lengths) > max_len):
                    return False
            if pattern is None:
                return all(check(value) is None for value in strings)
            # One C-level match over the whole column: cheaper than any per-value work.
            return pattern.fullmatch(joined) is not None

        return column
    strings_ok = allowed | {str}

    def column(values: list) -> bool:
        if not strings_ok.issuperset(map(type, values)):
            return False
        strings = [v for v in values if v is not None] if allowed else values
        if not strings:
            return True
        lengths = list(map(len, strings))
        if min_len is not None and min(lengths) < min_len:
            return False
        return max_len is None or max(lengths) <= max_len

    return column


def _possible_classes(prop: dict) -> frozenset:
    types = field_types(prop)
    classes = {type(None)} if "null" in types else set()
    for t in types:
        classes.update({"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
                        "array": (list,), "null": ()}[t])
    return frozenset(classes)


def _is_plain(prop: dict) -> bool:
    """True when a value's class alone decides validity (no format, length or array rule)."""
    return "array" not in field_types(prop) and not any(key in prop for key in ("format", "minLength", "maxLength"))


class CompiledSchema:
    """Validate records of one entity. ``errors(record)`` lists ``(field, reason)`` pairs, in the
    record's field order (missing required fields last).

    ``checks[field]`` is the field's check; ``simple[field]`` the value classes valid without
    calling it (e.g. ``str`` and ``NoneType`` for a plain nullable string field); ``plain`` the
    fields for which ``simple`` is the whole rule (no format, length or array items).
    """

    __slots__ = ("title", "checks", "required", "simple", "plain", "non_plain", "classes", "columns", "_plans", "_seen")

    def __init__(self, schema: dict):
        props = schema["properties"]
        self.title = schema.get("title", "")
        self.checks: Dict[str, Check] = {name: _compile_property(p) for name, p in props.items()}
        self.columns: Dict[str, Callable[[list], bool]] = {
            name: _column_check(p, self.checks[name]) for name, p in props.items() if not _is_plain(p)
        }
        self.simple: Dict[str, frozenset] = {name: _simple_classes(p) for name, p in props.items()}
        self.plain = frozenset(name for name, p in props.items() if _is_plain(p))
        self.non_plain = frozenset(props) - self.plain
        #: Every value class a field may hold (its check decides the rest).
        self.classes: Dict[str, frozenset] = {name: _possible_classes(p) for name, p in props.items()}
        self.required: Tuple[str, ...] = tuple(schema.get("required", ()))
        self._plans: Dict[tuple, tuple] = {}
        self._seen: set = set()

    def _plan(self, names: tuple) -> tuple:
        """For records with these field names: problems known from the names alone, groups of
        plain fields checked together by value class, and the fields checked one by one."""
        static = [(name, "is not a field of " + self.title) for name in names if name not in self.simple]
        static += [(name, "is required") for name in self.required if name not in names]
        groups: Dict[frozenset, List[str]] = {}
        checked = []
        for name in names:
            if name in self.plain:
                groups.setdefault(self.simple[name], []).append(name)
            elif name in self.simple:
                checked.append(name)
        group_list = []
        for accepted, members in groups.items():
            if len(members) == 1:
                checked.append(members[0])
            else:
                group_list.append((itemgetter(*members), accepted, tuple(members)))
        return tuple(static), tuple(group_list), tuple(checked)

    def _errors_direct(self, record: dict) -> List[Tuple[str, str]]:
        # First a class-level pass done by C iteration (one class set per field), then the value
        # checks of the formatted and array fields only; the field-by-field loop below runs only
        # for a record with a problem.
        try:
            classes = list(map(self.classes.__getitem__, record))
        except KeyError:
            classes = None
        if classes is not None and all(map(frozenset.__contains__, classes, map(type, record.values()))):
            checks = self.checks
            problems = [(n, r) for n in self.non_plain.intersection(record) if (r := checks[n](record[n])) is not None]
            if not problems and all(map(record.__contains__, self.required)):
                return []
        problems = []
        simple = self.simple
        for name, value in record.items():
            accepted = simple.get(name)
            if accepted is None:
                problems.append((name, "is not a field of " + self.title))
            elif value.__class__ not in accepted:
                reason = self.checks[name](value)
                if reason is not None:
                    problems.append((name, reason))
        for name in self.required:
            if name not in record:
                problems.append((name, "is required"))
        return problems

    def _plan_for(self, names: tuple) -> tuple:
        plan = self._plans.get(names)
        if plan is None:
            if len(self._plans) >= _PLAN_LIMIT:
                self._plans.clear()
            plan = self._plans[names] = self._plan(names)
        return plan

    def _all_valid(self, plan: tuple, records: List[dict]) -> bool:
        """Whether every record (all with the plan's field names) is valid, column by column."""
        static, groups, checked = plan
        if static:
            return False
        for getter, accepted, _ in groups:
            if not accepted.issuperset(map(type, chain.from_iterable(map(getter, records)))):
                return False
        simple, columns = self.simple, self.columns
        for name in checked:
            values = list(map(itemgetter(name), records))
            column = columns.get(name)
            if column is None:  # a plain field alone in its class group
                if not simple[name].issuperset(map(type, values)):
                    return False
            elif not column(values):
                return False
        return True

    def errors_many(self, records: List[dict]) -> List[Tuple[int, str, str]]:
        """Problems of many records: ``(index, field, reason)``, by index, each record's problems
        as ``errors(record)`` gives them. Faster than calling ``errors`` per record: records are
        grouped by field names and each group is checked column by column (C-level set work);
        only a group with a problem is checked record by record."""
        if not records:
            return []
        # Fast path: when every record has as many fields as the first and each of the first's
        # names (a getter would raise KeyError otherwise), all have the same field names.
        names = tuple(records[0])
        if len(names) > 0 and len(records) > 1 and set(map(len, records)) == {len(names)}:
            try:
                if self._all_valid(self._plan_for(names), records):
                    return []
            except KeyError:
                pass
        by_names: Dict[tuple, List[int]] = {}
        for index, record in enumerate(records):
            names = tuple(record)
            group = by_names.get(names)
            if group is None:
                by_names[names] = [index]
            else:
                group.append(index)
        problems: List[Tuple[int, str, str]] = []
        for names, indexes in by_names.items():
            members = [records[i] for i in indexes]
            if len(indexes) > 1 and self._all_valid(self._plan_for(names), members):
                continue
            for index, record in zip(indexes, members):
                problems.extend((index, field, reason) for field, reason in self.errors(record))
        if len(by_names) > 1:
            problems.sort(key=lambda problem: problem[0])  # stable: keeps each record's field order
        return problems

    def errors(self, record: dict) -> List[Tuple[str, str]]:
        # Records of one stream share their field names: the per-names plan is remembered (from
        # the second record with those names on), so a valid record costs a few C-level class
        # checks per group of plain fields plus one call per formatted or array field.
        names = tuple(record)
        plan = self._plans.get(names)
        if plan is None:
            if names not in self._seen:
                if len(self._seen) >= _PLAN_LIMIT:
                    self._seen.clear()
                self._seen.add(names)
                return self._errors_direct(record)
            if len(self._plans) >= _PLAN_LIMIT:
                self._plans.clear()
            plan = self._plans[names] = self._plan(names)
        static, groups, checked = plan
        problems: List[Tuple[str, str]] = list(static)
        checks = self.checks
        for getter, accepted, members in groups:
            if not accepted.issuperset(map(type, getter(record))):
                for name in members:
                    value = record[name]
                    if value.__class__ not in accepted:
                        problems.append((name, checks[name](value)))
        for name in checked:
            reason = checks[name](record[name])
            if reason is not None:
                problems.append((name, reason))
        if len(problems) > 1:
            position = {name: i for i, name in enumerate(names)}
            problems.sort(key=lambda problem: position.get(problem[0], len(names)))
        return problems


_COMPILED: Dict[str, CompiledSchema] = {}


def compiled(collection: str) -> CompiledSchema:
    """The compiled validator of a collection (cached)."""
    schema = _COMPILED.get(collection)
    if schema is None:
        schema = _COMPILED[collection] = CompiledSchema(load_schema(collection))
    return schema
