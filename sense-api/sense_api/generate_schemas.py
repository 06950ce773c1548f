"""Generate sense_api/schemas/*.json from the published Sense OpenAPI document (``make schemas``).

Usage: python -m sense_api.generate_schemas [path/to/sense-openapi.json]

The default input is ../shared/reference/sense-openapi.json next to the checkout. The output is
one JSON Schema (draft 7) per Sense entity, named after the entity's collection path. The
translation rules live in ``sense_api.schema_convert`` so the test that compares the
committed files with the reference uses exactly the same rules.
"""
import json
import pathlib
import sys

from sense_api.entities import ENTITIES
from sense_api.schema_convert import convert_openapi

PACKAGE = pathlib.Path(__file__).resolve().parent
ROOT = PACKAGE.parent


def main(argv):
    source = pathlib.Path(argv[1]) if len(argv) > 1 else ROOT.parent.parent / "shared" / "reference" / "sense-openapi.json"
    document = json.loads(source.read_text())
    schemas = convert_openapi(document)
    out_dir = PACKAGE / "schemas"
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
