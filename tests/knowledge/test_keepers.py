"""Only an entry's keepers write it (issue 21): the read-only leader, supervisors, operators and grid
workers are refused every knowledge write, even for their own unit, in the services, on the API and
on the pages; the keepers (the unit's handlers and leaders, a platform's dispatchers) and the city's
administrators still write."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.api.helpers import Api
from yousu.core.errors import PermissionRefused
from yousu.knowledge.imports import entries_import
from yousu.knowledge.models import KnowledgeEntry, KnowledgeProposal, ProposalStatus
from yousu.knowledge.proposals import proposal_accept, proposal_decline
from yousu.knowledge.services import (
    entry_create,
    entry_restore,
    entry_review,
    entry_update,
    entry_withdraw,
    may_keep,
)
from yousu.org.services import person_create

from .test_proposals import approved
from .test_web import client_of

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)
ENTRIES = "/api/v1/knowledge/entries/"


@pytest.fixture
def leader(world):
    return person_create(username="lee", full_name="市领导", unit=world.units.platform, roles=["leader"])


def non_keepers(world, grid, leader):
    """Each refused role with the unit it belongs to (the unit it would write for)."""
    p, u = world.people, world.units
    return {
        "leader": (leader, u.platform),
        "supervisor": (p.supervisor, u.platform),
        "operator": (p.operator, u.platform),
        "grid_worker": (grid.worker, u.east_community),
    }


ROLES = ("leader", "supervisor", "operator", "grid_worker")


def fields(unit, **overrides):
    values = {
        "question": "社保卡丢了怎么补办",
        "answer": "携带身份证到社保服务大厅挂失补卡。",
        "owning_unit": unit,
        "valid_from": TODAY - DAY,
        "review_due": TODAY + 90 * DAY,
    }
    values.update(overrides)
    return values


def body(unit) -> dict:
    return {
        "question": "社保卡丢了怎么补办",
        "answer": "携带身份证到社保服务大厅挂失补卡。",
        "owning_unit": unit.code,
        "valid_from": TODAY.isoformat(),
        "review_due": (TODAY + 90 * DAY).isoformat(),
    }


@pytest.mark.parametrize("role", ROLES)
def test_a_non_keeper_may_not_create_an_entry_even_for_their_own_unit(world, grid, leader, role):
    person, unit = non_keepers(world, grid, leader)[role]
    assert not may_keep(person, unit)
    with pytest.raises(PermissionRefused) as refused:
        entry_create(by=person, **fields(unit))
    assert refused.value.field == "by"
    assert not KnowledgeEntry.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_a_non_keeper_may_not_change_an_entry_of_their_unit(world, grid, leader, role):
    person, unit = non_keepers(world, grid, leader)[role]
    keeper = world.people.dispatcher if unit == world.units.platform else world.people.east_community_handler
    entry = entry_create(by=keeper, **fields(unit))
    for write in (
        lambda: entry_update(entry=entry, by=person, answer="改过的口径"),
        lambda: entry_review(entry=entry, by=person, next_review_due=TODAY + 200 * DAY),
        lambda: entry_withdraw(entry=entry, by=person, reason="不再适用"),
    ):
        with pytest.raises(PermissionRefused):
            write()
    entry_withdraw(entry=entry, by=keeper, reason="政策调整")
    with pytest.raises(PermissionRefused):
        entry_restore(entry=entry, by=person)
    entry.refresh_from_db()
    assert entry.version == 2 and entry.answer == "携带身份证到社保服务大厅挂失补卡。"


@pytest.mark.parametrize("role", ROLES)
def test_a_non_keeper_may_not_import(world, grid, leader, role):
    person, unit = non_keepers(world, grid, leader)[role]
    data = (
        "问题,答复口径,维护单位,生效日期,下次审核日期\n"
        f"社保卡丢了怎么补办,携带身份证挂失补卡。,{unit.code},{TODAY},{TODAY + 90 * DAY}\n"
    ).encode()
    with pytest.raises(PermissionRefused):
        entries_import(file_name="entries.csv", data=data, by=person)
    assert not KnowledgeEntry.objects.exists()


def test_the_keepers_and_the_citys_administrator_write(world):
    p, u = world.people, world.units
    assert entry_create(by=p.east_eco_handler, **fields(u.east_eco)).version == 1
    assert entry_create(by=p.dispatcher, **fields(u.platform)).version == 1
    # A unit leader keeps the units below theirs.
    assert entry_create(by=p.street_leader, **fields(u.east_community)).version == 1
    assert entry_create(by=p.admin, **fields(u.west_market)).version == 1
    assert KnowledgeEntry.objects.count() == 4


def test_a_superuser_without_a_keeping_role_writes_no_entry(world):
    root = person_create(
        username="root", full_name="超级用户", unit=None, roles=[], is_staff=True, is_superuser=True
    )
    with pytest.raises(PermissionRefused):
        entry_create(by=root, **fields(world.units.east_eco))
    assert not KnowledgeEntry.objects.exists()


def test_only_the_units_keepers_decide_a_proposal_learnt_from_its_reply(world):
    approved(world)
    proposal = KnowledgeProposal.objects.get()
    # A read-only leader placed in the replying unit is not one of its keepers.
    reader = person_create(
        username="eco_lee", full_name="环境局领导看板", unit=world.units.east_eco, roles=["leader"]
    )
    with pytest.raises(PermissionRefused):
        proposal_accept(proposal=proposal, by=reader)
    with pytest.raises(PermissionRefused):
        proposal_decline(proposal=proposal, by=reader, note="不采纳")
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PENDING and not KnowledgeEntry.objects.exists()
    proposal_decline(proposal=proposal, by=world.people.east_eco_handler, note="口径已过时")
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.REJECTED


def test_the_pages_offer_no_write_to_a_non_keeper(world, leader):
    entry = entry_create(by=world.people.dispatcher, **fields(world.units.platform))
    client = client_of(leader)
    assert client.get(reverse("knowledge-create")).status_code == 403
    assert client.get(reverse("knowledge-import")).status_code == 403
    page = client.get(reverse("knowledge-entry", kwargs={"entry_id": entry.pk}))
    assert page.status_code == 200
    assert reverse("knowledge-edit", kwargs={"entry_id": entry.pk}) not in page.content.decode()
    assert client.get(reverse("knowledge-edit", kwargs={"entry_id": entry.pk})).status_code == 403


def test_the_api_refuses_a_non_keeper_403_and_lets_a_keeper_create(live_server, world, grid, leader):
    api = Api(live_server.url)
    for role in ROLES:
        person, unit = non_keepers(world, grid, leader)[role]
        answer = api.post(ENTRIES, person, body(unit))
        assert answer.status == 403, (role, answer.body)
        assert answer.error["field"] == "by"
    assert not KnowledgeEntry.objects.exists()
    created = api.post(ENTRIES, world.people.dispatcher, body(world.units.platform))
    assert created.status == 201, created.body
    assert KnowledgeEntry.objects.get().owning_unit == world.units.platform
