"""PostgreSQL backend (psycopg 3), for several receivers behind a load balancer.

Each receiver process has one writer connection and group-commits like the SQLite backend. Every
batch first takes a transaction-scoped advisory lock, so batches of all replicas commit one after
the other and ``seq`` values become visible in increasing order: a consumer that reads
``seq > last`` never skips a row that commits later with a smaller ``seq``. Idempotence across
replicas comes from the unique ``sense_id`` (``ON CONFLICT DO NOTHING``).
"""
from __future__ import annotations

from contextlib import contextmanager

from sense_writeback.store.base import Store

ADVISORY_LOCK_KEY = 0x5E15E_0B

SCHEMA = """
CREATE TABLE IF NOT EXISTS writebacks (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    receiver_id TEXT NOT NULL UNIQUE,
    sense_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    version DOUBLE PRECISION NOT NULL,
    created_date TEXT NOT NULL,
    received_at TEXT NOT NULL,
    auth_mode TEXT NOT NULL,
    raw BYTEA NOT NULL,
    body_sha256 TEXT NOT NULL,
    unknown_type BOOLEAN NOT NULL DEFAULT FALSE,
    newer_version BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE IF NOT EXISTS writeback_entities (
    seq BIGINT NOT NULL REFERENCES writebacks(seq) ON DELETE CASCADE,
    role TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    PRIMARY KEY (seq, role, entity_type, entity_id)
);
CREATE INDEX IF NOT EXISTS writeback_entities_by_entity ON writeback_entities (entity_type, entity_id);
CREATE TABLE IF NOT EXISTS writeback_conflicts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sense_id TEXT NOT NULL,
    receiver_id TEXT NOT NULL,
    first_received_at TEXT NOT NULL,
    last_received_at TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    auth_mode TEXT NOT NULL,
    raw BYTEA NOT NULL,
    body_sha256 TEXT NOT NULL,
    UNIQUE (sense_id, body_sha256)
);
"""


class PostgresStore(Store):
    kind = "postgres"

    def __init__(self, dsn: str, max_batch: int = 512, writer: bool = True, connect_timeout: int = 10):
        import psycopg  # imported here: SQLite users need not load it

        self._psycopg = psycopg
        self.dsn = dsn
        self.connect_timeout = connect_timeout
        super().__init__(max_batch=max_batch, writer=writer)

    def _open(self, autocommit: bool = False):
        return self._psycopg.connect(self.dsn, autocommit=autocommit, connect_timeout=self.connect_timeout)

    def create_schema(self) -> None:
        with self._open(autocommit=True) as conn:
            # concurrent replicas starting together: one creates, the others wait for it
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
                for statement in filter(str.strip, SCHEMA.split(";")):
                    conn.execute(statement)

    def connect(self):
        return self._open()

    def convert(self, statement: str) -> str:
        return statement.replace("?", "%s")

    def begin(self, cursor) -> None:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))

    def recover(self, conn):
        if conn.closed or conn.broken:
            conn.close()
            return None
        conn.rollback()
        return conn

    @contextmanager
    def reader(self):
        conn = self._open(autocommit=True)
        try:
            yield conn
        finally:
            conn.close()
