"""What imports what: the package itself does without the CDK; the source class is still reachable from it."""
from sense_testing.imports import imports_cdk, modules_after


def test_the_package_does_not_import_the_cdk():
    loaded = modules_after("import source_ats")
    assert "source_ats" in loaded
    assert not imports_cdk(loaded)


def test_the_source_class_is_still_reachable_from_the_package():
    loaded = modules_after("from source_ats import SourceAts")
    assert "source_ats.source" in loaded and "airbyte_cdk" in loaded
