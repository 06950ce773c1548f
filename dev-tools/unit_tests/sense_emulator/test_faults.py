"""Fault-injection state: configuration, validation and consumption (no HTTP)."""
import pytest

from sense_emulator.faults import FaultError, Faults

COLLECTIONS = ("candidates", "companies")


def test_counted_faults_are_consumed():
    f = Faults()
    f.configure({"rate_limit": {"count": 2, "retry_after": 4}, "unauthorized_once": True, "drop_connections": 1,
                 "token_failures": {"count": 1, "status": 502}}, COLLECTIONS)
    assert [f.take_rate_limit("candidates") for _ in range(3)] == [4, 4, None]
    assert [f.take_unauthorized() for _ in range(2)] == [True, False]
    assert [f.take_drop() for _ in range(2)] == [True, False]
    assert [f.take_token_failure() for _ in range(2)] == [502, None]


def test_rate_limit_for_one_collection():
    f = Faults()
    f.configure({"rate_limit": {"count": 1, "collection": "companies"}}, COLLECTIONS)
    assert f.take_rate_limit("candidates") is None
    assert f.take_rate_limit("companies") == 1
    assert f.take_rate_limit("companies") is None


def test_server_errors_by_collection_then_everywhere():
    f = Faults()
    f.configure({"server_error": [{"collection": "candidates", "count": 1, "status": 500}, {"count": 1}]}, COLLECTIONS)
    assert f.take_server_error("candidates") == 500
    assert f.take_server_error("candidates") == 503  # the every-collection entry
    assert f.take_server_error("companies") is None
    assert f.take_server_error(None) is None


def test_server_error_probability_is_seeded():
    a, b = Faults(), Faults()
    for f in (a, b):
        f.configure({"server_error": {"probability": 0.3}, "seed": 42}, COLLECTIONS)
    draws_a = [a.take_server_error("candidates") for _ in range(200)]
    draws_b = [b.take_server_error("candidates") for _ in range(200)]
    assert draws_a == draws_b
    assert 20 < draws_a.count(503) < 100


def test_persistent_faults_and_clearing_one():
    f = Faults()
    f.configure({"max_records": 10, "latency_ms": 25}, COLLECTIONS)
    assert f.over_max_records(11) and not f.over_max_records(10)
    assert f.latency_seconds() == 0.025
    state = f.configure({"max_records": None}, COLLECTIONS)
    assert state["max_records"] is None and state["latency_ms"] == 25
    assert not f.over_max_records(10_000)
    f.clear()
    assert f.latency_seconds() == 0


@pytest.mark.parametrize("spec", [
    {"bogus": 1}, {"rate_limit": 3}, {"rate_limit": {"count": 1, "extra": 1}}, {"rate_limit": {"count": True}},
    {"server_error": {"status": 404}}, {"server_error": {"probability": -0.1}}, {"server_error": {"collection": "x"}},
    {"unauthorized_once": "yes"}, {"max_records": 0}, {"latency_ms": -1}, {"drop_connections": 1.5},
    {"token_failures": {"status": 302}}, "not an object",
])
def test_invalid_specs_change_nothing(spec):
    f = Faults()
    f.configure({"rate_limit": {"count": 1}}, COLLECTIONS)
    before = f.snapshot()
    with pytest.raises(FaultError):
        f.configure(spec, COLLECTIONS)
    assert f.snapshot() == before


def test_a_spec_with_one_bad_key_applies_none_of_it():
    f = Faults()
    with pytest.raises(FaultError):
        f.configure({"latency_ms": 10, "max_records": -5}, COLLECTIONS)
    assert f.latency_seconds() == 0


def test_clear_key_then_new_faults():
    f = Faults()
    f.configure({"latency_ms": 10, "drop_connections": 3}, COLLECTIONS)
    state = f.configure({"clear": True, "drop_connections": 1}, COLLECTIONS)
    assert state["latency_ms"] == 0 and state["drop_connections"] == 1
