"""Who may take an appeal in, answer it at intake, or link it: intake staff, or the channel's own reporters."""

import datetime as dt

import pytest

from yousu.appeals.models import Appeal
from yousu.appeals.services import appeal_answer_at_intake, appeal_link_duplicate
from yousu.core.errors import DomainError, PermissionRefused
from yousu.dispatch.whistles import whistle_blow
from yousu.org.services import person_create

from .factories import new_appeal


def test_a_read_only_leader_or_a_handler_cannot_take_in_a_hotline_call(world):
    leader = person_create(username="lead1", full_name="领导", unit=world.units.platform, roles=["leader"])
    for person in (leader, world.people.east_market_handler):
        with pytest.raises(PermissionRefused):
            new_appeal(world, received_by=person)
    assert not Appeal.objects.exists()


def test_grid_workers_report_on_the_grid_channel_only(world):
    worker = person_create(
        username="gw", full_name="网格员", unit=world.units.east_community, roles=["grid_worker"]
    )
    reported = new_appeal(
        world, channel="grid_report", received_by=worker, intake_unit=world.units.east_community
    )
    assert reported.received_by == worker
    with pytest.raises(PermissionRefused):
        new_appeal(world, channel="hotline", received_by=worker)


def test_a_hotline_appeal_names_its_operator(world):
    with pytest.raises(DomainError) as caught:
        new_appeal(world, received_by=None)
    assert caught.value.field == "received_by"
    assert (
        new_appeal(world, channel="web", received_by=None).received_by is None
    )  # a citizen's own submission


def test_answering_and_linking_are_for_intake_staff(world):
    inquiry = new_appeal(world, kind="inquiry")
    with pytest.raises(PermissionRefused):
        appeal_answer_at_intake(appeal=inquiry, answer="请咨询社区", by=world.people.east_market_handler)
    with pytest.raises(PermissionRefused):
        appeal_answer_at_intake(appeal=inquiry, answer="请咨询社区", by=None)
    original = new_appeal(world)
    with pytest.raises(PermissionRefused):
        appeal_link_duplicate(
            appeal=new_appeal(world), original=original, by=world.people.east_market_handler
        )
    assert appeal_answer_at_intake(
        appeal=inquiry, answer="办理地点在政务大厅", by=world.people.operator
    ).status == ("answered")


def test_a_whistle_limit_is_capped(world):
    with pytest.raises(DomainError) as caught:
        whistle_blow(
            by=world.people.street_leader,
            problem="占道经营",
            departments=[world.units.east_market],
            report_in_within=dt.timedelta(days=999999999),
        )
    assert caught.value.field == "report_in_within"
