"""The emulator's SQLite store (no HTTP)."""
import sqlite3

import orjson
import pytest

from sense_emulator.store import Store


@pytest.fixture(params=["memory", "file"])
def new_store(request, tmp_path):
    """A factory of stores of both kinds: dicts in memory, and a SQLite file."""
    made = []

    def make(**kwargs):
        store = Store(":memory:" if request.param == "memory" else str(tmp_path / f"s{len(made)}.db"), **kwargs)
        made.append(store)
        return store

    return make


def bodies(store, collection, ids=None):
    return [orjson.loads(b) for b in store.bodies(collection, ids)]


def test_upsert_replaces_and_keeps_first_received_order(new_store):
    store = new_store()
    store.upsert_many("candidates", [{"id": "b", "x": 1}, {"id": "a"}])
    store.upsert_many("candidates", [{"id": "b", "y": 2}, {"id": "c", "is_deleted": True}])
    assert bodies(store, "candidates") == [{"id": "b", "y": 2}, {"id": "a"}, {"id": "c", "is_deleted": True}]
    assert orjson.loads(store.get("candidates", "b")) == {"id": "b", "y": 2}
    assert isinstance(store.get("candidates", "b"), bytes)
    assert store.get("candidates", "zz") is None
    assert store.counts() == {"candidates": (3, 1)}
    assert sorted(store.ids("candidates")) == ["a", "b", "c"]
    assert bodies(store, "candidates", ["c", "nope", "a"]) == [{"id": "c", "is_deleted": True}, {"id": "a"}]
    store.close()


def test_collections_are_separate_and_duplicates_in_a_batch_keep_the_last(new_store):
    store = new_store()
    store.upsert_many("companies", [{"id": "1", "v": 1}, {"id": "1", "v": 2}])
    store.upsert_many("leads", [{"id": "1", "v": 3}])
    assert bodies(store, "companies") == [{"id": "1", "v": 2}]
    assert bodies(store, "leads") == [{"id": "1", "v": 3}]
    store.close()


def test_soft_delete_flag_follows_the_latest_version(new_store):
    store = new_store()
    store.upsert_many("placements", [{"id": "p", "is_deleted": True}])
    store.upsert_many("placements", [{"id": "p", "is_deleted": False}, {"id": "q", "is_deleted": True}])
    assert store.counts() == {"placements": (2, 1)}
    store.upsert_many("placements", [{"id": "q"}])
    assert store.counts() == {"placements": (2, 0)}
    store.close()


def test_reads_see_every_queued_write(new_store):
    store = new_store(queue_size=2)
    for i in range(50):
        store.upsert_many("leads", [{"id": str(i)}])
    assert store.counts()["leads"] == (50, 0)
    store.close()


def test_possible_values_and_resumes(new_store):
    store = new_store()
    assert store.get_possible_values("candidates", "status") is None
    store.put_possible_values("candidates", "status", '[{"label":"A","value":"a"}]')
    store.put_possible_values("candidates", "status", '[{"label":"B","value":"b"}]')
    assert store.get_possible_values("candidates", "status") == '[{"label":"B","value":"b"}]'
    seq = store.add_resume(candidate_id="1", resume_id="r", file_name=None, file_extension="pdf", content_type=None,
                           date_created="2020-01-01T00:00:00Z", date_updated="2020-01-01T00:00:00Z", size=3,
                           sha256="abc", file=b"abc")
    (meta,) = store.resumes("1")
    assert meta["seq"] == seq and meta["resume_id"] == "r" and "file" not in meta
    assert store.resume_file(seq) == b"abc"
    assert store.resumes("2") == []
    store.reset()
    assert store.counts() == {} and store.resumes() == [] and store.get_possible_values("candidates", "status") is None
    store.close()


def test_file_database_is_plain_json_text(tmp_path):
    path = tmp_path / "s.db"
    store = Store(str(path))
    store.upsert_many("candidates", [{"id": "1", "first_name": "Linus", "tags": ["a"]}])
    store.close()
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT typeof(body), json_extract(body, '$.first_name'), is_deleted, version FROM entities").fetchone()
    assert row == ("text", "Linus", 0, 1)
    reopened = Store(str(path))
    assert reopened.ids("candidates") == ["1"]
    reopened.upsert_many("candidates", [{"id": "1"}])
    reopened.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version FROM entities").fetchone() == (2,)



def test_batches_posted_as_json_text_are_read_back_and_released():
    store = Store()
    memory = store._entities  # white box: the batch texts it keeps
    raw1 = b'[{"id":"a","n":1},{"id":"b","n":2.5},{"id":"a","n":3}]'
    store.upsert_many("leads", orjson.loads(raw1), raw1)
    raw2 = b'[{"id":"c","is_deleted":true},{"id":"d","s":"caf\\u00e9"}]'
    store.upsert_many("leads", orjson.loads(raw2), raw2)
    assert len(memory._batches) == 2
    assert store.counts() == {"leads": (4, 1)}
    assert store.ids("leads") == ["a", "b", "c", "d"]
    assert orjson.loads(store.get("leads", "a")) == {"id": "a", "n": 3}  # the last of a duplicated id
    assert len(memory._batches) == 1  # the first batch was turned into per-entity JSON
    store.upsert_many("leads", [{"id": "c"}, {"id": "d"}])  # replaces every entity of the second batch
    assert len(memory._batches) == 0 and store.counts() == {"leads": (4, 0)}
    assert [orjson.loads(b) for b in store.bodies("leads")] == [
        {"id": "a", "n": 3}, {"id": "b", "n": 2.5}, {"id": "c"}, {"id": "d"}]
    raw3 = b'[{"id":"x"},{"id":"y"}]'
    store.upsert_many("companies", orjson.loads(raw3), raw3)
    assert [orjson.loads(b) for b in store.bodies("companies", ["y", "nope", "x"])] == [{"id": "y"}, {"id": "x"}]
    store.reset()
    assert memory._batches == {} and store.counts() == {}
