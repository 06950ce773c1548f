"""The write loop: read Airbyte messages, route, normalise, validate, batch, and hand over to delivery.

Lines are parsed once with orjson; no protocol objects are built per record. Each record is
normalised and validated for its entity, serialised once, and appended to its entity's open batch.
Batches are handed to ``Delivery`` when full, when their oldest record is older than
``flush_interval_seconds``, before a STATE is queued (every record before a state must be accepted
before the state is echoed), and at the end; when several are flushed together they go in the
published entity order.
"""
from __future__ import annotations

import threading
import time
from typing import BinaryIO, Dict, Iterable, Optional, Tuple

import orjson

from destination_sense.batching import GzipBatch, Item, RecordTooLarge
from destination_sense.catalog import StreamKey, StreamRoute, stream_label
from destination_sense.config import SenseConfig
from destination_sense.delivery import Delivery
from destination_sense.entities import ENTITIES, Entity
from destination_sense.normalize import RecordNormalizer
from destination_sense.output import ProtocolOutput
from destination_sense.rejections import Rejections
from destination_sense.schema_check import compiled
from destination_sense.state import DeliveryCounts, ReadCounts
from destination_sense.stats import SyncStats
from destination_sense.errors import ConfigError

AGE_CHECK_EVERY = 1000  # records between checks of the clock on the reading thread


class StreamWriter:
    """Per configured stream: its route, normaliser and position counter."""

    __slots__ = ("route", "normalize", "validator", "position", "key")

    def __init__(self, route: StreamRoute, output: ProtocolOutput):
        self.route = route
        self.key = route.key
        label = route.label
        entity = route.entity

        def warn_unknown(field: str) -> None:
            output.warn(
                f"Stream '{label}': field '{field}' is not a field of Sense {entity.name}; it is dropped "
                f"from every record (Sense rejects unknown fields). This is logged once per stream and field."
            )

        self.normalize = RecordNormalizer(entity, warn_unknown)
        self.validator = compiled(entity.collection)
        self.position = 0


class SenseWriter:
    def __init__(
        self,
        config: SenseConfig,
        routes: Dict[StreamKey, StreamRoute],
        output: ProtocolOutput,
        delivery_factory,
        clock=time.monotonic,
    ):
        self.config = config
        self.output = output
        self.clock = clock
        self.stats = SyncStats(clock)
        self.rejections = Rejections(config.on_invalid_record, self.stats, output.warn)
        self.read_counts = ReadCounts()
        self.delivery_counts = DeliveryCounts()
        self.delivery: Delivery = delivery_factory(self.stats, self.rejections, self.delivery_counts)
        self.streams: Dict[StreamKey, StreamWriter] = {key: StreamWriter(route, output) for key, route in routes.items()}
        self.batches: Dict[str, Optional[GzipBatch]] = {e.collection: None for e in ENTITIES}
        self._ratio: Dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop_timer = threading.Event()
        self._timer = threading.Thread(target=self._tick, name="sense-flush-timer", daemon=True)

    # ------------------------------------------------------------------
    def run(self, lines: Iterable[bytes]) -> None:
        self._timer.start()
        try:
            self._consume(lines)
            with self._lock:
                self._flush_all()
            self.delivery.close()
        finally:
            self._stop_timer.set()
        for line in self.stats.summary_lines():
            self.output.info(line)

    def abort(self) -> None:
        self._stop_timer.set()

    def _consume(self, lines: Iterable[bytes]) -> None:
        since_check = 0
        lock = self._lock
        for line in lines:
            if not line or line.isspace():
                continue
            try:
                message = orjson.loads(line)
            except orjson.JSONDecodeError:
                self.output.warn(f"Ignoring an input line that is not JSON: {line[:200]!r}")
                continue
            kind = message.get("type") if isinstance(message, dict) else None
            with lock:
                if kind == "RECORD":
                    self._record(message.get("record") or {})
                    since_check += 1
                    if since_check >= AGE_CHECK_EVERY:
                        since_check = 0
                        self._flush_aged()
                elif kind == "STATE":
                    self._state(message.get("state") or {})
            if self.delivery.error is not None:
                raise self.delivery.error

    def _tick(self) -> None:
        """Background: flush batches that got too old while the input was idle; log progress."""
        interval = min(1.0, self.config.flush_interval_seconds / 4)
        while not self._stop_timer.wait(interval):
            try:
                with self._lock:
                    self._flush_aged()
                if self.stats.progress_due():
                    self.output.info(self.stats.progress_line())
            except BaseException:  # noqa: BLE001 - the reading thread reports delivery errors
                return

    # ------------------------------------------------------------------
    def _record(self, record: dict) -> None:
        key = (record.get("namespace") or None, record.get("stream") or "")
        writer = self.streams.get(key)
        if writer is None:
            raise ConfigError(
                f"Received a record for stream '{stream_label(key)}', which is not in the configured catalog."
            )
        writer.position += 1
        collection = writer.route.entity.collection
        self.read_counts.received[key] += 1
        self.stats[collection].received += 1
        data = record.get("data")
        if not isinstance(data, dict):
            self._reject(writer, collection, None, [(None, "the record has no data object")])
            return
        normalized, problems = writer.normalize(data)
        entity_id = normalized.get("id")
        problems += writer.validator.errors(normalized)
        if problems:
            self._reject(writer, collection, entity_id if isinstance(entity_id, str) else None, problems)
            return
        item = Item(orjson.dumps(normalized), entity_id, key, writer.position)
        self._append(writer, collection, item)

    def _append(self, writer: StreamWriter, collection: str, item: Item) -> None:
        batch = self.batches[collection]
        if batch is None:
            batch = self.batches[collection] = self._new_batch(collection)
        try:
            if batch.add(item):
                if len(batch) >= batch.max_records:
                    self._flush(collection)
                return
        except RecordTooLarge as exc:
            self._reject(writer, collection, item.entity_id, [(None, str(exc))])
            if not batch.items:
                self.batches[collection] = None
            return
        self._flush(collection)
        batch = self.batches[collection] = self._new_batch(collection)
        try:
            if not batch.add(item):  # pragma: no cover - an empty batch takes any record that fits alone
                raise AssertionError("an empty batch refused a record")
        except RecordTooLarge as exc:
            self.batches[collection] = None
            self._reject(writer, collection, item.entity_id, [(None, str(exc))])

    def _new_batch(self, collection: str) -> GzipBatch:
        return GzipBatch(
            collection,
            self.config.batch_size,
            self.config.max_batch_bytes,
            ratio_hint=self._ratio.get(collection, 0.35),
        )

    def _reject(self, writer: StreamWriter, collection: str, entity_id, problems) -> None:
        self.read_counts.rejected[writer.key] += 1
        self.rejections.reject(collection, writer.key, writer.position, entity_id, problems)

    def _state(self, state: dict) -> None:
        self._flush_all()
        self.delivery.submit(self.read_counts.marker(state))

    # ------------------------------------------------------------------
    def _flush(self, collection: str) -> None:
        batch = self.batches[collection]
        self.batches[collection] = None
        if batch is not None and batch.items:
            self._ratio[collection] = batch.ratio
            self.delivery.submit(batch)
        elif batch is not None and batch.superseded:  # pragma: no cover - superseded items always have a successor
            pass

    def _flush_all(self) -> None:
        for entity in ENTITIES:  # the published order
            self._flush(entity.collection)

    def _flush_aged(self) -> None:
        limit = self.config.flush_interval_seconds
        now = self.clock()
        aged = [e for e in ENTITIES if (b := self.batches[e.collection]) is not None and now - b.created_at >= limit]
        for entity in aged:
            self._flush(entity.collection)
