"""The demo's write-back table says what its columns mean: duplicates are deliberate re-deliveries."""
from collections import Counter

from sense_demo.round_trip import writeback_table


def test_the_table_explains_the_duplicates_column():
    sent, stored = Counter(GENERIC_EVENT=4, ENTITY_UPDATE=4), Counter(GENERIC_EVENT=4, ENTITY_UPDATE=4)
    lines = writeback_table(sent, stored, Counter(GENERIC_EVENT=2, ENTITY_UPDATE=1), Counter(GENERIC_EVENT=4, ENTITY_UPDATE=3),
                            Counter(ENTITY_UPDATE=1))
    assert lines[0].split() == ["type", "sent", "by", "Sense", "stored", "duplicates", "forwarded", "parked"]
    assert lines[1].split() == ["ENTITY_UPDATE", "4", "4", "1", "3", "1"]
    assert lines[3].split() == ["total", "8", "8", "3", "7", "1"]
    text = "\n".join(lines[4:])
    assert "duplicates: deliveries of a write-back the receiver had already stored. The demo re-delivers 3 on purpose" in text
    assert "each got the same receiver id and is stored once" in text
