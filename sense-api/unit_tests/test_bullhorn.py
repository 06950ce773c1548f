"""The Bullhorn correspondence: the data file is well formed and agrees with the rest of the contract."""
import pytest

from sense_api import bullhorn
from sense_api.entities import BY_COLLECTION
from sense_api.writebacks import COLLECTION_BY_ENTITY_TYPE


@pytest.mark.parametrize("pair", bullhorn.streams(), ids=lambda p: p.stream)
def test_every_sense_field_is_a_field_of_its_collection(pair):
    assert set(pair.fields) <= set(BY_COLLECTION[pair.collection].fields), set(pair.fields) - set(BY_COLLECTION[pair.collection].fields)
    assert pair.fields["id"].bullhorn == ("id",)


def test_streams_entities_and_collections_are_each_named_once():
    pairs = bullhorn.streams()
    assert len({p.stream for p in pairs}) == len({p.bullhorn_entity for p in pairs}) == len({p.collection for p in pairs}) == len(pairs)
    assert bullhorn.STREAM_ORDER == tuple(p.stream for p in pairs)
    # the streams follow Sense's dependency order
    assert [BY_COLLECTION[p.collection].order for p in pairs] == sorted(BY_COLLECTION[p.collection].order for p in pairs)


def test_every_conversion_has_an_inverse():
    for name, conversion in bullhorn.document()["conversions"].items():
        inverse = conversion["to_bullhorn"]
        assert inverse in bullhorn.INVERSES if isinstance(inverse, str) else set(inverse) == {"map"}, name
    for family in bullhorn.document()["custom_families"].values():
        assert family.get("conversion") in (None, *bullhorn.document()["conversions"])


def test_every_writeback_entity_type_has_a_bullhorn_entity():
    assert {t: bullhorn.bullhorn_entity_for_type(t) for t in COLLECTION_BY_ENTITY_TYPE} == {
        t: bullhorn.stream_for_collection(c).bullhorn_entity for t, c in COLLECTION_BY_ENTITY_TYPE.items()}
    assert None not in {bullhorn.bullhorn_entity_for_type(t) for t in COLLECTION_BY_ENTITY_TYPE}
    assert bullhorn.bullhorn_entity_for_type("AE_UNKNOWN") is None


@pytest.mark.parametrize("value, expected", [
    ("2024-01-02", 1704153600000), ("2024-01-02T00:00:01Z", 1704153601000), ("2024-01-02T01:00:01+01:00", 1704153601000),
    ("2024-01-02T00:00:01", 1704153601000), (1704153600000, 1704153600000), (None, None),
])
def test_epoch_ms_inverse_reads_dates_and_date_times(value, expected):
    assert bullhorn.to_bullhorn(bullhorn.FieldPair("d", ("d",), "epoch_ms"), value) == expected


@pytest.mark.parametrize("conversion, value, problem", [
    ("epoch_ms", "soon", "not an ISO 8601 date"), ("epoch_ms", True, "expected a date"), ("public_flag", "yes", "is not one of"),
])
def test_values_that_cannot_go_back_raise_value_error(conversion, value, problem):
    with pytest.raises(ValueError, match=problem):
        bullhorn.to_bullhorn(bullhorn.FieldPair("d", ("d",), conversion), value)
