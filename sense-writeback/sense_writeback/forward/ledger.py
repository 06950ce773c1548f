"""The forwarder's tables, in the receiver's own database (SQLite or PostgreSQL).

- ``forward_results``: one row per write-back handled (``note``, ``update``, ``ignored`` or
  ``parked``), with the Bullhorn entity and id; written in the same transaction as the
  forwarder's cursor (``writeback_consumers`` row ``forwarder``), so a restart resumes exactly.
- ``forward_notes``: Sense id → Bullhorn note id, and the note's associations already made. The
  state ``creating`` is written *before* ``PUT entity/Note``: finding it on a retry means the
  create is in doubt, and the note is looked up by its ``externalID`` before another is created.
- ``forward_dead_letters``: parked write-backs with the reason (``sense-writeback replay``).
- ``forward_lease``: one forwarder at a time per database (see ``claim`` and ``hold``).
"""
from __future__ import annotations

import json
import time
from contextlib import ExitStack
from typing import Dict, List, Optional, Tuple

from sense_writeback.clock import utc_iso
from sense_writeback.store.feed import UPSERT_CURSOR, ensure_schema

CONSUMER = "forwarder"
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS forward_results (seq BIGINT PRIMARY KEY, sense_id TEXT NOT NULL, type TEXT NOT NULL, "
    "outcome TEXT NOT NULL, bullhorn_entity TEXT, bullhorn_id TEXT, detail TEXT, attempts INTEGER NOT NULL, "
    "finished_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS forward_notes (sense_id TEXT PRIMARY KEY, state TEXT NOT NULL, note_id BIGINT, "
    "associations TEXT NOT NULL, updated_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS forward_dead_letters (seq BIGINT PRIMARY KEY, sense_id TEXT NOT NULL, "
    "type TEXT NOT NULL, reason TEXT NOT NULL, attempts INTEGER NOT NULL, parked_at TEXT NOT NULL, replayed_at TEXT)",
    "CREATE TABLE IF NOT EXISTS forward_lease (name TEXT PRIMARY KEY, owner TEXT NOT NULL, "
    "expires_at DOUBLE PRECISION NOT NULL)",
)


class LeaseLost(RuntimeError):
    """Another forwarder holds the lease now: this one must stop writing (it waits to lead again)."""


class Ledger:
    """``owner``: the forwarder writing through this ledger; its claims on Bullhorn work (``finish``,
    ``note_creating``) are then fenced: they commit only while it holds the lease."""

    def __init__(self, store, owner: Optional[str] = None, lease_seconds: float = 60.0):
        self.store = store
        self.owner = owner
        self.lease_seconds = lease_seconds
        self._stack = ExitStack()
        self._conn = None
        ensure_schema(store)
        self._run(self._create)

    def _create(self, c) -> None:
        if self.store.kind == "postgres":  # one creator at a time (see store/feed.py ensure_schema)
            from sense_writeback.store.postgres import ADVISORY_LOCK_KEY

            c.execute("SELECT pg_advisory_xact_lock(?)", (ADVISORY_LOCK_KEY,))
        for statement in SCHEMA:
            c.execute(statement)

    def _connection(self):
        """One connection kept for the ledger (opened again after a failure)."""
        if self._conn is None:
            self._conn = self._stack.enter_context(self.store.reader())
        return self._conn

    def close(self) -> None:
        self._stack.close()
        self._conn = None

    def _run(self, work):
        conn = self._connection()
        try:
            if self.store.kind == "postgres":
                with conn.transaction():
                    return work(_Cursor(conn.cursor(), self.store.convert))
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = work(_Cursor(conn.cursor(), self.store.convert))
                conn.execute("COMMIT")
                return result
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except Exception:
            self.close()
            raise

    # -- lease -----------------------------------------------------------------------------------
    # One row; a forwarder leads while its row is unexpired. Taking it over is one conditional UPDATE
    # (or the first INSERT), so two forwarders racing for an expired lease cannot both win: under
    # PostgreSQL the second UPDATE waits for the first, then finds the condition false.
    def claim(self) -> bool:
        """Take or renew the lease; False while another forwarder holds it."""
        def work(c):
            now = time.time()
            c.execute("UPDATE forward_lease SET owner = ?, expires_at = ? WHERE name = ? AND (owner = ? OR expires_at < ?)",
                      (self.owner, now + self.lease_seconds, CONSUMER, self.owner, now))
            if c.rowcount == 1:
                return True
            c.execute("INSERT INTO forward_lease (name, owner, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
                      (CONSUMER, self.owner, now + self.lease_seconds))
            return c.rowcount == 1
        return self._run(work)

    def _hold(self, c) -> None:
        """Inside a transaction: renew the lease, or raise ``LeaseLost`` (the transaction then rolls back)."""
        if self.owner is None:
            return
        now = time.time()
        c.execute("UPDATE forward_lease SET expires_at = ? WHERE name = ? AND owner = ? AND expires_at >= ?",
                  (now + self.lease_seconds, CONSUMER, self.owner, now))
        if c.rowcount != 1:
            raise LeaseLost("this forwarder's lease expired or was taken over")

    def hold(self) -> None:
        """Renew the lease now, or raise ``LeaseLost``."""
        self._run(self._hold)

    def release(self) -> None:
        self._run(lambda c: c.execute("DELETE FROM forward_lease WHERE name = ? AND owner = ?", (CONSUMER, self.owner)))

    # -- progress --------------------------------------------------------------------------------
    def cursor(self) -> int:
        def work(c):
            c.execute("SELECT cursor_seq FROM writeback_consumers WHERE name = ?", (CONSUMER,))
            row = c.fetchone()
            return int(row[0]) if row else 0
        return self._run(work)

    def finished(self, seq: int) -> bool:
        def work(c):
            c.execute("SELECT 1 FROM forward_results WHERE seq = ?", (seq,))
            return c.fetchone() is not None
        return self._run(work)

    def finish(self, seq: int, sense_id: str, type_: str, outcome: str, entity: Optional[str], entity_id,
               detail: str, attempts: int, reason: Optional[str] = None) -> None:
        """Record the result (and a dead letter when parked) and move the cursor, in one transaction."""
        def work(c):
            self._hold(c)
            now = utc_iso()
            c.execute("INSERT INTO forward_results (seq, sense_id, type, outcome, bullhorn_entity, bullhorn_id, detail, "
                      "attempts, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (seq) DO UPDATE SET "
                      "outcome = excluded.outcome, bullhorn_entity = excluded.bullhorn_entity, bullhorn_id = "
                      "excluded.bullhorn_id, detail = excluded.detail, attempts = excluded.attempts, finished_at = "
                      "excluded.finished_at",
                      (seq, sense_id, type_, outcome, entity, None if entity_id is None else str(entity_id), detail,
                       attempts, now))
            if reason is not None:
                c.execute("INSERT INTO forward_dead_letters (seq, sense_id, type, reason, attempts, parked_at) "
                          "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (seq) DO UPDATE SET reason = excluded.reason, "
                          "attempts = forward_dead_letters.attempts + 1, parked_at = excluded.parked_at, "
                          "replayed_at = NULL", (seq, sense_id, type_, reason, attempts, now))
            c.execute(UPSERT_CURSOR, (CONSUMER, seq, now))
        self._run(work)

    def replayed(self, seq: int, outcome: str, entity: Optional[str], entity_id, detail: str) -> None:
        def work(c):
            now = utc_iso()
            c.execute("UPDATE forward_results SET outcome = ?, bullhorn_entity = ?, bullhorn_id = ?, detail = ?, "
                      "finished_at = ? WHERE seq = ?",
                      (outcome, entity, None if entity_id is None else str(entity_id), detail, now, seq))
            c.execute("UPDATE forward_dead_letters SET replayed_at = ? WHERE seq = ?", (now, seq))
        self._run(work)

    def repark(self, seq: int, reason: str) -> None:
        self._run(lambda c: c.execute("UPDATE forward_dead_letters SET reason = ?, attempts = attempts + 1, "
                                      "parked_at = ? WHERE seq = ?", (reason, utc_iso(), seq)))

    def dead_letters(self, include_replayed: bool = False) -> List[Dict]:
        def work(c):
            c.execute("SELECT seq, sense_id, type, reason, attempts, parked_at, replayed_at FROM forward_dead_letters "
                      + ("" if include_replayed else "WHERE replayed_at IS NULL ") + "ORDER BY seq")
            names = ("seq", "sense_id", "type", "reason", "attempts", "parked_at", "replayed_at")
            return [dict(zip(names, row)) for row in c.fetchall()]
        return self._run(work)

    def results(self) -> List[Dict]:
        def work(c):
            c.execute("SELECT seq, sense_id, type, outcome, bullhorn_entity, bullhorn_id, detail, attempts "
                      "FROM forward_results ORDER BY seq")
            names = ("seq", "sense_id", "type", "outcome", "bullhorn_entity", "bullhorn_id", "detail", "attempts")
            return [dict(zip(names, row)) for row in c.fetchall()]
        return self._run(work)

    # -- notes -----------------------------------------------------------------------------------
    def note(self, sense_id: str) -> Optional[Tuple[str, Optional[int], List[Tuple[str, int]]]]:
        def work(c):
            c.execute("SELECT state, note_id, associations FROM forward_notes WHERE sense_id = ?", (sense_id,))
            row = c.fetchone()
            if row is None:
                return None
            return row[0], row[1], [tuple(a) for a in json.loads(row[2])]
        return self._run(work)

    def note_creating(self, sense_id: str) -> None:
        """Before ``PUT entity/Note``: fenced, so that a forwarder that lost its lease creates nothing."""
        def work(c):
            self._hold(c)
            c.execute("INSERT INTO forward_notes (sense_id, state, note_id, associations, updated_at) VALUES (?, "
                      "'creating', NULL, '[]', ?) ON CONFLICT (sense_id) DO NOTHING", (sense_id, utc_iso()))
        self._run(work)

    def note_created(self, sense_id: str, note_id: int) -> None:
        self._run(lambda c: c.execute("UPDATE forward_notes SET state = 'created', note_id = ?, updated_at = ? "
                                      "WHERE sense_id = ?", (note_id, utc_iso(), sense_id)))

    def association_done(self, sense_id: str, done: List[Tuple[str, int]]) -> None:
        self._run(lambda c: c.execute("UPDATE forward_notes SET associations = ?, updated_at = ? WHERE sense_id = ?",
                                      (json.dumps([list(a) for a in done]), utc_iso(), sense_id)))


class _Cursor:
    """A DB-API cursor whose statements use ``?`` on both backends."""

    def __init__(self, cursor, convert):
        self._cursor = cursor
        self._convert = convert

    def execute(self, statement, params=()):
        return self._cursor.execute(self._convert(statement), params)

    def fetchone(self):
        return self._cursor.fetchone()

    def fetchall(self):
        return self._cursor.fetchall()

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount
