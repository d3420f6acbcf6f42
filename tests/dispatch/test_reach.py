"""Actions that name appeals check the actor's reach over each one in the domain (issue 21, item 1), so
every door (API, desks, intake form) gets the same answer: a hot issue's dispatch, a link between
duplicates (also in the intake form), a consultation or a whistle about an appeal. An appeal beyond
reach is answered as one that does not exist, and nothing is written."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.dispatch.reach import district_appeal, hot_issue_of, west_dispatcher
from yousu.appeals.choices import AppealStatus
from yousu.appeals.models import Appeal, Event
from yousu.appeals.selectors import appeals_visible_to
from yousu.appeals.services import appeal_link_duplicate
from yousu.core.errors import NotFound, PermissionRefused
from yousu.dispatch.consultations import consultation_open
from yousu.dispatch.hot_issues import hot_issue_dispatch
from yousu.dispatch.models import Consultation, Order, Whistle
from yousu.dispatch.whistles import whistle_blow
from yousu.org.services import person_create


@pytest.fixture
def west(world):
    return west_dispatcher(world)


def _written():
    return Appeal.objects.count(), Event.objects.count(), Order.objects.count()


def test_a_district_dispatcher_reaches_its_own_queue_and_not_the_other_districts(world, west):
    east = district_appeal(world, "east", 0)
    mine = district_appeal(world, "west", 1, by=west)
    assert list(appeals_visible_to(west)) == [mine]
    assert list(appeals_visible_to(world.people.east_dispatcher)) == [east]
    assert set(appeals_visible_to(world.people.supervisor)) == {east, mine}


def test_a_hot_issue_is_merged_only_by_who_reaches_every_open_appeal(world, west):
    east = [district_appeal(world, "east", n) for n in range(2)]
    west_side = [district_appeal(world, "west", n, by=west) for n in range(2, 4)]
    across = hot_issue_of(world, [*east, *west_side])
    only_east = hot_issue_of(world, [district_appeal(world, "east", n) for n in range(3)])
    before = _written()
    with pytest.raises(PermissionRefused) as refused:
        hot_issue_dispatch(hot_issue=across, by=west, unit=world.units.west_market, reason="就近")
    assert refused.value.field == "hot_issue"
    assert not [a.code for a in east if a.code in refused.value.message]
    with pytest.raises(NotFound):
        hot_issue_dispatch(hot_issue=only_east, by=west, unit=world.units.west_market, reason="就近")
    assert _written() == before
    assert set(Appeal.objects.values_list("status", flat=True)) == {AppealStatus.RECEIVED}


def test_a_link_needs_both_appeals_within_reach(world, west):
    east = district_appeal(world, "east", 0)
    mine = district_appeal(world, "west", 1, by=west)
    before = _written()
    with pytest.raises(NotFound) as refused:
        appeal_link_duplicate(appeal=mine, original=east, by=west, reason="同一问题")
    assert refused.value.field == "original"
    with pytest.raises(NotFound) as refused:
        appeal_link_duplicate(appeal=east, original=mine, by=west, reason="同一问题")
    assert refused.value.field == "appeal"
    assert _written() == before
    east.refresh_from_db()
    assert east.status == AppealStatus.RECEIVED and not east.duplicates.exists()


def test_the_intake_form_cannot_link_a_new_appeal_to_another_districts_appeal(world, west):
    east = district_appeal(world, "east", 0)
    client = Client()
    client.force_login(west)
    form = {
        "kind": "complaint",
        "channel": "hotline",
        "citizen_name": "王小明",
        "citizen_phone": "13812345678",
        "title": "烧烤店油烟",
        "content": "幸福小区楼下烧烤店油烟直排。",
        "duplicate_of": east.code,
        "idempotency_key": "wade-form-1",
    }
    before = _written()
    answer = client.post("/intake/", form)
    assert answer.status_code == 400
    assert _written() == before
    assert not east.duplicates.exists()
    # Linked to an appeal of its own side, the same form goes through.
    mine = district_appeal(world, "west", 1, by=west)
    assert client.post("/intake/", {**form, "duplicate_of": mine.code}).status_code == 302
    assert Appeal.objects.get(idempotency_key="wade-form-1").duplicate_of == mine


def test_a_consultation_on_an_appeal_needs_the_appeal_within_reach(world, west):
    east = district_appeal(world, "east", 0)
    with pytest.raises(NotFound) as refused:
        consultation_open(
            item=world.items.parking,
            topic="停车由谁管",
            parties=[world.units.west_street, world.units.west_market],
            by=west,
            appeal=east,
        )
    assert refused.value.field == "appeal"
    assert not Consultation.objects.exists() and not east.events.exclude(action="received").exists()


def test_a_whistle_names_an_appeal_of_its_own_ground_or_one_within_reach(world):
    west_street = person_create(
        username="wes", full_name="西一街道负责人", unit=world.units.west_street, roles=["unit_leader"]
    )
    east = district_appeal(world, "east", 0)
    with pytest.raises(NotFound) as refused:
        whistle_blow(by=west_street, problem="占道经营", departments=[world.units.west_market], appeal=east)
    assert refused.value.field == "appeal"
    assert not Whistle.objects.exists()
    # The east street summons departments to a problem on its ground though the appeal is not its own.
    blown = whistle_blow(
        by=world.people.street_leader, problem="油烟扰民", departments=[world.units.east_eco], appeal=east
    )
    assert blown.appeal == east
