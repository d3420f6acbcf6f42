"""Signing in and staying signed in: the answer to a login locked out after too many failures
(django-axes calls `locked_out`), and the limits of a signed-in session — an absolute lifetime set at
login and an idle timeout — sized for a hotline shift rather than Django's two weeks (docs/accounts.md).

A citizen on the portal never signs in: an anonymous session (the portal's own, e.g. its form keys)
keeps Django's defaults and is never touched here.
"""

from __future__ import annotations

import datetime as dt
import math

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from yousu.core.unavailable import DATABASE_GONE

# Session keys: when the person signed in and when a request of theirs was last seen (epoch seconds).
SIGNED_IN_AT = "yousu_signed_in_at"
SEEN_AT = "yousu_seen_at"
# The last-seen time is written at most this often: a page that polls (the dashboard every 30 s)
# must not rewrite the session row on every request. The idle timeout is exact to within this.
SEEN_RESOLUTION = 60


# ---------------------------------------------------------------- locked out


def _cool_off_minutes(request: HttpRequest) -> int:
    cool_off = get_cool_off(request) or dt.timedelta(0)
    return max(1, math.ceil(cool_off.total_seconds() / 60))


def lockout_message(request: HttpRequest) -> str:
    return _(
        "登录失败次数过多，该账号已在本设备暂时锁定，请 %(minutes)d 分钟后再试；"
        "如需立即解锁，请联系系统管理员。"
    ) % {"minutes": _cool_off_minutes(request)}


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' AXES_LOCKOUT_CALLABLE: the answer to a login refused because the user and address
    failed too often (whatever password this attempt gave: the answer says nothing about it). The
    API's login answers JSON in the API's error shape; the sign-in pages (the platform's and the
    admin's) show the platform's sign-in page with the reason. 429 with Retry-After either way."""
    message = lockout_message(request)
    retry_after = str(_cool_off_minutes(request) * 60)
    if request.path_info.startswith("/api/"):
        body = {"error": {"code": "locked_out", "message": message, "field": "username"}}
        return JsonResponse(
            body, status=429, headers={"Retry-After": retry_after}, json_dumps_params={"ensure_ascii": False}
        )
    context = {"locked_out": message, "next": request.POST.get("next") or request.GET.get("next", "")}
    response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = retry_after
    return response


# ---------------------------------------------------------------- session lifetime


def _now() -> float:
    return timezone.now().timestamp()


@receiver(user_logged_in, dispatch_uid="yousu.web.signin.session_limits")
def session_limits(sender, request, user, **kwargs) -> None:
    """Every login (the sign-in pages, the API's, the admin's) starts a session that ends
    YOUSU_SESSION_HOURS later whatever happens (an absolute expiry date, which saving the session
    does not move), and records the time for the idle timeout."""
    session = getattr(request, "session", None)
    if session is None:
        return
    now = _now()
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now
    session.set_expiry(timezone.now() + dt.timedelta(hours=settings.YOUSU_SESSION_HOURS))


class IdleSessionMiddleware:
    """Signs a person out after YOUSU_SESSION_IDLE_MINUTES without a request, or once their session is
    YOUSU_SESSION_HOURS old (a session from before these limits, without its login time, counts from
    now). The request then goes on as an anonymous one: a page asks for a login, the API answers 403.
    Requests without a session cookie (the portal's first visit, token API calls, probes) pass
    untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            try:
                signed_in = request.user.is_authenticated
            except DATABASE_GONE:
                # Reading the session before the view: with the database briefly gone, the view meets
                # the same error and answers 503 (yousu.core.unavailable) rather than a 500 here.
                signed_in = False
            if signed_in:
                self._check(request)
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> None:
        session, now = request.session, _now()
        signed_in, seen = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
        if signed_in is None or seen is None:
            session[SIGNED_IN_AT] = session[SEEN_AT] = now
            session.set_expiry(timezone.now() + dt.timedelta(hours=settings.YOUSU_SESSION_HOURS))
            return
        idle = now - seen > settings.YOUSU_SESSION_IDLE_MINUTES * 60
        expired = now - signed_in > settings.YOUSU_SESSION_HOURS * 3600
        if idle or expired:
            logout(request)
            messages.info(
                request,
                _("长时间未操作，已自动退出，请重新登录")
                if idle
                else _("登录已超过 %(hours)d 小时，请重新登录") % {"hours": settings.YOUSU_SESSION_HOURS},
                fail_silently=True,
            )
            return
        if now - seen >= SEEN_RESOLUTION:
            session[SEEN_AT] = now
