#!/usr/bin/env python3
"""Generate destination_sense/schemas/*.json from the published Sense OpenAPI document.

Usage: python scripts/generate_schemas.py [path/to/sense-openapi.json]

The default input is ../shared/reference/sense-openapi.json next to the checkout. The output is
one JSON Schema (draft 7) per Sense entity, named after the entity's collection path. The
translation rules live in ``destination_sense.schema_convert`` so the test that compares the
committed files with the reference uses exactly the same rules.
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from destination_sense.entities import ENTITIES  # noqa: E402
from destination_sense.schema_convert import convert_openapi  # noqa: E402


def main(argv):
    source = pathlib.Path(argv[1]) if len(argv) > 1 else ROOT.parent / "shared" / "reference" / "sense-openapi.json"
    document = json.loads(source.read_text())
    schemas = convert_openapi(document)
    out_dir = ROOT / "destination_sense" / "schemas"
    out_dir.mkdir(parents=True, exist_ok=True)
    total = 0
    for entity in ENTITIES:
        schema = schemas[entity.collection]
        total += len(schema["properties"])
        path = out_dir / f"{entity.collection}.json"
        path.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
        print(f"{path.relative_to(ROOT)}: {len(schema['properties'])} fields")
    print(f"{total} fields in {len(ENTITIES)} entities")


if __name__ == "__main__":
    main(sys.argv)
