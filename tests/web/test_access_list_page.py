"""The access list page: a change climbs street → district → city on the page, each stage decided by
its own approver, and the city's approval of growth without a recorded exception is refused."""

from __future__ import annotations

from django.test import Client

from yousu.catalog.choices import AccessChangeStage, AccessChangeStatus
from yousu.catalog.models import AccessListChange
from yousu.catalog.services import access_list_establish
from yousu.org.services import person_create


def signed_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_a_change_climbs_the_levels_and_growth_needs_an_exception(world):
    w = world
    access_list_establish(access_list=w.access_list, by=w.people.admin)
    street_approver = person_create(
        username="sally", full_name="街道书记", unit=w.units.east_street, roles=["unit_leader"]
    )
    district_approver = person_create(
        username="dora", full_name="区平台负责人", unit=w.units.east_platform, roles=["unit_leader"]
    )
    anonymous = Client().get("/catalog/access-list/")
    assert anonymous.status_code == 200 and "楼道堆物劝导" in anonymous.content.decode()
    assert "提交申请" not in anonymous.content.decode()

    proposer = signed_in(w.people.street_leader)
    answer = proposer.post(
        f"/catalog/access-list/{w.access_list.pk}/propose/",
        {"action": "add", "item": w.items.parking.pk, "reason": "小区停车协调宜由社区组织"},
        follow=True,
    )
    assert "现处于“街道审核”阶段" in answer.content.decode()
    change = AccessListChange.objects.get(item=w.items.parking)
    assert change.stage == AccessChangeStage.STREET

    # The proposer sees no decision form on his own change; the street's other leader does.
    assert (
        f"/catalog/access-list/changes/{change.pk}/decide/"
        not in proposer.get("/catalog/access-list/").content.decode()
    )
    street = signed_in(street_approver)
    assert (
        f"/catalog/access-list/changes/{change.pk}/decide/"
        in street.get("/catalog/access-list/").content.decode()
    )
    # Someone of another level cannot decide it at this stage.
    refused = signed_in(district_approver).post(
        f"/catalog/access-list/changes/{change.pk}/decide/",
        {"decision": "approve", "note": "同意"},
        follow=True,
    )
    assert "街道" in refused.content.decode()
    change.refresh_from_db()
    assert change.stage == AccessChangeStage.STREET

    street.post(
        f"/catalog/access-list/changes/{change.pk}/decide/", {"decision": "approve", "note": "同意上报"}
    )
    change.refresh_from_db()
    assert change.stage == AccessChangeStage.DISTRICT
    signed_in(district_approver).post(
        f"/catalog/access-list/changes/{change.pk}/decide/", {"decision": "approve", "note": "同意上报"}
    )
    change.refresh_from_db()
    assert change.stage == AccessChangeStage.CITY

    city = signed_in(w.people.admin)
    grows = city.post(
        f"/catalog/access-list/changes/{change.pk}/decide/",
        {"decision": "approve", "note": "同意"},
        follow=True,
    )
    assert "例外" in grows.content.decode()
    change.refresh_from_db()
    assert change.status == AccessChangeStatus.PROPOSED
    assert not w.access_list.entries.filter(item=w.items.parking).exists()

    city.post(f"/catalog/access-list/changes/{change.pk}/exception/", {"reason": "新修订的物业管理条例规定"})
    done = city.post(
        f"/catalog/access-list/changes/{change.pk}/decide/",
        {"decision": "approve", "note": "同意"},
        follow=True,
    )
    assert "已批准" in done.content.decode()
    change.refresh_from_db()
    assert change.status == AccessChangeStatus.APPROVED
    assert w.access_list.entries.filter(item=w.items.parking).exists()
    page = city.get("/catalog/access-list/").content.decode()
    assert "新修订的物业管理条例规定" in page and "街道书记" in page and "区平台负责人" in page


def test_only_unit_leaders_and_administrators_propose(world):
    client = signed_in(world.people.east_eco_handler)
    assert "提交申请" not in client.get("/catalog/access-list/").content.decode()
    answer = client.post(
        f"/catalog/access-list/{world.access_list.pk}/propose/",
        {"action": "add", "item": world.items.parking.pk, "reason": "试试"},
        follow=True,
    )
    assert "只有单位负责人或系统管理员" in answer.content.decode()
    assert not AccessListChange.objects.filter(item=world.items.parking).exists()
    assert Client().post(f"/catalog/access-list/{world.access_list.pk}/propose/", {}).status_code == 302
