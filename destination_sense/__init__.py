"""destination-sense: an Airbyte destination for the Sense partner API.

The write path, one role per subpackage (``sync.write_lines`` composes them):

- ``records``: the record pipeline, a function of one input line: parse → route → map → normalise →
  serialise, giving an ``Item`` or a rejection;
- ``schedule``: the entity scheduler: per-entity gzip batches, entity and reference order, flushing
  by size, age and state, and **the rule of when a STATE may be echoed** (its module docstring);
- ``send``: the sender: HTTP, the token, retries, 413 (the learned byte limit) and 400 answers;
- ``ledger``: the sync ledger: every count, the rejection policy, each STATE's counts, observers;
- ``sinks``: side streams (possible values, resume files), whose work the sender runs.

One record: ``writer.Writer`` reads its line → ``RecordPipeline.process`` → ``Item`` (numbered by the
ledger) → ``EntityScheduler`` puts it in its entity's batch → the batch goes to the ``Sender`` when
full, old or flushed → POST → ``SyncLedger.sent`` → the STATEs behind it are echoed.

Importing this package is cheap and no command imports the Airbyte CDK (``cli``), so the emulator
and the tools can share the entity registry and schemas.
"""

__version__ = "0.3.0"
