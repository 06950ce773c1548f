"""Every table of the receiver's database, for both backends, as numbered migrations.

The database records the migrations applied to it in ``schema_migrations`` (``version``,
``description``, ``release``, ``applied_at``). Opening a store (``open_store``) runs ``migrate``:
inside one serialised transaction (SQLite ``BEGIN IMMEDIATE``; PostgreSQL under the store's
advisory lock, so replicas starting together upgrade once) it reads the installed version and
applies every later migration, each recorded in the same transaction. A database whose version is
above ``LATEST`` was upgraded by a newer release: it is refused (``SchemaTooNew``) before anything
is written to it.

A database made by release 0.2.0 has no ``schema_migrations`` table: it is at version 0 and
migration 1 (exactly 0.2.0's tables, ``IF NOT EXISTS``) adopts it without touching a row.

Adding a table or a column: append a ``Migration`` (the next number) with its statements for both
dialects; never edit one that has been released. The DDL names ``{seq}`` (an increasing row id),
``{int64}``, ``{real}``, ``{blob}``, ``{flag}`` and ``{false}`` stand for each dialect's types.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Tuple

from sense_writeback.clock import utc_now
from sense_writeback.store.errors import SchemaTooNew

TYPES: Dict[str, Dict[str, str]] = {
    "sqlite": {"seq": "INTEGER PRIMARY KEY AUTOINCREMENT", "int64": "INTEGER", "real": "REAL", "blob": "BLOB",
               "flag": "INTEGER", "false": "0"},
    "postgres": {"seq": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "int64": "BIGINT",
                 "real": "DOUBLE PRECISION", "blob": "BYTEA", "flag": "BOOLEAN", "false": "FALSE"},
}

VERSION_TABLE = ("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                 "description TEXT NOT NULL, release TEXT NOT NULL, applied_at TEXT NOT NULL)")


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: Tuple[str, ...]  # with the ``TYPES`` names in braces

    def sql(self, dialect: str) -> Tuple[str, ...]:
        return tuple(statement.format(**TYPES[dialect]) for statement in self.statements)


MIGRATIONS: Tuple[Migration, ...] = (
    Migration(1, "the tables of release 0.2.0: write-backs, entities, conflicts, consumers, forwarder", (
        # the receiver (store/base.py, store/sql.py)
        "CREATE TABLE IF NOT EXISTS writebacks (seq {seq}, receiver_id TEXT NOT NULL UNIQUE, "
        "sense_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, version {real} NOT NULL, created_date TEXT NOT NULL, "
        "received_at TEXT NOT NULL, auth_mode TEXT NOT NULL, raw {blob} NOT NULL, body_sha256 TEXT NOT NULL, "
        "unknown_type {flag} NOT NULL DEFAULT {false}, newer_version {flag} NOT NULL DEFAULT {false})",
        "CREATE TABLE IF NOT EXISTS writeback_entities (seq {int64} NOT NULL REFERENCES writebacks(seq) "
        "ON DELETE CASCADE, role TEXT NOT NULL, entity_type TEXT NOT NULL, entity_id TEXT NOT NULL, "
        "PRIMARY KEY (seq, role, entity_type, entity_id))",
        "CREATE INDEX IF NOT EXISTS writeback_entities_by_entity ON writeback_entities (entity_type, entity_id)",
        "CREATE TABLE IF NOT EXISTS writeback_conflicts (id {seq}, sense_id TEXT NOT NULL, "
        "receiver_id TEXT NOT NULL, first_received_at TEXT NOT NULL, last_received_at TEXT NOT NULL, "
        "attempts INTEGER NOT NULL, auth_mode TEXT NOT NULL, raw {blob} NOT NULL, body_sha256 TEXT NOT NULL, "
        "UNIQUE (sense_id, body_sha256))",
        # the feed's consumer cursors (store/feed_queries.py)
        "CREATE TABLE IF NOT EXISTS writeback_consumers (name TEXT PRIMARY KEY, cursor_seq BIGINT NOT NULL, "
        "updated_at TEXT NOT NULL)",
        # the forwarder (forward/ledger.py)
        "CREATE TABLE IF NOT EXISTS forward_results (seq BIGINT PRIMARY KEY, sense_id TEXT NOT NULL, "
        "type TEXT NOT NULL, outcome TEXT NOT NULL, bullhorn_entity TEXT, bullhorn_id TEXT, detail TEXT, "
        "attempts INTEGER NOT NULL, finished_at TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS forward_notes (sense_id TEXT PRIMARY KEY, state TEXT NOT NULL, note_id BIGINT, "
        "associations TEXT NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS forward_dead_letters (seq BIGINT PRIMARY KEY, sense_id TEXT NOT NULL, "
        "type TEXT NOT NULL, reason TEXT NOT NULL, attempts INTEGER NOT NULL, parked_at TEXT NOT NULL, "
        "replayed_at TEXT)",
        "CREATE TABLE IF NOT EXISTS forward_lease (name TEXT PRIMARY KEY, owner TEXT NOT NULL, "
        "expires_at DOUBLE PRECISION NOT NULL)",
    )),
)
LATEST = MIGRATIONS[-1].version


def installed_version(store, cursor) -> int:
    """The version recorded in the database (0: none, i.e. new or made by 0.2.0)."""
    if not store.table_exists(cursor, "schema_migrations"):
        return 0
    cursor.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
    return int(cursor.fetchone()[0])


def check_not_newer(store, cursor, version: int) -> None:
    if version <= LATEST:
        return
    from sense_writeback import __version__

    cursor.execute("SELECT release FROM schema_migrations WHERE version = ?", (version,))
    release = cursor.fetchone()[0]
    raise SchemaTooNew(
        f"the {store.kind} database is at schema version {version} (written by sense-writeback {release}); "
        f"sense-writeback {__version__} knows versions up to {LATEST} and does not write to a newer database. "
        f"Run sense-writeback {release} or later, or restore the backup taken before that upgrade.")


def migrate(store) -> Tuple[int, int]:
    """Bring the store's database to ``LATEST``; ``(version before, version after)``."""
    from sense_writeback import __version__

    with store.connection() as conn, store.transaction(conn, serialise=True) as cursor:
        before = installed_version(store, cursor)
        check_not_newer(store, cursor, before)
        if before == LATEST:
            return before, before
        cursor.execute(VERSION_TABLE)
        for migration in MIGRATIONS[before:]:
            for statement in migration.sql(store.dialect):
                cursor.execute(statement)
            cursor.execute("INSERT INTO schema_migrations (version, description, release, applied_at) "
                           "VALUES (?, ?, ?, ?)", (migration.version, migration.description, __version__,
                                                   utc_now().isoformat(timespec="seconds")))
    return before, LATEST


def applied(store) -> Tuple[Tuple[int, str, str, str], ...]:
    """The ``schema_migrations`` rows: ``(version, description, release, applied_at)`` in order."""
    with store.cursor() as cursor:
        cursor.execute("SELECT version, description, release, applied_at FROM schema_migrations ORDER BY version")
        return tuple(tuple(row) for row in cursor.fetchall())
