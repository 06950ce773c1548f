"""What the console reads from the receiver's database (read-only, both backends).

Written against the tables the store owns (``writebacks``, ``writeback_entities``,
``writeback_conflicts``, ``writeback_consumers``) and the forwarder's ledger (``forward_results``,
``forward_dead_letters``, ``forward_notes``), with ``?`` placeholders converted by the store. The
one dialect difference (reading the summary out of the stored body for the free-text filter) is
``_SUMMARY`` below. Paging is by ``seq`` (keyset), so a page costs the same at row 10 and at
row 10 million.
"""
from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Sequence, Tuple

PAGE_SIZE = 50
FORWARDER = "forwarder"
MENU_SECONDS = 60.0  # how long the filter menus' type lists are reused
ARRIVAL_SLACK = timedelta(minutes=10)  # receive times may step back this much as seq grows (replica clocks)

#: The summary of a stored body, as text, per backend (``Store.kind``).
_SUMMARY = {
    "sqlite": "json_extract(CAST(w.raw AS TEXT), '$.data.summary')",
    "postgres": "(convert_from(w.raw, 'UTF8')::jsonb -> 'data' ->> 'summary')",
}


@dataclass
class Filters:
    """The write-back list's filters (all optional; combined with AND)."""

    type: str = ""
    received_from: str = ""  # YYYY-MM-DD (UTC day, inclusive)
    received_to: str = ""  # YYYY-MM-DD (UTC day, inclusive)
    entity_type: str = ""
    entity_id: str = ""
    unknown_type: bool = False
    newer_version: bool = False
    conflict: bool = False
    text: str = ""
    before: Optional[int] = None  # paging: rows with a smaller seq

    @classmethod
    def from_query(cls, query: Dict[str, str]) -> "Filters":
        def text(name: str, limit: int = 200) -> str:
            return (query.get(name) or "").strip()[:limit]

        before = query.get("before") or ""
        return cls(type=text("type", 100), received_from=_day(text("from")), received_to=_day(text("to")),
                   entity_type=text("entity_type", 100), entity_id=text("entity_id", 100),
                   unknown_type=query.get("unknown_type") == "1", newer_version=query.get("newer_version") == "1",
                   conflict=query.get("conflict") == "1", text=text("q"),
                   before=int(before) if before.isdigit() else None)

    def as_query(self, **changes) -> Dict[str, str]:
        """The filters as query parameters (for links to the next page)."""
        values = {"type": self.type, "from": self.received_from, "to": self.received_to,
                  "entity_type": self.entity_type, "entity_id": self.entity_id,
                  "unknown_type": "1" if self.unknown_type else "", "newer_version": "1" if self.newer_version else "",
                  "conflict": "1" if self.conflict else "", "q": self.text}
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in ("", None)}


def _day(value: str) -> str:
    try:
        return datetime.strptime(value, "%Y-%m-%d").strftime("%Y-%m-%d")
    except ValueError:
        return ""


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass
class Row:
    seq: int
    receiver_id: str
    sense_id: str
    type: str
    created_date: str
    received_at: str
    unknown_type: bool
    newer_version: bool
    conflicts: int
    outcome: Optional[str]
    bullhorn_entity: Optional[str]
    bullhorn_id: Optional[str]
    reason: Optional[str]

    @property
    def forward_status(self) -> str:
        """``forwarded as note N`` / ``update of Candidate 5`` / ``parked: reason`` / ``ignored`` / ``pending``."""
        if self.outcome is None:
            return "pending"
        if self.outcome == "note":
            return f"forwarded as note {self.bullhorn_id}"
        if self.outcome == "update":
            return f"update of {self.bullhorn_entity} {self.bullhorn_id}"
        if self.outcome == "parked":
            return f"parked: {self.reason or 'no reason recorded'}"
        return self.outcome

    @property
    def status_kind(self) -> str:
        return {None: "pending", "note": "forwarded", "update": "forwarded"}.get(self.outcome, self.outcome)


_ROW_COLUMNS = ("w.seq, w.receiver_id, w.sense_id, w.type, w.created_date, w.received_at, w.unknown_type, "
                "w.newer_version, (SELECT COUNT(*) FROM writeback_conflicts c WHERE c.sense_id = w.sense_id), "
                "r.outcome, r.bullhorn_entity, r.bullhorn_id, d.reason")
_ROW_FROM = ("FROM writebacks w LEFT JOIN forward_results r ON r.seq = w.seq "
             "LEFT JOIN forward_dead_letters d ON d.seq = w.seq AND d.replayed_at IS NULL")


def _rows(cursor) -> List[Row]:
    return [Row(seq=r[0], receiver_id=r[1], sense_id=r[2], type=r[3], created_date=r[4], received_at=r[5],
                unknown_type=bool(r[6]), newer_version=bool(r[7]), conflicts=int(r[8]), outcome=r[9],
                bullhorn_entity=r[10], bullhorn_id=None if r[11] is None else str(r[11]), reason=r[12])
            for r in cursor.fetchall()]


def _where(filters: Filters, kind: str) -> Tuple[str, List[Any]]:
    """The WHERE clause of the list and its parameters: one ``(applies, clause, value)`` per filter."""
    entity = [(filters.entity_type, "e.entity_type = ?"), (filters.entity_id, "e.entity_id = ?")]
    entity_clause = " AND ".join(clause for value, clause in entity if value)
    conditions = [
        (filters.type, "w.type = ?", filters.type),
        (filters.received_from, "w.received_at >= ?", filters.received_from),
        (filters.received_to, "w.received_at < ?", _next_day(filters.received_to)),
        # IN (...): the (entity_type, entity_id) index finds the rows
        (entity_clause, f"w.seq IN (SELECT e.seq FROM writeback_entities e WHERE {entity_clause})",
         [value for value, _ in entity if value]),
        # a bound True: an integer on SQLite, a boolean on PostgreSQL
        (filters.unknown_type, "w.unknown_type = ?", True),
        (filters.newer_version, "w.newer_version = ?", True),
        (filters.conflict, "w.sense_id IN (SELECT c2.sense_id FROM writeback_conflicts c2)", []),
        (filters.text, f"lower({_SUMMARY[kind]}) LIKE ? ESCAPE '\\'", _like(filters.text)),
        (filters.before is not None, "w.seq < ?", filters.before),
    ]
    clauses: List[str] = []
    params: List[Any] = []
    for applies, clause, value in conditions:
        if applies:
            clauses.append(clause)
            params.extend(value if isinstance(value, list) else [value])
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _next_day(day: str) -> str:
    if not day:
        return ""
    return (datetime.strptime(day, "%Y-%m-%d") + timedelta(days=1)).strftime("%Y-%m-%d")


class Queries:
    """The console's read side over one store. Its only contact with the store's API is ``connection``
    and ``_execute`` (a reader connection; a cursor taking ``?`` placeholders)."""

    def __init__(self, store):
        self.store = store
        self._local = threading.local()  # pages render in a thread pool: one connection per thread and page
        self._menus: Dict[str, Tuple[float, List[str]]] = {}

    @contextmanager
    def connection(self):
        """One reader connection for every query of the block (the queries inside reuse it)."""
        if getattr(self._local, "conn", None) is not None:
            yield self._local.conn
            return
        with self.store.reader() as conn:
            self._local.conn = conn
            try:
                yield conn
            finally:
                self._local.conn = None

    def _execute(self, statement: str, params: Sequence[Any] = ()):
        """A cursor of this block's connection after running ``statement`` (``?`` placeholders)."""
        cursor = self._local.conn.cursor()
        cursor.execute(self.store.convert(statement), tuple(params))
        return cursor

    def _all(self, statement: str, params: Sequence[Any] = ()) -> List[tuple]:
        with self.connection():
            return self._execute(statement, params).fetchall()

    # -- write-backs -----------------------------------------------------------------------------
    def writebacks(self, filters: Filters, limit: int = PAGE_SIZE) -> Tuple[List[Row], Optional[int]]:
        """One page, newest first, and the ``before`` value of the next page (None on the last)."""
        where, params = _where(filters, self.store.kind)
        statement = f"SELECT {_ROW_COLUMNS} {_ROW_FROM}{where} ORDER BY w.seq DESC LIMIT ?"
        with self.connection():
            rows = _rows(self._execute(statement, (*params, limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        return rows, (rows[-1].seq if more else None)

    def types(self) -> List[str]:
        """The types stored (for the filter's menu; a full scan, so kept for ``MENU_SECONDS``)."""
        return self._menu("types", "SELECT DISTINCT type FROM writebacks ORDER BY type")

    def entity_types(self) -> List[str]:
        return self._menu("entity_types", "SELECT DISTINCT entity_type FROM writeback_entities ORDER BY entity_type")

    def _menu(self, name: str, statement: str) -> List[str]:
        cached = self._menus.get(name)
        now = time.monotonic()
        if cached is None or now - cached[0] > MENU_SECONDS:
            cached = self._menus[name] = (now, [r[0] for r in self._all(statement)])
        return cached[1]

    def row(self, seq: int) -> Optional[Row]:
        with self.connection():
            rows = _rows(self._execute(f"SELECT {_ROW_COLUMNS} {_ROW_FROM} WHERE w.seq = ?", (seq,)))
        return rows[0] if rows else None

    def detail(self, seq: int) -> Optional[Dict[str, Any]]:
        """Everything the detail page shows about one stored write-back."""
        with self.connection():
            return self._detail(seq)

    def _detail(self, seq: int) -> Optional[Dict[str, Any]]:
        row = self.row(seq)
        if row is None:
            return None
        raw = bytes(self._all("SELECT raw FROM writebacks WHERE seq = ?", (seq,))[0][0])
        other = self._all("SELECT version, auth_mode, body_sha256 FROM writebacks WHERE seq = ?", (seq,))[0]
        entities = self._all("SELECT role, entity_type, entity_id FROM writeback_entities WHERE seq = ? "
                             "ORDER BY role, entity_type, entity_id", (seq,))
        conflicts = [
            {"received_first": c[0], "received_last": c[1], "attempts": c[2], "auth_mode": c[3],
             "body_sha256": c[4], "raw": pretty(bytes(c[5]))}
            for c in self._all("SELECT first_received_at, last_received_at, attempts, auth_mode, body_sha256, raw "
                               "FROM writeback_conflicts WHERE sense_id = ? ORDER BY id", (row.sense_id,))]
        results = self._all("SELECT outcome, bullhorn_entity, bullhorn_id, detail, attempts, finished_at "
                            "FROM forward_results WHERE seq = ?", (seq,))
        letters = self._all("SELECT reason, attempts, parked_at, replayed_at FROM forward_dead_letters WHERE seq = ?",
                            (seq,))
        notes = self._all("SELECT state, note_id, associations, updated_at FROM forward_notes WHERE sense_id = ?",
                          (row.sense_id,))
        return {
            "row": row, "raw": pretty(raw), "fields": parsed_fields(raw), "version": other[0],
            "auth_mode": other[1], "body_sha256": other[2], "entities": entities, "conflicts": conflicts,
            "result": dict(zip(("outcome", "bullhorn_entity", "bullhorn_id", "detail", "attempts", "finished_at"),
                               results[0])) if results else None,
            "dead_letter": dict(zip(("reason", "attempts", "parked_at", "replayed_at"), letters[0])) if letters else None,
            "note": dict(zip(("state", "note_id", "associations", "updated_at"), notes[0])) if notes else None,
        }

    # -- parked ----------------------------------------------------------------------------------
    def parked(self) -> List[Tuple[str, List[Dict[str, Any]]]]:
        """Parked write-backs not replayed yet, grouped by reason (largest group first)."""
        rows = self._all("SELECT d.seq, d.sense_id, d.type, d.reason, d.attempts, d.parked_at, w.received_at "
                         "FROM forward_dead_letters d LEFT JOIN writebacks w ON w.seq = d.seq "
                         "WHERE d.replayed_at IS NULL ORDER BY d.seq")
        groups: Dict[str, List[Dict[str, Any]]] = {}
        for seq, sense_id, type_, reason, attempts, parked_at, received_at in rows:
            groups.setdefault(reason, []).append({"seq": seq, "sense_id": sense_id, "type": type_,
                                                  "attempts": attempts, "parked_at": parked_at,
                                                  "received_at": received_at})
        return sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))

    def parked_seqs(self, reason: str) -> List[int]:
        return [r[0] for r in self._all("SELECT seq FROM forward_dead_letters WHERE replayed_at IS NULL AND reason = ? "
                                        "ORDER BY seq", (reason,))]

    # -- health ----------------------------------------------------------------------------------
    def arrivals(self, now: datetime, hours: int = 24) -> Dict[str, List[int]]:
        """Write-backs received per minute by type over the last ``hours`` (oldest minute first)."""
        start = (now - timedelta(hours=hours)).replace(second=0, microsecond=0) + timedelta(minutes=1)
        minutes = hours * 60
        first = self._first_seq_received_after(start - ARRIVAL_SLACK)
        rows = self._all("SELECT type, substr(received_at, 1, 16), COUNT(*) FROM writebacks WHERE seq >= ? AND "
                         "received_at >= ? GROUP BY type, substr(received_at, 1, 16)", (first, start.isoformat()))
        series: Dict[str, List[int]] = {}
        for type_, minute, count in rows:
            index = int((datetime.fromisoformat(minute).replace(tzinfo=timezone.utc) - start).total_seconds() // 60)
            if 0 <= index < minutes:
                series.setdefault(type_, [0] * minutes)[index] += int(count)
        return dict(sorted(series.items()))

    def backlog(self) -> Dict[str, Any]:
        """Write-backs the forwarder has not handled yet, and the received time of the oldest."""
        cursor = self._all("SELECT cursor_seq FROM writeback_consumers WHERE name = ?", (FORWARDER,))
        after = int(cursor[0][0]) if cursor else 0
        count = self._all("SELECT COUNT(*) FROM writebacks WHERE seq > ?", (after,))[0][0]
        oldest = self._all("SELECT received_at FROM writebacks WHERE seq > ? ORDER BY seq LIMIT 1", (after,))
        oldest = oldest[0][0] if oldest else None
        return {"pending": int(count), "oldest_received_at": oldest, "forwarder_cursor": after,
                "forwarder_seen": bool(cursor)}

    def _first_seq_received_after(self, moment: datetime) -> int:
        """The smallest ``seq`` received at or after ``moment``, by binary search over ``seq`` (no index on
        ``received_at`` is needed: ``seq`` grows with the receive time, up to the clock differences
        between replicas, which ``ARRIVAL_SLACK`` covers)."""
        with self.connection():
            bounds = self._execute("SELECT MIN(seq), MAX(seq) FROM writebacks").fetchone()
            if bounds[0] is None:
                return 0
            low, high = int(bounds[0]), int(bounds[1]) + 1
            target = moment.isoformat()
            while low < high:
                middle = (low + high) // 2
                row = self._execute("SELECT seq, received_at FROM writebacks WHERE seq >= ? ORDER BY seq LIMIT 1",
                                    (middle,)).fetchone()
                if row is None or row[1] >= target:
                    high = middle
                else:
                    low = int(row[0]) + 1
            return low

    def parked_count(self) -> int:
        return int(self._all("SELECT COUNT(*) FROM forward_dead_letters WHERE replayed_at IS NULL")[0][0])


def pretty(raw: bytes) -> str:
    """A stored body pretty-printed (as received when it is not JSON)."""
    try:
        return json.dumps(json.loads(raw), indent=2, ensure_ascii=False, sort_keys=False)
    except ValueError:
        return raw.decode("utf-8", "replace")


def parsed_fields(raw: bytes) -> List[Tuple[str, str]]:
    """Every leaf of the body as ``(path, value)`` (``data.sms[0].body``), values as JSON text."""
    try:
        doc = json.loads(raw)
    except ValueError:
        return []
    out: List[Tuple[str, str]] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict) and value:
            for key, item in value.items():
                walk(item, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list) and value:
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")
        else:
            out.append((path, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)))

    walk(doc, "")
    return out


@dataclass
class Latency:
    """Quantiles estimated from a Prometheus histogram's cumulative buckets (as histogram_quantile does)."""

    buckets: List[Tuple[float, float]] = field(default_factory=list)  # (upper bound, cumulative count)

    @property
    def count(self) -> float:
        return self.buckets[-1][1] if self.buckets else 0.0

    def quantile(self, q: float) -> Optional[float]:
        total = self.count
        if not total:
            return None
        rank = q * total
        lower_bound, lower_count = 0.0, 0.0
        for bound, count in self.buckets:
            if count >= rank:
                if bound == float("inf"):
                    return lower_bound
                if count == lower_count:
                    return bound
                return lower_bound + (bound - lower_bound) * (rank - lower_count) / (count - lower_count)
            lower_bound, lower_count = bound, count
        return lower_bound
