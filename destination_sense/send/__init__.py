"""The sender: everything that talks to Sense.

``sender.Sender`` works the scheduler's queue (POST batches, PATCH updates, sink work, echo STATEs)
and owns the byte limit learned from a 413 (``byte_limits``); ``http_client`` owns HTTP, the answers
of the API and the one retry loop; ``auth`` the token; ``retry`` the retry policy.
"""
