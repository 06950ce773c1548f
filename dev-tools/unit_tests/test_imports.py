"""What imports what: the emulator and the contract package import no connector and not the CDK."""
from sense_testing.imports import modules_after


def test_the_emulator_and_the_contract_do_not_import_the_connectors():
    loaded = modules_after("import sense_emulator.app, sense_emulator.server, sense_api.compiled_schema")
    assert "sense_api.entities" in loaded
    assert not any(name.startswith(("destination_sense", "source_ats", "sense_writeback", "airbyte_cdk")) for name in loaded)
