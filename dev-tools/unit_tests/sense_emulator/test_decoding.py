"""Bounded body decoding: incremental gunzip with a cap, JSON value bound, decoding slots."""
import gzip
import threading
import time
import tracemalloc

import pytest

from sense_emulator.decoding import COUNT_VALUES_FROM, DecodeError, Decoder


def test_gunzip_gives_the_body_back_including_several_members():
    decoder = Decoder()
    assert bytes(decoder.gunzip(gzip.compress(b'[{"id": "1"}]'))) == b'[{"id": "1"}]'
    assert bytes(decoder.gunzip(gzip.compress(b"[1,") + gzip.compress(b"2]"))) == b"[1,2]"


def test_gunzip_accepts_exactly_the_cap_and_refuses_one_byte_more():
    decoder = Decoder(max_decoded=3_000_000)
    assert len(decoder.gunzip(gzip.compress(b"a" * 3_000_000))) == 3_000_000
    with pytest.raises(DecodeError) as err:
        decoder.gunzip(gzip.compress(b"a" * 3_000_001))
    assert err.value.status == 413 and "once decompressed" in err.value.message


def test_gunzip_stops_inflating_at_the_cap():
    decoder = Decoder(max_decoded=1_000_000)
    bomb = gzip.compress(b"\0" * 200_000_000, 9)  # ~200 kB that inflate to 200 MB
    tracemalloc.start()
    try:
        with pytest.raises(DecodeError) as err:
            decoder.gunzip(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert err.value.status == 413
    assert peak < 8_000_000  # the cap and one inflate step, never the 200 MB


@pytest.mark.parametrize("body, words", [
    (b"not gzip at all", "not valid gzip"),
    (gzip.compress(b"[1,2,3]" * 100)[:-12], "truncated"),
    (gzip.compress(b"[1]") + b"trailing garbage", "not valid gzip"),
])
def test_gunzip_refuses_invalid_gzip_with_400(body, words):
    with pytest.raises(DecodeError) as err:
        Decoder().gunzip(body)
    assert err.value.status == 400 and words in err.value.message


def test_json_parses_bytes_and_bytearrays():
    decoder = Decoder()
    assert decoder.json(b'[{"id": "1"}]') == [{"id": "1"}]
    assert decoder.json(bytearray(b'{"a": [1, 2]}')) == {"a": [1, 2]}
    with pytest.raises(DecodeError) as err:
        decoder.json(b"[1,")
    assert err.value.status == 400 and "not valid JSON" in err.value.message


def test_json_refuses_a_large_body_of_too_many_values_before_parsing():
    decoder = Decoder(max_values=100_000)
    # Up to COUNT_VALUES_FROM bytes, the size alone bounds the values: parsed without counting.
    assert len(decoder.json(b"[" + b"0," * 500_000 + b"0]")) == 500_001
    # A larger body: few values are parsed, many are refused.
    assert decoder.json(b'["' + b"a" * COUNT_VALUES_FROM + b'"]') == ["a" * COUNT_VALUES_FROM]
    with pytest.raises(DecodeError) as err:
        decoder.json(b"[" + b"{}," * (COUNT_VALUES_FROM // 3) + b"{}]")
    assert err.value.status == 413 and "JSON values" in err.value.message


def test_json_refuses_a_body_over_the_cap():
    with pytest.raises(DecodeError) as err:
        Decoder(max_decoded=10).json(b'["0123456789"]')
    assert err.value.status == 413


def test_no_more_than_the_slots_decode_at_once():
    decoder = Decoder(slots=2)
    inside, most = 0, 0
    lock = threading.Lock()

    def work():
        nonlocal inside, most
        with decoder.slot():
            with lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0.05)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 2
