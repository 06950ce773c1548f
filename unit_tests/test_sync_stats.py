from destination_sense.sync_stats import PROGRESS_INTERVAL_SECONDS, SyncStats


class Clock:
    now = 100.0

    def __call__(self):
        return self.now


def test_progress_is_due_every_interval_and_reports_the_rate():
    clock = Clock()
    stats = SyncStats(clock)
    stats["candidates"].received = 1000
    assert not stats.progress_due()
    clock.now += PROGRESS_INTERVAL_SECONDS
    assert stats.progress_due()
    stats["candidates"].sent = 900
    line = stats.progress_line()
    assert "1,000 records received" in line and "900 accepted" in line and "30 records/s" in line
    assert not stats.progress_due()  # the window restarts


def test_summary_has_a_row_per_entity_with_traffic():
    clock = Clock()
    stats = SyncStats(clock, token_counter=lambda: 2)
    s = stats["job-orders"]
    s.received, s.sent, s.rejected, s.batches, s.bytes_compressed, s.retries = 10, 8, 2, 2, 4000, 1
    clock.now += 4
    lines = stats.summary_lines()
    assert lines[0].split() == ["entity", "received", "sent", "rejected", "batches", "rec/batch", "kB/batch", "retries"]
    assert lines[1].split() == ["job-orders", "10", "8", "2", "2", "4.0", "2.0", "1"]
    assert len(lines) == 3 and "2 token request(s)" in lines[2] and "2 records/s" in lines[2]
