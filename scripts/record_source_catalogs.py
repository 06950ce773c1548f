#!/usr/bin/env python3
"""Record the catalogs of the real Airbyte ATS sources the presets are written for.

For each source this script creates a throwaway virtualenv with a Python the source's pinned CDK
accepts, installs the published PyPI package into it, runs the connector's ``discover`` with a dummy
config (the declarative sources' ``discover`` reads the schemas bundled in the package and makes no
request) and writes the catalog to ``unit_tests/source_catalogs/<package>-<version>.json``:

    {"source": "greenhouse", "package": "airbyte-source-greenhouse", "version": "0.6.1",
     "recorded_with": "discover", "streams": {"<stream>": <json_schema>, ...}}

Only this data (stream names and JSON schemas) is committed; the third-party code stays in the
temporary virtualenv, which is deleted afterwards. The tests read the recorded files and need no
network. Run from the repository root (needs network access to PyPI):

    python scripts/record_source_catalogs.py                  # every source, newest PyPI version
    python scripts/record_source_catalogs.py greenhouse       # one source
    python scripts/record_source_catalogs.py greenhouse==0.5.32

Connector versions that are not on PyPI (Airbyte's current source-greenhouse, manifest-only and on
Harvest v3) are recorded from the connector's published ``manifest.yaml`` and ``metadata.yaml``
(airbyte-integrations/connectors/source-<name>/ in airbytehq/airbyte): stream names from the
manifest's streams, schemas from its ``schemas`` section (needs PyYAML):

    python scripts/record_source_catalogs.py --manifest manifest.yaml --metadata metadata.yaml \\
        --origin airbytehq/airbyte@<commit> greenhouse
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "unit_tests" / "source_catalogs"

# source → (PyPI package, console script, Python versions to try in order, dummy config).
# Lever, Ashby and Workable pin CDKs that do not install on Python 3.11.
SOURCES = {
    "greenhouse": ("airbyte-source-greenhouse", "source-greenhouse", ("3.11", "3.10"),
                   {"api_key": "dummy-key"}),
    "lever": ("airbyte-source-lever-hiring", "source-lever-hiring", ("3.10", "3.11"),
              {"credentials": {"auth_type": "Api Key", "api_key": "dummy-key"},
               "start_date": "2020-01-01T00:00:00Z", "environment": "Production"}),
    "ashby": ("airbyte-source-ashby", "source-ashby", ("3.10", "3.11"),
              {"api_key": "dummy-key", "start_date": "2020-01-01T00:00:00Z"}),
    "workable": ("airbyte-source-workable", "source-workable", ("3.10", "3.11"),
                 {"api_key": "dummy-key", "account_subdomain": "dummy", "start_date": "20200101T000000Z"}),
}


def python_for(version: str) -> str:
    """An interpreter of that minor version: on PATH, else a pyenv installation."""
    found = shutil.which(f"python{version}")
    if found and subprocess.run([found, "-c", "pass"], capture_output=True).returncode == 0:
        return found
    pyenv = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python")))
    if pyenv:
        return pyenv[-1]
    raise RuntimeError(f"no Python {version} found (PATH or ~/.pyenv/versions/{version}.*)")


def _run(argv, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, **kwargs)


def install(package: str, pin: str, pythons, workdir: Path):
    """A virtualenv with the package installed; returns (bin directory, Python version used)."""
    errors = []
    for version in pythons:
        try:
            interpreter = python_for(version)
        except RuntimeError as exc:
            errors.append(str(exc))
            continue
        venv = workdir / f"venv{version}"
        _run([interpreter, "-m", "venv", str(venv)], check=True)
        done = _run([str(venv / "bin" / "pip"), "install", "--quiet", f"{package}{pin}"])
        if done.returncode == 0:
            return venv / "bin", version
        errors.append(f"Python {version}: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}")
    raise RuntimeError(f"{package}{pin} does not install: " + "; ".join(errors))


def discover(bin_dir: Path, script: str, config: dict, workdir: Path) -> dict:
    config_path = workdir / "config.json"
    config_path.write_text(json.dumps(config))
    done = _run([str(bin_dir / script), "discover", "--config", str(config_path)], cwd=workdir, timeout=300)
    for line in done.stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("type") == "CATALOG":
            return message["catalog"]
    tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
    raise RuntimeError(f"{script} discover printed no CATALOG (exit {done.returncode}):\n{tail}")


def record(source: str, pin: str = "") -> Path:
    package, script, pythons, config = SOURCES[source]
    with tempfile.TemporaryDirectory(prefix=f"record-{source}-") as tmp:
        workdir = Path(tmp)
        bin_dir, python_version = install(package, pin, pythons, workdir)
        version = _run([str(bin_dir / "python"), "-c",
                        f"import importlib.metadata as m; print(m.version({package!r}))"], check=True).stdout.strip()
        catalog = discover(bin_dir, script, config, workdir)
    document = {
        "source": source,
        "package": package,
        "version": version,
        "python": python_version,
        "recorded_with": "discover",
        "recorded_by": "scripts/record_source_catalogs.py",
        "streams": {stream["name"]: stream["json_schema"] for stream in sorted(catalog["streams"], key=lambda s: s["name"])},
    }
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{package}-{version}.json"
    path.write_text(json.dumps(document, indent=1, sort_keys=False, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _manifest_stream_names(manifest: dict):
    """Stream names of a declarative manifest: its stream definitions, else its schema-import list."""
    names = []
    for stream in manifest.get("streams") or []:
        if isinstance(stream, dict) and stream.get("name"):
            names.append(stream["name"])
    definitions = (manifest.get("definitions") or {}).get("streams") or {}
    names += [d.get("name", key) for key, d in definitions.items() if isinstance(d, dict)]
    names += list(((manifest.get("metadata") or {}).get("autoImportSchema") or {}))
    return sorted(set(names))


def record_manifest(source: str, manifest_path: Path, metadata_path: Path, origin: str = "") -> Path:
    """A catalog from a published manifest: every stream name, and the schema of each one it carries."""
    import yaml  # only this mode needs it

    manifest = yaml.safe_load(manifest_path.read_text(encoding="utf-8"))
    metadata = yaml.safe_load(metadata_path.read_text(encoding="utf-8"))["data"]
    version = str(metadata["dockerImageTag"])
    schemas = manifest.get("schemas") or {}
    names = _manifest_stream_names(manifest)
    document = {
        "source": source,
        "package": metadata["dockerRepository"],
        "version": version,
        "pypi": bool(((metadata.get("remoteRegistries") or {}).get("pypi") or {}).get("enabled")),
        "recorded_with": "manifest",
        "recorded_by": "scripts/record_source_catalogs.py --manifest",
        "origin": origin,
        "streams": {name: schemas[name] for name in names if name in schemas},
        "streams_without_schema": [name for name in names if name not in schemas],
    }
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{metadata['dockerRepository'].replace('/', '-')}-{version}.json"
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def main(argv) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="*", help="SOURCE or SOURCE==VERSION (default: every source, newest version)")
    parser.add_argument("--manifest", type=Path, help="record from this published manifest.yaml instead of PyPI")
    parser.add_argument("--metadata", type=Path, help="the connector's metadata.yaml (with --manifest)")
    parser.add_argument("--origin", default="", help="where the manifest comes from (repository@commit), kept in the file")
    args = parser.parse_args(argv)
    if args.manifest:
        if not args.metadata or len(args.sources) != 1 or args.sources[0] not in SOURCES:
            parser.error("--manifest needs --metadata and exactly one SOURCE")
        path = record_manifest(args.sources[0], args.manifest, args.metadata, args.origin)
        print(f"wrote {path.relative_to(ROOT)}")
        return 0
    failed = 0
    for item in args.sources or list(SOURCES):
        source, _, version = item.partition("==")
        if source not in SOURCES:
            parser.error(f"unknown source {source!r}; known: {', '.join(SOURCES)}")
        try:
            path = record(source, f"=={version}" if version else "")
        except (RuntimeError, subprocess.SubprocessError) as exc:
            print(f"{source}: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"wrote {path.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
