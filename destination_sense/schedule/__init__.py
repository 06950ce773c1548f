"""The entity scheduler: per-entity batches, their order, and the release of STATEs.

``scheduler.EntityScheduler`` owns the rule of when a STATE may be echoed (stated once, in its
module docstring), the entity order and the flushing of batches by size, age and state;
``gzip_batch.GzipBatch`` compresses one batch as it fills.
"""
