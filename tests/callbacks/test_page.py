"""The citizen's callback page: three questions, answered once, nothing but the appeal's title and reply."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from yousu.callbacks.models import Callback
from yousu.dispatch.choices import OrderStatus
from yousu.supervision.jobs import run_periodic

from ..api.helpers import CITIZEN_NAME, CITIZEN_PHONE
from .helpers import GATEWAY, SENT, completed_order, events, token_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(world):
    SENT.clear()
    order = completed_order(world, channel="mini_program", idempotency_key="")
    with override_settings(YOUSU_SMS_GATEWAY=GATEWAY):
        run_periodic()
    token = token_in(SENT[0]["text"])
    return order, f"/callback/{token}/"


def test_the_page_shows_the_title_and_reply_and_nothing_personal(client, link):
    order, path = link
    page = client.get(path)
    text = page.content.decode()
    assert page.status_code == 200
    assert order.appeal.title in text and order.reply_text in text
    for secret in (CITIZEN_NAME, CITIZEN_PHONE, order.appeal.content, order.appeal.code):
        assert secret not in text
    assert 'name="satisfaction"' in text and 'name="solved"' in text and 'name="comment"' in text


def test_the_citizen_answers_once(client, link):
    order, path = link
    answered = client.post(path, {"solved": "yes", "satisfaction": "satisfied", "comment": "谢谢"})
    assert answered.status_code == 200 and "感谢" in answered.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED
    assert events(order.appeal, "callback_done")[0].payload["channel"] == "web"
    again = client.post(path, {"solved": "no", "satisfaction": "unsatisfied"})
    assert again.status_code == 409 and "已评价" in again.content.decode()
    assert len(events(order.appeal, "callback_done")) == 1


def test_an_incomplete_answer_is_asked_again(client, link):
    order, path = link
    page = client.post(path, {"solved": "yes"})
    assert page.status_code == 200 and 'name="satisfaction"' in page.content.decode()
    assert Callback.objects.get(order=order).status == "pending"


def test_an_expired_or_wrong_link(client, link):
    order, path = link
    assert client.get("/callback/not-a-token/").status_code == 404
    Callback.objects.filter(order=order).update(token_expires_at=timezone.now() - dt.timedelta(seconds=1))
    page = client.post(path, {"solved": "yes", "satisfaction": "satisfied"})
    assert page.status_code == 409 and "失效" in page.content.decode()
    assert not events(order.appeal, "callback_done")
