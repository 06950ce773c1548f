"""Console script ``source-sense-writebacks``: spec / check / discover / read."""
from __future__ import annotations

import sys
from typing import List, Optional

from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch

from .source import SourceSenseWritebacks


def run(args: Optional[List[str]] = None) -> None:
    args = list(sys.argv[1:] if args is None else args)
    parsed = AirbyteEntrypoint.parse_args(args)
    config_path = getattr(parsed, "config", None)
    catalog_path = getattr(parsed, "catalog", None)
    state_path = getattr(parsed, "state", None)
    source = SourceSenseWritebacks(
        catalog=SourceSenseWritebacks.read_catalog(catalog_path) if catalog_path else None,
        config=SourceSenseWritebacks.read_config(config_path) if config_path else None,
        state=SourceSenseWritebacks.read_state(state_path) if state_path else [],
        config_path=config_path)
    launch(source, args)


if __name__ == "__main__":  # pragma: no cover
    run()
