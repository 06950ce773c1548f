"""Build the declarative source from the packaged manifest.yaml and components.py."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, List, Mapping, Optional

import yaml

from airbyte_cdk.models import AirbyteStateMessage, ConfiguredAirbyteCatalog
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource

MANIFEST_PATH = Path(__file__).resolve().parent / "manifest.yaml"


def register_components() -> None:
    """Make ``source_declarative_manifest.components.X`` (the manifest's class names) resolve here."""
    from . import components

    sys.modules.setdefault("source_declarative_manifest.components", components)


class SourceSenseWritebacks(ConcurrentDeclarativeSource):
    def __init__(self, catalog: Optional[ConfiguredAirbyteCatalog] = None, config: Optional[Mapping[str, Any]] = None,
                 state: Optional[List[AirbyteStateMessage]] = None, config_path: Optional[str] = None) -> None:
        register_components()
        super().__init__(catalog=catalog, config=config, state=state,
                         source_config=dict(yaml.safe_load(MANIFEST_PATH.read_text())), config_path=config_path)
