from destination_sense.state import DeliveryCounts, ReadCounts, state_scope

A, B = (None, "a"), (None, "b")


def _stream_state(name, **extra):
    return {"type": "STREAM", "stream": {"stream_descriptor": {"name": name}, "stream_state": {"c": 1}}, **extra}


def test_scope():
    assert state_scope(_stream_state("a")) == A
    assert state_scope({"type": "GLOBAL", "global": {}}) is None
    assert state_scope({"data": {}}) is None


def test_stream_state_counts_only_its_stream_and_keeps_every_field():
    read, delivered = ReadCounts(), DeliveryCounts()
    read.received[A] += 10
    read.received[B] += 5
    read.rejected[A] += 1
    delivered.reject(A, 2)
    delivered.reject(B, 1)
    marker = read.marker(_stream_state("a", id=42, sourceStats={"recordCount": 10.0}))
    echoed = delivered.decorate(marker)
    assert echoed["id"] == 42 and echoed["sourceStats"] == {"recordCount": 10.0}
    assert echoed["destinationStats"] == {"recordCount": 7.0, "rejectedRecordCount": 3.0}
    # b's counts are untouched, and a's start again from zero
    marker_b = read.marker(_stream_state("b"))
    assert delivered.decorate(marker_b)["destinationStats"] == {"recordCount": 4.0, "rejectedRecordCount": 1.0}
    assert delivered.decorate(read.marker(_stream_state("a")))["destinationStats"]["recordCount"] == 0.0


def test_global_state_counts_every_stream():
    read, delivered = ReadCounts(), DeliveryCounts()
    read.received[A] += 3
    read.received[B] += 4
    delivered.reject(B)
    echoed = delivered.decorate(read.marker({"type": "GLOBAL", "global": {"shared_state": {"x": 1}}}))
    assert echoed["global"] == {"shared_state": {"x": 1}}
    assert echoed["destinationStats"] == {"recordCount": 6.0, "rejectedRecordCount": 1.0}
