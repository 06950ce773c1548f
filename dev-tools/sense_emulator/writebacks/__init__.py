"""Sense's side of write-backs in the emulator: it builds write-backs and sends them to a receiver.

- ``seed``: write-backs of every type built from the emulator's store (or a given pool of entities);
- ``receiver_auth``: how the dispatcher authenticates to the receiver (query / header token, OAuth2
  client credentials), and the redaction of those credentials from what it shows;
- ``outbox``: the queued write-backs, their states, attempts and counters;
- ``dispatcher``: sending, re-delivery and the retry policy;
- ``dispatcher_admin``: the ``/_admin/writebacks`` endpoints;
- ``options``: the dispatcher's command-line options and start-up settings.
"""
