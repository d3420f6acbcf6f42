"""The inbox page and the header: unread count, mark read, and nobody reads another's messages."""

from django.test import Client

from yousu.notifications.models import Notification
from yousu.notifications.services import notify


def signed_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_the_header_counts_unread_and_the_inbox_marks_read(world):
    notify(kind="urge", subject="催办", text="请尽快签收", person=world.people.east_eco_handler)
    client = signed_in(world.people.east_eco_handler)
    start = client.get("/").content.decode()
    assert 'class="badge"' in start and ">1</span>" in start
    page = client.get("/inbox/").content.decode()
    assert "请尽快签收" in page and 'class="unread"' in page
    row = Notification.objects.get(channel="inbox")
    answer = client.post(f"/inbox/{row.pk}/read/", {"next": "/inbox/?unread=1"})
    assert answer.status_code == 302 and answer["Location"] == "/inbox/?unread=1"
    row.refresh_from_db()
    assert row.read_at is not None
    assert "请尽快签收" not in client.get("/inbox/?unread=1").content.decode()
    assert 'class="badge"' not in client.get("/").content.decode()


def test_another_persons_message_is_not_found(world):
    notify(kind="urge", text="只给承办人", person=world.people.east_eco_handler)
    row = Notification.objects.get(channel="inbox")
    other = signed_in(world.people.west_market_handler)
    assert "只给承办人" not in other.get("/inbox/").content.decode()
    assert other.post(f"/inbox/{row.pk}/read/").status_code == 404
    row.refresh_from_db()
    assert row.read_at is None


def test_the_header_shows_each_person_their_desks(world):
    operator = signed_in(world.people.operator).get("/").content.decode()
    assert 'class="desk" href="/intake/"' in operator
    handler = signed_in(world.people.east_eco_handler).get("/").content.decode()
    assert 'href="/intake/"' not in handler
