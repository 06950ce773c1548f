"""Each ATS preset end to end: records generated from the real source's recorded schemas → the real
``destination-sense write`` (``source_preset``) → sense-emulator.

For every preset and every recorded catalog of its source (``unit_tests/source_catalogs/``): a few
dozen records per mapped stream, valid against the stream's recorded schema and full of edge cases
(``integration_tests/schema_records.py``), with the paths the preset reads filled in where the
schema allows it. The destination must reject none of them, every record must be stored with exactly
the fields the mapping and the normaliser give it, and every mapped Sense field whose source path the
records can carry must land with a value in at least one record.
"""
from __future__ import annotations

import pytest

from sense_api.entities import BY_COLLECTION
from destination_sense.mapping import build_mappings, load_preset
from destination_sense.mapping_expressions import expression_reads, parse_path
from destination_sense.normalize import RecordNormalizer
from destination_sense.source_schema import check_expression, resolve
from sense_testing.destination_harness import config_for, record, run_write, stream_state
from integration_tests.schema_records import generate, sample_leaf
from unit_tests.recorded_catalogs import catalogs_for

RECORDS_PER_STREAM = 40
ATS_PRESETS = ("greenhouse", "lever", "ashby", "workable")
CASES = [(preset, catalog) for preset in ATS_PRESETS for catalog in catalogs_for(preset)]


def _undeclared_everywhere(preset: str, stream: str, path: str, expr, sense_field) -> bool:
    for catalog in catalogs_for(preset):
        schema = catalog["streams"].get(stream)
        if schema is not None and any(c.declared for c in check_expression(expr, sense_field, schema) if c.path == path):
            return False
    return True


def _reads(preset: str, stream: str, spec: dict, schema: dict):
    """(path, sample leaf) for every path of the stream's mapping the records of this catalog may carry.

    A declared path; a path below a declared top-level field whose inside is not declared (items or
    properties missing); a path no recorded version declares (passed through undeclared). Not: a
    field another version of the source declares and this one lacks.
    """
    sense = BY_COLLECTION[spec["entity"]].schema["properties"]
    out = []
    for field, expr in spec["fields"].items():
        for path, conversions in expression_reads(expr):
            leaf_schema, _, _ = resolve(schema, path)
            top = parse_path(path)[0]
            top_declared = top[0] == "key" and top[1] in (schema.get("properties") or {})
            if leaf_schema is None and not top_declared and not _undeclared_everywhere(preset, stream, path, expr, sense[field]):
                continue
            each = any(kind == "each" for kind, _ in parse_path(path))
            target = {"type": ["string", "null"]} if each else sense[field]
            out.append((path, sample_leaf(target, conversions, leaf_schema, path.split(".")[-1])))
    return out


def _expected(mapping, data):
    normalizer = RecordNormalizer(mapping.entity, on_unknown_field=lambda name: None)
    out, problems = normalizer(mapping(data))
    assert problems == [], (mapping.stream, data["id"], problems)
    return out


@pytest.mark.parametrize("preset,catalog", CASES, ids=[f"{p}-{c['version']}" for p, c in CASES])
def test_preset_records_from_the_real_schemas_land_in_sense(sense_emulator, tmp_path, preset, catalog):
    document = load_preset(preset)
    table = build_mappings(preset)
    streams = {s: spec for s, spec in document["streams"].items() if catalog["streams"].get(s)}
    assert streams, f"no mapped stream of {preset} in {catalog['file']}"
    generated, exercised, messages, configured = {}, {}, [], []
    for stream, spec in streams.items():
        schema = catalog["streams"][stream]
        generated[stream], exercised[stream] = generate(stream, schema, RECORDS_PER_STREAM, _reads(preset, stream, spec, schema))
        messages += [record(stream, data) for data in generated[stream]]
        messages.append(stream_state(stream, f"{stream}-end"))
        configured.append({"stream": {"name": stream, "json_schema": schema, "supported_sync_modes": ["full_refresh"]},
                           "sync_mode": "full_refresh", "destination_sync_mode": "append_dedup", "primary_key": [["id"]]})

    result = run_write(tmp_path, config_for(sense_emulator, source_preset=preset), {"streams": configured}, messages)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.errors == []
    stats = {s["stream"]["stream_descriptor"]["name"]: s["destinationStats"] for s in result.states}
    assert stats == {s: {"recordCount": float(RECORDS_PER_STREAM), "rejectedRecordCount": 0.0} for s in streams}

    for stream, spec in streams.items():
        mapping = table[stream]
        stored = sense_emulator.admin.entities_by_id(mapping.collection)
        landed = set()
        for data in generated[stream]:
            expected = _expected(mapping, data)
            got = stored.get(expected["id"])
            assert got is not None, (stream, expected["id"])
            assert {k: got.get(k) for k in expected} == expected, (stream, expected["id"])
            assert set(got) - set(expected) <= {"id"}, (stream, expected["id"], set(got) - set(expected))
            landed |= {k for k, v in expected.items() if v is not None}
        carried = {field for field, expr in spec["fields"].items()
                   if isinstance(expr, dict) and "const" in expr or any(path in exercised[stream] or resolve(catalog["streams"][stream], path)[0] is not None
                                              for path, _ in expression_reads(expr))}
        assert carried - landed == set(), f"{preset} {stream}: mapped fields that never landed"
        # renames, checked against the source record itself: a text read by one key arrives unchanged
        for field, expr in spec["fields"].items():
            if isinstance(expr, str) and "." not in expr and "[" not in expr and field != "id":
                for data in generated[stream]:
                    if isinstance(data.get(expr), str) and data[expr] and BY_COLLECTION[spec["entity"]].schema["properties"][field].get("format") is None:
                        assert stored[str(data["id"])][field] == data[expr], (stream, field, data["id"])
        assert landed <= set(spec["fields"]), (stream, landed - set(spec["fields"]))
