"""The receiver's feed (``GET /writebacks``) and retention, through real HTTP and real stores.

Concurrent inserts: many senders store write-backs while a reader pages through the feed; the
reader must see every write-back exactly once, in ``seq`` order (SQLite and PostgreSQL, where two
receiver replicas write into one database).
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
import requests

from sense_writeback.store import open_store
from sense_writeback.store.feed_queries import cursors, prune, set_cursor
from sense_testing.writeback_receiver import sample_writeback, start_receiver

SENSE_TOKEN = "sense-token-0123456789abcdef"
READ_TOKEN = "reader-token-0123456789abcdef"


def _receiver(tmp_path=None, database_url=None, **kwargs):
    return start_receiver(db=str(tmp_path / "wb.db") if tmp_path is not None else None, database_url=database_url,
                          tokens=[SENSE_TOKEN], env={"SENSE_WRITEBACK_READ_TOKENS": READ_TOKEN}, **kwargs)


def _feed(base_url, token=READ_TOKEN, **params):
    return requests.get(base_url + "/writebacks", params=params, headers={"Authorization": f"Bearer {token}"},
                        timeout=30)


def _drain(base_url, after="0", limit=50, **params):
    seen = []
    while True:
        page = _feed(base_url, after=after, limit=limit, **params).json()
        seen += page["writebacks"]
        after = page["next"]
        if not page["has_more"]:
            return seen, after


@pytest.fixture
def receiver(tmp_path):
    with _receiver(tmp_path) as proc:
        yield proc


def test_feed_serves_in_seq_order_with_cursor_and_type_filter(receiver):
    ids = []
    for i, kind in enumerate(["GENERIC_EVENT", "ENTITY_DELETE", "GENERIC_EVENT"]):
        doc = sample_writeback(f"feed-{i}")
        if kind == "ENTITY_DELETE":
            doc = sample_writeback(f"feed-{i}", "ENTITY_DELETE", data={"entity": {"id": "7", "type": "AE_CANDIDATE"}})
        assert receiver.post(doc).status_code == 200
        ids.append(doc["id"])
    page = _feed(receiver.base_url, limit=2).json()
    assert [w["id"] for w in page["writebacks"]] == ids[:2]
    assert page["has_more"] is True and page["watermark"] == str(page["writebacks"][-1]["seq"] + 1)
    first = page["writebacks"][0]
    assert first["type"] == "GENERIC_EVENT" and first["receiver_id"].startswith("wb_")
    assert first["data"]["summary"] == "Candidate replied"
    assert {"role": "subject", "type": "AE_CANDIDATE", "id": "1001"} in first["entities"]
    rest = _feed(receiver.base_url, after=page["next"], limit=2).json()
    assert [w["id"] for w in rest["writebacks"]] == ids[2:] and rest["has_more"] is False
    assert _feed(receiver.base_url, after=rest["next"]).json()["writebacks"] == []
    only = _feed(receiver.base_url, type="ENTITY_DELETE").json()
    assert [w["id"] for w in only["writebacks"]] == [ids[1]]


def test_feed_needs_a_read_token_and_never_accepts_senses(receiver):
    assert receiver.post(sample_writeback("auth-1")).status_code == 200
    assert _feed(receiver.base_url, token=SENSE_TOKEN).status_code == 401
    assert requests.get(receiver.base_url + "/writebacks", timeout=30).status_code == 401
    assert requests.get(receiver.base_url + "/writebacks", params={"token": READ_TOKEN}, timeout=30).status_code == 401
    # and a read token cannot store
    assert receiver.post(sample_writeback("auth-2"), token=READ_TOKEN).status_code == 401
    assert len(_feed(receiver.base_url).json()["writebacks"]) == 1


@pytest.mark.parametrize("params, field", [({"after": "x"}, "after"), ({"limit": "0"}, "limit"),
                                           ({"limit": "5000"}, "limit"), ({"consumer": "a b"}, "consumer")])
def test_feed_refuses_bad_parameters_with_a_reason(receiver, params, field):
    answer = _feed(receiver.base_url, **params)
    assert answer.status_code == 400 and field in answer.json()["error"]


def test_a_registered_reader_records_its_cursor(receiver, tmp_path):
    for i in range(3):
        receiver.post(sample_writeback(f"reg-{i}"))
    page = _feed(receiver.base_url, consumer="warehouse", limit=2).json()
    _feed(receiver.base_url, consumer="warehouse", after=page["next"])
    with open_store(str(tmp_path / "wb.db"), writer=False) as store:
        assert cursors(store) == {"warehouse": int(page["next"])}


def _concurrent_inserts_read_exactly_once(base_urls, total=400):
    """Senders on every URL store ``total`` write-backs while one reader pages: it sees each once, in
    ``seq`` order. (On PostgreSQL this fails without the advisory lock of each batch: checked.)"""
    sent = [f"conc-{i}" for i in range(total)]
    done = threading.Event()
    seen = []

    def read():
        after = "0"
        while True:
            finished = done.is_set()
            page = _feed(base_urls[0], after=after, limit=37).json()
            seen.extend(page["writebacks"])
            after = page["next"]
            if finished and not page["has_more"]:
                return

    reader = threading.Thread(target=read)
    reader.start()
    sessions = [requests.Session() for _ in base_urls]

    def send(i):
        index = i % len(base_urls)
        doc = sample_writeback(sent[i])
        answer = sessions[index].post(base_urls[index] + "/event", json=doc,
                                      headers={"Authorization": f"Bearer {SENSE_TOKEN}"}, timeout=60)
        assert answer.status_code == 200, answer.text

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(send, range(total)))
    done.set()
    reader.join(120)
    seqs = [w["seq"] for w in seen]
    assert seqs == sorted(seqs)
    assert sorted(w["id"] for w in seen) == sorted(sent)  # every one, exactly once


def test_readers_see_every_writeback_once_under_concurrent_inserts_sqlite(receiver):
    _concurrent_inserts_read_exactly_once([receiver.base_url])


def test_readers_see_every_writeback_once_under_concurrent_inserts_postgres(postgres_url):
    with _receiver(database_url=postgres_url) as one, _receiver(database_url=postgres_url) as two:
        _concurrent_inserts_read_exactly_once([one.base_url, two.base_url])


def test_retention_keeps_what_a_consumer_has_not_passed(tmp_path):
    with _receiver(tmp_path) as proc:
        for i in range(4):
            proc.post(sample_writeback(f"ret-{i}"))
        seqs = [w["seq"] for w in _feed(proc.base_url).json()["writebacks"]]
    with open_store(str(tmp_path / "wb.db"), writer=False) as store:
        set_cursor(store, "forwarder", seqs[1])
        set_cursor(store, "warehouse", seqs[2])
        assert prune(store, timedelta(days=1)) == 0  # too young
        later = datetime.now(timezone.utc) + timedelta(days=2)
        assert prune(store, timedelta(days=1), now=later) == 2  # only what both consumers passed
        assert [wb.sense_id for wb in store.iter_writebacks()] == ["ret-2", "ret-3"]
        set_cursor(store, "warehouse", 1)  # a cursor never moves back
        assert cursors(store)["warehouse"] == seqs[2]


def test_serve_prunes_on_its_retention_interval(tmp_path):
    db = tmp_path / "wb.db"
    with _receiver(tmp_path) as proc:
        proc.post(sample_writeback("old-1"))
    with open_store(str(db), writer=False) as store, store.cursor() as cursor:
        cursor.execute("UPDATE writebacks SET received_at = '2000-01-01T00:00:00.000000+00:00'")
    with _receiver(tmp_path, extra_args=["--retention-days", "1", "--retention-interval", "0.2"]) as proc:
        proc.post(sample_writeback("new-1"))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ids = [w["id"] for w in _feed(proc.base_url).json()["writebacks"]]
            if ids == ["new-1"]:
                break
            time.sleep(0.1)
        assert ids == ["new-1"]
