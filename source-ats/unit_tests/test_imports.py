"""What imports what: the stream table does without the CDK (the receiver's forwarder and the destination's
tests read it); the source class is still reachable from the package."""
from sense_testing.imports import imports_cdk, modules_after


def test_the_stream_table_does_not_import_the_cdk():
    loaded = modules_after("import source_ats.streams")
    assert "source_ats.streams" in loaded
    assert not imports_cdk(loaded)


def test_the_source_class_is_still_reachable_from_the_package():
    loaded = modules_after("from source_ats import SourceAts")
    assert "source_ats.source" in loaded and "airbyte_cdk" in loaded
