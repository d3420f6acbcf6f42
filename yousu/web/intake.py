"""The operator's workbench (接线员工作台): one keyboard-friendly form, the intake aids beside it as the
operator types (suggested items and units, the place, possible duplicates), and today's intakes.

Creating an appeal is one submit, whatever it becomes: received for dispatch, answered on the spot
(直接办结) or linked to the open appeal it repeats. The rules are the domain's
(yousu.appeals.services.appeal_take_in); this module shows and forwards."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yousu.api.intelligence import intake_aids
from yousu.appeals.models import Appeal
from yousu.appeals.selectors import mask_phone
from yousu.appeals.services import IdempotencyKeyTaken, appeal_take_in, may_take_in
from yousu.core.errors import DomainError

from .forms import IntakeForm

# The fields of the form that go to appeal_take_in as they are.
TAKEN_IN = (
    "kind",
    "channel",
    "title",
    "content",
    "address",
    "area",
    "item",
    "citizen_name",
    "citizen_phone",
    "anonymous",
    "confidential",
    "answer",
    "knowledge_entry",
    "duplicate_of",
    "link_reason",
    "idempotency_key",
)
RECENT = 30


def _operator(request):
    if not may_take_in(request.user):
        raise PermissionDenied(_("只有接线员、平台派单员或系统管理员可以使用接线员工作台"))
    if request.user.unit_id is None:
        raise PermissionDenied(_("没有所属单位的人员不能受理诉求（无受理单位）"))


def _today(request) -> list[dict]:
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    appeals = (
        Appeal.objects.filter(received_by=request.user, received_at__gte=start)
        .select_related("item")
        .order_by("-received_at")[:RECENT]
    )
    # The operator took these calls and may see them, but a list on a screen is read over the
    # shoulder: numbers are masked here as everywhere outside the form itself.
    return [{"appeal": a, "phone": mask_phone(a.citizen_phone)} for a in appeals]


@login_required
def desk(request):
    _operator(request)
    status = 200
    if request.method == "POST":
        form = IntakeForm(request.POST)
        status = 400
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in TAKEN_IN}
            try:
                appeal = appeal_take_in(**data, intake_unit=request.user.unit, received_by=request.user)
            except IdempotencyKeyTaken as error:
                # Another unit used this form's key: nothing of its appeal is shown, and the form
                # gets a new key so that this call can still be taken in.
                form.data = form.data.copy()
                form.data["idempotency_key"] = uuid.uuid4().hex
                form.add_error(None, error.message)
                status = 409
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(
                    request,
                    _("已受理 %(code)s（%(status)s）")
                    % {"code": appeal.code, "status": appeal.get_status_display()},
                )
                return redirect(f"{reverse('intake-desk')}?done={appeal.code}")
    else:
        # A new key for each new form: a double submit of this form is one appeal, the next call
        # gets the next form.
        form = IntakeForm(initial={"idempotency_key": uuid.uuid4().hex})
    done = None
    # No code has a NUL character, and PostgreSQL refuses one in a query: nothing to show, not a 500.
    if request.GET.get("done") and "\x00" not in request.GET["done"]:
        done = Appeal.objects.filter(code=request.GET["done"], received_by=request.user).first()
    context = {
        "form": form,
        "done": done,
        "done_phone": mask_phone(done.citizen_phone) if done else "",
        "today": _today(request),
    }
    return render(request, "web/intake/desk.html", context, status=status)


@login_required
@require_POST
def assist(request):
    """The aids beside the form, answered as the operator types (htmx posts the form here)."""
    _operator(request)
    form = IntakeForm(request.POST)
    form.is_valid()  # only the fields that are well-formed so far are used
    cleaned = getattr(form, "cleaned_data", {})
    title = request.POST.get("title", "")[:200]
    content = request.POST.get("content", "")[:4000]
    address = request.POST.get("address", "")[:300]
    aids = None
    if title.strip() or content.strip() or address.strip():
        aids = intake_aids(
            request.user,
            title=title,
            content=content,
            address=address,
            area=cleaned.get("area"),
        )
    return render(request, "web/intake/aids.html", {"aids": aids})
