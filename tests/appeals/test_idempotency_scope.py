"""An idempotency key is its caller's (issue 21, item 2): keys are unique per channel, so a replay is
answered with the first appeal only to the caller who used the key — the same intake unit, and on the
portal the same phone — and anyone else gets IdempotencyKeyTaken (a 409 at the doors), naming nothing of
that appeal. A replay by the caller changes nothing, as before."""

from __future__ import annotations

import pytest

from tests.appeals.factories import new_appeal
from tests.conftest import box
from yousu.appeals.models import Appeal, Event
from yousu.appeals.portal import citizen_appeal_submit
from yousu.appeals.services import IdempotencyKeyTaken, appeal_replayed
from yousu.grid.services import grid_report_create
from yousu.org.services import area_create, grid_assign, person_create

SECRET = "东一社区幸福路 8 号"


def _taken(error) -> None:
    assert error.value.code == "conflict" and error.value.field == "idempotency_key"
    for secret in (SECRET, "餐饮店油烟扰民"):
        assert secret not in error.value.message


def test_another_units_key_is_refused_and_the_same_units_replay_returns_the_first(world):
    first = new_appeal(world, channel="app", idempotency_key="k-1", address=SECRET)
    before = (Appeal.objects.count(), Event.objects.count())
    with pytest.raises(IdempotencyKeyTaken) as taken:
        new_appeal(
            world,
            channel="app",
            idempotency_key="k-1",
            intake_unit=world.units.east_platform,
            received_by=world.people.east_dispatcher,
        )
    _taken(taken)
    assert (Appeal.objects.count(), Event.objects.count()) == before
    # Another person of the same unit resending the same key gets the first appeal back.
    again = new_appeal(world, channel="app", idempotency_key="k-1", received_by=world.people.dispatcher)
    assert again.pk == first.pk and Appeal.objects.count() == 1


def test_the_lookup_without_a_unit_checks_the_owner(world):
    first = new_appeal(world, channel="web", idempotency_key="k-2")
    assert appeal_replayed(channel="web", idempotency_key="k-2", owner=lambda a: True) == first
    with pytest.raises(IdempotencyKeyTaken):
        appeal_replayed(channel="web", idempotency_key="k-2", owner=lambda a: False)
    assert appeal_replayed(channel="web", idempotency_key="k-3") is None


def test_a_portal_key_is_the_phones_that_submitted_it(world):
    fields = {
        "kind": "complaint",
        "content": "小区门口的餐馆油烟直排。",
        "address": SECRET,
        "ip": "10.0.0.1",
        "idempotency_key": "form-1",
    }
    first = citizen_appeal_submit(phone="13912340000", **fields)
    with pytest.raises(IdempotencyKeyTaken) as taken:
        citizen_appeal_submit(phone="13700001111", **{**fields, "ip": "10.0.0.2"})
    _taken(taken)
    assert Appeal.objects.count() == 1
    # The same citizen (the number however written) resubmitting the form gets their appeal.
    assert citizen_appeal_submit(phone="+86 139 1234 0000", **fields).pk == first.pk


def test_a_grid_report_key_is_its_communitys(world, grid):
    west_grid = area_create(
        code="C-W-1-1-G1",
        name="西一社区第1网格",
        kind="grid",
        parent=world.areas.west_community,
        boundary=box(100.2, 31.2, 100.4, 31.4),
    )
    west_worker = person_create(
        username="gwenw", full_name="网格员乙", unit=world.units.west_community, roles=["grid_worker"]
    )
    grid_assign(area=west_grid, person=west_worker, duty="full_time")
    first = grid_report_create(
        by=grid.worker,
        kind=grid.pollution,
        text="东一社区网格发现油烟",
        mode="assisted",
        idempotency_key="g-1",
    )
    with pytest.raises(IdempotencyKeyTaken):
        grid_report_create(
            by=west_worker,
            kind=grid.pollution,
            text="西一社区网格发现油烟",
            mode="assisted",
            idempotency_key="g-1",
        )
    assert Appeal.objects.count() == 1
    again = grid_report_create(
        by=grid.worker,
        kind=grid.pollution,
        text="东一社区网格发现油烟",
        mode="assisted",
        idempotency_key="g-1",
    )
    assert again.pk == first.pk


def test_another_unit_losing_the_race_for_a_key_is_refused_and_leaves_nothing(world, monkeypatch):
    """Its check runs before the first intake commits, so it reaches the insert; the unique constraint
    stops it there, and the answer is the same refusal, not the first appeal."""
    from yousu.appeals import services

    first = new_appeal(world, channel="app", idempotency_key="k-9", address=SECRET)
    check = services._appeal_with_key
    checks = []

    def not_yet_committed(channel, key):
        checks.append(key)
        return None if len(checks) == 1 else check(channel, key)

    monkeypatch.setattr(services, "_appeal_with_key", not_yet_committed)
    with pytest.raises(IdempotencyKeyTaken) as taken:
        new_appeal(
            world,
            channel="app",
            idempotency_key="k-9",
            intake_unit=world.units.east_platform,
            received_by=world.people.east_dispatcher,
        )
    _taken(taken)
    assert len(checks) == 2  # it did reach the insert
    assert list(Appeal.objects.all()) == [first]
    assert Event.objects.filter(action="received").count() == 1
