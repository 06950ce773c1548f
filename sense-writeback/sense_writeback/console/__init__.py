"""The operator console served by the receiver under ``/console/`` (see docs/sense-writeback.md, "Operator console").

Modules: ``settings`` (the ``console`` config and admin tokens), ``session`` (signed session cookies,
CSRF tokens), ``security`` (response headers: CSP, framing), ``queries`` (the read side over the
store's tables), ``health`` and ``charts`` (the health panel, SVG drawn on the server), ``replay``
(the forwarder's replay in a background job), ``sync_outcomes`` (destination-sense's sync reports
and rejected records), ``web`` (the pages), ``templates/`` and ``static/``.
"""
