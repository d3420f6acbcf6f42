"""The catalog exception admin: a request goes through the service, the city platform decides it with an
action (never the one who asked), and a request is never edited or deleted there."""

from __future__ import annotations

from django.urls import reverse

from yousu.catalog.choices import DelegationStatus
from yousu.catalog.models import DelegationException
from yousu.catalog.services import delegation_exception_request

CHANGELIST = "admin:catalog_delegationexception_changelist"


def test_a_request_is_added_through_the_service(root_client, city, catalog, root):
    response = root_client.post(
        reverse("admin:catalog_delegationexception_add"),
        {
            "item": catalog.item.pk,
            "area": city.street.pk,
            "unit": city.street_office.pk,
            "unit_kind": "",
            "reason": "街道配有油烟检测人员",
        },
    )
    assert response.status_code == 302, response.text
    made = DelegationException.objects.get()
    assert (made.status, made.requested_by, made.unit) == (DelegationStatus.PENDING, root, city.street_office)


def test_the_services_refusal_shows_on_the_form(root_client, city, catalog):
    response = root_client.post(
        reverse("admin:catalog_delegationexception_add"),
        {"item": catalog.item.pk, "area": city.street.pk, "unit": city.env_bureau.pk, "reason": "试试"},
    )
    assert response.status_code == 200
    assert "目录例外只能交由街道或社区办理" in response.text
    assert not DelegationException.objects.exists()


def test_the_city_decides_by_action_but_not_its_own_request(client, city, catalog, root, root2):
    made = delegation_exception_request(
        item=catalog.item, area=city.street, unit=city.street_office, reason="街道配有油烟检测人员", by=root
    )
    client.force_login(root)
    action = {"action": "approve_exceptions", "_selected_action": [made.pk], "post": "yes", "note": "同意"}
    page = client.post(reverse(CHANGELIST), action, follow=True)
    assert "申请人不能审批自己的申请" in page.text
    made.refresh_from_db()
    assert made.status == DelegationStatus.PENDING
    client.force_login(root2)
    client.post(reverse(CHANGELIST), action, follow=True)
    made.refresh_from_db()
    assert (made.status, made.decided_by, made.decision_note) == (DelegationStatus.APPROVED, root2, "同意")


def test_a_request_is_never_edited(root_client, city, catalog, root):
    made = delegation_exception_request(
        item=catalog.item, area=city.street, unit=city.street_office, reason="街道配有油烟检测人员", by=root
    )
    url = reverse("admin:catalog_delegationexception_change", args=[made.pk])
    root_client.post(url, {"item": catalog.item.pk, "area": city.street.pk, "unit": "", "reason": "改了"})
    made.refresh_from_db()
    assert (made.reason, made.unit) == ("街道配有油烟检测人员", city.street_office)
