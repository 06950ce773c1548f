"""Durable, idempotent storage of write-backs and the API consumers read them with.

    from sense_writeback.store import open_store

    with open_store("writebacks.db", writer=False) as store:      # or "postgresql://..."
        for wb in store.iter_writebacks(after_seq=last_seq):    # seq order, resumable
            handle(wb.seq, wb.type, wb.document(), wb.entities)

Every table (``writebacks``, ``writeback_entities``, ``writeback_conflicts``, the feed's
``writeback_consumers``, the forwarder's ``forward_*``) and its migrations: ``schema.py``. Opening
a store upgrades its database to this release's schema version, or raises ``SchemaTooNew`` for a
database of a newer release; ``StorageUnavailable`` when the storage cannot be reached.

Modules: ``base`` (what both backends share), ``sqlite`` and ``postgres`` (the backends),
``schema`` (tables and migrations), ``sql`` (the write-back statements), ``group_commit`` (the
writer thread), ``records`` (the values stored and answered), ``feed_queries`` (the feed's reads,
consumer cursors, retention), ``errors``.
"""
from __future__ import annotations

from sense_writeback.store.base import Store
from sense_writeback.store.errors import SchemaTooNew, StorageUnavailable
from sense_writeback.store.records import (CONFLICT, DUPLICATE, STORED, Conflict, Incoming, Outcome, StoredWriteBack,
                                           body_hash, new_receiver_id, same_content)

__all__ = ["open_store", "is_database_url", "Store", "StorageUnavailable", "SchemaTooNew", "Incoming", "Outcome", "StoredWriteBack", "Conflict",
           "STORED", "DUPLICATE", "CONFLICT", "body_hash", "same_content", "new_receiver_id"]


def is_database_url(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://")) or "host=" in target or "dbname=" in target


def open_store(target: str, *, writer: bool = True, max_batch: int = 512) -> Store:
    """A SQLite file path or a PostgreSQL URL/DSN. ``writer=False`` opens for reading only.

    Migrates the database to this release's schema (``schema.migrate``); raises ``SchemaTooNew``
    for a newer database and ``StorageUnavailable`` when the storage cannot be reached."""
    if is_database_url(target):
        from sense_writeback.store.postgres import PostgresStore

        return PostgresStore(target, max_batch=max_batch, writer=writer)
    from sense_writeback.store.sqlite import SQLiteStore

    return SQLiteStore(target, max_batch=max_batch, writer=writer)
