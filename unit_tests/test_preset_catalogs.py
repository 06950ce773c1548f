"""Every preset against the catalogs its real source publishes (``unit_tests/source_catalogs/``).

For each preset and each recorded catalog of its source: every preset stream exists in the catalog;
every path the preset reads is declared by the stream's schema with a type the Sense field takes
(after the expression's conversions), or the preset documents why it reads it anyway
(``undeclared``); a documented reason is not left behind once every catalog declares the path;
every stream of the catalog is mapped or its omission explained (``streams_not_mapped``); and the
preset names exactly the versions recorded (``source_versions``).
"""
import json
from pathlib import Path

import pytest

from destination_sense.mapping import PRESETS, load_preset
from destination_sense.source_schema import check_expression
from sense_api.entities import BY_COLLECTION
from unit_tests.recorded_catalogs import catalogs_for, label, stream_names

ATS_PRESETS = [p for p in PRESETS if p not in ("none", "bullhorn")]
CASES = [(preset, catalog) for preset in ATS_PRESETS for catalog in catalogs_for(preset)]


def _problems(preset: str, catalog: dict):
    """(undocumented problems, paths undeclared in this catalog) of a preset against one catalog."""
    document = load_preset(preset)
    problems, undeclared = [], set()
    for stream, spec in document["streams"].items():
        schema = catalog["streams"].get(stream)
        if schema is None:
            if stream not in stream_names(catalog):
                problems.append(f"{stream}: no such stream")
            else:
                problems.append(f"{stream}: recorded without a schema")
            continue
        sense = BY_COLLECTION[spec["entity"]].schema["properties"]
        reasons = spec.get("undeclared", {})
        for field, expr in spec["fields"].items():
            for check in check_expression(expr, sense[field], schema):
                if not check.declared:
                    undeclared.add((stream, check.path))
                    if not reasons.get(check.path, "").strip():
                        problems.append(f"{stream}.{field} ← {check.path}: {check.problem} (and no reason in 'undeclared')")
                elif check.problem:
                    problems.append(f"{stream}.{field} ← {check.path}: {check.problem}")
    return problems, undeclared


@pytest.mark.parametrize("preset,catalog", CASES, ids=[f"{p}-{c['version']}" for p, c in CASES])
def test_every_preset_path_is_declared_with_a_compatible_type_or_documented(preset, catalog):
    problems, _ = _problems(preset, catalog)
    assert problems == [], f"{preset} against {label(catalog)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("preset", ATS_PRESETS)
def test_documented_reasons_are_for_paths_some_catalog_does_not_declare(preset):
    undeclared = set()
    for catalog in catalogs_for(preset):
        undeclared |= _problems(preset, catalog)[1]
    document = load_preset(preset)
    stale = [(stream, path) for stream, spec in document["streams"].items()
             for path in spec.get("undeclared", {}) if (stream, path) not in undeclared]
    assert stale == [], f"{preset}: reasons for paths every recorded catalog declares (or the preset no longer reads)"


@pytest.mark.parametrize("preset", ATS_PRESETS)
def test_every_catalog_stream_is_mapped_or_its_omission_explained(preset):
    document = load_preset(preset)
    explained = document.get("streams_not_mapped", {})
    names = set().union(*(stream_names(c) for c in catalogs_for(preset)))
    missing = sorted(names - set(document["streams"]) - {s for s, why in explained.items() if why.strip()})
    assert missing == [], f"{preset}: streams neither mapped nor explained: {missing}"
    assert sorted(set(explained) - names) == [], f"{preset}: explanations for streams no catalog has"
    assert not set(explained) & set(document["streams"])


@pytest.mark.parametrize("preset", ATS_PRESETS)
def test_preset_names_the_recorded_versions(preset):
    recorded = {label(c) for c in catalogs_for(preset)}
    assert recorded, f"no recorded catalog for {preset}"
    assert set(load_preset(preset)["source_versions"]) == recorded


@pytest.mark.parametrize("preset", ATS_PRESETS)
def test_not_mapped_reasons_name_real_unmapped_sense_fields(preset):
    for stream, spec in load_preset(preset)["streams"].items():
        fields = set(BY_COLLECTION[spec["entity"]].fields)
        for field, why in spec.get("not_mapped", {}).items():
            assert field in fields and field not in spec["fields"] and why.strip(), (preset, stream, field)


def test_bullhorn_reads_only_what_the_source_ats_schemas_declare():
    """bullhorn's source is in this repository: its stream schemas are the catalog."""
    schemas = Path(__file__).resolve().parents[1] / "source-ats" / "source_ats" / "schemas"
    problems = []
    for stream, spec in load_preset("bullhorn")["streams"].items():
        schema = json.loads((schemas / f"{stream}.json").read_text())
        sense = BY_COLLECTION[spec["entity"]].schema["properties"]
        for field, expr in spec["fields"].items():
            problems += [f"{stream}.{field} ← {c.path}: {c.problem}" for c in check_expression(expr, sense[field], schema) if c.problem]
    assert problems == []
