"""The Airbyte destination: spec, check and write, wired to the Sense client and the writer.

``spec`` and ``check`` go through the CDK's entrypoint. ``write`` reads stdin itself: record lines
are parsed once with orjson instead of being turned into protocol objects, and STATE messages are
echoed with every field they arrived with (the CDK's models drop fields they do not know, such as
the platform's state ``id``).
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import Any, Iterable, List, Mapping, Optional

import orjson
from airbyte_cdk.destinations import Destination
from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteMessageSerializer,
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteCatalogSerializer,
    ConnectorSpecification,
    DestinationSyncMode,
    Status,
)

from destination_sense import __version__
from destination_sense.auth import TokenProvider
from destination_sense.catalog import routes_from_catalog
from destination_sense.config import CONNECTION_SPECIFICATION, SenseConfig
from destination_sense.delivery import Delivery
from destination_sense.discover import destination_catalog
from destination_sense.entities import ENTITIES
from destination_sense.errors import ConfigError, SenseError, TransientError
from destination_sense.http_client import SenseClient
from destination_sense.output import ProtocolOutput
from destination_sense.retry import RetryPolicy
from destination_sense.writer import SenseWriter

DOCUMENTATION_URL = "https://docs.airbyte.com/integrations/destinations/sense"
CHECK_RETRY_SECONDS = 10.0
CHECK_ENTITY_ID = "0"


def build_client(config: SenseConfig, output: Optional[ProtocolOutput], policy: Optional[RetryPolicy] = None) -> SenseClient:
    policy = policy or RetryPolicy(max_elapsed=config.retry_max_seconds)
    on_token = output.add_secret if output is not None else None
    tokens = TokenProvider(config.token_url, config.client_id, config.client_secret, on_new_token=on_token)
    log = output.info if output is not None else (lambda message: None)
    return SenseClient(config.api_url, tokens, policy=policy, log=log)


class DestinationSense(Destination):
    def spec(self, logger: logging.Logger) -> ConnectorSpecification:
        return ConnectorSpecification(
            documentationUrl=DOCUMENTATION_URL,
            connectionSpecification=CONNECTION_SPECIFICATION,
            supportsIncremental=True,
            supported_destination_sync_modes=[
                DestinationSyncMode.append,
                DestinationSyncMode.append_dedup,
                DestinationSyncMode.update,
                DestinationSyncMode.soft_delete,
            ],
        )

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        try:
            parsed = SenseConfig.from_mapping(config)
            parsed.mapping_table()  # an unknown preset or a bad override fails here, before any request
            client = build_client(parsed, None, RetryPolicy(max_elapsed=CHECK_RETRY_SECONDS, base_delay=0.5))
            client.tokens.get()
            response = client.get_entity(ENTITIES[0].collection, CHECK_ENTITY_ID)
            if response.status_code in (200, 400, 404):
                try:
                    body = orjson.loads(response.content)
                except orjson.JSONDecodeError:
                    body = None
                if isinstance(body, dict) and ({"data", "errors", "resource_id"} & set(body)):
                    return AirbyteConnectionStatus(status=Status.SUCCEEDED)
                return AirbyteConnectionStatus(
                    status=Status.FAILED,
                    message=f"{parsed.api_url} answered HTTP {response.status_code} without the Sense API's answer ({{data, errors, resource_id}}): check api_url "
                    f"(expected e.g. https://partner-api.sensehq.com/v1).",
                )
            return AirbyteConnectionStatus(
                status=Status.FAILED,
                message=f"The Sense API at {parsed.api_url} answered HTTP {response.status_code} to a test request.",
            )
        except ConfigError as exc:
            return AirbyteConnectionStatus(status=Status.FAILED, message=str(exc))
        except TransientError as exc:
            return AirbyteConnectionStatus(status=Status.FAILED, message=f"Sense could not be reached: {exc}")
        except SenseError as exc:
            return AirbyteConnectionStatus(status=Status.FAILED, message=str(exc))
        except Exception as exc:  # noqa: BLE001 - check must answer, never crash
            return AirbyteConnectionStatus(status=Status.FAILED, message=f"Unexpected error: {type(exc).__name__}: {exc}")

    # The CDK API, for in-process use: messages are re-serialised and go through the same path.
    def write(
        self,
        config: Mapping[str, Any],
        configured_catalog: ConfiguredAirbyteCatalog,
        input_messages: Iterable[AirbyteMessage],
    ) -> Iterable[AirbyteMessage]:
        catalog = ConfiguredAirbyteCatalogSerializer.dump(configured_catalog)
        lines = (orjson.dumps(AirbyteMessageSerializer.dump(m)) for m in input_messages)
        exit_code = write_lines(config, catalog, lines, ProtocolOutput())
        if exit_code:
            raise SystemExit(exit_code)
        return iter(())

    def run(self, args: List[str]) -> None:
        if args and args[0] == "discover":
            sys.exit(run_discover(self, args[1:]))
        parsed = self.parse_args(args)
        if parsed.command != "write":
            return super().run(args)
        config = self.read_config(config_path=parsed.config)
        with open(parsed.catalog, "rb") as f:
            catalog = orjson.loads(f.read())
        exit_code = write_lines(config, catalog, sys.stdin.buffer, ProtocolOutput())
        sys.stdout.flush()
        if exit_code:
            sys.exit(exit_code)


def run_discover(destination: "DestinationSense", args: List[str]) -> int:
    """``destination-sense discover --config CONFIG``: print the DESTINATION_CATALOG message."""
    parser = argparse.ArgumentParser(prog="destination-sense discover")
    parser.add_argument("--config", required=True, help="path to the JSON configuration file")
    parsed_args = parser.parse_args(args)
    output = ProtocolOutput()
    try:
        config = destination.read_config(config_path=parsed_args.config)
        output.add_secret(config.get("client_secret") if isinstance(config.get("client_secret"), str) else None)
        SenseConfig.from_mapping(config).mapping_table()
    except SenseError as exc:
        output.trace_error(str(exc), exc.failure_type, exc)
        return 1
    output.raw(destination_catalog())
    return 0


def write_lines(config: Mapping[str, Any], catalog: Mapping[str, Any], lines: Iterable[bytes], output: ProtocolOutput) -> int:
    """Run a whole write; returns the process exit code (0 on success)."""
    secret = config.get("client_secret") if isinstance(config, Mapping) else None
    output.add_secret(secret if isinstance(secret, str) else None)
    writer = None
    started = time.monotonic()
    try:
        parsed = SenseConfig.from_mapping(config)
        routes = routes_from_catalog(catalog, parsed.mapping_table())
        output.info(
            f"destination-sense {__version__}: writing {len(routes)} stream(s) to {parsed.api_url} "
            f"(batches of at most {parsed.batch_size} records / {parsed.max_batch_bytes:,} compressed bytes, "
            f"flush after {parsed.flush_interval_seconds} s, invalid records: {parsed.on_invalid_record}"
            f"{', DRY RUN: nothing is sent' if parsed.dry_run else ''})."
        )
        for route in routes.values():
            output.info(f"Stream '{route.label}' → {route.entity.collection} ({route.sync_mode}).")
        client = None if parsed.dry_run else build_client(parsed, output)

        def delivery_factory(stats, rejections, counts):
            return Delivery(client, output, stats, rejections, counts, dry_run=parsed.dry_run)

        writer = SenseWriter(parsed, routes, output, delivery_factory)
        if client is not None:
            writer.stats.token_counter = lambda: client.tokens.requests_made
            # Surface bad credentials before reading any input.
            client.authenticate()
        writer.run(lines)
        return 0
    except SenseError as exc:
        _finish_after_failure(writer, output)
        output.error(str(exc))
        output.trace_error(str(exc), exc.failure_type, exc)
        return 1
    except Exception as exc:  # noqa: BLE001 - reported as a system error trace
        _finish_after_failure(writer, output)
        message = f"Unexpected error after {time.monotonic() - started:.0f} s: {type(exc).__name__}: {exc}"
        output.error(message)
        output.trace_error(message, "system_error", exc)
        return 1


def _finish_after_failure(writer: Optional[SenseWriter], output: ProtocolOutput) -> None:
    """Deliver what was queued before the failure (its states may still be echoed), then summarise."""
    if writer is None:
        return
    writer.close_after_failure()
    for line in writer.stats.summary_lines():
        output.info(line)
