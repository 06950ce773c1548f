"""Which Bullhorn entity a ``SenseEntityType`` is, and which destination-sense collection it syncs to.

The collection names are the ``entity`` values of destination-sense's presets; the Bullhorn names
are the REST entities source-ats reads them from.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Dict, Optional, Tuple

from destination_sense.mapping import load_preset
from sense_api.writebacks import COLLECTION_BY_ENTITY_TYPE
from source_ats.streams import STREAM_ENTITY


@lru_cache(maxsize=1)
def entity_types() -> Dict[str, Tuple[str, str]]:
    """SenseEntityType → (destination-sense collection, Bullhorn REST entity).

    Composed from the contract (``sense_api.writebacks``: type → collection), the bullhorn preset
    (source-ats stream → collection) and source-ats (stream → Bullhorn entity), so no correspondence
    is written twice.
    """
    bullhorn_by_collection = {
        stream["entity"]: STREAM_ENTITY[name] for name, stream in load_preset("bullhorn")["streams"].items() if name in STREAM_ENTITY
    }
    return {t: (c, bullhorn_by_collection[c]) for t, c in COLLECTION_BY_ENTITY_TYPE.items() if c in bullhorn_by_collection}


def bullhorn_entity(sense_type: str) -> Optional[str]:
    entry = entity_types().get(sense_type)
    return entry[1] if entry else None


def collection(sense_type: str) -> Optional[str]:
    entry = entity_types().get(sense_type)
    return entry[0] if entry else None
