"""``destination-sense write``: one whole sync, from stdin to Sense, without the Airbyte CDK.

This is the write path's composition root: ``write_lines`` builds the statistics, the rejection
policy, the client, the delivery and batching stages and the reader, passes each its collaborators
and runs the stages for the length of the sync:

    reader (this thread) → batching (compress, fill batches) → delivery (POST, echo states)

The write path needs none of the CDK (importing it costs ~1.5 s per sync): the console script
dispatches ``write`` here (``destination_sense.cli``); no command imports the CDK.
"""
from __future__ import annotations

import time
from typing import Any, Dict, Iterable, List, Mapping, Optional


from destination_sense import __version__
from destination_sense.auth import TokenProvider
from destination_sense.batcher import Batcher
from destination_sense.byte_limits import ByteLimits
from destination_sense.catalog import routes_from_catalog, stream_label
from destination_sense.config import SenseConfig
from destination_sense.delivery import Delivery
from destination_sense.errors import SenseError
from destination_sense.gzip_batch import DEFAULT_LEVEL
from destination_sense.http_client import SenseClient
from destination_sense.outcomes.recorder import SyncOutcomes, derived_connection_id
from destination_sense.outcomes.settings import secrets_of
from destination_sense.outcomes.storage import open_store
from destination_sense.output import ProtocolOutput
from destination_sense.reader import Reader
from destination_sense.rejections import Rejections
from destination_sense.retry import RetryPolicy
from destination_sense.side_streams import split_catalog
from destination_sense.state_counts import DeliveryCounts
from destination_sense.sync_stats import SyncStats


def main(args: List[str]) -> int:
    """``write --config CONFIG --catalog CATALOG`` with the Airbyte protocol on stdin (see ``destination_sense.cli``)."""
    from destination_sense.cli import main as cli_main

    return cli_main(["write", *args])


def build_client(config: SenseConfig, output: Optional[ProtocolOutput], policy: Optional[RetryPolicy] = None) -> SenseClient:
    policy = policy or RetryPolicy(max_elapsed=config.retry_max_seconds, max_retries=config.max_retries)
    on_token = output.add_secret if output is not None else None
    log = output.info if output is not None else (lambda message: None)
    warn = output.warn if output is not None else (lambda message: None)
    tokens = TokenProvider(config.token_url, config.client_id, config.client_secret, on_new_token=on_token, warn=warn)
    return SenseClient(config.api_url, tokens, policy=policy, log=log)


def write_lines(config: Mapping[str, Any], catalog: Mapping[str, Any], lines: Iterable[bytes], output: ProtocolOutput) -> int:
    """Run a whole write; returns the process exit code (0 on success)."""
    secret = config.get("client_secret") if isinstance(config, Mapping) else None
    output.add_secret(secret if isinstance(secret, str) else None)
    for storage_secret in secrets_of(config):
        output.add_secret(storage_secret)
    reader = None
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
        stats = SyncStats(token_counter=(lambda: client.tokens.requests_made) if client is not None else (lambda: 0))
        side_keys = [*side_routes.possible_values, *side_routes.resumes]
        outcomes = build_outcomes(parsed, [stream_label(key) for key in [*routes, *side_keys]], output)
        rejections = Rejections(parsed.on_invalid_record, stats, output.warn, outcomes)
        counts = DeliveryCounts()
        limits = ByteLimits(parsed.max_batch_bytes)
        delivery = Delivery(client, output, stats, rejections, counts, dry_run=parsed.dry_run, limits=limits, outcomes=outcomes)
        batcher = Batcher(delivery, rejections, counts, parsed.batch_size, parsed.max_batch_bytes, DEFAULT_LEVEL, limits)
        reader = Reader(parsed, routes, output, batcher, stats, rejections, side_routes=side_routes)
        outcomes.attach(reader.received, {key: _outcome_name(route) for key, route in routes.items()}, lambda: entity_counts(stats))
        outcomes.note_streams([*routes, *side_keys])
        if client is not None:
            client.authenticate()  # bad credentials surface before any input is read
        outcomes.start()  # the first report: the outcomes storage is writable before any input is read
        with delivery, batcher:  # started in this order, closed in the reverse one
            reader.run(lines)
        outcomes.check()  # max_rejected_percent over the whole sync
        ending = outcomes.finish("succeeded")
        for line in reader.summary_lines() + ending:
            output.info(line)
        return 0
    except SenseError as exc:
        _summarise(reader, outcomes, output, output.redact(str(exc)), exc.failure_type)
        output.error(str(exc))
        output.trace_error(str(exc), exc.failure_type, exc)
        return 1
    except Exception as exc:  # noqa: BLE001 - reported as a system error trace
        message = f"Unexpected error after {time.monotonic() - started:.0f} s: {type(exc).__name__}: {exc}"
        _summarise(reader, outcomes, output, output.redact(message), "system_error")
        output.error(message)
        output.trace_error(message, "system_error", exc)
        return 1


def build_outcomes(parsed: SenseConfig, stream_labels: List[str], output: ProtocolOutput) -> SyncOutcomes:
    """The sync's outcome recorder: the storage the config names (with the destination's retry policy), or none."""
    settings = parsed.outcomes
    policy = RetryPolicy(max_elapsed=parsed.retry_max_seconds, max_retries=parsed.max_retries)
    store = open_store(settings.storage, policy, output.info)
    return SyncOutcomes(settings, store, derived_connection_id(parsed.api_url, parsed.client_id, stream_labels))


def _outcome_name(route) -> str:
    """What a per-record result calls an accepted record of this stream."""
    return "deleted" if route.is_soft_delete else "updated" if route.is_update else "sent"


def entity_counts(stats: SyncStats) -> Dict[str, Dict[str, int]]:
    """The report's per-entity counts (the rows of the end-of-sync table)."""
    return {
        collection: {"received": s.received, "sent": s.sent, "rejected": s.rejected, "requests": s.batches, "retries": s.retries}
        for collection, s in stats.by_entity.items()
        if s.received or s.batches or s.rejected
    }


def _summarise(reader: Optional[Reader], outcomes: Optional[SyncOutcomes], output: ProtocolOutput, message: str, failure_type: str) -> None:
    """After a failure: the summary of what was read and delivered before it, and where the outcomes are."""
    lines = reader.summary_lines() if reader is not None else []
    if outcomes is not None:
        lines += outcomes.finish("failed", {"message": message, "failure_type": failure_type})
    for line in lines:
        output.info(line)
