"""The admin of grid governance: report kinds are edited there; daily reports, missing flags, found
problems and joint meetings are records, shown read-only (no add, change or delete)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from yousu.grid.models import DailyReportScope, MissingDailyReport, ReportKind
from yousu.grid.services import daily_report_submit, grid_report_create, joint_meeting_record
from yousu.org.services import grid_assign, person_create

REGISTERED = [
    "grid.reportkind",
    "grid.dailyreportscope",
    "grid.dailyreport",
    "grid.missingdailyreport",
    "grid.foundproblem",
    "grid.jointmeeting",
]
RECORDS = REGISTERED[2:]


def admin_url(label: str, view: str, *args) -> str:
    app_label, model_name = label.split(".")
    return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)


@pytest.fixture
def root(db):
    return person_create(
        username="root", full_name="管理员甲", unit=None, roles=[], is_staff=True, is_superuser=True
    )


@pytest.fixture
def root_client(client, root):
    client.force_login(root)
    return client


@pytest.fixture
def records(world):
    """One row of every grid model: a grid report, a daily report with a problem, a missing flag and a
    joint meeting with a matter and a decision."""
    a, u, p = world.areas, world.units, world.people
    worker = person_create(
        username="gwen", full_name="网格员甲", unit=u.east_community, roles=["grid_worker"]
    )
    grid_assign(area=a.grid, person=worker, duty="full_time")
    kind, _ = ReportKind.objects.get_or_create(code="pollution", defaults={"name": "生态环境污染"})
    kind.item = world.items.fumes
    kind.save()
    problem = grid_report_create(by=worker, kind=kind, text="沿街餐馆油烟直排", mode="assisted", grid=a.grid)
    today = timezone.localdate()
    report = daily_report_submit(
        community=u.east_community,
        day=today,
        by=p.east_community_handler,
        problems=[{"text": "小区门口路灯不亮", "kind": kind, "area": a.grid}],
    )
    MissingDailyReport.objects.create(
        community=u.west_community,
        street=u.west_street,
        day=today - dt.timedelta(days=1),
        flagged_at=timezone.now(),
    )
    meeting = joint_meeting_record(
        by=p.east_dispatcher,
        convened_by=u.east_platform,
        held_on=today,
        title="东一社区餐饮油烟问题联席会议",
        attendees=[u.east_eco, u.east_market],
        minutes="环境局负责执法检测。",
        matters=[
            {
                "appeal": problem.appeal,
                "discussion": "三家餐馆未安装油烟净化器",
                "decisions": [
                    {
                        "kind": "order",
                        "text": "督促安装净化设施",
                        "owner": u.east_eco,
                        "due": timezone.now() + dt.timedelta(days=3),
                    }
                ],
            }
        ],
    )
    DailyReportScope.objects.create(area=a.east, since=today - dt.timedelta(days=30), note="试点区")
    return {"kind": kind, "problem": problem, "report": report, "meeting": meeting}


def test_the_grid_models_with_rows_of_their_own_are_registered():
    registered = {
        f"{model._meta.app_label}.{model._meta.model_name}"
        for model in admin.site._registry
        if model._meta.app_label == "grid"
    }
    assert set(REGISTERED) <= registered
    # Matters and decisions are shown on their meeting's page.
    assert not {"grid.meetingmatter", "grid.meetingdecision"} & registered


@pytest.mark.parametrize("label", REGISTERED)
def test_changelist_and_change_pages_render(root_client, records, label):
    obj = apps.get_model(label)._default_manager.first()
    assert root_client.get(admin_url(label, "changelist")).status_code == 200
    assert root_client.get(admin_url(label, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("label", RECORDS)
def test_records_cannot_be_added_changed_or_deleted(root_client, records, label):
    model = apps.get_model(label)
    obj = model._default_manager.first()
    assert root_client.get(admin_url(label, "add")).status_code == 403
    changelist = root_client.get(admin_url(label, "changelist"))
    assert 'value="delete_selected"' not in changelist.text
    page = root_client.get(admin_url(label, "change", obj.pk))
    assert 'name="_save"' not in page.text
    assert root_client.post(admin_url(label, "change", obj.pk), {}).status_code == 403
    assert root_client.post(admin_url(label, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model._default_manager.filter(pk=obj.pk).exists()


def test_the_meeting_page_shows_its_matters_and_decisions(root_client, records):
    meeting = records["meeting"]
    page = root_client.get(admin_url("grid.jointmeeting", "change", meeting.pk)).text
    assert records["problem"].appeal.code in page
    assert "三家餐馆未安装油烟净化器" in page and "督促安装净化设施" in page


def test_the_daily_report_page_lists_its_problems(root_client, records):
    page = root_client.get(admin_url("grid.dailyreport", "change", records["report"].pk)).text
    assert "小区门口路灯不亮" in page


def test_report_kinds_are_edited_in_the_admin_but_not_deleted(root_client, records, world):
    kind = records["kind"]
    changelist = root_client.get(admin_url("grid.reportkind", "changelist")).text
    for column in ("排序", "编码", "名称", "对应目录事项", "启用"):
        assert column in changelist, column
    assert "餐饮油烟污染" in changelist
    assert root_client.get(admin_url("grid.reportkind", "add")).status_code == 200
    answer = root_client.post(
        admin_url("grid.reportkind", "change", kind.pk),
        {
            "code": "pollution",
            "name": "生态环境污染（含油烟）",
            "description": "",
            "item": world.items.fumes.pk,
            "position": 3,
            "is_active": "",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    kind.refresh_from_db()
    assert (kind.name, kind.position, kind.is_active) == ("生态环境污染（含油烟）", 3, False)
    # Only third-level items may be chosen.
    answer = root_client.post(
        admin_url("grid.reportkind", "add"),
        {"code": "other", "name": "其他", "item": world.items.category.pk, "position": 9, "is_active": "on"},
    )
    assert answer.status_code == 200 and not ReportKind.objects.filter(code="other").exists()
    assert (
        root_client.post(admin_url("grid.reportkind", "delete", kind.pk), {"post": "yes"}).status_code == 403
    )


def test_where_the_daily_report_is_required_is_edited_in_the_admin(root_client, records, world):
    assert root_client.get(admin_url("grid.dailyreportscope", "add")).status_code == 200
    answer = root_client.post(
        admin_url("grid.dailyreportscope", "add"),
        {"area": world.areas.west.pk, "since": "2026-12-01", "note": "推开到西区"},
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert DailyReportScope.objects.get(area=world.areas.west).note == "推开到西区"
