"""Configured streams that do not carry entity records: possible values and resume files.

``split_catalog`` takes them out of the catalog before the entity routing (which would refuse
their names) and returns their routes; ``collectors`` builds the reading-thread collectors the
writer hands their records to (see ``possible_values`` and ``resume_upload``).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple

from destination_sense import possible_values, resume_upload
from destination_sense.catalog import StreamKey
from destination_sense.mapping import load_preset


@dataclass
class SideRoutes:
    possible_values: Dict[StreamKey, possible_values.PossibleValuesRoute] = field(default_factory=dict)
    resumes: Dict[StreamKey, resume_upload.ResumeRoute] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.possible_values) + len(self.resumes)

    def describe(self):
        for route in self.possible_values.values():
            yield f"Stream '{route.label}' → possible values{' (mapped by the preset)' if route.translate else ''}."
        for route in self.resumes.values():
            yield f"Stream '{route.label}' → candidate resumes (POST /candidates/{{id}}/resume){' (mapped by the preset)' if route.getters else ''}."


def split_catalog(catalog: Mapping[str, Any], preset_name: str, table: Any, epoch_unit: str = "reject") -> Tuple[Dict[str, Any], SideRoutes]:
    """(the catalog without the side streams, their routes)."""
    preset = load_preset(preset_name or "none")
    routes = SideRoutes(
        possible_values.routes_from_catalog(catalog, preset_name, preset, table),
        resume_upload.routes_from_catalog(catalog, preset_name, preset, epoch_unit),
    )
    keys = set(routes.possible_values) | set(routes.resumes)
    rest = []
    for configured in catalog.get("streams") or []:
        stream = configured.get("stream") or {}
        if (stream.get("namespace") or None, stream.get("name") or "") not in keys:
            rest.append(configured)
    return {**catalog, "streams": rest}, routes


def collectors(routes: Optional[SideRoutes], stats, reject):
    """(possible-values collector or None, resume collector or None, a position counter per side stream)."""
    if not routes:
        return None, None, Counter()
    values = possible_values.PossibleValuesCollector(routes.possible_values, stats, reject) if routes.possible_values else None
    resumes = resume_upload.ResumeCollector(routes.resumes, stats, reject) if routes.resumes else None
    positions: Counter = Counter({key: 0 for key in list(routes.possible_values) + list(routes.resumes)})
    return values, resumes, positions
