"""Console script `source-ats`: spec / check / discover / read."""
from __future__ import annotations

import sys
import traceback
from typing import List, Optional

import orjson

from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch
from airbyte_cdk.models import (
    AirbyteErrorTraceMessage,
    AirbyteMessage,
    AirbyteMessageSerializer,
    AirbyteTraceMessage,
    TraceType,
    Type,
)
from airbyte_cdk.utils.datetime_helpers import ab_datetime_now

from .source import SourceAts


def _create_source(args: List[str]) -> SourceAts:
    parsed = AirbyteEntrypoint.parse_args(args)
    config_path = getattr(parsed, "config", None)
    catalog_path = getattr(parsed, "catalog", None)
    state_path = getattr(parsed, "state", None)
    config = SourceAts.read_config(config_path) if config_path else None
    catalog = SourceAts.read_catalog(catalog_path) if catalog_path else None
    state = SourceAts.read_state(state_path) if state_path else []
    return SourceAts(catalog=catalog, config=config, state=state, config_path=config_path)


def run(args: Optional[List[str]] = None) -> None:
    args = list(sys.argv[1:] if args is None else args)
    try:
        source = _create_source(args)
    except Exception as error:  # report a startup failure as a TRACE message, like the CDK does
        message = AirbyteMessage(
            type=Type.TRACE,
            trace=AirbyteTraceMessage(
                type=TraceType.ERROR,
                emitted_at=ab_datetime_now().to_epoch_millis(),
                error=AirbyteErrorTraceMessage(
                    message=f"source-ats could not start: invalid configuration, catalog or state ({type(error).__name__}).",
                    internal_message=str(error),
                    stack_trace=traceback.format_exc(),
                ),
            ),
        )
        print(orjson.dumps(AirbyteMessageSerializer.dump(message)).decode(), flush=True)
        raise
    launch(source, args)


if __name__ == "__main__":  # pragma: no cover
    run()
