"""The in-app inbox (站内信): time-node warnings, urges, supervision orders and other notices addressed to
the person or their unit, newest first, with mark-as-read. Every desk links here from the header."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yousu.core.errors import DomainError
from yousu.notifications.selectors import inbox_for
from yousu.notifications.services import mark_read

PAGE_SIZE = 50


@login_required
def inbox(request):
    messages_in = inbox_for(request.user)
    if request.GET.get("unread") == "1":
        messages_in = messages_in.filter(read_at__isnull=True)
    page = Paginator(messages_in, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/inbox.html", {"page": page, "unread_only": request.GET.get("unread") == "1"})


@login_required
@require_POST
def read(request, notification_id: int):
    notification = inbox_for(request.user).filter(pk=notification_id).first()
    if notification is None:
        raise Http404(_("站内信不存在或不是发给你的"))
    try:
        mark_read(notification=notification, person=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(
        request.POST.get("next") if request.POST.get("next", "").startswith("/inbox/") else "inbox"
    )
