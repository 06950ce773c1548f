"""sense_writeback.store.schema and the probe on a real PostgreSQL server.

``unit_tests/data/store_0_2_0_postgres.sql`` is a ``pg_dump`` of a database that release 0.2.0
filled (see ``make_store_0_2_0.py`` there): loaded, then opened by this release, every row must be
unchanged; migration 1 alone must build the same tables; replicas opening together migrate once;
a newer database is refused untouched; the probe fails while the server is down.
"""
from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest

from sense_testing.postgres_server import PostgresUnavailable, start_postgres
from sense_writeback import __version__
from sense_writeback.store import SchemaTooNew, StorageUnavailable, open_store, schema
from unit_tests.store.test_schema import BROKEN, release_with
from unit_tests.store.test_sqlite_store import item

DUMP_0_2_0 = Path(__file__).resolve().parents[2] / "unit_tests" / "data" / "store_0_2_0_postgres.sql"
TABLES_0_2_0 = ("writebacks", "writeback_entities", "writeback_conflicts", "writeback_consumers",
                "forward_results", "forward_notes", "forward_dead_letters", "forward_lease")


def load_dump(url: str) -> None:
    # psql meta-commands (\restrict, \unrestrict) are not SQL; everything else is run as dumped
    script = "\n".join(line for line in DUMP_0_2_0.read_text().splitlines() if not line.startswith("\\"))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(script)


def rows(url: str, table: str):
    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()


def structure(url: str):
    """Columns (type, nullability, default, identity), constraints and indexes of every table."""
    with psycopg.connect(url) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity, "
            "identity_generation FROM information_schema.columns WHERE table_schema = 'public' "
            "ORDER BY table_name, ordinal_position").fetchall()
        constraints = conn.execute(
            "SELECT conrelid::regclass::text, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2, 3").fetchall()
        indexes = conn.execute("SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' "
                               "ORDER BY 1, 2").fetchall()
    return columns, constraints, indexes


def test_migration_1_is_what_release_0_2_0_created(postgres_server):
    dumped = postgres_server.database("schema_from_0_2_0")
    load_dump(dumped)
    built = postgres_server.database("schema_from_migration_1")
    with psycopg.connect(built, autocommit=True) as conn:
        for statement in schema.MIGRATIONS[0].sql("postgres"):
            conn.execute(statement)
    assert structure(built) == structure(dumped)
    assert {row[0] for row in structure(built)[0]} == set(TABLES_0_2_0)


def test_a_0_2_0_database_is_upgraded_once_and_keeps_every_row(postgres_url):
    load_dump(postgres_url)
    before = {table: rows(postgres_url, table) for table in TABLES_0_2_0}
    assert all(before.values()) and len(before["writebacks"]) == 6
    with open_store(postgres_url, writer=False) as store:
        assert store.schema_upgrade == (0, schema.LATEST)
        stored = {wb.sense_id: wb for wb in store.iter_writebacks()}
    assert {table: rows(postgres_url, table) for table in TABLES_0_2_0} == before
    first = before["writebacks"][0]
    assert (stored[first[2]].receiver_id, stored[first[2]].raw) == (first[1], bytes(first[8]))
    assert [row[:3] for row in rows(postgres_url, "schema_migrations")] == [
        (m.version, m.description, __version__) for m in schema.MIGRATIONS]
    with open_store(postgres_url) as store:
        assert store.schema_upgrade == (schema.LATEST, schema.LATEST)
        outcome = store.put(item("after-upgrade"))
        assert outcome.seq > max(row[0] for row in before["writebacks"])
        store.probe()
    assert rows(postgres_url, "writebacks")[:6] == before["writebacks"]


def test_a_failing_migration_leaves_the_database_as_it_was(postgres_url, monkeypatch):
    with open_store(postgres_url) as store:
        store.put(item("kept"))
    before = structure(postgres_url), rows(postgres_url, "writebacks"), rows(postgres_url, "schema_migrations")
    release_with(monkeypatch, BROKEN)
    with pytest.raises(StorageUnavailable, match="no_such_table"):
        open_store(postgres_url)
    assert (structure(postgres_url), rows(postgres_url, "writebacks"),
            rows(postgres_url, "schema_migrations")) == before


def test_replicas_opening_together_migrate_once(postgres_url):
    errors, stores = [], []

    def open_one():
        try:
            stores.append(open_store(postgres_url, writer=False))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(store.schema_upgrade for store in stores) == \
        [(0, schema.LATEST)] + [(schema.LATEST, schema.LATEST)] * 3
    assert [row[0] for row in rows(postgres_url, "schema_migrations")] == list(range(1, schema.LATEST + 1))


def test_a_database_of_a_newer_release_is_refused_and_left_untouched(postgres_url):
    with open_store(postgres_url) as store:
        store.put(item("kept"))
        with psycopg.connect(postgres_url, autocommit=True) as conn:  # a newer replica upgraded it meanwhile
            conn.execute("INSERT INTO schema_migrations VALUES (%s, 'a later change', '9.9.9', '2030-01-01')",
                         (schema.LATEST + 1,))
        with pytest.raises(StorageUnavailable, match=f"schema version {schema.LATEST + 1}, this release needs"):
            store.probe()
    before = structure(postgres_url), rows(postgres_url, "writebacks"), rows(postgres_url, "schema_migrations")
    with pytest.raises(SchemaTooNew, match="9.9.9") as refused:
        open_store(postgres_url)
    assert "does not write to a newer database" in str(refused.value)
    assert (structure(postgres_url), rows(postgres_url, "writebacks"),
            rows(postgres_url, "schema_migrations")) == before


def test_probe_fails_while_the_server_is_down_and_passes_when_it_is_back():
    try:
        server = start_postgres()
    except PostgresUnavailable as exc:
        pytest.skip(f"no PostgreSQL server could be started: {exc}")
    url = server.database("probe").replace("postgres@", "postgres:a-secret-password@")
    try:
        store = open_store(url, writer=False)
        store.connect_timeout = 2
        store.probe()
        server.halt()
        with pytest.raises(StorageUnavailable) as down:
            store.probe()
        assert "a-secret-password" not in str(down.value) and "cannot serve" in str(down.value)
        server.resume()
        store.probe()
        store.close()
    finally:
        server.stop()
    with pytest.raises(StorageUnavailable) as unreachable:
        open_store(url)
    assert "a-secret-password" not in str(unreachable.value)
