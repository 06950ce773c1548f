"""sense_writeback.store.schema on SQLite: migration 1 is release 0.2.0's schema, a database made by
0.2.0 (``unit_tests/data/store_0_2_0.db``) upgrades in place once with every row unchanged, a newer
database is refused untouched, and ``probe()`` tells a usable store from one that is not."""
import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from sense_writeback import __version__
from sense_writeback.store import SchemaTooNew, StorageUnavailable, open_store, schema
from unit_tests.store.test_sqlite_store import item

RELEASE_0_2_0 = Path(__file__).resolve().parents[1] / "data" / "store_0_2_0.db"
TABLES_0_2_0 = ("writebacks", "writeback_entities", "writeback_conflicts", "writeback_consumers",
                "forward_results", "forward_notes", "forward_dead_letters", "forward_lease")


def rows(path, table):
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()


def structure(path):
    """Each table's columns, indexes (with their columns) and foreign keys, as SQLite reports them."""
    conn = sqlite3.connect(path)
    try:
        tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                                   "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        result = {}
        for table in tables:
            indexes = {}
            for _, name, unique, origin, partial in conn.execute(f"PRAGMA index_list({table})"):
                columns = tuple(row[2] for row in conn.execute(f"PRAGMA index_info({name})"))
                indexes[columns] = (unique, origin, partial, name if origin == "c" else None)
            result[table] = (conn.execute(f"PRAGMA table_info({table})").fetchall(), indexes,
                             conn.execute(f"PRAGMA foreign_key_list({table})").fetchall())
        return result
    finally:
        conn.close()


def version_rows(path):
    return rows(path, "schema_migrations")


@pytest.fixture
def old_db(tmp_path):
    path = tmp_path / "from-0.2.0.db"
    shutil.copyfile(RELEASE_0_2_0, path)
    return str(path)


def test_migration_1_is_what_release_0_2_0_created(tmp_path):
    fresh = str(tmp_path / "migration-1.db")
    with sqlite3.connect(fresh) as conn:
        for statement in schema.MIGRATIONS[0].sql("sqlite"):
            conn.execute(statement)
    assert structure(fresh) == structure(str(RELEASE_0_2_0))
    assert set(structure(fresh)) == set(TABLES_0_2_0)


def test_a_0_2_0_database_is_upgraded_once_and_keeps_every_row(old_db):
    before = {table: rows(old_db, table) for table in TABLES_0_2_0 + ("sqlite_sequence",)}
    assert all(before.values())  # every table of 0.2.0 holds rows in the fixture
    assert len(before["writebacks"]) == 6 and before["writeback_conflicts"][0][5] == 2  # a conflict sent twice
    with open_store(old_db) as store:
        assert store.schema_upgrade == (0, schema.LATEST)
        stored = {wb.sense_id: wb for wb in store.iter_writebacks()}
    assert {table: rows(old_db, table) for table in before} == before
    assert [row[:3] for row in version_rows(old_db)] == [
        (m.version, m.description, __version__) for m in schema.MIGRATIONS]
    # the stored write-backs read back as 0.2.0 wrote them (body bytes, ids, references)
    first = before["writebacks"][0]
    assert (stored[first[2]].receiver_id, stored[first[2]].raw) == (first[1], bytes(first[8]))
    assert ("subject", "AE_CANDIDATE", "5001") in stored["fixture-GENERIC_EVENT"].entities
    applied = version_rows(old_db)
    with open_store(old_db) as store:  # opened again: nothing more to do; the sequence continues
        assert store.schema_upgrade == (schema.LATEST, schema.LATEST)
        last_seq = dict(before["sqlite_sequence"])["writebacks"]  # resends of 0.2.0 used numbers too
        assert store.put(item("after-upgrade")).seq == last_seq + 1
        assert store.put(item("fixture-GENERIC_EVENT")).status == "conflict"  # the 0.2.0 row still rules
    assert version_rows(old_db) == applied
    assert rows(old_db, "writebacks")[:6] == before["writebacks"]


def test_a_new_database_starts_at_the_latest_version(tmp_path):
    path = str(tmp_path / "new.db")
    with open_store(path) as store:
        assert store.schema_upgrade == (0, schema.LATEST)
        assert [row[0] for row in schema.applied(store)] == list(range(1, schema.LATEST + 1))
        store.probe()


LATER = schema.Migration(schema.LATEST + 1, "a later release's column",
                         ("ALTER TABLE writeback_consumers ADD COLUMN owner TEXT",))
BROKEN = schema.Migration(schema.LATEST + 1, "half of it fails", LATER.statements + (
    "ALTER TABLE no_such_table ADD COLUMN x TEXT",))


def release_with(monkeypatch, migration: schema.Migration) -> None:
    """Make this process a release that knows one more migration."""
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS + (migration,))
    monkeypatch.setattr(schema, "LATEST", migration.version)


def test_a_later_migration_is_applied_once_from_the_version_the_database_is_at(tmp_path, monkeypatch):
    path = str(tmp_path / "s.db")
    with open_store(path) as store:
        store.put(item("kept"))
    before = rows(path, "writebacks")
    release_with(monkeypatch, LATER)
    with open_store(path) as store:
        assert store.schema_upgrade == (LATER.version - 1, LATER.version)
        store.probe()
    with open_store(path) as store:  # an ALTER TABLE run twice would fail here
        assert store.schema_upgrade == (LATER.version, LATER.version)
    with sqlite3.connect(path) as conn:
        assert "owner" in {row[1] for row in conn.execute("PRAGMA table_info(writeback_consumers)")}
    assert rows(path, "writebacks") == before


def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    path = str(tmp_path / "s.db")
    with open_store(path) as store:
        store.put(item("kept"))
    before = {table: rows(path, table) for table in ("writebacks", "schema_migrations")}
    release_with(monkeypatch, BROKEN)
    with pytest.raises(StorageUnavailable, match="no such table"):
        open_store(path)
    with sqlite3.connect(path) as conn:
        assert "owner" not in {row[1] for row in conn.execute("PRAGMA table_info(writeback_consumers)")}
    assert {table: rows(path, table) for table in before} == before


def newer(path):
    """Make ``path`` look upgraded by a later release."""
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (?, 'a later change', '9.9.9', '2030-01-01T00:00:00+00:00')",
                     (schema.LATEST + 1,))


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_a_database_of_a_newer_release_is_refused_and_left_untouched(tmp_path):
    path = str(tmp_path / "newer.db")
    with open_store(path) as store:
        store.put(item("kept"))
    newer(path)
    before = digest(path)
    for writer in (True, False):
        with pytest.raises(SchemaTooNew) as refused:
            open_store(path, writer=writer)
        message = str(refused.value)
        assert f"schema version {schema.LATEST + 1}" in message and "9.9.9" in message and __version__ in message
        assert "backup" in message
    assert digest(path) == before
    assert [row[0] for row in version_rows(path)] == list(range(1, schema.LATEST + 2))


def test_probe_passes_on_a_usable_store_and_writes_nothing(tmp_path):
    path = str(tmp_path / "p.db")
    with open_store(path) as store:
        store.put(item("a"))
        applied = version_rows(path)
        store.probe()
        assert version_rows(path) == applied and store.count() == 1


def test_probe_raises_when_the_database_is_behind_ahead_or_gone(tmp_path):
    path = str(tmp_path / "p.db")
    with open_store(path, writer=False) as store:
        newer(path)  # upgraded meanwhile by a newer replica
        with pytest.raises(StorageUnavailable, match=f"schema version {schema.LATEST + 1}, this release needs"):
            store.probe()
        with sqlite3.connect(path) as conn:
            conn.execute("DELETE FROM schema_migrations WHERE version >= ?", (schema.LATEST,))
        with pytest.raises(StorageUnavailable, match=f"schema version {schema.LATEST - 1}"):
            store.probe()
        Path(path).unlink()
        with pytest.raises(StorageUnavailable, match="unable to open database file"):
            store.probe()
        assert not Path(path).exists()  # the probe never creates an empty database in its place


def test_probe_raises_when_another_process_holds_the_write_lock(tmp_path):
    path = str(tmp_path / "p.db")
    with open_store(path, writer=False) as store:
        store.busy_timeout_ms = 100
        blocker = sqlite3.connect(path, timeout=0)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            with pytest.raises(StorageUnavailable, match="locked"):
                store.probe()
        finally:
            blocker.rollback()
            blocker.close()
        store.probe()


def test_storage_that_cannot_be_opened_raises_storage_unavailable(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(StorageUnavailable, match="cannot open the sqlite store"):
        open_store(str(blocker / "sub" / "s.db"))
