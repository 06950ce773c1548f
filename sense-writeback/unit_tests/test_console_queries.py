"""sense_writeback.console.queries on a real SQLite store: the list and each filter, paging, forward
status, detail, parked groups, arrivals per minute, backlog, quantiles."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from sense_writeback.console.charts import arrivals_chart
from sense_writeback.console.queries import Filters, Latency, Queries, parsed_fields
from sense_writeback.forward.ledger import Ledger
from sense_writeback.references import entity_references
from sense_writeback.store import Incoming, body_hash, new_receiver_id, open_store

NOW = datetime(2026, 12, 8, 12, 0, 30, tzinfo=timezone.utc)


def doc(sense_id, type_="GENERIC_EVENT", summary="hello", candidate="1001", **extra):
    return {"id": sense_id, "type": type_, "version": 1.0, "created_date": "2026-12-01T10:00:00+00:00",
            "data": {"summary": summary, "subject": {"id": candidate, "type": "AE_CANDIDATE"},
                     "associated_entities": [{"id": "2002", "type": "AE_JOB_ORDER"}], **extra}}


def incoming(d, received, unknown=False, newer=False, raw=None):
    raw = raw or json.dumps(d).encode()
    return Incoming(receiver_id=new_receiver_id(), sense_id=d["id"], type=d["type"], version=1.0,
                    created_date=d["created_date"], received_at=received.isoformat(timespec="microseconds"),
                    auth_mode="header_token", raw=raw, body_sha256=body_hash(raw), unknown_type=unknown,
                    newer_version=newer, references=tuple(entity_references(d["data"])))


@pytest.fixture
def store(tmp_path):
    with open_store(str(tmp_path / "wb.db")) as store:
        Ledger(store).close()
        yield store


@pytest.fixture
def filled(store):
    days = [NOW - timedelta(days=3), NOW - timedelta(days=1), NOW - timedelta(minutes=5)]
    store.put(incoming(doc("a", summary="Candidate replied YES"), days[0]))
    store.put(incoming(doc("b", "MESSAGING_INCOMING_MESSAGE", summary="100% sure_thing", candidate="7"), days[1]))
    store.put(incoming(doc("c", "SOMETHING_NEW", summary="other"), days[2], unknown=True))
    store.put(incoming(doc("d", summary="new shape"), days[2], newer=True))
    store.put(incoming(doc("a", summary="changed!"), days[2]))  # a conflict for "a"
    ledger = Ledger(store)
    ledger.finish(1, "a", "GENERIC_EVENT", "note", "Note", 55, "attached: person 1001", 1)
    ledger.finish(2, "b", "MESSAGING_INCOMING_MESSAGE", "parked", None, None, "", 2,
                  reason="Bullhorn refused it: HTTP 400: comments is required")
    ledger.finish(3, "c", "SOMETHING_NEW", "parked", None, None, "", 1, reason="unknown write-back type")
    ledger.close()
    return Queries(store)


def ids(queries, **query):
    rows, _ = queries.writebacks(Filters.from_query({k: str(v) for k, v in query.items()}))
    return [r.sense_id for r in rows]


def test_newest_first_with_each_filter(filled):
    assert ids(filled) == ["d", "c", "b", "a"]
    assert ids(filled, type="MESSAGING_INCOMING_MESSAGE") == ["b"]
    assert ids(filled, **{"from": (NOW - timedelta(days=1)).strftime("%Y-%m-%d")}) == ["d", "c", "b"]
    assert ids(filled, to=(NOW - timedelta(days=1)).strftime("%Y-%m-%d")) == ["b", "a"]
    assert ids(filled, entity_type="AE_CANDIDATE", entity_id="7") == ["b"]
    assert ids(filled, entity_id="2002") == ["d", "c", "b", "a"]
    assert ids(filled, entity_type="AE_JOB_ORDER", entity_id="7") == []
    assert ids(filled, unknown_type=1) == ["c"] and ids(filled, newer_version=1) == ["d"]
    assert ids(filled, conflict=1) == ["a"]
    assert ids(filled, q="replied yes") == ["a"]  # case-insensitive
    assert ids(filled, q="100%") == ["b"] and ids(filled, q="%") == ["b"] and ids(filled, q="e_t") == ["b"]
    assert ids(filled, q="nowhere") == []
    assert ids(filled, type="GENERIC_EVENT", q="new") == ["d"]
    assert ids(filled, **{"from": "not a date"}) == ["d", "c", "b", "a"]  # ignored, not an error


def test_paging_by_seq(filled):
    rows, before = filled.writebacks(Filters(), limit=3)
    assert [r.seq for r in rows] == [4, 3, 2] and before == 2
    rows, before = filled.writebacks(Filters(before=before), limit=3)
    assert [r.seq for r in rows] == [1] and before is None
    assert Filters.from_query({"before": "2", "type": "X"}).as_query(before=9) == {"type": "X", "before": "9"}


def test_forward_status(filled):
    rows = {r.sense_id: r for r in filled.writebacks(Filters())[0]}
    assert rows["a"].forward_status == "forwarded as note 55" and rows["a"].conflicts == 1
    assert rows["b"].forward_status == "parked: Bullhorn refused it: HTTP 400: comments is required"
    assert rows["d"].forward_status == "pending" and rows["d"].status_kind == "pending"


def test_detail_has_the_body_fields_conflict_and_forward_answers(filled):
    detail = filled.detail(2)
    assert json.loads(detail["raw"])["data"]["summary"] == "100% sure_thing"
    assert ("data.subject.id", "7") in detail["fields"]
    assert detail["dead_letter"]["reason"].startswith("Bullhorn refused it: HTTP 400")
    assert detail["result"]["outcome"] == "parked" and detail["result"]["attempts"] == 2
    assert ("subject", "AE_CANDIDATE", "7") in [tuple(e) for e in detail["entities"]]
    first = filled.detail(1)
    assert [json.loads(c["raw"])["data"]["summary"] for c in first["conflicts"]] == ["changed!"]
    assert filled.detail(99) is None


def test_parked_grouped_by_reason_and_backlog(filled):
    groups = filled.parked()
    assert [(reason, [x["sense_id"] for x in letters]) for reason, letters in groups] == [
        ("Bullhorn refused it: HTTP 400: comments is required", ["b"]), ("unknown write-back type", ["c"])]
    assert filled.parked_seqs("unknown write-back type") == [3] and filled.parked_count() == 2
    backlog = filled.backlog()
    assert backlog["pending"] == 1 and backlog["forwarder_cursor"] == 3  # "d" is pending


def test_arrivals_per_minute_by_type_over_24_hours(filled, store):
    store.put(incoming(doc("e"), NOW - timedelta(minutes=5, seconds=-10)))
    store.put(incoming(doc("f"), NOW))
    series = filled.arrivals(NOW, 24)
    assert set(series) == {"GENERIC_EVENT", "SOMETHING_NEW"}  # "b" is older than a day
    assert all(len(v) == 1440 for v in series.values())
    assert sum(series["GENERIC_EVENT"]) == 3 and sum(series["SOMETHING_NEW"]) == 1
    assert series["GENERIC_EVENT"][-1] == 1 and series["GENERIC_EVENT"][-6] == 2
    chart = arrivals_chart(series, 1440)
    assert chart.total == 4 and chart.peak == 2
    assert {s.name: s.total for s in chart.series} == {"GENERIC_EVENT": 3, "SOMETHING_NEW": 1}
    assert [t.label for t in chart.ticks] == ["now", "−6 h", "−12 h", "−18 h", "−24 h"]
    assert [t.x for t in chart.ticks] == pytest.approx([720.0, 1079 * 720 / 1439, 719 * 720 / 1439, 359 * 720 / 1439, 0.0],
                                                       abs=0.06)


def test_latency_quantiles_from_cumulative_buckets():
    latency = Latency([(0.005, 50.0), (0.01, 90.0), (0.1, 100.0), (float("inf"), 100.0)])
    assert latency.count == 100
    assert latency.quantile(0.5) == pytest.approx(0.005)
    assert latency.quantile(0.7) == pytest.approx(0.0075)
    assert latency.quantile(0.99) == pytest.approx(0.01 + 0.09 * 0.9)
    assert Latency([]).quantile(0.5) is None
    assert Latency([(0.1, 0.0), (float("inf"), 3.0)]).quantile(0.5) == 0.1  # beyond the last bound


def test_parsed_fields_are_leaves_with_paths():
    raw = json.dumps({"id": "x", "data": {"sms": [{"body": "<b>hi</b>"}], "n": 3, "empty": {}}}).encode()
    assert parsed_fields(raw) == [("id", "x"), ("data.sms[0].body", "<b>hi</b>"), ("data.n", "3"), ("data.empty", "{}")]
    assert parsed_fields(b"not json") == []


def test_first_seq_of_the_window_by_binary_search(store):
    times = [NOW - timedelta(hours=h) for h in (50, 30, 26, 23, 23.5, 2, 1)]  # seq 5 arrived a bit "earlier"
    for i, moment in enumerate(times):
        store.put(incoming(doc(f"s{i}"), moment))
    queries = Queries(store)
    assert queries._first_seq_received_after(NOW - timedelta(hours=24)) == 4
    assert queries._first_seq_received_after(NOW - timedelta(hours=100)) == 1
    assert queries._first_seq_received_after(NOW) == 8  # nothing after: past the last seq
    assert sum(sum(v) for v in queries.arrivals(NOW).values()) == 4  # seq 4..7, slack covers seq 5
