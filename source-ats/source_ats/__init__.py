"""source-ats: a declarative Airbyte source for the Bullhorn REST API.

``SourceAts`` is loaded on first use, so ``source_ats.streams`` (the stream table the destination's
preset tests read) does not import the Airbyte CDK.
"""

__all__ = ["SourceAts"]


def __getattr__(name: str):
    if name == "SourceAts":
        from source_ats.source import SourceAts  # the CDK: only when the source itself is wanted

        return SourceAts
    raise AttributeError(f"module 'source_ats' has no attribute {name!r}")
