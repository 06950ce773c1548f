#!/usr/bin/env python3
"""Measure the operator console's read side on a large receiver database (SQLite): the time of the
write-back list's first page, a page deep in the history, each filter, the detail page's query and
the health panel's arrivals, with ``--rows`` stored write-backs (default 200,000).

    python bench/console_queries.py --rows 1000000

Rows go straight into the store through its group commit (as the receiver stores them), with
entity references and a forward result for most of them. Prints numbers; asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sense_writeback.console.queries import Filters, Queries
from sense_writeback.forward.ledger import Ledger
from sense_writeback.references import entity_references
from sense_writeback.store import Incoming, body_hash, new_receiver_id, open_store

TYPES = ("GENERIC_EVENT", "MESSAGING_INCOMING_MESSAGE", "ENGAGE_SENT_EVENT", "ENTITY_UPDATE")


def fill(store, rows: int, now: datetime) -> None:
    futures = []
    for i in range(rows):
        received = now - timedelta(seconds=(rows - i) * 172800 / rows)  # two days of history
        doc = {"id": f"wb-{i}", "type": TYPES[i % len(TYPES)], "version": 1.0,
               "created_date": received.isoformat(),
               "data": {"summary": f"Candidate {i} replied {'YES' if i % 97 == 0 else 'no'}",
                        "subject": {"id": str(1000 + i % 5000), "type": "AE_CANDIDATE"},
                        "associated_entities": [{"id": str(i % 800), "type": "AE_JOB_ORDER"}]}}
        raw = json.dumps(doc).encode()
        futures.append(store.submit(Incoming(
            receiver_id=new_receiver_id(), sense_id=doc["id"], type=doc["type"], version=1.0,
            created_date=doc["created_date"], received_at=received.isoformat(timespec="microseconds"),
            auth_mode="header_token", raw=raw, body_sha256=body_hash(raw), unknown_type=False, newer_version=False,
            references=tuple(entity_references(doc["data"])))))
        if len(futures) >= 5000:
            for future in futures:
                future.result(60)
            futures = []
    for future in futures:
        future.result(60)


def timed(label: str, work, repeat: int = 3) -> None:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - start) * 1000)
    size = len(result[0]) if isinstance(result, tuple) else len(result) if hasattr(result, "__len__") else ""
    print(f"{label:48s} {statistics.median(times):9.1f} ms  ({size} rows)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    now = datetime.now(timezone.utc)
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "wb.db")
        start = time.perf_counter()
        with open_store(path) as store:
            fill(store, args.rows, now)
            ledger = Ledger(store)
            for seq in range(1, args.rows // 2, 1000):  # the forwarder got through half, a few parked
                ledger.finish(seq, f"wb-{seq - 1}", "GENERIC_EVENT", "parked" if seq % 3 else "note", None, seq,
                              "", 1, reason="Bullhorn refused it: HTTP 400" if seq % 3 else None)
            ledger.close()
        print(f"filled {args.rows:,} write-backs in {time.perf_counter() - start:.1f} s")
        with open_store(path, writer=False) as store:
            queries = Queries(store)
            today = now.strftime("%Y-%m-%d")
            timed("list, first page", lambda: queries.writebacks(Filters()))
            timed("list, page at seq rows/2", lambda: queries.writebacks(Filters(before=args.rows // 2)))
            timed("filter type", lambda: queries.writebacks(Filters(type="ENTITY_UPDATE")))
            timed("filter received today", lambda: queries.writebacks(Filters(received_from=today, received_to=today)))
            timed("filter entity AE_CANDIDATE 1234", lambda: queries.writebacks(
                Filters(entity_type="AE_CANDIDATE", entity_id="1234")))
            timed("filter conflict (none exist)", lambda: queries.writebacks(Filters(conflict=True)))
            timed("filter summary text 'replied YES'", lambda: queries.writebacks(Filters(text="replied YES")))
            timed("filter summary text, no match (full scan)", lambda: queries.writebacks(Filters(text="nowhere")))
            timed("filter menus: types and entity types", lambda: queries.types() + queries.entity_types())
            timed("detail", lambda: [queries.detail(args.rows // 3)])
            timed("parked groups", lambda: queries.parked())
            timed("health: arrivals per minute, 24 h", lambda: list(queries.arrivals(now).values()), repeat=1)
            timed("health: backlog", lambda: [queries.backlog()])
    return 0


if __name__ == "__main__":
    sys.exit(main())
