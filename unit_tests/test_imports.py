"""What imports what: the write path, the contract package and the unit tests' fixtures do without the CDK."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _modules_after(code: str) -> set:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_the_write_path_and_the_stream_table_do_not_import_the_cdk():
    loaded = _modules_after("import destination_sense.run, destination_sense.sync, source_ats.streams, sense_emulator.app")
    assert "destination_sense.sync" in loaded and "source_ats.streams" in loaded
    assert not any(name == "airbyte_cdk" or name.startswith("airbyte_cdk.") for name in loaded)


def test_the_emulator_and_the_contract_do_not_import_the_connector():
    loaded = _modules_after("import sense_emulator.app, sense_emulator.server, sense_api.compiled_schema")
    assert "sense_api.entities" in loaded
    assert not any(name.startswith("destination_sense") for name in loaded)


def test_the_source_class_is_still_reachable_from_the_package():
    loaded = _modules_after("from source_ats import SourceAts")
    assert "source_ats.source" in loaded and "airbyte_cdk" in loaded
