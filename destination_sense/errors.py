"""Errors the destination raises, each tied to the Airbyte failure type it is reported with."""


class SenseError(Exception):
    """Base class. ``failure_type`` is the Airbyte TRACE error failure_type."""

    failure_type = "system_error"


class ConfigError(SenseError):
    """The user must change the configuration, credentials or catalog."""

    failure_type = "config_error"


class TransientError(SenseError):
    """Sense or the network kept failing after every retry; running again later may succeed."""

    failure_type = "transient_error"


class InvalidRecordError(ConfigError):
    """A record was rejected while ``on_invalid_record`` is ``fail``."""


class InputError(SenseError):
    """An input line is not an Airbyte message that can be processed (``on_unreadable_line: fail``)."""

    failure_type = "system_error"
