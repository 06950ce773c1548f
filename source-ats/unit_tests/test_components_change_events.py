"""source-ats change-event helpers: which event of an id counts, deleted records, and the feed's
refusals that only a re-created or long-unread subscription produces (a stand-in requester answers)."""
from __future__ import annotations

import json

import pytest
import requests

from source_ats import components as c


def _event(entity, entity_id, kind, ts=1_700_000_000_000):
    return {"entityName": entity, "entityId": entity_id, "entityEventType": kind, "eventTimestamp": ts}


def test_the_last_event_of_an_id_counts_and_other_entities_are_ignored():
    events = [_event("Candidate", 1, "INSERTED"), _event("Candidate", 2, "UPDATED"), _event("Lead", 1, "DELETED"),
              _event("Candidate", 1, "DELETED"), _event("Candidate", 2, "DELETED"), _event("Candidate", 2, "INSERTED"),
              {"entityName": "Candidate", "entityId": "3", "entityEventType": "UPDATED"}]
    last = c.latest_events(events, "Candidate")
    assert {i: e["entityEventType"] for i, e in last.items()} == {1: "DELETED", 2: "INSERTED", 3: "UPDATED"}
    assert list(last) == [1, 2, 3]


def test_an_event_without_a_usable_id_fails_the_sync_instead_of_being_dropped():
    with pytest.raises(c.AirbyteTracedException, match="without an integer entityId"):
        c.latest_events([_event("Lead", None, "UPDATED")], "Lead")


def test_a_deleted_record_carries_the_cdc_column_in_utc():
    assert c.deleted_record(7, 1_700_000_000_123) == {
        "id": 7, "dateLastModified": 1_700_000_000_123, "_ab_cdc_deleted_at": "2023-11-14T22:13:20.123Z"}


class Answers:
    """A requester answering each path/parameters from a table, counting its calls."""

    def __init__(self, table):
        self.table = table
        self.calls = []

    def send_request(self, path, request_params):
        self.calls.append((path, dict(request_params)))
        status, body = self.table[(path, request_params.get("requestId"))]
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(body).encode()
        return response


def _feed(table, max_reads=5):
    return c.ChangeEventFeed("s", max_events=10, max_reads=max_reads, event_get=Answers(table), event_put=Answers({}))


def test_a_checkpoint_beyond_the_subscription_means_it_was_created_again():
    feed = _feed({("event/subscription/s", None): (200, {"events": []}),
                  ("event/subscription/s/lastRequestId", None): (200, {"result": 2})})
    with pytest.raises(c.SubscriptionUnusable, match="created again"):
        feed.events_after(9)
    assert feed.events_after(2) == []


def test_too_many_batches_to_re_get_fall_back_instead_of_spending_the_quota():
    feed = _feed({("event/subscription/s", None): (200, {"requestId": 40, "events": [_event("Lead", 1, "UPDATED")]})})
    with pytest.raises(c.SubscriptionUnusable, match="34 batches to re-get"):
        feed.events_after(5)
    assert [e["entityId"] for e in feed.events_after(39)] == [1]
    assert feed.last_request_id == 40 and feed.start_request_id == 39
