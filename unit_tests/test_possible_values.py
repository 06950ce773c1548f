"""possible_values: routing, the preset's translation, value checks and merging per field."""
from __future__ import annotations

import math

from destination_sense.mapping import build_mappings, load_preset
from destination_sense.sinks.possible_values import (
    STATS_KEY,
    PossibleValuesSink,
    PresetTranslator,
    check_values,
    is_possible_values_name,
    routes_from_catalog,
)
from destination_sense.ledger import LedgerObserver, SyncLedger


def _catalog(*streams):
    return {"streams": [{"stream": {"name": name}, **extra} for name, extra in streams]}


def test_names_and_routes():
    assert is_possible_values_name("possible_values") and is_possible_values_name("Possible-Values")
    assert not is_possible_values_name("candidates") and not is_possible_values_name(None)
    preset = load_preset("bullhorn")
    routes = routes_from_catalog(
        _catalog(("picklist_options", {}), ("possible_values", {}), ("x", {"destination_object_name": "possible values"}),
                 ("candidates", {}), ("y", {"destination_object_name": "candidates"})),
        "bullhorn", preset, build_mappings("bullhorn"),
    )
    assert set(routes) == {(None, "picklist_options"), (None, "possible_values"), (None, "x")}
    assert routes[(None, "picklist_options")].translate is not None
    assert routes[(None, "x")].translate is None  # the platform mapped the fields already
    assert routes_from_catalog(_catalog(("picklist_options", {})), "none", load_preset("none"), {}) == {}


def test_bullhorn_translation_follows_the_record_mapping():
    translate = PresetTranslator("bullhorn", load_preset("bullhorn")["possible_values"]["entities"], build_mappings("bullhorn"))
    (target, field), = translate("JobOrder", "employmentType")[0]
    assert (target.collection, field) == ("job-orders", "employment_type")
    (target, field), = translate("Lead", "leadSource")[0]
    assert (target.collection, field) == ("leads", "source")
    assert translate("Candidate", "employeeType") == ([], "field 'Candidate.employeeType' is not mapped onto a Sense field by the bullhorn preset")
    assert translate("Opportunity", "status")[1] == "entity 'Opportunity' is not one the bullhorn preset reads"


def test_check_values():
    assert check_values([{"label": " A ", "value": "a"}, {"label": "B", "value": 2.5}, {"label": "C", "value": False}]) == (
        [("A", "a"), ("B", 2.5), ("C", False)], [])
    _, problems = check_values([{"label": "", "value": 1}, {"label": "x", "value": None}, {"label": "y", "value": [1]},
                                {"label": "z", "value": math.nan}, "v"])
    assert [p[1].split(" ")[1] for p in problems] == ["0", "1", "2", "3", "4"]
    assert check_values({"label": "a"})[1] == [("values", "must be an array of {label, value} objects")]


class _Rejections(LedgerObserver):
    def __init__(self):
        self.rejected = []

    def record_rejected(self, rejection):
        self.rejected.append(rejection)


def test_sink_merges_per_field_and_hands_out_only_changes():
    ledger = SyncLedger()
    recorder = _Rejections()
    ledger.add_observer(recorder)
    routes = routes_from_catalog(_catalog(("possible_values", {})), "none", load_preset("none"), {})
    collector = PossibleValuesSink(routes, ledger)
    key = (None, "possible_values")

    def add(data):
        collector.add(key, ledger.receive(key), {"data": data})

    add({"entity": "candidates", "field_name": "status", "values": [{"label": "A", "value": "a"}, {"label": "One", "value": 1}]})
    add({"entity": "Candidate", "field_name": "status", "values": [{"label": "A2", "value": "a"}, {"label": "True", "value": True}]})
    add({"entity": "candidates", "field_name": "nope", "values": []})
    assert collector.pending == {"candidates"}
    assert collector.due_before("leads") == []
    (put,) = collector.due_before("candidates")
    assert put.path == "/candidates/possible-values/status"
    # a value keeps its first position, its last label; 1 and True are different values
    assert put.values == [{"label": "A2", "value": "a"}, {"label": "One", "value": 1}, {"label": "True", "value": True}]
    assert [c.position for c in put.contributors] == [1, 2]
    assert collector.take() == [] and not collector.pending
    add({"entity": "candidates", "field_name": "status", "values": [{"label": "B", "value": "b"}]})
    (again,) = collector.take()
    assert [v["value"] for v in again.values] == ["a", 1, True, "b"]  # the whole merged list: a PUT replaces
    assert [c.position for c in again.contributors] == [4]
    assert [(r.position, r.entity_id) for r in recorder.rejected] == [(3, "candidates.nope")]
    assert ledger.total("received") == 4 and ledger[STATS_KEY].rejected == 1


def test_an_integer_value_beyond_64_bits_is_rejected_not_sent():
    # the exact parser keeps every digit; orjson could not serialise it for the PUT
    _, problems = check_values([{"label": "big", "value": 2**64}])
    assert problems == [("values", "item 0 (label 'big') has an integer value beyond the 64-bit range Sense stores")]
