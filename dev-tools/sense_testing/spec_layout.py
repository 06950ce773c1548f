"""How a connector spec lays out its settings in Airbyte's connector form: one rule for every connector.

Airbyte's form shows one card per ``group`` (in the order of the spec's ``groups``), the fields of a
card by their ``order`` (which must not repeat within a group), and collapses each card's optional
fields under "Optional fields" unless they are marked ``always_show``. ``layout_problems`` lists what
breaks that layout; a connector's tests assert it is empty.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Dict, List, Mapping


def layout_problems(specification: Mapping[str, Any]) -> List[str]:
    """What keeps ``specification`` (a ``connectionSpecification``) from a grouped, ordered form."""
    problems: List[str] = []
    groups = specification.get("groups") or []
    ids = [group.get("id") for group in groups]
    if not groups:
        problems.append("the spec has no 'groups': every setting lands in one flat list")
    if len(set(ids)) != len(ids):
        problems.append(f"group ids repeat: {ids}")
    problems += [f"group {group.get('id')!r} has no title" for group in groups if not group.get("title")]
    required = set(specification.get("required") or [])
    orders: Dict[Any, List[Any]] = defaultdict(list)
    for name, prop in (specification.get("properties") or {}).items():
        group = prop.get("group")
        if group not in ids:
            problems.append(f"setting {name!r} is in group {group!r}, which is not one of the spec's groups {ids}")
        if not isinstance(prop.get("order"), int):
            problems.append(f"setting {name!r} has no integer 'order'")
        orders[group].append(prop.get("order"))
        if prop.get("always_show") and name in required:
            problems.append(f"setting {name!r} is required: it is always shown, 'always_show' means nothing there")
    for group, values in orders.items():
        if len(set(values)) != len(values):
            problems.append(f"orders repeat within group {group!r}: {sorted(values, key=str)}")
    problems += [f"group {group_id!r} holds no setting" for group_id in ids if group_id not in orders]
    return problems
