"""sense_writeback.validation: envelope rules, per-type schemas, field paths, forward-compatibility policy."""
import copy

import pytest

from sense_testing.writeback_samples import BROKEN, DATA, writeback
from sense_writeback.validation import REJECT, WRITEBACK_TYPES, Policy, check_data, parse_created_date, validate


@pytest.mark.parametrize("writeback_type", WRITEBACK_TYPES)
def test_each_sample_is_valid_and_each_broken_one_names_its_field(writeback_type):
    assert validate(writeback(writeback_type, "a")).ok
    data, fields = BROKEN[writeback_type]
    assert check_data(writeback_type, data) == fields


@pytest.mark.parametrize("value, ok", [
    ("2018-12-18T03:33:46+00:00", True), ("2018-12-18T03:33:46Z", True), ("2018-12-18T03:33:46.123456-05:30", True),
    ("2018-12-18T03:33:46+0100", True),
    ("2018-12-18T03:33:46.1Z", True), ("2018-12-18T03:33:46.123456789+00:00", True), ("2018-12-18 03:33:46+00:00", True),
    ("2018-12-18T03:33:46", False), ("2018-12-18", False), ("2018-13-18T03:33:46Z", False), ("yesterday", False),
    (1545104026, False), (None, False),
])
def test_created_date_needs_an_iso_date_time_with_offset(value, ok):
    assert (parse_created_date(value) is not None) is ok


def test_message_and_actor_rules():
    data = copy.deepcopy(DATA["ENGAGE_SENT_EVENT"])
    data["sms"][0]["to"] = [{}]  # an actor with neither entity, email nor phone
    data["email"][0]["is_alert_email"] = "no"
    assert check_data("ENGAGE_SENT_EVENT", data) == [
        "data.email[0].is_alert_email",
        "data.sms[0].to[0].entity or data.sms[0].to[0].email or data.sms[0].to[0].phone",
    ]
    assert check_data("ENGAGE_SENT_EVENT", {"summary": "nothing sent"}) == ["data.sms or data.email"]


def test_integer_entity_ids_are_accepted_empty_ones_are_not():
    data = copy.deepcopy(DATA["ENTITY_DELETE"])
    data["entity"]["id"] = 9001
    assert check_data("ENTITY_DELETE", data) == []
    data["entity"]["id"] = ""
    assert check_data("ENTITY_DELETE", data) == ["data.entity.id"]


def test_policy_flags_or_rejects_the_unknown():
    unknown = {"id": "x", "type": "NEW_KIND", "version": 1, "created_date": "2024-01-01T00:00:00Z", "data": {}}
    assert validate(unknown).ok and validate(unknown).flags == ["unknown_type"]
    assert validate(unknown, Policy(unknown_type=REJECT)).errors == ["type"]
    newer = writeback("GENERIC_EVENT", "y", data={}, version=2.5)
    assert validate(newer).ok and validate(newer).flags == ["newer_version"]
    assert validate(newer, Policy(newer_version=REJECT)).errors == ["version"]
    assert validate(writeback("GENERIC_EVENT", "z", data={}, version=1.9)).errors == ["data.summary"]


@pytest.mark.parametrize("writeback_type", WRITEBACK_TYPES)
def test_the_compiled_check_and_the_reference_validator_agree(writeback_type):
    from sense_writeback.validation import _COMPILED, _VALIDATORS

    for data, valid in ((DATA[writeback_type], True), (BROKEN[writeback_type][0], False), ({}, None)):
        reference = _VALIDATORS[writeback_type].is_valid(data)
        try:
            _COMPILED[writeback_type](data)
            compiled = True
        except Exception:
            compiled = False
        assert compiled == reference
        if valid is not None:
            assert reference is valid
