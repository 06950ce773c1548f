"""PostgreSQL backend (psycopg 3), for several receivers behind a load balancer.

Each receiver process has one writer connection and group-commits like the SQLite backend. Every
batch first takes a transaction-scoped advisory lock, so batches of all replicas commit one after
the other and ``seq`` values become visible in increasing order: a consumer that reads
``seq > last`` never skips a row that commits later with a smaller ``seq``. Idempotence across
replicas comes from the unique ``sense_id`` (``ON CONFLICT DO NOTHING``). Migrations take the same
lock, so replicas starting together upgrade the database once.
"""
from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache

from sense_writeback.store.base import Store

ADVISORY_LOCK_KEY = 0x5E15E_0B


@lru_cache(maxsize=256)
def _pyformat(statement: str) -> str:
    """A ``?``-placeholder statement in psycopg's ``%s`` style (the shared SQL has no literal ``?``/``%``)."""
    return statement.replace("?", "%s")


class _Cursor:
    """A psycopg cursor that takes ``?`` placeholders."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor):
        self._cursor = cursor

    def execute(self, statement, params=None):
        return self._cursor.execute(_pyformat(statement), params)

    def executemany(self, statement, params_seq):
        return self._cursor.executemany(_pyformat(statement), params_seq)

    def fetchone(self):
        return self._cursor.fetchone()

    def fetchall(self):
        return self._cursor.fetchall()

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount


class PostgresStore(Store):
    kind = dialect = "postgres"

    def __init__(self, dsn: str, max_batch: int = 512, writer: bool = True, connect_timeout: int = 10):
        import psycopg  # imported here: SQLite users need not load it

        self._psycopg = psycopg
        self.dsn = dsn
        self.connect_timeout = connect_timeout
        super().__init__(max_batch=max_batch, writer=writer)

    def open_connection(self):
        return self._psycopg.connect(self.dsn, autocommit=True, connect_timeout=self.connect_timeout)

    def cursor_for(self, conn):
        return _Cursor(conn.cursor())

    @contextmanager
    def transaction(self, conn, serialise: bool = False):
        with conn.transaction():
            cursor = _Cursor(conn.cursor())
            if serialise:
                cursor.execute("SELECT pg_advisory_xact_lock(?)", (ADVISORY_LOCK_KEY,))
            yield cursor

    def recover(self, conn):
        if conn.closed or conn.broken:
            conn.close()
            return None
        return conn

    def table_exists(self, cursor, name: str) -> bool:
        cursor.execute("SELECT to_regclass(?) IS NOT NULL", (name,))
        return bool(cursor.fetchone()[0])

    def json_text(self, blob: str, *keys: str) -> str:
        path = "".join(f" -> '{key}'" for key in keys[:-1])
        return f"(convert_from({blob}, 'UTF8')::jsonb{path} ->> '{keys[-1]}')"

    def reason(self, exc: BaseException) -> str:
        text = super().reason(exc).replace(self.dsn, "<database url>")
        password = _password(self.dsn)
        return text.replace(password, "<password>") if password else text


def _password(dsn: str) -> str:
    try:
        from psycopg.conninfo import conninfo_to_dict

        return str(conninfo_to_dict(dsn).get("password") or "")
    except Exception:  # an unparsable DSN: its text is removed whole above
        return ""
