"""What imports what: the destination's write path does without the CDK."""
from sense_testing.imports import imports_cdk, modules_after


def test_the_write_path_does_not_import_the_cdk():
    loaded = modules_after("import destination_sense.run, destination_sense.sync")
    assert "destination_sense.sync" in loaded and "sense_api.entities" in loaded
    assert not imports_cdk(loaded)
