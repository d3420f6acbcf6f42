"""Every admin page of the org and catalog apps renders, and nothing with history can be deleted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from yousu.catalog.services import (
    access_list_decide,
    access_list_establish,
    access_list_propose,
    access_list_yearly_review,
    delegation_exception_request,
)
from yousu.intelligence.places import place_name_create
from yousu.org.calendar import calendar_override_set

OUR_APPS = {"org", "catalog"}
REGISTERED = [
    "org.area",
    "org.sector",
    "org.unit",
    "org.person",
    "org.gridassignment",
    "org.workingcalendar",
    "org.placename",
    "catalog.timelimitclass",
    "catalog.catalogitem",
    "catalog.responsibilityrule",
    "catalog.accesslist",
    "catalog.accesslistchange",
    "catalog.accesslistentry",
    "catalog.accesslistreview",
    "catalog.delegationexception",
]
READ_ONLY = {"catalog.accesslistentry", "catalog.accesslistreview"}
NOT_DELETABLE = [
    "org.area",
    "org.unit",
    "org.workingcalendar",
    "catalog.catalogitem",
    "catalog.responsibilityrule",
    "catalog.accesslistchange",
    "catalog.accesslistentry",
    "catalog.accesslistreview",
    "catalog.delegationexception",
]


def admin_url(label: str, view: str, *args) -> str:
    app_label, model_name = label.split(".")
    return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)


@pytest.fixture
def everything(city, catalog, rule, assignment, root, root2):
    """At least one row of every registered model, the access list entry included."""
    change = access_list_propose(
        access_list=catalog.access_list, action="add", item=catalog.item, reason="社区可就近劝导", by=root
    )
    access_list_decide(change=change, approve=True, note="同意列入", by=root2)
    access_list_establish(access_list=catalog.access_list, by=root)
    access_list_yearly_review(
        access_list=catalog.access_list, year=timezone.localdate().year, by=root2, note="总量不增"
    )
    calendar_override_set(
        area=city.city, date=dt.date(2026, 3, 10), is_workday=False, reason="暴雨停工", by=root
    )
    place_name_create(area=city.street, name="东关大街", kind="road")
    delegation_exception_request(
        item=catalog.item, area=city.street, unit=city.street_office, reason="街道配有油烟检测人员", by=root
    )


def test_every_model_of_org_and_catalog_is_registered():
    registered = {
        f"{model._meta.app_label}.{model._meta.model_name}"
        for model in admin.site._registry
        if model._meta.app_label in OUR_APPS
    }
    assert registered == set(REGISTERED)


@pytest.mark.parametrize("label", REGISTERED)
def test_changelist_add_and_change_pages_render_for_a_superuser(root_client, everything, label):
    model = apps.get_model(label)
    assert root_client.get(admin_url(label, "changelist")).status_code == 200
    # Entries exist only by approved proposals, reviews by the list's review page: no add page.
    expected_add = 403 if label in READ_ONLY else 200
    assert root_client.get(admin_url(label, "add")).status_code == expected_add
    obj = model._default_manager.first()
    assert root_client.get(admin_url(label, "change", obj.pk)).status_code == 200


def test_site_speaks_chinese(root_client):
    response = root_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "有诉 Yousu 管理后台" in response.text


@pytest.mark.parametrize("label", NOT_DELETABLE)
def test_delete_is_not_offered(root_client, everything, label):
    model = apps.get_model(label)
    obj = model._default_manager.first()
    changelist = root_client.get(admin_url(label, "changelist"))
    assert 'value="delete_selected"' not in changelist.text
    change_page = root_client.get(admin_url(label, "change", obj.pk))
    delete_url = admin_url(label, "delete", obj.pk)
    assert delete_url not in change_page.text
    assert root_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert model._default_manager.filter(pk=obj.pk).exists()


def test_delete_is_offered_where_nothing_points_back(root_client, everything):
    # The contrast that shows the assertions above can fail: a sector may still be deleted.
    changelist = root_client.get(admin_url("org.sector", "changelist"))
    assert 'value="delete_selected"' in changelist.text
    sector = apps.get_model("org.sector").objects.get(code="water")
    change_page = root_client.get(admin_url("org.sector", "change", sector.pk))
    assert admin_url("org.sector", "delete", sector.pk) in change_page.text
