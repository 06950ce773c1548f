"""The reading loop: each input line through the record pipeline, numbered by the ledger, on to the scheduler.

Runs on the calling thread. Every input line ends as one of: a record passed to the scheduler, a
rejected record (``SyncLedger.reject``: counted in the next STATE's ``rejectedRecordCount``), a
STATE passed to the scheduler with the positions of its streams, a line counted and summarised
(``on_unreadable_line: skip``), or a failed sync. What the scheduler gets travels in chunks of about
``HANDOFF_BYTES`` or ``HANDOFF_ITEMS`` (one queue operation per chunk, not per record) and a timer thread passes on a
partly filled chunk with ``TICK`` about every second, so the scheduler's age limits hold while the
input is idle; the timer also logs the progress line.
"""
from __future__ import annotations

import threading
from typing import Iterable, List, Optional

from destination_sense.errors import InputError
from destination_sense.ledger import SyncLedger, state_scope
from destination_sense.output import ProtocolOutput
from destination_sense.records.item import Item
from destination_sense.records.pipeline import RecordPipeline, Rejected, SideRecord, State, Unreadable
from destination_sense.schedule.scheduler import END, TICK, StateMarker

#: Serialised bytes of records collected before a chunk is passed to the scheduler.
HANDOFF_BYTES = 128 * 1024
#: Items of any kind collected before a chunk is passed on (STATEs and side records weigh no bytes).
HANDOFF_ITEMS = 4096
#: Unreadable lines logged (with ``on_unreadable_line: skip``); the rest are counted.
MAX_UNREADABLE_LOGGED = 20


class Writer:
    def __init__(
        self,
        pipeline: RecordPipeline,
        ledger: SyncLedger,
        scheduler,
        output: ProtocolOutput,
        on_unreadable_line: str = "fail",
        tick_seconds: float = 1.0,
    ):
        self.pipeline = pipeline
        self.ledger = ledger
        self.scheduler = scheduler
        self.output = output
        self.on_unreadable_line = on_unreadable_line
        self.tick_seconds = tick_seconds
        self.unreadable_lines: List[int] = []  # line numbers of lines counted as unreadable (skip policy)
        self.chunk: list = []
        self.chunk_bytes = 0
        self._lock = threading.Lock()
        self._stop_timer = threading.Event()
        self._timer = threading.Thread(target=self._tick, name="sense-flush-timer", daemon=True)

    def run(self, lines: Iterable[bytes]) -> None:
        """Read every line and pass everything on (``END`` included).

        On a failure, what was read before it is passed on all the same (so the states before it
        can still be echoed) and the failure is raised.
        """
        self._timer.start()
        try:
            self._consume(lines)
        except BaseException:
            self._stop()
            try:
                self._hand_over(END)
            except BaseException:  # noqa: BLE001 - the original error is the one reported (a stage error fails again)
                pass
            raise
        self._stop()
        self._hand_over(END)

    def _stop(self) -> None:
        """Stop the timer (so nothing is passed on after END)."""
        self._stop_timer.set()
        self._timer.join()

    def summary_lines(self) -> List[str]:
        """The ledger's table, then what was counted but not delivered."""
        lines = self.ledger.summary_lines()
        lines.extend(self.pipeline.unknown_field_lines())
        if self.unreadable_lines:
            shown = ", ".join(str(n) for n in self.unreadable_lines[:MAX_UNREADABLE_LOGGED])
            more = ", …" if len(self.unreadable_lines) > MAX_UNREADABLE_LOGGED else ""
            lines.append(
                f"{len(self.unreadable_lines):,} input line(s) were not Airbyte messages that could be tied to a stream and were "
                f"skipped (on_unreadable_line: skip): line(s) {shown}{more}."
            )
        return lines

    # ------------------------------------------------------------------
    def _consume(self, lines: Iterable[bytes]) -> None:
        process = self.pipeline.process
        ledger = self.ledger
        receive = ledger.receive
        lock = self._lock
        number = 0
        for line in lines:
            number += 1
            outcome = process(line, number)
            cls = outcome.__class__
            with lock:
                if cls is Item:
                    outcome.position = receive(outcome.stream)
                    self.chunk.append(outcome)
                    self.chunk_bytes += len(outcome.data)
                    if self.chunk_bytes >= HANDOFF_BYTES or len(self.chunk) >= HANDOFF_ITEMS:
                        self._hand_over()
                elif cls is Rejected:
                    ledger.reject(outcome.stream, receive(outcome.stream), outcome.entity_id, outcome.problems, line)
                elif cls is State:
                    scope = state_scope(outcome.state)
                    self.chunk.append(StateMarker(outcome.state, scope, ledger.positions(scope)))
                    if len(self.chunk) >= HANDOFF_ITEMS:
                        self._hand_over()
                elif cls is SideRecord:
                    outcome.position = receive(outcome.stream)
                    self.chunk.append(outcome)
                    if len(self.chunk) >= HANDOFF_ITEMS:
                        self._hand_over()
                elif cls is Unreadable:
                    self._unreadable(number, line, outcome.reason)

    def _unreadable(self, number: int, line: bytes, reason: str) -> None:
        message = f"Input line {number} {reason}: {line[:120]!r}"
        if self.on_unreadable_line == "fail":
            raise InputError(message + " (on_unreadable_line is 'fail').")
        self.unreadable_lines.append(number)
        if len(self.unreadable_lines) <= MAX_UNREADABLE_LOGGED:
            self.output.warn(message + "; skipped and counted (on_unreadable_line: skip).")

    def _hand_over(self, signal: Optional[object] = None) -> None:
        chunk, self.chunk, self.chunk_bytes = self.chunk, [], 0
        if signal is not None:
            chunk.append(signal)
        if chunk:
            self.scheduler.submit(chunk)

    def _tick(self) -> None:
        """Background: pass on a partly filled chunk with TICK (the scheduler flushes what got too old); log progress."""
        while not self._stop_timer.wait(self.tick_seconds):
            try:
                with self._lock:
                    self._hand_over(TICK)
                if self.ledger.progress_due():
                    self.output.info(self.ledger.progress_line())
            except BaseException:  # noqa: BLE001 - the reading thread reports stage errors
                return
