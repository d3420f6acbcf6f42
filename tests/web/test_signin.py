"""Login throttling and the limits of a signed-in session (issue 21): five wrong passwords for one
username from one address lock that pair out — the right password too — on the platform's sign-in
page, the API's and the admin's, with the reason in Chinese (JSON on the API); the lock-out shows in
the admin, `yousu unlock` lifts it, and it ends by itself after the cool-off. A staff session ends
when idle for half an hour or twelve hours after the login; the citizen portal is not affected."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.db import OperationalError
from django.db.models import F
from django.test import Client
from django.utils import timezone

from tests.supervision.clock import frozen
from yousu.org.services import person_create
from yousu.web.signin import SIGNED_IN_AT

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-Pass-77"
WRONG = "not-the-password"
SIGN_IN_PAGES = ("/accounts/login/", "/api/auth/login/", "/admin/login/")


@pytest.fixture
def person(world):
    # Staff, so that the admin's sign-in page admits them too once the password is right.
    return person_create(
        username="op2",
        full_name="接线员乙",
        unit=world.units.platform,
        roles=["operator"],
        password=PASSWORD,
        is_staff=True,
    )


def sign_in(client, path, password, **extra):
    return client.post(path, {"username": "op2", "password": password}, **extra)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("path", SIGN_IN_PAGES)
def test_the_right_password_after_five_wrong_ones_is_locked_out(client, person, path):
    assert settings.AXES_FAILURE_LIMIT == 5
    for attempt in range(1, 5):
        answer = sign_in(client, path, WRONG)
        assert answer.status_code == 200, attempt  # the form again, with its error
    assert sign_in(client, path, WRONG).status_code == 429
    locked = sign_in(client, path, PASSWORD)
    assert locked.status_code == 429 and locked["Retry-After"] == "900"
    assert not signed_in(client)
    # Another address is not locked out: guessing from one machine does not lock the person out at
    # their own desk.
    elsewhere = Client()
    assert sign_in(elsewhere, path, PASSWORD, REMOTE_ADDR="10.1.2.3").status_code == 302
    assert signed_in(elsewhere)


@pytest.mark.parametrize("path", ("/accounts/login/", "/admin/login/"))
def test_the_sign_in_page_says_why_in_chinese(client, person, path):
    for _attempt in range(5):
        sign_in(client, path, WRONG)
    page = sign_in(client, path, PASSWORD).content.decode()
    assert "登录失败次数过多" in page and "请 15 分钟后再试" in page and "data-locked-out" in page
    # The reason, not the password's verdict: a locked page never says whether the password was right.
    assert "用户名或密码不正确" not in page


def test_the_api_login_answers_a_json_error_naming_the_reason(client, person):
    for _attempt in range(5):
        sign_in(client, "/api/auth/login/", WRONG)
    answer = sign_in(client, "/api/auth/login/", PASSWORD)
    assert answer.status_code == 429 and answer["Content-Type"].startswith("application/json")
    error = answer.json()["error"]
    assert error["code"] == "locked_out" and error["field"] == "username"
    assert "登录失败次数过多" in error["message"]


def test_a_success_before_the_limit_starts_the_count_again(client, person):
    for _attempt in range(4):
        sign_in(client, "/accounts/login/", WRONG)
    assert sign_in(client, "/accounts/login/", PASSWORD).status_code == 302
    client.logout()
    for _attempt in range(4):
        assert sign_in(client, "/accounts/login/", WRONG).status_code == 200
    assert sign_in(client, "/accounts/login/", PASSWORD).status_code == 302


def test_the_lock_out_ends_after_the_cool_off(client, person):
    for _attempt in range(5):
        sign_in(client, "/accounts/login/", WRONG)
    assert sign_in(client, "/accounts/login/", PASSWORD).status_code == 429
    # Fifteen minutes and a little more pass without another attempt.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - dt.timedelta(minutes=16))
    assert sign_in(client, "/accounts/login/", PASSWORD).status_code == 302


def test_the_admin_lists_the_lock_out_and_yousu_unlock_lifts_it(client, person, capsys):
    for _attempt in range(5):
        sign_in(client, "/accounts/login/", WRONG)
    root = person_create(
        username="root", full_name="系统超级用户", unit=None, roles=[], is_staff=True, is_superuser=True
    )
    admin = Client()
    admin.force_login(root)
    listed = admin.get("/admin/axes/accessattempt/")
    assert listed.status_code == 200 and "op2" in listed.content.decode()

    call_command("unlock", "op2")
    assert "已解除 op2 的登录锁定" in capsys.readouterr().out
    assert not AccessAttempt.objects.filter(username="op2").exists()
    assert sign_in(client, "/accounts/login/", PASSWORD).status_code == 302
    call_command("unlock", "op2")
    assert "没有登录失败记录" in capsys.readouterr().out


def test_unlock_can_lift_one_address_only(person):
    for address in ("10.0.0.1", "10.0.0.2"):
        for _attempt in range(5):
            sign_in(Client(), "/accounts/login/", WRONG, REMOTE_ADDR=address)
    call_command("unlock", "op2", "--address", "10.0.0.1")
    assert sign_in(Client(), "/accounts/login/", PASSWORD, REMOTE_ADDR="10.0.0.1").status_code == 302
    assert sign_in(Client(), "/accounts/login/", PASSWORD, REMOTE_ADDR="10.0.0.2").status_code == 429
    # django-axes' own commands are reachable through `yousu` as well.
    call_command("axes_reset_username", "op2")
    assert sign_in(Client(), "/accounts/login/", PASSWORD, REMOTE_ADDR="10.0.0.2").status_code == 302


# ---------------------------------------------------------------- session limits


def test_a_staff_session_ends_after_half_an_hour_without_a_request(world):
    start = timezone.now()
    client = Client()
    with frozen(start):
        client.force_login(world.people.operator)
    with frozen(start + dt.timedelta(minutes=25)):
        assert client.get("/intake/").status_code == 200
    # 25 minutes after the last request, 50 after the login: still signed in.
    with frozen(start + dt.timedelta(minutes=50)):
        assert client.get("/intake/").status_code == 200
    with frozen(start + dt.timedelta(minutes=81)):
        answer = client.get("/intake/")
        assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/")
        assert not signed_in(client)
        page = client.get(answer["Location"]).content.decode()
        assert "长时间未操作，已自动退出，请重新登录" in page


def test_a_staff_session_ends_twelve_hours_after_the_login_however_busy(world):
    start = timezone.now()
    client = Client()
    with frozen(start):
        client.force_login(world.people.operator)
    assert client.session.get_expiry_date() == start + dt.timedelta(hours=12)
    assert client.session[SIGNED_IN_AT] == start.timestamp()
    for minutes in range(20, 12 * 60, 20):
        with frozen(start + dt.timedelta(minutes=minutes)):
            assert client.get("/intake/").status_code == 200, minutes
    with frozen(start + dt.timedelta(hours=12, minutes=5)):
        assert client.get("/intake/").status_code == 302
        assert not signed_in(client)


def test_the_limits_are_settings(world, settings):
    settings.YOUSU_SESSION_IDLE_MINUTES = 5
    start = timezone.now()
    client = Client()
    with frozen(start):
        client.force_login(world.people.operator)
    with frozen(start + dt.timedelta(minutes=6)):
        assert client.get("/intake/").status_code == 302


def test_the_citizen_portal_keeps_its_anonymous_session(world):
    client = Client()
    start = timezone.now()
    with frozen(start):
        assert client.get("/h5/").status_code == 200
    with frozen(start + dt.timedelta(days=2)):
        assert client.get("/h5/").status_code == 200
    # Django's own cookie age is left for the portal; only a signed-in session is shortened.
    assert settings.SESSION_COOKIE_AGE == 14 * 24 * 3600


def test_a_database_gone_while_reading_the_session_is_a_503_not_a_500(client, world, monkeypatch):
    client.force_login(world.people.operator)

    def gone(request):
        raise OperationalError("server closed the connection unexpectedly")

    # The session check runs before the view; the outage must reach the view's 503 handling.
    monkeypatch.setattr("django.contrib.auth.get_user", gone)
    answer = client.get("/intake/")
    assert answer.status_code == 503 and answer["Retry-After"]
