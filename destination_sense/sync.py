"""``destination-sense write``: one whole sync, from stdin to Sense, without the Airbyte CDK.

This is the write path's composition root: ``write_lines`` builds each role, hands it its
collaborators and runs them for the length of the sync. The path of one record:

    reading thread:  Writer → RecordPipeline.process(line) → Item (or a rejection, in the SyncLedger)
    scheduler thread: EntityScheduler → the entity's GzipBatch → full / old / END → the sender's queue
    sender thread:   Sender → POST (413: split, learn the limit; 400: reject those records)
                     → SyncLedger.sent → a STATE behind it is echoed with its window's counts

Side streams go to their sinks (possible values, resume files), whose work the scheduler places in
the same order and the sender runs. The sync's outcomes (rejected records, per-record results, the
report, ``max_rejected_percent``) are kept by ``outcomes.SyncOutcomes``, a ledger observer. The write path needs none of the CDK (importing it costs ~1.5 s
per sync): the console script (``destination_sense.cli``) calls ``write_lines``.
"""
from __future__ import annotations

import os
import time
from typing import Any, Iterable, List, Mapping, Optional

from destination_sense import __version__
from destination_sense.catalog import routes_from_catalog, stream_label
from destination_sense.config import SenseConfig
from destination_sense.errors import SenseError
from destination_sense.ledger import LedgerObserver, SyncLedger
from destination_sense.outcomes.observer import OutcomesObserver
from destination_sense.outcomes.recorder import SyncOutcomes, derived_connection_id
from destination_sense.outcomes.settings import secrets_of
from destination_sense.outcomes.storage import open_store
from destination_sense.output import ProtocolOutput
from destination_sense.records.pipeline import RecordPipeline
from destination_sense.schedule.scheduler import EntityScheduler
from destination_sense.send.http_client import build_client
from destination_sense.send.retry import RetryPolicy
from destination_sense.send.sender import Sender
from destination_sense.sinks import build_sinks, split_catalog
from destination_sense.writer import Writer


def write_lines(
    config: Mapping[str, Any],
    catalog: Mapping[str, Any],
    lines: Iterable[bytes],
    output: ProtocolOutput,
    observers: Iterable[LedgerObserver] = (),
) -> int:
    """Run a whole write; returns the process exit code (0 on success). ``observers`` are added to the ledger."""
    secret = config.get("client_secret") if isinstance(config, Mapping) else None
    output.add_secret(secret if isinstance(secret, str) else None)
    for storage_secret in secrets_of(config):
        output.add_secret(storage_secret)
    writer = None
    outcomes: Optional[SyncOutcomes] = None
    started = time.monotonic()
    try:
        parsed = SenseConfig.from_mapping(config)
        table = parsed.mapping_table()
        catalog, side_routes = split_catalog(catalog, parsed.source_preset, table, parsed.epoch_unit)  # possible values, resumes
        routes = routes_from_catalog(catalog, table)
        output.info(
            f"destination-sense {__version__}: writing {len(routes) + len(side_routes)} stream(s) to {parsed.api_url} "
            f"(batches of at most {parsed.batch_size} records / {parsed.max_batch_bytes:,} compressed bytes, "
            f"flush after {parsed.flush_interval_seconds} s, invalid records: {parsed.on_invalid_record}"
            f"{', DRY RUN: nothing is sent' if parsed.dry_run else ''})."
        )
        for route in routes.values():
            output.info(f"Stream '{route.label}' → {route.entity.collection} ({route.sync_mode}).")
        for line in side_routes.describe():
            output.info(line)
        client = None if parsed.dry_run else build_client(parsed, output)
        ledger = SyncLedger(
            parsed.on_invalid_record, output.warn, token_counter=(lambda: client.tokens.requests_made) if client is not None else (lambda: 0)
        )
        for observer in observers:
            ledger.add_observer(observer)
        for key, route in routes.items():
            ledger.open_stream(key, route.entity.collection)
        outcomes = build_outcomes(parsed, [stream_label(key) for key in [*routes, *side_routes.streams]], output)
        ledger.add_observer(OutcomesObserver(outcomes, ledger, [key for key, route in routes.items() if route.is_soft_delete]))
        sinks = build_sinks(side_routes, ledger, output.info, output.warn)
        pipeline = RecordPipeline(
            routes,
            side_routes.streams,
            max_batch_bytes=parsed.max_batch_bytes,
            epoch_unit=parsed.epoch_unit,
            null_non_finite=parsed.non_finite_numbers == "null",
            warn=output.warn,
            keep_lines=bool(ledger.observers),
        )
        sender = Sender(client, output, ledger, parsed.max_batch_bytes, dry_run=parsed.dry_run)
        scheduler = EntityScheduler(
            sender,
            ledger,
            max_records=parsed.batch_size,
            max_bytes=parsed.max_batch_bytes,
            flush_interval=parsed.flush_interval_seconds,
            state_delay=parsed.state_delay_seconds,
            sinks=sinks,
        )
        tick = min(1.0, parsed.flush_interval_seconds / 4, (parsed.state_delay_seconds or 4) / 4)
        writer = Writer(pipeline, ledger, scheduler, output, parsed.on_unreadable_line, tick)
        outcomes.note_streams([*routes, *side_routes.streams])
        if client is not None:
            client.authenticate()  # bad credentials surface before any input is read
        outcomes.start()  # the first report: the outcomes storage is writable before any input is read
        with sender, scheduler:  # started in this order, closed in the reverse one
            writer.run(lines)
        outcomes.check()  # max_rejected_percent over the whole sync
        for line in writer.summary_lines() + outcomes.finish("succeeded"):
            output.info(line)
        return 0
    except SenseError as exc:
        _summarise(writer, outcomes, output, output.redact(str(exc)), exc.failure_type)
        output.error(str(exc))
        output.trace_error(str(exc), exc.failure_type, exc)
        return 1
    except Exception as exc:  # noqa: BLE001 - reported as a system error trace
        message = f"Unexpected error after {time.monotonic() - started:.0f} s: {type(exc).__name__}: {exc}"
        _summarise(writer, outcomes, output, output.redact(message), "system_error")
        output.error(message)
        output.trace_error(message, "system_error", exc)
        return 1


#: Set by the Airbyte platform in a connector's container: the job running the sync.
AIRBYTE_JOB_ID_VARIABLE = "WORKER_JOB_ID"


def build_outcomes(parsed: SenseConfig, stream_labels: List[str], output: ProtocolOutput) -> SyncOutcomes:
    """The sync's outcome recorder: the storage the config names (with the destination's retry policy), or none."""
    policy = RetryPolicy(max_elapsed=parsed.retry_max_seconds, max_retries=parsed.max_retries)
    store = open_store(parsed.outcomes.storage, policy, output.info)
    connection_id = derived_connection_id(parsed.api_url, parsed.client_id, stream_labels)
    return SyncOutcomes(parsed.outcomes, store, connection_id, redact=output.redact, job_id=os.environ.get(AIRBYTE_JOB_ID_VARIABLE))


def _summarise(writer: Optional[Writer], outcomes: Optional[SyncOutcomes], output: ProtocolOutput, message: str, failure_type: str) -> None:
    """After a failure: the summary of what was read and delivered before it, and where the outcomes are."""
    lines = writer.summary_lines() if writer is not None else []
    if outcomes is not None:
        lines += outcomes.finish("failed", {"message": message, "failure_type": failure_type})
    for line in lines:
        output.info(line)
