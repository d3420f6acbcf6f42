"""The knowledge base's own pages (知识库): search as the operator types, an entry with its source,
state and version history, the owning unit's forms (create, edit, review, withdraw, restore), its
review list and the import of a spreadsheet.

Who reads which entry is yousu.api.knowledge.entries_visible_to (another city's entry is not found);
every write goes through yousu.knowledge.services, which decide who may act; this module shows and
forwards."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from yousu.api.knowledge import (
    SNAPSHOT_FIELDS,
    entries_kept,
    entries_visible_to,
    field_label,
    hidden_reasons,
    history,
    may_edit,
    may_review,
    search_entries,
    units_to_keep,
)
from yousu.core.errors import DomainError, PermissionRefused
from yousu.knowledge import selectors
from yousu.knowledge.models import EntryStatus, KnowledgeEntry
from yousu.knowledge.services import (
    EDITABLE,
    UNCHANGED,
    VersionConflict,
    entry_create,
    entry_restore,
    entry_review,
    entry_update,
    entry_withdraw,
)
from yousu.org.choices import RoleCode
from yousu.org.selectors import in_jurisdiction_of

from .knowledge_forms import EntryForm, ImportForm, RestoreForm, ReviewForm, WithdrawForm

PER_PAGE = 20
HITS = 20
MAX_QUERY = 500
# An entry whose review falls due within this many days is on the unit's review list already.
DUE_SOON_DAYS = 30


def _entry(request, entry_id: int) -> KnowledgeEntry:
    entry = (
        entries_visible_to(request.user)
        .select_related("owning_unit", "last_reviewed_by")
        .prefetch_related("items")
        .filter(pk=entry_id)
        .first()
    )
    if entry is None:
        raise Http404(_("知识条目不存在或无权查看"))
    return entry


def _query(request) -> str:
    return request.GET.get("q", "")[:MAX_QUERY].replace("\x00", "")


# ---------------------------------------------------------------- search


def _results(request) -> dict:
    """The search results for the query, or with none the entries most recently updated (paged)."""
    query = _query(request)
    if query.strip():
        hits = [
            {"entry": entry, "score": score} for entry, score in search_entries(request.user, query, HITS)
        ]
        return {"q": query, "hits": hits, "page": None}
    entries = entries_visible_to(request.user).select_related("owning_unit").order_by("-updated", "-id")
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [{"entry": entry, "hidden": hidden_reasons(entry, today)} for entry in page]
    return {"q": "", "hits": None, "page": page, "rows": rows}


@login_required
@require_safe
def search_page(request):
    context = _results(request)
    context.update(may_create=units_to_keep(request.user).exists(), review_count=review_count(request.user))
    return render(request, "web/knowledge/search.html", context)


@login_required
@require_safe
def results(request):
    """The results alone, as the operator types (htmx asks for them)."""
    return render(request, "web/knowledge/_results.html", _results(request))


# ---------------------------------------------------------------- one entry


def _entry_page(request, entry, *, forms=None, status=200):
    forms = forms or {}
    context = {
        "entry": entry,
        "hidden": hidden_reasons(entry),
        "versions": list(reversed(history(entry))),
        "may_edit": may_edit(request.user, entry),
        "may_review": may_review(request.user, entry) and entry.status == EntryStatus.ACTIVE,
        "review_form": forms.get("review")
        or ReviewForm(
            initial={
                "next_review_due": timezone.localdate() + dt.timedelta(days=365),
                "valid_until": entry.valid_until,
            }
        ),
        "withdraw_form": forms.get("withdraw") or WithdrawForm(),
        "restore_form": forms.get("restore") or RestoreForm(),
    }
    return render(request, "web/knowledge/entry.html", context, status=status)


@login_required
@require_safe
def entry_page(request, entry_id: int):
    return _entry_page(request, _entry(request, entry_id))


@login_required
@require_safe
def version_page(request, entry_id: int, version: int):
    entry = _entry(request, entry_id)
    versions = history(entry)
    found = next((v for v in versions if v.version == version), None)
    if found is None:
        raise Http404(_("该版本不存在"))
    rows = [
        {
            "label": field_label(name),
            "value": _shown(found, name),
            "changed": name in found.changed,
        }
        for name in SNAPSHOT_FIELDS
    ]
    context = {"entry": entry, "version": found, "rows": rows, "latest": entry.version}
    return render(request, "web/knowledge/version.html", context)


def _shown(version, name: str) -> str:
    if name == "owning_unit":
        return f"{version.owning_unit.name}（{version.owning_unit.code}）"
    if name == "item_codes":
        return "、".join(version.item_codes)
    if name == "status":
        return str(EntryStatus(version.status).label)
    value = getattr(version, name)
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def _act(request, entry, kind: str, form, action, done: str):
    """Carry out a review, withdrawal or restore posted from the entry page (or the review list):
    back to where it came from with a message, or the entry page again with the refusal on the
    field (400; 403 when the person may not act)."""
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except DomainError as error:
            field = error.field if error.field in form.fields else None
            form.add_error(field, error.message)
            status = 403 if isinstance(error, PermissionRefused) else 400
            return _entry_page(request, _entry(request, entry.pk), forms={kind: form}, status=status)
        messages.success(request, done)
        if request.POST.get("back") == "reviews":
            return redirect("knowledge-reviews")
        return redirect("knowledge-entry", entry_id=entry.pk)
    return _entry_page(request, entry, forms={kind: form}, status=400)


@login_required
@require_POST
def review(request, entry_id: int):
    entry = _entry(request, entry_id)
    return _act(
        request,
        entry,
        "review",
        ReviewForm(request.POST),
        lambda data: entry_review(
            entry=entry,
            by=request.user,
            next_review_due=data["next_review_due"],
            note=data["note"],
            # Only a form that shows the validity changes it (an older page without it leaves it be).
            valid_until=data["valid_until"] if "valid_until" in request.POST else UNCHANGED,
        ),
        _("已审核：%(question)s") % {"question": entry.question[:40]},
    )


@login_required
@require_POST
def withdraw(request, entry_id: int):
    entry = _entry(request, entry_id)
    return _act(
        request,
        entry,
        "withdraw",
        WithdrawForm(request.POST),
        lambda data: entry_withdraw(entry=entry, by=request.user, reason=data["reason"]),
        _("已撤下：%(question)s") % {"question": entry.question[:40]},
    )


@login_required
@require_POST
def restore(request, entry_id: int):
    entry = _entry(request, entry_id)
    return _act(
        request,
        entry,
        "restore",
        RestoreForm(request.POST),
        lambda data: entry_restore(entry=entry, by=request.user, note=data["note"]),
        _("已恢复在用：%(question)s") % {"question": entry.question[:40]},
    )


# ---------------------------------------------------------------- create and edit


def _refuse_on_form(form, error: DomainError) -> int:
    """Put the service's refusal on its field; the status to answer with."""
    field = error.field if error.field in form.fields else None
    if error.field == "by" and "owning_unit" in form.fields:
        field = "owning_unit"
    form.add_error(field, error.message)
    if isinstance(error, VersionConflict):
        return 409
    return 403 if isinstance(error, PermissionRefused) else 400


@login_required
def create(request):
    if not units_to_keep(request.user).exists():
        raise PermissionDenied(_("只有维护单位的人员或系统管理员可以新建知识条目"))
    status = 200
    if request.method == "POST":
        form = EntryForm(request.POST, person=request.user)
        status = 400
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in (*EDITABLE, "items", "note")}
            try:
                entry = entry_create(by=request.user, **data)
            except DomainError as error:
                status = _refuse_on_form(form, error)
            else:
                messages.success(request, _("已新建知识条目（第 1 版）"))
                return redirect("knowledge-entry", entry_id=entry.pk)
    else:
        today = timezone.localdate()
        unit = units_to_keep(request.user).filter(pk=request.user.unit_id).first()
        form = EntryForm(
            person=request.user,
            initial={
                "owning_unit": unit,
                "valid_from": today,
                "review_due": today + dt.timedelta(days=365),
            },
        )
    return render(request, "web/knowledge/form.html", {"form": form, "entry": None}, status=status)


def _initial(entry: KnowledgeEntry) -> dict:
    initial = {name: getattr(entry, name) for name in EDITABLE}
    initial.update(items=list(entry.items.all()), version=entry.version)
    return initial


@login_required
def edit(request, entry_id: int):
    entry = _entry(request, entry_id)
    if not may_edit(request.user, entry):
        raise PermissionDenied(_("只有维护单位、其上级单位负责人或系统管理员可以修改该知识条目"))
    status = 200
    if request.method == "POST":
        form = EntryForm(request.POST, person=request.user)
        # An entry may name an item the editor's list no longer offers (stopped, or another city's):
        # keep offering the entry's own items, the service refuses stopped ones.
        form.fields["items"].queryset = (form.fields["items"].queryset | entry.items.all()).distinct()
        status = 400
        if form.is_valid():
            changes = {
                name: form.cleaned_data[name]
                for name in EDITABLE
                if form.cleaned_data[name] != getattr(entry, name)
            }
            items = list(form.cleaned_data["items"])
            same_items = {i.pk for i in items} == {i.pk for i in entry.items.all()}
            expected = form.cleaned_data["version"] or entry.version
            if not changes and same_items and expected == entry.version:
                messages.info(request, _("没有改动，未生成新版本"))
                return redirect("knowledge-entry", entry_id=entry.pk)
            try:
                entry = entry_update(
                    entry=entry,
                    by=request.user,
                    expected_version=expected,
                    note=form.cleaned_data["note"],
                    items=None if same_items else items,
                    **changes,
                )
            except DomainError as error:
                status = _refuse_on_form(form, error)
            else:
                messages.success(request, _("已保存为第 %(version)d 版") % {"version": entry.version})
                return redirect("knowledge-entry", entry_id=entry.pk)
    else:
        form = EntryForm(person=request.user, initial=_initial(entry))
        form.fields["items"].queryset = (form.fields["items"].queryset | entry.items.all()).distinct()
    current = KnowledgeEntry.objects.only("version").get(pk=entry.pk).version
    context = {"form": form, "entry": entry, "current_version": current}
    return render(request, "web/knowledge/form.html", context, status=status)


# ---------------------------------------------------------------- the review list


def entries_to_review(person, at=None):
    """The person's review list: flagged, expired, overdue, or due within DUE_SOON_DAYS; the entries
    they keep (an administrator: every one of their city)."""
    if person.has_role(RoleCode.ADMINISTRATOR):
        entries = KnowledgeEntry.objects.filter(in_jurisdiction_of(person, "owning_unit__area__path"))
    else:
        entries = entries_kept(person)
    return selectors.entries_to_review(entries, at, within_days=DUE_SOON_DAYS)


def review_count(person) -> int:
    """How many entries wait on the person's review list (the header's 知识待审核（n）,
    yousu.web.context.desks_of)."""
    if not person.is_authenticated or not person.is_active:
        return 0
    return entries_to_review(person).count()


@login_required
@require_safe
def reviews(request):
    today = timezone.localdate()
    rows = []
    for entry in entries_to_review(request.user)[:500]:
        reasons = hidden_reasons(entry, today)
        if not reasons:
            reasons = [_("将于 %(day)s 到期审核") % {"day": entry.review_due.isoformat()}]
        rows.append(
            {
                "entry": entry,
                "reasons": reasons,
                "may_review": may_review(request.user, entry),
                "form": ReviewForm(
                    initial={
                        "next_review_due": max(today, entry.review_due) + dt.timedelta(days=365),
                        "valid_until": entry.valid_until,
                    },
                    auto_id=f"id_%s_{entry.pk}",
                ),
            }
        )
    return render(request, "web/knowledge/reviews.html", {"rows": rows, "today": today})


# ---------------------------------------------------------------- import


def _may_import(request) -> None:
    if not units_to_keep(request.user).exists():
        raise PermissionDenied(_("只有维护单位的人员或系统管理员可以导入知识条目"))


@login_required
def import_page(request):
    _may_import(request)
    result, status = None, 200
    if request.method == "POST":
        from yousu.knowledge.imports import entries_import

        form = ImportForm(request.POST, request.FILES)
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            dry_run = request.POST.get("action") != "import"
            result = entries_import(
                file_name=upload.name or "", data=upload.read(), by=request.user, dry_run=dry_run
            )
            if result.ok:
                status = 200
                if result.written:
                    messages.success(
                        request,
                        _("已导入：新建 %(created)d 条，修改 %(updated)d 条，未变 %(unchanged)d 条")
                        % {
                            "created": result.created,
                            "updated": result.updated,
                            "unchanged": result.unchanged,
                        },
                    )
    else:
        form = ImportForm()
    return render(request, "web/knowledge/import.html", {"form": form, "result": result}, status=status)


@login_required
@require_safe
def import_template(request):
    _may_import(request)
    from yousu.knowledge.imports import import_template_xlsx

    unit = request.user.unit if request.user.unit_id else None
    response = HttpResponse(
        import_template_xlsx(owning_unit=unit),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="knowledge-import-template.xlsx"'
    return response
