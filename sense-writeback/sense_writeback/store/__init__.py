"""Durable, idempotent storage of write-backs and the API consumers read them with.

    from sense_writeback.store import open_store

    with open_store("writebacks.db", writer=False) as store:      # or "postgresql://..."
        for wb in store.iter_writebacks(after_seq=last_seq):    # seq order, resumable
            handle(wb.seq, wb.type, wb.document(), wb.entities)

Tables: ``writebacks`` (``seq``, ``receiver_id``, ``sense_id``, ``type``, ``version``,
``created_date``, ``received_at``, ``auth_mode``, ``raw``, ``body_sha256``, ``unknown_type``,
``newer_version``), ``writeback_entities`` (``seq``, ``role``, ``entity_type``, ``entity_id``) and
``writeback_conflicts`` (resends of a stored Sense id with another body).
"""
from __future__ import annotations

from sense_writeback.store.base import Store
from sense_writeback.store.records import (CONFLICT, DUPLICATE, STORED, Conflict, Incoming, Outcome, StoredWriteBack,
                                           body_hash, new_receiver_id, same_content)

__all__ = ["open_store", "is_database_url", "Store", "Incoming", "Outcome", "StoredWriteBack", "Conflict",
           "STORED", "DUPLICATE", "CONFLICT", "body_hash", "same_content", "new_receiver_id"]


def is_database_url(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://")) or "host=" in target or "dbname=" in target


def open_store(target: str, *, writer: bool = True, max_batch: int = 512) -> Store:
    """A SQLite file path or a PostgreSQL URL/DSN. ``writer=False`` opens for reading only."""
    if is_database_url(target):
        from sense_writeback.store.postgres import PostgresStore

        return PostgresStore(target, max_batch=max_batch, writer=writer)
    from sense_writeback.store.sqlite import SQLiteStore

    return SQLiteStore(target, max_batch=max_batch, writer=writer)
