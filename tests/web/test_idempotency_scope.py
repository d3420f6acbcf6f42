"""On the pages, an idempotency key is its caller's too (issue 21, item 2): the portal form's key is the
phone's that submitted it — from another browser with another phone it is a 409 that shows nothing of
that appeal and proves nothing (before, it opened the other citizen's progress page) — and the intake
desk's is its unit's."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from yousu.appeals.models import Appeal

FORM = {
    "kind": "complaint",
    "content": "小区门口的餐馆油烟直排，晚上窗户都不敢开。请尽快处理。",
    "title": "幸福路餐馆油烟",
    "citizen_phone": "13912340000",
    "citizen_name": "李四",
    "address": "东一社区幸福路 8 号",
}


# What a visitor from another browser types: nothing of it is the first citizen's.
OTHER = {
    "citizen_phone": "13700001111",
    "citizen_name": "赵六",
    "title": "另一件事",
    "content": "我的另一件事。",
    "address": "西区和平路 1 号",
}


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


def test_a_portal_forms_key_from_another_browser_and_phone_shows_nothing_and_proves_nothing(world):
    citizen = Client()
    key = citizen.get("/h5/submit/").context["form"]["idempotency_key"].value()
    done = citizen.post("/h5/submit/", {**FORM, "idempotency_key": key})
    assert done.status_code == 302
    appeal = Appeal.objects.get()

    other = Client()
    answer = other.post("/h5/submit/", {**FORM, **OTHER, "idempotency_key": key})
    assert answer.status_code == 409
    body = answer.content.decode()
    for secret in (appeal.code, "李四", "幸福路", "窗户都不敢开", "139****0000"):
        assert secret not in body, secret
    assert Appeal.objects.count() == 1
    # Nothing was proven in that browser: the appeal's pages send it to the look-up form.
    for page in (f"/h5/submitted/{appeal.code}/", f"/h5/track/{appeal.code}/"):
        assert other.get(page).status_code == 302
    # The form it got back has a new key: submitted again, it is this visitor's own appeal.
    fresh = answer.context["form"]["idempotency_key"].value()
    assert fresh and fresh != key
    again = other.post(
        "/h5/submit/",
        {**FORM, "idempotency_key": fresh, "citizen_phone": "13700001111", "content": "我的另一件事。"},
    )
    assert again.status_code == 302 and Appeal.objects.count() == 2

    # The citizen who submitted the form, resubmitting it, gets their appeal as before.
    resent = citizen.post("/h5/submit/", {**FORM, "idempotency_key": key})
    assert resent.status_code == 302 and appeal.code in resent["Location"]
    assert Appeal.objects.count() == 2


def test_the_intake_desks_key_is_its_units(world):
    form = {**FORM, "channel": "hotline", "idempotency_key": "desk-form-1"}
    operator = Client()
    operator.force_login(world.people.operator)
    assert operator.post("/intake/", form).status_code == 302
    appeal = Appeal.objects.get()
    east = Client()
    east.force_login(world.people.east_dispatcher)
    answer = east.post("/intake/", {**form, "title": "另一件事"})
    assert answer.status_code == 409
    assert appeal.code not in answer.content.decode()
    assert Appeal.objects.count() == 1
    assert operator.post("/intake/", form).status_code == 302 and Appeal.objects.count() == 1
