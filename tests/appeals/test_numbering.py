"""The appeal code's day counter: one statement numbers an intake, intakes at once get unique and
consecutive numbers, an intake that fails gives its number back, and a changed prefix is used at once.

On PostgreSQL the races are real (threads, one connection each). SQLite takes one writer at a time,
so there the same outcomes are checked one intake after another.
"""

import datetime as dt
import threading

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yousu.appeals import services
from yousu.appeals.models import Appeal, DailySequence, Event
from yousu.org.services import area_set_appeal_code_prefix

from .factories import new_appeal

DAY = timezone.make_aware(dt.datetime(2026, 11, 22, 9, 0))


def numbers() -> list[int]:
    return sorted(int(code[-6:]) for code in Appeal.objects.values_list("code", flat=True))


def test_a_changed_prefix_is_used_by_the_next_intake(world):
    area_set_appeal_code_prefix(world.areas.city, "XN")
    assert new_appeal(world, received_at=DAY).code == "XN20261122000001"
    area_set_appeal_code_prefix(world.areas.city, "QH")
    assert new_appeal(world, received_at=DAY).code == "QH20261122000001"
    area_set_appeal_code_prefix(world.areas.city, "XN")
    assert new_appeal(world, received_at=DAY).code == "XN20261122000002"


def test_one_statement_numbers_an_intake_and_no_savepoint_is_taken(transactional_db, world):
    # Without a test transaction around it, appeal_create's transaction is the outermost one, as in
    # a request: it needs no savepoint of its own.
    new_appeal(world, received_at=DAY)
    with CaptureQueriesContext(connection) as queries:
        appeal = new_appeal(world, received_at=DAY)
    statements = [query["sql"] for query in queries.captured_queries]
    assert appeal.code == "YS20261122000002"
    assert not [sql for sql in statements if "SAVEPOINT" in sql.upper()], statements
    assert len([sql for sql in statements if DailySequence._meta.db_table in sql]) == 1, statements


def test_the_numbering_without_returning_counts_on_from_the_same_row(world):
    # SQLite before 3.35 has no RETURNING; its way must continue the same counter and read the prefix.
    day = DAY.date()
    with transaction.atomic():
        first = services._next_code(root_area_code="C", day=day)
        second = services._next_code_without_returning(root_area_code="C", day=day)
        third = services._next_code(root_area_code="C", day=day)
        area_set_appeal_code_prefix(world.areas.city, "XN")
        other = services._next_code_without_returning(root_area_code="C", day=day)
    assert (first, second, third) == ("YS20261122000001", "YS20261122000002", "YS20261122000003")
    assert other == "XN20261122000001"


def _lose_the_idempotency_race(world, monkeypatch):
    """The second submission of a key checks before the first has committed, so it goes on to insert."""
    first = new_appeal(world, channel="web", idempotency_key="form-7", received_at=DAY)
    check = services._appeal_with_key
    checks = []

    def not_yet_committed(channel, key):
        checks.append(key)
        return None if len(checks) == 1 else check(channel, key)

    monkeypatch.setattr(services, "_appeal_with_key", not_yet_committed)
    again = new_appeal(world, channel="web", idempotency_key="form-7", received_at=DAY, title="重复提交")
    assert again.pk == first.pk and again.title == first.title
    assert len(checks) == 2  # it did reach the insert
    # Its number went back with the rest of its transaction.
    assert new_appeal(world, received_at=DAY).code == "YS20261122000002"
    assert Event.objects.filter(action="received").count() == 2


def test_an_intake_losing_an_idempotency_race_inside_a_transaction_gives_its_number_back(world, monkeypatch):
    _lose_the_idempotency_race(world, monkeypatch)


def test_an_intake_losing_an_idempotency_race_on_its_own_gives_its_number_back(
    transactional_db, world, monkeypatch
):
    _lose_the_idempotency_race(world, monkeypatch)


def _at_once(count: int, intake) -> list[Exception]:
    """Run intake(index) in `count` threads released together; the exceptions they raised."""
    start = threading.Barrier(count, timeout=30)
    errors: list[Exception] = []

    def run(index: int) -> None:
        try:
            start.wait()
            intake(index)
        except Exception as exc:  # collected and asserted on in the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_intakes_at_once_get_unique_consecutive_numbers(transactional_db, world):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one writer at a time; the race needs PostgreSQL's row locks")
    threads, each = 8, 5

    def intake(index: int) -> None:
        for _ in range(each):
            new_appeal(world, received_at=DAY)

    # The day has no counter row yet: the first intakes also race to create it.
    assert _at_once(threads, intake) == []
    assert numbers() == list(range(1, threads * each + 1))
    assert DailySequence.objects.get(prefix="YS", day=DAY.date()).last == threads * each


def test_resubmissions_at_once_give_one_appeal_each_and_leave_no_gap(transactional_db, world):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one writer at a time; the race needs PostgreSQL's row locks")
    keys = [f"form-{number}" for number in range(4)]
    received: dict[int, list[str]] = {}

    def intake(index: int) -> None:
        received[index] = [
            new_appeal(world, channel="web", idempotency_key=key, received_at=DAY).code for key in keys
        ]

    assert _at_once(6, intake) == []
    # Every thread got the same appeal for each key, and the losers' numbers were given back.
    assert len({tuple(codes) for codes in received.values()}) == 1
    assert numbers() == [1, 2, 3, 4]
    assert DailySequence.objects.get(prefix="YS", day=DAY.date()).last == 4
