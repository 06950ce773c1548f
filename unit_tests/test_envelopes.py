import pytest

from destination_sense.records.envelopes import message_problem, message_type, record_problem, state_problem


def test_usable_envelopes():
    assert record_problem({"stream": "s", "data": {}}) is None
    assert record_problem({"stream": "s", "namespace": None, "data": {}}) is None
    assert state_problem({"type": "GLOBAL", "global": {}}) is None
    assert state_problem({"type": "STREAM", "stream": {"stream_descriptor": {"name": "s"}}}) is None
    assert state_problem({"data": {"cursor": 1}}) is None, "a legacy state"


@pytest.mark.parametrize("record", ["s", ["s"], None, {"stream": {"name": "s"}}, {"stream": ""}, {"stream": "s", "namespace": ["n"]}, {}])
def test_records_that_cannot_be_routed(record):
    assert record_problem(record)


@pytest.mark.parametrize(
    "state",
    ["cursor", None, [1], {}, {"type": "DELTA"}, {"type": "STREAM"}, {"type": "STREAM", "stream": "s"},
     {"type": "STREAM", "stream": {"stream_descriptor": {"name": 5}}}, {"type": "STREAM", "stream": {"stream_descriptor": {"name": "s", "namespace": 1}}}],
)
def test_states_that_cannot_be_echoed(state):
    assert state_problem(state)


def test_other_lines_are_described():
    assert "unknown type 'NEWS'" in message_problem({"type": "NEWS"})
    assert message_problem([1]) == "is not an Airbyte message (it is an array, not a JSON object)"
    assert message_problem(None) == "is not an Airbyte message (it is null, not a JSON object)"
    assert message_problem({"type": ["RECORD"]}) == "is not an Airbyte message (of unknown type ['RECORD'])"


@pytest.mark.parametrize("message,kind", [({"type": "RECORD"}, "RECORD"), ({"type": ["RECORD"]}, None), ({"type": {}}, None),
                                          ([1], None), ("RECORD", None), (None, None)])
def test_only_a_string_type_of_an_object_is_a_message_type(message, kind):
    assert message_type(message) == kind
