"""``sense-writeback forward``: the outbox worker that writes stored write-backs into Bullhorn.

Modules: ``bullhorn_types`` (SenseEntityType ↔ Bullhorn entity), ``field_mapping`` (the inverse of
destination-sense's bullhorn preset), ``note_content`` (a write-back → a Bullhorn Note),
``bullhorn_client`` (REST calls with source-ats's OAuth + REST login, backoff, session renewal),
``ledger`` (the forwarder's tables: results, note ids, dead letters), ``settings`` and ``worker``.
"""
