"""The outbox worker: stored write-backs → Bullhorn, in ``seq`` order, at least once, idempotent.

Loop: claim the lease, read the write-backs after the forwarder's cursor, handle each, and record
its result together with the new cursor. A transient failure (Bullhorn down, 429, 5xx, network)
keeps the write-back first in line and is retried with backoff: order is kept and nothing is
skipped. A permanent failure (Bullhorn refused the request, a field without a Bullhorn
counterpart, nothing to attach a note to, an unknown type) parks the write-back in
``forward_dead_letters`` with the reason and the worker moves on; ``replay`` resends parked ones.

Idempotence: a finished ``seq`` is never handled again; a note's Bullhorn id is recorded as soon
as Bullhorn answers, and a create that may have reached Bullhorn without an answer (a crash, a
timeout, a 5xx) is resolved by looking the note up by its ``externalID`` before creating another.
Associations already made are recorded; "already associated" counts as made.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from typing import Any, Dict, Optional, Tuple

from sense_api.bullhorn import stream_for_type
from sense_writeback.forward.bullhorn_client import BullhornClient, Permanent, Unreachable
from sense_writeback.forward.field_mapping import Unmappable, bullhorn_changes
from sense_writeback.forward.ledger import Ledger
from sense_writeback.forward.note_content import NoPerson, external_id, plan_note
from sense_writeback.forward.settings import IGNORE, NOTE, NOTE_TYPES, ForwardSettings

log = logging.getLogger("sense_writeback.forward")

LEASE_SECONDS = 30.0


class Parked(Exception):
    """A permanent reason not to forward this write-back (until it is replayed)."""


class Forwarder:
    def __init__(self, store, client: BullhornClient, settings: ForwardSettings):
        self.store = store
        self.client = client
        self.settings = settings
        self.ledger = Ledger(store)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stop_event = threading.Event()
        self.counts: Dict[str, int] = {}

    # -- the loop --------------------------------------------------------------------------------
    def run(self, once: bool = False) -> None:
        """Forward until stopped (``once``: until nothing is left)."""
        while not self.ledger.claim(self.owner, LEASE_SECONDS):
            log.info("another forwarder holds the lease; waiting")
            if self.stop_event.wait(LEASE_SECONDS / 3):
                return
        renewed = time.monotonic()
        try:
            cursor = self.ledger.cursor()
            while not self.stop_event.is_set():
                page = self.store.read_page(cursor, self.settings.page_size)
                if not page:
                    if once:
                        return
                    self.stop_event.wait(self.settings.poll_interval)
                else:
                    for wb in page:
                        if self.stop_event.is_set():
                            return
                        self._handle_until_done(wb)
                        cursor = wb.seq
                        if time.monotonic() - renewed > LEASE_SECONDS / 3:
                            if not self.ledger.claim(self.owner, LEASE_SECONDS):
                                raise RuntimeError("the forwarder lost its lease to another forwarder")
                            renewed = time.monotonic()
                if time.monotonic() - renewed > LEASE_SECONDS / 3:
                    self.ledger.claim(self.owner, LEASE_SECONDS)
                    renewed = time.monotonic()
        finally:
            self.ledger.release(self.owner)
            self.ledger.close()

    def _handle_until_done(self, wb) -> None:
        if self.ledger.finished(wb.seq):
            return
        attempts = 0
        delay = 0.2
        while True:
            attempts += 1
            try:
                outcome, entity, entity_id, detail = self.forward(wb)
            except Parked as exc:
                log.warning("write-back %s (seq %d, %s) parked: %s", wb.sense_id, wb.seq, wb.type, exc)
                self.ledger.finish(wb.seq, wb.sense_id, wb.type, "parked", None, None, "", attempts, reason=str(exc))
                self._count("parked")
                return
            except Unreachable as exc:
                log.warning("write-back %s (seq %d) not forwarded yet: %s; retrying in %.1f s", wb.sense_id, wb.seq,
                            exc, delay)
                if self.stop_event.wait(delay):
                    raise SystemExit(0)
                delay = min(delay * 2, 10.0)
                continue
            self.ledger.finish(wb.seq, wb.sense_id, wb.type, outcome, entity, entity_id, detail, attempts)
            self._count(outcome)
            return

    def _count(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1

    # -- one write-back --------------------------------------------------------------------------
    def forward(self, wb) -> Tuple[str, Optional[str], Any, str]:
        """``(outcome, Bullhorn entity, Bullhorn id, detail)``; raises ``Parked`` or ``Unreachable``."""
        try:
            doc = wb.document()
        except ValueError as exc:
            raise Parked(f"the stored body is not JSON: {exc}") from None
        data = doc.get("data") if isinstance(doc.get("data"), dict) else {}
        try:
            if wb.type in NOTE_TYPES:
                return self._note(wb, doc)
            if wb.type == "ENTITY_UPDATE":
                return self._update(data)
            if wb.type == "ENTITY_CREATE":
                entity = data.get("entity")
                if isinstance(entity, dict) and str(entity.get("id", "")).isdigit():
                    return self._update(data)
                return self._by_policy(wb, doc, self.settings.entity_create)
            if wb.type == "ENTITY_DELETE":
                return self._by_policy(wb, doc, self.settings.entity_delete)
        except Permanent as exc:
            raise Parked(f"Bullhorn refused it: {exc}") from None
        except (Unmappable, NoPerson) as exc:
            raise Parked(str(exc)) from None
        raise Parked(f"unknown write-back type {wb.type}: nothing is configured for it")

    def _by_policy(self, wb, doc, policy: str):
        if policy == IGNORE:
            return "ignored", None, None, f"{wb.type} ignored by configuration"
        if policy == NOTE:
            return self._note(wb, doc)
        raise Parked(f"no policy {policy!r} for {wb.type}")

    def _update(self, data: Dict[str, Any]):
        entity = data.get("entity") if isinstance(data.get("entity"), dict) else {}
        sense_type = entity.get("type") or data.get("entity_type")
        target = stream_for_type(str(sense_type))
        entity_id = str(entity.get("id", ""))
        if target is None:
            raise Parked(f"entity type {sense_type!r} has no Bullhorn entity")
        if not entity_id.isdigit():
            raise Parked(f"{sense_type} {entity_id!r} is not a Bullhorn id")
        name = target.bullhorn_entity
        body = bullhorn_changes(target.collection, data.get("fields") or [])
        if not body:
            raise Parked("no field changes")
        self.client.call("POST", f"entity/{name}/{entity_id}", body)
        return "update", name, int(entity_id), ",".join(sorted(body))

    def _note(self, wb, doc):
        plan = plan_note(doc, self.settings.action(wb.type), self.settings.default_commenting_person)
        record = self.ledger.note(wb.sense_id)
        note_id = record[1] if record else None
        done = list(record[2]) if record else []
        if note_id is None:
            if record is not None:  # 'creating': an earlier attempt may have created it
                found = self.client.call("GET", "search/Note",
                                         params={"query": f'externalID:"{external_id(wb.sense_id)}"', "fields": "id"})
                hits = found.get("data") or []
                if hits:
                    note_id = int(hits[0]["id"])
                    log.info("write-back %s: its note %d was already created; not creating another",
                             wb.sense_id, note_id)
            if note_id is None:
                self.ledger.note_creating(wb.sense_id)
                answer = self.client.call("PUT", "entity/Note", plan.body, idempotent=False)
                note_id = int(answer["changedEntityId"])
            self.ledger.note_created(wb.sense_id, note_id)
        for target in plan.associations:
            if list(target) in [list(d) for d in done]:
                continue
            try:
                self.client.call("PUT", "entity/NoteEntity", {"note": {"id": note_id}, "targetEntityName": target[0],
                                                              "targetEntityID": target[1]}, idempotent=False)
            except Permanent as exc:
                if "already associated" not in exc.message:
                    raise
            done.append(target)
        if plan.associations:  # one write for all; after a crash, "already associated" covers the rest
            self.ledger.association_done(wb.sense_id, done)
        detail = "; ".join(["attached: " + ", ".join(f"{e} {i}" for e, i in [("person", plan.body["personReference"]["id"])] + list(plan.associations))]
                           + (["not attached: " + "; ".join(plan.skipped)] if plan.skipped else []))
        return "note", "Note", note_id, detail

    # -- replay ----------------------------------------------------------------------------------
    def replay(self, seqs=None) -> Dict[str, int]:
        """Resend parked write-backs (all, or those ``seqs``): ``{"forwarded": n, "parked": m}``."""
        summary = {"forwarded": 0, "parked": 0, "missing": 0}
        for letter in self.ledger.dead_letters():
            if seqs and letter["seq"] not in seqs:
                continue
            wb = self.store.get(letter["sense_id"])
            if wb is None:
                summary["missing"] += 1
                continue
            while True:
                try:
                    outcome, entity, entity_id, detail = self.forward(wb)
                except Parked as exc:
                    self.ledger.repark(wb.seq, str(exc))
                    summary["parked"] += 1
                except Unreachable as exc:
                    log.warning("replay of %s waits: %s", wb.sense_id, exc)
                    time.sleep(1.0)
                    continue
                else:
                    self.ledger.replayed(wb.seq, outcome, entity, entity_id, detail)
                    summary["forwarded"] += 1
                break
        return summary
