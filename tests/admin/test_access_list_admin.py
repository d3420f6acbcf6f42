"""The access list admin: proposals through the service, decisions by admin actions, entries read-only."""

from __future__ import annotations

from django.urls import reverse

from yousu.catalog.choices import AccessChangeAction, AccessChangeStatus
from yousu.catalog.models import AccessList, AccessListChange, AccessListEntry
from yousu.catalog.services import access_list_decide, access_list_propose

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
