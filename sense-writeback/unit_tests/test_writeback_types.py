"""The receiver's schemas agree with sense_api.writebacks, the one list of write-back types and entity types."""
import json
from importlib import resources

from sense_api.entities import COLLECTIONS
from sense_api.writebacks import COLLECTION_BY_ENTITY_TYPE, ENTITY_WRITEBACK_TYPES, WRITEBACK_TYPES


def _schemas():
    return resources.files("sense_writeback") / "schemas"


def test_every_writeback_type_has_a_schema_and_every_schema_a_type():
    names = {p.name[: -len(".json")] for p in _schemas().iterdir() if p.name.endswith(".json") and p.name != "objects.json"}
    assert names == {t.lower() for t in WRITEBACK_TYPES}
    assert len(set(WRITEBACK_TYPES)) == 10 and set(ENTITY_WRITEBACK_TYPES) < set(WRITEBACK_TYPES)


def test_the_entity_types_are_the_schemas_enum_and_name_sense_collections():
    objects = json.loads((_schemas() / "objects.json").read_text())
    enums = [node["enum"] for node in _walk(objects) if isinstance(node.get("enum"), list) and "AE_CANDIDATE" in node["enum"]]
    assert enums and all(set(e) == set(COLLECTION_BY_ENTITY_TYPE) for e in enums)
    assert set(COLLECTION_BY_ENTITY_TYPE.values()) <= set(COLLECTIONS)


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)
