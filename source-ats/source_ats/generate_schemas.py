"""Write source_ats/schemas/*.json from the stream schemas in manifest.yaml (``make schemas``).

The manifest's inline ``schemas:`` are the one source (the declarative framework and the
Connector Builder read them there); the JSON files are generated copies for tools that read a
stream's schema without parsing the manifest (the preset and correspondence tests).

Usage: python -m source_ats.generate_schemas
"""
import json
import pathlib

import yaml

PACKAGE = pathlib.Path(__file__).resolve().parent
DRAFT_7 = "http://json-schema.org/draft-07/schema#"


def schema_files(manifest: dict) -> dict:
    """{file name: text} for every stream schema of ``manifest``."""
    return {f"{name}.json": json.dumps({"$schema": DRAFT_7, **schema}, indent=2) + "\n" for name, schema in manifest["schemas"].items()}


def main() -> None:
    manifest = yaml.safe_load((PACKAGE / "manifest.yaml").read_text())
    out = PACKAGE / "schemas"
    out.mkdir(exist_ok=True)
    for name, text in schema_files(manifest).items():
        (out / name).write_text(text)
        print(f"source_ats/schemas/{name}")


if __name__ == "__main__":
    main()
