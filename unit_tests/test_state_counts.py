from destination_sense.state_counts import DeliveryCounts, ReadCounts, state_scope

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
    delivered.reject(A, 3)
    delivered.reject(A, 9)
    delivered.reject(B, 1)
    marker = read.marker(_stream_state("a", id=42, sourceStats={"recordCount": 10.0}), {A: 10, B: 5})
    echoed = delivered.decorate(marker)
    assert echoed["id"] == 42 and echoed["sourceStats"] == {"recordCount": 10.0}
    assert echoed["destinationStats"] == {"recordCount": 7.0, "rejectedRecordCount": 3.0}
    # b's counts are untouched, and a's start again from zero
    marker_b = read.marker(_stream_state("b"), {A: 10, B: 5})
    assert delivered.decorate(marker_b)["destinationStats"] == {"recordCount": 4.0, "rejectedRecordCount": 1.0}
    assert delivered.decorate(read.marker(_stream_state("a")))["destinationStats"]["recordCount"] == 0.0


def test_global_state_counts_every_stream():
    read, delivered = ReadCounts(), DeliveryCounts()
    read.received[A] += 3
    read.received[B] += 4
    delivered.reject(B, 4)
    echoed = delivered.decorate(read.marker({"type": "GLOBAL", "global": {"shared_state": {"x": 1}}}))
    assert echoed["global"] == {"shared_state": {"x": 1}}
    assert echoed["destinationStats"] == {"recordCount": 6.0, "rejectedRecordCount": 1.0}


def test_a_rejection_found_while_delivering_belongs_to_the_state_after_its_record():
    """Batches fill across states: a 400 for a record after a state is not counted in that state."""
    read, delivered = ReadCounts(), DeliveryCounts()
    read.received[A] += 4  # records 1-4, then the first state
    first = read.marker(_stream_state("a"), {A: 4})
    read.received[A] += 2  # records 5-6, then the second state
    second = read.marker(_stream_state("a"), {A: 6})
    delivered.reject(A, 5)  # the batch with records 1-6 is delivered: record 5 is rejected
    assert delivered.decorate(first)["destinationStats"] == {"recordCount": 4.0, "rejectedRecordCount": 0.0}
    assert delivered.decorate(second)["destinationStats"] == {"recordCount": 1.0, "rejectedRecordCount": 1.0}


def test_a_global_state_takes_the_rejections_up_to_its_positions_in_every_stream():
    read, delivered = ReadCounts(), DeliveryCounts()
    read.received[A] += 2
    read.received[B] += 2
    first = read.marker({"type": "GLOBAL", "global": {}}, {A: 2, B: 2})
    read.received[B] += 1
    second = read.marker({"type": "GLOBAL", "global": {}}, {A: 2, B: 3})
    delivered.reject(B, 3)
    delivered.reject(A, 1)
    assert delivered.decorate(first)["destinationStats"] == {"recordCount": 3.0, "rejectedRecordCount": 1.0}
    assert delivered.decorate(second)["destinationStats"] == {"recordCount": 0.0, "rejectedRecordCount": 1.0}
