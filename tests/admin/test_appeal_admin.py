"""The appeal and order admin only shows: nothing can be added, changed or deleted there, and the
citizen's personal data appears masked."""

import pytest

from yousu.appeals.services import appeal_create
from yousu.dispatch.services import appeal_dispatch


@pytest.fixture
def appeal(world):
    created = appeal_create(
        kind="complaint",
        channel="hotline",
        title="油烟扰民",
        content="楼下饭店油烟很大",
        intake_unit=world.units.platform,
        received_by=world.people.operator,
        area=world.areas.grid,
        item=world.items.fumes,
        citizen_name="张三丰",
        citizen_phone="13800005678",
    )
    appeal_dispatch(appeal=created, by=world.people.dispatcher)
    return created


def test_appeal_change_page_masks_the_citizen_and_shows_the_event_log(client, world, appeal):
    world.people.admin.is_superuser = world.people.admin.is_staff = True
    world.people.admin.save()
    client.force_login(world.people.admin)
    html = client.get(f"/admin/appeals/appeal/{appeal.pk}/change/").content.decode()
    assert "138****5678" in html and "张**" in html
    assert "13800005678" not in html and "张三丰" not in html
    assert "appeal_dispatched" in html


@pytest.mark.parametrize(
    "url",
    [
        "/admin/appeals/appeal/",
        "/admin/appeals/event/",
        "/admin/dispatch/order/",
        "/admin/dispatch/returnrequest/",
        "/admin/dispatch/whistle/",
        "/admin/dispatch/criticismnotice/",
        "/admin/appeals/personaldataaccess/",
    ],
)
def test_lists_render_and_offer_no_add(client, world, appeal, url):
    world.people.admin.is_superuser = world.people.admin.is_staff = True
    world.people.admin.save()
    client.force_login(world.people.admin)
    response = client.get(url)
    assert response.status_code == 200
    assert client.get(url + "add/").status_code == 403
