"""destination-sense: an Airbyte destination for the Sense partner API.

Importing this package is cheap: the Airbyte CDK is only imported by ``destination_sense.destination``
and ``destination_sense.run``, so the emulator and the tools can share the entity registry and schemas.
"""

__version__ = "0.3.0"
