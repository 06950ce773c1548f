"""The Airbyte destination's spec, check and discover, through the CDK.

``spec`` and ``check`` go through the CDK's entrypoint. ``write`` never does (``destination_sense.run``
dispatches it to ``destination_sense.sync``): record lines are parsed once with orjson instead of
being turned into protocol objects, and STATE messages are echoed with every field they arrived
with (the CDK's models drop fields they do not know, such as the platform's state ``id``).
"""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Any, Iterable, List, Mapping

import orjson
from airbyte_cdk.destinations import Destination
from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    ConfiguredAirbyteCatalog,
    ConnectorSpecification,
    DestinationSyncMode,
    Status,
)

from destination_sense.catalog import SUPPORTED_MODES
from destination_sense.config import CONNECTION_SPECIFICATION, SenseConfig
from destination_sense.discover import destination_catalog
from destination_sense.errors import ConfigError, SenseError, TransientError
from destination_sense.output import ProtocolOutput
from destination_sense.retry import RetryPolicy
from destination_sense.sync import build_client
from sense_api.entities import ENTITIES

DOCUMENTATION_URL = "https://docs.airbyte.com/integrations/destinations/sense"
CHECK_RETRY_SECONDS = 10.0  # check must answer quickly
CHECK_ENTITY_ID = "0"


class DestinationSense(Destination):
    def spec(self, logger: logging.Logger) -> ConnectorSpecification:
        return ConnectorSpecification(
            documentationUrl=DOCUMENTATION_URL,
            connectionSpecification=CONNECTION_SPECIFICATION,
            supportsIncremental=True,
            supported_destination_sync_modes=[DestinationSyncMode(mode) for mode in SUPPORTED_MODES],
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

    def write(
        self,
        config: Mapping[str, Any],
        configured_catalog: ConfiguredAirbyteCatalog,
        input_messages: Iterable[AirbyteMessage],
    ) -> Iterable[AirbyteMessage]:
        """Not used: ``write`` runs without the CDK (``destination_sense.run`` dispatches it to
        ``destination_sense.sync``, which reads stdin and echoes STATE messages itself)."""
        raise NotImplementedError("destination-sense write runs through destination_sense.sync, not the CDK")

    def run(self, args: List[str]) -> None:
        if args and args[0] == "discover":
            sys.exit(run_discover(self, args[1:]))
        return super().run(args)


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
