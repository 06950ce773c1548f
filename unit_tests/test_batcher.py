from destination_sense.batcher import DEFAULT_LEVEL, next_level

LIMIT = 256_000


def test_a_batch_closed_on_bytes_keeps_the_default_level():
    assert next_level(False, 255_900, 5, LIMIT) == DEFAULT_LEVEL
    assert next_level(False, 100, 1, LIMIT) == DEFAULT_LEVEL


def test_room_to_spare_on_a_count_closed_batch_allows_a_faster_level():
    assert next_level(True, 11_400, DEFAULT_LEVEL, LIMIT) == 1  # small records
    assert next_level(True, 247_400, DEFAULT_LEVEL, LIMIT) == 5  # candidate-like: 5 still fits
    assert next_level(True, 253_000, DEFAULT_LEVEL, LIMIT) == DEFAULT_LEVEL  # no room: stay
    # at a fast level, sizes are scaled back to the default level before comparing
    assert next_level(True, 251_100, 5, LIMIT) == 5
    assert next_level(True, 255_000, 5, LIMIT) == DEFAULT_LEVEL
