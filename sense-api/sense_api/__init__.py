"""The Sense partner API's published contract, shared by the destination, the Sense emulator and tools.

- ``entities``: the ten entities, their collection paths, sync order, reference fields and schemas.
- ``schemas/``: one JSON Schema per entity, generated from the OpenAPI document by
  ``generate_schemas`` with the rules of ``schema_convert`` (``make schemas``).
- ``limits``: the published request limits.
- ``compiled_schema``: a fast validator of the entity schemas; ``formats``: the date formats.
- ``writebacks``: the write-back types and the entity types write-backs name (the receiver, its
  forwarder and the emulator's dispatcher share them).

Nothing here knows the connector or the emulator; both import it.
"""
