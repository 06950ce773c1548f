"""The console's queries on PostgreSQL (a real server from the ``postgres_server`` fixture): the same
cases as ``unit_tests/test_console_queries.py`` (there on SQLite), here on the other backend — the
summary filter's JSON expression and the placeholders differ between them."""
import pytest

from sense_writeback.forward.ledger import Ledger
from sense_writeback.store import open_store
from unit_tests import test_console_queries as cases

filled = cases.filled


@pytest.fixture
def store(postgres_url):
    with open_store(postgres_url) as store:
        Ledger(store).close()
        yield store


test_newest_first_with_each_filter = cases.test_newest_first_with_each_filter
test_paging_by_seq = cases.test_paging_by_seq
test_forward_status = cases.test_forward_status
test_detail_has_the_body_fields_conflict_and_forward_answers = cases.test_detail_has_the_body_fields_conflict_and_forward_answers
test_parked_grouped_by_reason_and_backlog = cases.test_parked_grouped_by_reason_and_backlog
test_arrivals_per_minute_by_type_over_24_hours = cases.test_arrivals_per_minute_by_type_over_24_hours
test_first_seq_of_the_window_by_binary_search = cases.test_first_seq_of_the_window_by_binary_search
