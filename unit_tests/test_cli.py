"""destination_sense.cli: no command imports the Airbyte CDK, and the distribution's install requirements
(setup.py, which is also what the image installs) cover exactly the third-party packages its commands import."""
import json
import subprocess
import sys
from pathlib import Path

from sense_testing.distribution import requirements

ROOT = Path(__file__).resolve().parents[1]

# Runs every command in one fresh interpreter (spec; check, discover and write on a config that fails
# fast) and prints the top-level modules outside the standard library that were imported.
PROBE = r"""
import io, json, sys, tempfile, os
from destination_sense import cli
d = tempfile.mkdtemp()
config = os.path.join(d, "c.json"); open(config, "w").write(json.dumps({"client_id": "a"}))
catalog = os.path.join(d, "k.json"); open(catalog, "w").write(json.dumps({"streams": []}))
sys.stdin = io.TextIOWrapper(io.BytesIO(b""))
sys.stdout = io.TextIOWrapper(io.BytesIO())
for argv in (["spec"], ["check", "--config", config], ["discover", "--config", config],
             ["write", "--config", config, "--catalog", catalog]):
    cli.main(argv)
from requests_toolbelt.multipart.encoder import MultipartEncoder  # what resume_upload imports on first use
sys.stdout = sys.__stdout__
names = {m.split(".")[0] for m in sys.modules}
print(json.dumps(sorted(n for n in names if n not in sys.stdlib_module_names and not n.startswith("_") and n not in ("destination_sense", "sense_api"))))
"""


def _imported() -> set:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=ROOT, timeout=120, check=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_no_command_imports_the_airbyte_cdk():
    imported = _imported()
    assert "airbyte_cdk" not in imported and "pandas" not in imported and "numpy" not in imported


def test_the_image_requirements_cover_what_the_destination_imports():
    import importlib.metadata as md

    # what setup.py requires, without the tests extra, read from the installed distribution
    required = {r.name.lower() for r in requirements("airbyte-destination-sense")}
    assert "airbyte-cdk" not in required and "sense-api" in required
    # the import names of the required distributions and of everything they depend on
    covered = set()
    todo = list(required)
    seen = set()
    while todo:
        dist = todo.pop()
        if dist in seen:
            continue
        seen.add(dist)
        covered.update((md.distribution(dist).read_text("top_level.txt") or "").split())
        files = md.distribution(dist).files or []
        covered.update(str(f).split("/")[0].removesuffix(".py") for f in files if not str(f).split("/")[0].endswith((".dist-info", ".data")))
        todo.extend(r.name.lower() for r in requirements(dist))
    # requests imports urllib3.contrib.socks (and so PySocks' `socks`) only where PySocks happens to be
    # installed, as it is in the development environment (selenium requires urllib3[socks]); the image has none
    optional = {"socks"}
    imported = _imported() - {"cython_runtime"} - optional
    assert imported <= covered, imported - covered
    # and nothing is listed that the destination does not import
    assert {"orjson", "requests", "requests_toolbelt", "zlib_ng"} <= imported
