"""Pipeline items that are not batches of records: possible-values lists and resume uploads.

The batching stage closes the open batch of the item's ``collection`` (so what was received before
reaches Sense first) and passes the item on; the delivery stage calls ``item.deliver(delivery)`` in
queue order, so a STATE queued after the item is echoed only once the item was delivered.
"""
from __future__ import annotations


class DirectItem:
    collection: str

    def deliver(self, delivery) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
