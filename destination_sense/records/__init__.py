"""The record pipeline: what happens to one input line, with no state of the sync.

``lines`` parses it (orjson, and an exact fallback), ``envelopes`` checks the Airbyte message's
shape, ``pipeline.RecordPipeline`` routes a record to its stream, maps it (preset or override),
normalises and validates it for its Sense entity and serialises it once into an ``item.Item``, or
names every reason it cannot be sent (``Rejected``). It neither counts, buffers nor sends.
"""
