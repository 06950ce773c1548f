"""source-ats: a declarative Airbyte source for the Bullhorn REST API."""

from .source import SourceAts

__all__ = ["SourceAts"]
