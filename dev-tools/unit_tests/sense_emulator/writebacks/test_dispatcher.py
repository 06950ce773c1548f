"""The dispatcher's retry policy, redaction and auth helpers, and the outbox's states."""
from __future__ import annotations

import random
import threading

import pytest

from sense_emulator.writebacks.receiver_auth import HeaderToken, QueryToken, Redactor, build, redact_url
from sense_emulator.writebacks.dispatcher import RetryPolicy
from sense_emulator.writebacks.outbox import Outbox


def test_backoff_is_exponential_and_capped_and_bounded():
    policy = RetryPolicy(max_attempts=6, initial_delay=1.0, multiplier=2.0, max_delay=5.0, jitter=0.0)
    rng = random.Random(1)
    assert [policy.delay(n, None, rng) for n in range(1, 7)] == [1.0, 2.0, 4.0, 5.0, 5.0, None]


def test_jitter_only_shortens_and_retry_after_lengthens_up_to_the_cap():
    policy = RetryPolicy(max_attempts=10, initial_delay=2.0, multiplier=2.0, max_delay=10.0, jitter=0.5)
    rng = random.Random(2)
    delays = [policy.delay(1, None, rng) for _ in range(50)]
    assert all(1.0 <= d <= 2.0 for d in delays) and len(set(delays)) > 1
    assert policy.delay(1, 7.0, rng) == 7.0
    assert policy.delay(1, 500.0, rng) == 10.0


@pytest.mark.parametrize("fields", [{"max_attempts": 0}, {"max_attempts": 5000}, {"multiplier": 0.5},
                                    {"initial_delay": 5, "max_delay": 1}, {"jitter": 1.0}])
def test_invalid_policies_are_refused(fields):
    with pytest.raises(ValueError):
        RetryPolicy(**fields).validate()


def test_redactor_removes_every_encoding_of_a_secret_and_query_strings():
    secret = "s3cr+t/=?&x"
    redact = Redactor([secret])
    import base64
    from urllib.parse import quote, quote_plus

    for variant in (secret, quote(secret, safe=""), quote_plus(secret), base64.b64encode(secret.encode()).decode()):
        assert secret not in redact(f"error near {variant} end") and variant not in redact(f"error near {variant} end")
    text = redact("Max retries exceeded with url: /event?token=abc123 (Caused by refused)")
    assert "abc123" not in text and "/event?…" in text


def test_query_token_is_added_and_masked_in_descriptions():
    auth = QueryToken("tok-123", "key")
    url, headers = auth.prepare("http://127.0.0.1:1/event?fixed=1")
    assert url == "http://127.0.0.1:1/event?fixed=1&key=tok-123" and headers == {}
    assert "tok-123" not in str(auth.describe())
    assert redact_url("http://h/event?key=12345&b=2") == "http://h/event?key=***&b=***"
    assert HeaderToken("t").prepare("http://h/e") == ("http://h/e", {"Authorization": "Bearer t"})


@pytest.mark.parametrize("spec, message", [({"mode": "query"}, "token"), ({"mode": "header", "token": ""}, "token"),
                                           ({"mode": "oauth2", "client_id": "a"}, "discovery_url"),
                                           ({"mode": "kerberos"}, "mode")])
def test_incomplete_auth_settings_are_refused_naming_what_is_missing(spec, message):
    with pytest.raises(ValueError, match=message):
        build(spec)


def _envelope(i):
    return {"id": f"wb-{i}", "type": "GENERIC_EVENT", "data": {}}


def test_outbox_states_and_counters():
    box = Outbox()
    box.add([_envelope(1), _envelope(2)])
    first = box.take()
    box.finish(first, {"n": 1, "status": 503, "error": "status 503"}, delivered=False, retry_in=0.0)
    assert box.get(first.id).status == "pending"
    again = box.take()
    other = box.take()
    assert {again.id, other.id} == {"wb-1", "wb-2"}
    box.finish(again, {"n": 2, "status": 200, "error": None}, delivered=True, retry_in=None, receiver_id="r1")
    box.finish(other, {"n": 1, "status": 400, "error": "status 400"}, delivered=False, retry_in=None)
    stats = box.stats()
    assert stats["delivered"] == 1 and stats["given_up"] == 1 and stats["pending"] == 0
    assert stats["attempts"] == 3 and stats["failed_attempts"] == 2
    assert stats["attempt_status"] == {"503": 1, "200": 1, "400": 1}
    assert box.wait(0) is True
    box.redeliver(other.id)
    assert box.get(other.id).status == "pending" and box.wait(0) is False
    with pytest.raises(KeyError):
        box.redeliver("nope")


def test_outbox_refuses_known_ids_whole():
    box = Outbox()
    box.add([_envelope(1)])
    with pytest.raises(ValueError, match="wb-1"):
        box.add([_envelope(2), _envelope(1)])
    assert box.stats()["total"] == 1


def test_paused_outbox_hands_out_nothing_until_resumed_and_stop_releases_takers():
    box = Outbox()
    box.set_paused(True)
    box.add([_envelope(1)])
    taken = []
    worker = threading.Thread(target=lambda: taken.append(box.take()))
    worker.start()
    worker.join(0.3)
    assert worker.is_alive() and not taken
    box.set_paused(False)
    worker.join(5)
    assert taken[0].id == "wb-1"
    waiting = threading.Thread(target=lambda: taken.append(box.take()))
    waiting.start()
    box.stop()
    waiting.join(5)
    assert taken[1] is None
