"""The access list admin: proposals through the service, decisions by admin actions, entries read-only."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from yousu.catalog.choices import AccessChangeAction, AccessChangeStage, AccessChangeStatus
from yousu.catalog.models import AccessList, AccessListChange, AccessListEntry, AccessListReview
from yousu.catalog.services import access_list_decide, access_list_establish, access_list_propose
from yousu.org.choices import RoleCode
from yousu.org.services import person_create

from .conftest import grant

CHANGELIST = "admin:catalog_accesslistchange_changelist"


def propose(catalog, by, item=None):
    return access_list_propose(
        access_list=catalog.access_list,
        action=AccessChangeAction.ADD,
        item=item or catalog.item,
        reason="社区网格员可就近劝导",
        by=by,
    )


def decide(client, change, action: str, note: str = "同意列入"):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [change.pk], "post": "yes", "note": note},
        follow=True,
    )


def test_proposal_is_added_through_the_service(root_client, catalog, root):
    response = root_client.post(
        reverse("admin:catalog_accesslistchange_add"),
        {
            "access_list": catalog.access_list.pk,
            "action": AccessChangeAction.ADD,
            "item": catalog.item.pk,
            "reason": "社区网格员可就近劝导",
        },
    )
    assert response.status_code == 302, response.text
    change = AccessListChange.objects.get()
    assert (change.status, change.proposed_by) == (AccessChangeStatus.PROPOSED, root)
    assert not AccessListEntry.objects.exists()


def test_proposal_by_someone_without_the_role_is_refused_on_the_form(client, catalog, handler):
    grant(handler, "add_accesslistchange", "view_accesslistchange")
    client.force_login(handler)
    response = client.post(
        reverse("admin:catalog_accesslistchange_add"),
        {
            "access_list": catalog.access_list.pk,
            "action": AccessChangeAction.ADD,
            "item": catalog.item.pk,
            "reason": "想列入",
        },
    )
    assert response.status_code == 200
    assert "只有单位负责人或系统管理员可以申请调整准入清单" in response.text
    assert not AccessListChange.objects.exists()


def test_approving_through_the_action_creates_the_entry(client, catalog, root, root2):
    change = propose(catalog, root)
    client.force_login(root2)
    confirm = client.post(
        reverse(CHANGELIST), {"action": "approve_changes", "_selected_action": [change.pk], "index": 0}
    )
    assert confirm.status_code == 200
    assert "审批意见" in confirm.text
    assert not AccessListEntry.objects.exists()

    done = decide(client, change, "approve_changes")
    assert "已批准" in done.text
    entry = AccessListEntry.objects.get()
    assert (entry.item, entry.added_by_change) == (catalog.item, change)
    change.refresh_from_db()
    assert (change.status, change.decided_by, change.decision_note) == (
        AccessChangeStatus.APPROVED,
        root2,
        "同意列入",
    )


def test_proposer_approving_their_own_proposal_gets_a_message_and_no_entry(root_client, catalog, root):
    change = propose(catalog, root)
    response = decide(root_client, change, "approve_changes")
    assert response.status_code == 200
    assert "申请人不能审批自己的申请" in response.text
    assert not AccessListEntry.objects.exists()
    change.refresh_from_db()
    assert change.status == AccessChangeStatus.PROPOSED


def test_refusing_through_the_action_adds_nothing(client, catalog, root, root2):
    change = propose(catalog, root)
    client.force_login(root2)
    response = decide(client, change, "refuse_changes", note="应由职能部门承办")
    assert "已驳回" in response.text
    change.refresh_from_db()
    assert (change.status, change.decision_note) == (AccessChangeStatus.REFUSED, "应由职能部门承办")
    assert not AccessListEntry.objects.exists()


def test_cap_reached_is_a_message_not_a_crash(client, catalog, root, root2):
    AccessList.objects.filter(pk=catalog.access_list.pk).update(cap=0)
    change = propose(catalog, root)
    client.force_login(root2)
    response = decide(client, change, "approve_changes")
    assert response.status_code == 200
    assert "达到上限 0 项" in response.text
    assert not AccessListEntry.objects.exists()


def test_decision_without_a_note_asks_again(client, catalog, root, root2):
    change = propose(catalog, root)
    client.force_login(root2)
    response = decide(client, change, "approve_changes", note="")
    assert response.status_code == 200
    assert 'name="note"' in response.text
    change.refresh_from_db()
    assert change.status == AccessChangeStatus.PROPOSED


def test_a_proposal_is_read_only(root_client, catalog, root):
    change = propose(catalog, root)
    url = reverse("admin:catalog_accesslistchange_change", args=[change.pk])
    page = root_client.get(url)
    assert page.status_code == 200
    assert "社区网格员可就近劝导" in page.text
    assert 'name="reason"' not in page.text
    edit = root_client.post(
        url,
        {
            "access_list": catalog.access_list.pk,
            "action": AccessChangeAction.REMOVE,
            "item": catalog.item.pk,
            "reason": "改了",
        },
    )
    assert edit.status_code == 403
    change.refresh_from_db()
    assert change.reason == "社区网格员可就近劝导"


def test_access_list_shows_its_entries_read_only(root_client, catalog, root, root2):
    access_list_decide(change=propose(catalog, root), approve=True, note="同意", by=root2)
    page = root_client.get(reverse("admin:catalog_accesslist_change", args=[catalog.access_list.pk]))
    assert page.status_code == 200
    assert "餐饮油烟" in page.text
    assert 'name="entries-0-item"' not in page.text
    assert 'name="entries-0-DELETE"' not in page.text
    entry = AccessListEntry.objects.get()
    entry_page = root_client.get(reverse("admin:catalog_accesslistentry_change", args=[entry.pk]))
    assert entry_page.status_code == 200
    assert root_client.get(reverse("admin:catalog_accesslistentry_add")).status_code == 403


def test_access_list_is_created_through_the_service(root_client, city):
    response = root_client.post(
        reverse("admin:catalog_accesslist_add"),
        {"name": "东区准入清单", "area": city.district.pk, "cap": 47},
    )
    assert response.status_code == 200
    assert "准入清单按辖区（市级区域）设立" in response.text
    assert not AccessList.objects.exists()
    response = root_client.post(
        reverse("admin:catalog_accesslist_add"),
        {"name": "样例市准入清单", "area": city.city.pk, "cap": 47},
    )
    assert response.status_code == 302
    assert AccessList.objects.get().cap == 47


# ---------------------------------------------------------------- stages, exceptions, yearly review


@pytest.fixture
def stages(city, catalog, root):
    """The list set up; a community leader proposes, the street and district leaders review."""
    access_list_establish(access_list=catalog.access_list, by=root)
    s = SimpleNamespace()
    for name, username, unit in (
        ("community", "sq", city.community_office),
        ("street", "jd", city.street_office),
        ("district", "qx", city.district_platform),
    ):
        person = person_create(
            username=username,
            full_name=f"{unit.name}负责人",
            unit=unit,
            roles=[RoleCode.UNIT_LEADER],
            is_staff=True,
        )
        grant(person, "view_accesslistchange", "add_accesslistchange", "change_accesslistchange")
        setattr(s, name, person)
    return s


def test_the_change_page_shows_the_approvals_trail(client, catalog, stages, root2):
    change = propose(catalog, stages.community)
    assert change.stage == AccessChangeStage.STREET
    for person, note in ((stages.street, "街道审核同意"), (stages.district, "区县审核同意")):
        client.force_login(person)
        response = decide(client, change, "approve_changes", note=note)
        assert "已审批" in response.text, response.text
    change.refresh_from_db()
    assert (change.stage, change.status) == (AccessChangeStage.CITY, AccessChangeStatus.PROPOSED)
    client.force_login(root2)
    page = client.get(reverse("admin:catalog_accesslistchange_change", args=[change.pk]))
    assert "逐级审批记录" in page.text
    assert "街道审核同意" in page.text and "区县审核同意" in page.text
    assert "东关街道办事处" in page.text and "东区平台" in page.text


def test_a_wrong_stage_approver_gets_a_message(client, catalog, stages):
    change = propose(catalog, stages.community)
    client.force_login(stages.district)
    response = decide(client, change, "approve_changes")
    assert "该申请处于街道审核阶段，只能由东关街道办事处的单位负责人或系统管理员审批" in response.text
    change.refresh_from_db()
    assert change.stage == AccessChangeStage.STREET and not change.approvals.exists()


def test_growth_needs_an_exception_recorded_through_the_action(client, catalog, root, root2):
    access_list_decide(change=propose(catalog, root), approve=True, note="同意", by=root2)
    access_list_establish(access_list=catalog.access_list, by=root)
    change = propose(catalog, root, item=catalog.other)
    client.force_login(root2)
    response = decide(client, change, "approve_changes")
    assert "总量不增" in response.text and "growth_exception" in response.text
    assert AccessListEntry.objects.count() == 1
    response = client.post(
        reverse(CHANGELIST),
        {
            "action": "record_exceptions",
            "_selected_action": [change.pk],
            "post": "yes",
            "note": "新颁布的条例",
        },
        follow=True,
    )
    assert "已记录例外理由" in response.text
    decide(client, change, "approve_changes")
    change.refresh_from_db()
    assert (change.status, change.growth_exception, change.growth_exception_by) == (
        AccessChangeStatus.APPROVED,
        "新颁布的条例",
        root2,
    )
    assert AccessListEntry.objects.count() == 2


def test_a_proposal_may_carry_its_exception_from_the_add_form(root_client, catalog, root):
    access_list_establish(access_list=catalog.access_list, by=root)
    response = root_client.post(
        reverse("admin:catalog_accesslistchange_add"),
        {
            "access_list": catalog.access_list.pk,
            "action": AccessChangeAction.ADD,
            "item": catalog.item.pk,
            "reason": "社区网格员可就近劝导",
            "growth_exception": "新法规要求",
        },
    )
    assert response.status_code == 302, response.text
    change = AccessListChange.objects.get()
    assert (change.growth_exception, change.growth_exception_by, change.stage) == (
        "新法规要求",
        root,
        AccessChangeStage.CITY,
    )


def test_the_yearly_review_page_previews_then_records(client, catalog, root, root2):
    access_list_decide(change=propose(catalog, root), approve=True, note="同意", by=root2)
    access_list_establish(access_list=catalog.access_list, by=root)
    change = propose(catalog, root, item=catalog.other)
    access_list_decide(change=change, approve=True, note="同意", by=root2, growth_exception="新法规")
    url = reverse("admin:catalog_accesslist_review", args=[catalog.access_list.pk])
    client.force_login(root2)
    page = client.get(url)
    assert page.status_code == 200
    assert '<td id="size-last-year">1</td>' in page.text
    assert '<td id="size-now">2</td>' in page.text
    assert '<td id="net">1</td>' in page.text
    assert "新法规" in page.text and "施工扬尘" in page.text
    assert not AccessListReview.objects.exists()
    year = timezone.localdate().year
    done = client.post(url, {"year": year, "note": "年度动态调整"}, follow=True)
    assert "年度调整" in done.text
    review = AccessListReview.objects.get()
    assert (review.year, review.size_last_year, review.size_now, review.reviewed_by) == (year, 1, 2, root2)
    again = client.post(url, {"year": year, "note": "再调整"})
    assert again.status_code == 200
    assert f"{year} 年度（或更晚年度）的调整已经做过" in again.text
    assert AccessListReview.objects.count() == 1


def test_the_review_page_refuses_an_unexplained_increase(client, catalog, root, root2):
    access_list_establish(access_list=catalog.access_list, by=root)
    # An addition written outside the services, so without an exception.
    change = AccessListChange.objects.create(
        access_list=catalog.access_list,
        action=AccessChangeAction.ADD,
        item=catalog.item,
        reason="绕过审批",
        status=AccessChangeStatus.APPROVED,
        decided_at=timezone.now(),
    )
    AccessListEntry.objects.create(access_list=catalog.access_list, item=catalog.item, added_by_change=change)
    url = reverse("admin:catalog_accesslist_review", args=[catalog.access_list.pk])
    client.force_login(root2)
    page = client.get(url)
    assert "未记录例外理由" in page.text
    response = client.post(url, {"year": timezone.localdate().year, "note": "调整"})
    assert response.status_code == 200
    assert "没有记录例外理由（growth_exception）：餐饮油烟" in response.text
    assert not AccessListReview.objects.exists()


def test_the_review_page_of_a_list_not_set_up_says_so(root_client, catalog):
    url = reverse("admin:catalog_accesslist_review", args=[catalog.access_list.pk])
    page = root_client.get(url)
    assert page.status_code == 200
    assert "准入清单尚未设立" in page.text


def test_setting_up_through_the_list_action(client, catalog, root, root2, handler):
    client.force_login(root2)
    response = client.post(
        reverse("admin:catalog_accesslist_changelist"),
        {"action": "establish_lists", "_selected_action": [catalog.access_list.pk]},
        follow=True,
    )
    assert "已设立" in response.text
    catalog.access_list.refresh_from_db()
    assert catalog.access_list.established_by == root2
    page = client.get(reverse("admin:catalog_accesslist_change", args=[catalog.access_list.pk]))
    assert reverse("admin:catalog_accesslist_review", args=[catalog.access_list.pk]) in page.text
