"""sense-writeback: a durable receiver for Sense write-backs.

Modules:
- ``cli``: the ``sense-writeback`` console script (``serve``).
- ``config``: settings from a config file, the environment and the command line.
- ``tokens``, ``oidc``, ``auth``: the three authentication modes of the write-back guide.
- ``body``: reading and decoding a request body (size, encoding, JSON).
- ``validation`` (+ ``schemas/*.json``): the envelope and the per-type ``data`` schemas.
- ``references``: the entity references a write-back carries.
- ``store``: durable, idempotent storage (SQLite or PostgreSQL, group commit) and the reader API.
- ``app``, ``metrics``, ``access_log``, ``server``: the ASGI application and how it is served.
- ``testing``: start the console script as a subprocess (tests, benchmarks).
"""

__version__ = "0.3.0"
