"""The inbox (站内信): a person reads their own messages and their unit's; over the API as well."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tests.appeals.factories import at_eco
from yousu.core.errors import PermissionRefused
from yousu.notifications.choices import NotificationChannel
from yousu.notifications.selectors import inbox_for, unread_count
from yousu.notifications.services import mark_read, notify


def inbox_row(rows):
    (row,) = [row for row in rows if row.channel == NotificationChannel.INBOX]
    return row


@pytest.fixture
def messages(world, reachable):
    """Two messages for the east environment handler (one personal, one to the unit about an order),
    and one for another unit."""
    _city, order = at_eco(world)
    own = inbox_row(notify(kind="urge", text="请签收", person=reachable))
    unit = inbox_row(notify(kind="red_warning", text="即将超期", unit=world.units.east_eco, order=order))
    other = inbox_row(notify(kind="urge", text="别的单位", unit=world.units.west_eco))
    return own, unit, other


def test_the_inbox_holds_own_and_unit_messages_newest_first(world, reachable, messages):
    own, unit, _other = messages
    assert list(inbox_for(reachable)) == [unit, own]
    assert unread_count(reachable) == 2
    # A colleague in the same unit sees the unit's message, not the personal one.
    assert list(inbox_for(world.people.east_eco_handler)) == [unit, own]
    assert list(inbox_for(world.people.west_market_handler)) == []


def test_only_inbox_rows_are_in_the_inbox(world, reachable, messages, endpoint):
    notify(kind="urge", text="催办", unit=world.units.east_eco)
    assert {row.channel for row in inbox_for(reachable)} == {NotificationChannel.INBOX}


def test_marking_read_counts_down_and_is_idempotent(world, reachable, messages):
    own, unit, _other = messages
    read = mark_read(notification=own, person=reachable)
    assert read.read_at is not None
    assert mark_read(notification=own, person=reachable).read_at == read.read_at
    assert unread_count(reachable) == 1
    # A unit's message is read for the whole unit once one of its people has read it.
    mark_read(notification=unit, person=reachable)
    assert unread_count(reachable) == 0


def test_nobody_marks_someone_elses_message(world, messages):
    own, _unit, other = messages
    outsiders = [(own, world.people.west_market_handler), (other, world.people.east_eco_handler)]
    for message, outsider in outsiders:
        with pytest.raises(PermissionRefused) as refused:
            mark_read(notification=message, person=outsider)
        assert refused.value.field == "notification"
    assert unread_count(world.people.east_eco_handler) == 2


def test_the_api_lists_my_inbox_with_the_unread_count_and_marks_one_read(world, reachable, messages):
    own, unit, other = messages
    client = APIClient()
    client.force_authenticate(reachable)
    answer = client.get("/api/v1/notifications/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] == 2 and body["unread_count"] == 2
    assert [item["id"] for item in body["results"]] == [unit.pk, own.pk]
    assert body["results"][0] == {
        "id": unit.pk,
        "kind": "red_warning",
        "subject": "",
        "text": "即将超期",
        "order": unit.order_id,
        "appeal": unit.order.appeal.code,
        "unit": world.units.east_eco.code,
        "created_at": body["results"][0]["created_at"],
        "read_at": None,
        "read": False,
    }
    assert (body["results"][1]["unit"], body["results"][1]["order"], body["results"][1]["appeal"]) == (
        None,
        None,
        None,
    )

    marked = client.post(f"/api/v1/notifications/{own.pk}/read/")
    assert marked.status_code == 200 and marked.json()["read"] is True
    assert client.get("/api/v1/notifications/").json()["unread_count"] == 1
    # Someone else's message is not there at all.
    missing = client.post(f"/api/v1/notifications/{other.pk}/read/")
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "id"


def test_the_api_needs_a_signed_in_person(world, messages):
    answer = APIClient().get("/api/v1/notifications/")
    assert answer.status_code == 401 and answer.json()["error"]["field"] == "authorization"


def test_the_inbox_endpoints_describe_themselves_in_the_schema_without_warnings(capsys):
    generator = SchemaGenerator(urlconf="yousu.api.urls")
    schema = generator.get_schema(request=None, public=True)
    assert {"/v1/notifications/", "/v1/notifications/{id}/read/"} <= set(schema["paths"])
    page = schema["components"]["schemas"]["NotificationPage"]
    assert "unread_count" in page["properties"]
    assert capsys.readouterr().err == ""
