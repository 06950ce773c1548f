"""What the store raises when it cannot serve: ``StorageUnavailable`` (with a short reason, never a
secret) and its case ``SchemaTooNew`` (a database upgraded by a newer release, never written to)."""
from __future__ import annotations


class StorageUnavailable(RuntimeError):
    """The storage cannot be reached, is not at this release's schema version, or cannot be written."""


class SchemaTooNew(StorageUnavailable):
    """The database was upgraded by a newer release of sense-writeback; this one refuses it."""
