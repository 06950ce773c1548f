"""The destination as an Airbyte CDK ``Destination``, for in-process use of the CDK's API.

The console script does not use it (``destination_sense.cli`` answers every command without the CDK).
Here ``check`` and ``write`` go through the same code as the console script's: records are parsed
once with orjson, and STATE messages are echoed with every field they arrived with (the CDK's models
drop fields they do not know, such as the platform's state ``id``).
"""
from __future__ import annotations

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
from destination_sense.cli import DOCUMENTATION_URL
from destination_sense.config import CONNECTION_SPECIFICATION
from destination_sense.connection_check import check_connection
from destination_sense.output import ProtocolOutput


class DestinationSense(Destination):
    def spec(self, logger: logging.Logger) -> ConnectorSpecification:
        return ConnectorSpecification(
            documentationUrl=DOCUMENTATION_URL,
            connectionSpecification=CONNECTION_SPECIFICATION,
            supportsIncremental=True,
            supported_destination_sync_modes=[DestinationSyncMode(mode) for mode in SUPPORTED_MODES],
        )

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        ok, reason = check_connection(config)
        return AirbyteConnectionStatus(status=Status.SUCCEEDED if ok else Status.FAILED, message=reason)

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
        """The console script's commands (``destination_sense.cli``), which do not go through the CDK."""
        from destination_sense.cli import main

        sys.exit(main(args))
