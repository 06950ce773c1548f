"""``sense-writeback forward``: the outbox worker that writes stored write-backs into Bullhorn.

Modules: ``field_mapping`` (Sense field changes → a Bullhorn update, by the Bullhorn correspondence in
``sense_api.bullhorn``), ``note_content`` (a write-back → a Bullhorn Note), ``bullhorn_client`` (OAuth with
the rotating refresh token, REST login, calls under one ``RetryPolicy``),
``ledger`` (the forwarder's tables: results, note ids, dead letters), ``settings`` and ``worker``.
"""
