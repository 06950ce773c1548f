"""source-ats: a declarative Airbyte source for the Bullhorn REST API.

``SourceAts`` is loaded on first use, so importing the package does not import the Airbyte CDK. The
streams' Bullhorn entities and Sense collections are the Bullhorn correspondence's (``sense_api.bullhorn``);
a test holds this source's manifest to it.
"""

__all__ = ["SourceAts"]


def __getattr__(name: str):
    if name == "SourceAts":
        from source_ats.source import SourceAts  # the CDK: only when the source itself is wanted

        return SourceAts
    raise AttributeError(f"module 'source_ats' has no attribute {name!r}")
