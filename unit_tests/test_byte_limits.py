from destination_sense.send.byte_limits import LEARN_FACTOR, MIN_BYTES, ByteLimits


def test_a_413_lowers_the_limit_of_that_entity_only():
    limits = ByteLimits(256_000)
    assert limits.too_large("candidates", 200_000) == int(200_000 * LEARN_FACTOR)
    assert limits.for_entity("candidates") == 150_000
    assert limits.for_entity("leads") == 256_000


def test_the_limit_only_goes_down_and_has_a_floor():
    limits = ByteLimits(256_000)
    limits.too_large("candidates", 100_000)
    assert limits.too_large("candidates", 250_000) == 75_000, "a later 413 of a larger batch does not raise it"
    assert limits.too_large("candidates", 10) == MIN_BYTES
