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
from sense_writeback.forward.bullhorn_client import AuthFailed, BullhornClient, Permanent, Unreachable
from sense_writeback.forward.field_mapping import Unmappable, bullhorn_changes
from sense_writeback.forward.ledger import LeaseLost, Ledger
from sense_writeback.forward.note_content import NoPerson, external_id, plan_note
from sense_writeback.forward.settings import IGNORE, NOTE, NOTE_TYPES, ForwardSettings

log = logging.getLogger("sense_writeback.forward")

LEASE_SECONDS = 60.0  # more than twice the Bullhorn request timeout (30 s), see docs "Two forwarders"
STORAGE_RETRY_MAX = 30.0


class Parked(Exception):
    """A permanent reason not to forward this write-back (until it is replayed)."""


class Stopping(Exception):
    """SIGTERM/SIGINT while waiting: the current write-back stays first in line."""


class Forwarder:
    """Several forwarders may run on one database: one leads (holds the lease), the others wait and
    take over once its lease expires (it died, or lost its database). Every claim on Bullhorn work
    (``note_creating`` before a note is created, ``finish``) commits only under the lease, and every
    backoff renews it or stops this forwarder, so two forwarders never write the same note."""

    def __init__(self, store, client: BullhornClient, settings: ForwardSettings, lease_seconds: float = LEASE_SECONDS):
        self.store = store
        self.client = client
        self.settings = settings
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease_seconds = lease_seconds
        self.ledger = Ledger(store, owner=self.owner, lease_seconds=lease_seconds)
        self.stop_event = threading.Event()
        self.counts: Dict[str, int] = {}
        self.takeovers = 0

    # -- the loop --------------------------------------------------------------------------------
    def run(self, once: bool = False) -> None:
        """Forward until stopped (``once``: until nothing is left). Storage failures and a lost lease
        are waited out with backoff, never the end of the process."""
        delay = 1.0
        self.client.sleep = self._sleep_holding_lease  # Bullhorn's backoffs renew the lease (or end the lead)
        try:
            while not self.stop_event.is_set():
                try:
                    if self._lead(once):
                        return
                    delay = 1.0
                except LeaseLost as exc:
                    log.warning("%s; waiting to lead again", exc)
                except Stopping:
                    return
                except AuthFailed:
                    raise
                except Exception as exc:  # the database (or the network to it) failed: wait, then resume
                    log.error("storage unavailable (%s: %s); resuming in %.0f s from the last recorded write-back",
                              type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "", delay)
                    self.ledger.close()
                    if self.stop_event.wait(delay):
                        return
                    delay = min(delay * 2, STORAGE_RETRY_MAX)
        finally:
            try:
                self.ledger.release()
            except Exception:  # the lease then simply expires
                pass
            self.ledger.close()

    def _lead(self, once: bool) -> bool:
        """Wait for the lease, then forward; True when ``once`` and nothing is left, False when stopped."""
        waited = False
        while not self.ledger.claim():
            if not waited:
                log.info("another forwarder holds the lease; standing by")
                waited = True
            if self.stop_event.wait(min(self.lease_seconds / 3, 5.0)):
                return False
        if waited:
            self.takeovers += 1
            log.info("took over the lease; resuming after the last recorded write-back")
        renewed = time.monotonic()
        cursor = self.ledger.cursor()
        while not self.stop_event.is_set():
            page = self.store.read_page(cursor, self.settings.page_size)
            if not page:
                if once:
                    return True
                self.stop_event.wait(self.settings.poll_interval)
            for wb in page:
                if self.stop_event.is_set():
                    return False
                self._handle_until_done(wb)
                cursor = wb.seq
            if time.monotonic() - renewed > self.lease_seconds / 3:
                self.ledger.hold()
                renewed = time.monotonic()
        return False

    def _sleep_holding_lease(self, seconds: float) -> None:
        self.ledger.hold()
        if self.stop_event.wait(seconds):
            raise Stopping()
        self.ledger.hold()

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
                self._sleep_holding_lease(delay)
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
        # parked write-backs are no leading forwarder's work: replay runs beside one, without the lease
        self.ledger.close()
        self.ledger = Ledger(self.store)
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
