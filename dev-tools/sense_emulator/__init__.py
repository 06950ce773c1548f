"""A local emulator of the Sense partner API, for tests, demos, benchmarks and sandboxes.

Run it with the ``sense-emulator`` console script (see ``docs/sense-emulator.md``). The modules:

- ``config``: options and their defaults;
- ``app``: the routes and the behaviour of every operation, independent of the HTTP transport;
- ``admin_api``: the ``/_admin`` endpoints (stats, request log, entities, faults, reset, dangling);
- ``server``: the HTTP/1.1 server and its lifecycle; ``cli``: the command line;
- ``store`` (SQLite), ``validation``, ``oauth`` (the partner API's client-credentials tokens), ``faults``, ``stats``, ``references``
  (the dangling-reference check), ``multipart`` (resume uploads);
- ``decoding``: bodies decoded within bounds (gzip and JSON bombs); ``heap``: the malloc policy
  that gives freed large blocks back to the system;
- ``writebacks``: Sense's side of write-backs (seed, receiver auth, outbox, dispatcher, its admin
  endpoints and options; see that package);
- ``testing``: a subprocess starter and an admin client, for tests and benchmarks.
"""
