"""Sinks: configured streams that do not carry entity records — possible values and resume files.

A sink (as in singer-sdk's Target/Sink split) takes the records of its streams (``add``: checks a
record, rejects it through the ledger or keeps it), says when its pending work is due (``full``,
``due_before`` an entity's records) and hands it out (``take``). Each piece of work has the entity
it must follow (``collection``) and ``deliver(sender)``, which runs on the sender's thread in queue
order and uses only ``sender.request`` and ``sender.dry_run``; outcomes go to the sink's ledger. The
scheduler decides when work is taken (when due, at a STATE, at the end) and where it goes in the
order; ``precedes_records`` says whether a sink's work goes before its entity's records (possible
values) or after them (resume files).

``split_catalog`` takes the side streams out of the catalog before the entity routing (which would
refuse their names) and returns their routes; ``build_sinks`` makes the sinks of a sync.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Tuple

from destination_sense.catalog import StreamKey
from destination_sense.mapping import load_preset
from destination_sense.sinks import possible_values, resumes


@dataclass
class SideRoutes:
    possible_values: Dict[StreamKey, possible_values.PossibleValuesRoute] = field(default_factory=dict)
    resumes: Dict[StreamKey, resumes.ResumeRoute] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.possible_values) + len(self.resumes)

    @property
    def streams(self) -> Tuple[StreamKey, ...]:
        return tuple(self.possible_values) + tuple(self.resumes)

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
        resumes.routes_from_catalog(catalog, preset_name, preset, epoch_unit),
    )
    keys = set(routes.possible_values) | set(routes.resumes)
    rest = []
    for configured in catalog.get("streams") or []:
        stream = configured.get("stream") or {}
        if (stream.get("namespace") or None, stream.get("name") or "") not in keys:
            rest.append(configured)
    return {**catalog, "streams": rest}, routes


def build_sinks(routes: SideRoutes, ledger, info: Callable[[str], None], warn: Callable[[str], None]) -> List[Any]:
    """The sinks of a sync, their streams opened in the ledger (possible values first)."""
    sinks: List[Any] = []
    if routes.possible_values:
        sinks.append(possible_values.PossibleValuesSink(routes.possible_values, ledger, info))
    if routes.resumes:
        sinks.append(resumes.ResumeSink(routes.resumes, ledger, warn))
    return sinks
