"""source-sense-writebacks: a declarative Airbyte source reading the write-back receiver's feed."""
