"""The citizen portal (市民端, /h5/): submit an appeal from a phone, track it by its code and phone
number, and rate the handling once it is completed.

The citizen is anonymous. What they have proven in this browser (by submitting an appeal, or by
giving its code with the right phone number) is kept in their session for a short while, so the
progress page and the rating need no second look-up. The rules are the domain's
(yousu.appeals.portal, yousu.appeals.limits, yousu.callbacks.services.callback_by_citizen); this
module shows and forwards, and turns a refusal into a page that names the field (400), a refused
look-up (404, the same for an unknown code and a wrong phone) or a limit (429).
"""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from shapely import set_precision
from shapely.geometry import mapping, shape

from yousu.appeals.limits import CitizenLimitExceeded, max_photos
from yousu.appeals.models import Appeal
from yousu.appeals.portal import PLACE_REQUIRED_KINDS, citizen_appeal_find, citizen_appeal_submit
from yousu.appeals.selectors import mask_phone
from yousu.appeals.services import MAX_CONTENT, MAX_TITLE, IdempotencyKeyTaken, max_attachment_bytes
from yousu.callbacks.choices import Satisfaction
from yousu.callbacks.progress import citizen_progress
from yousu.callbacks.services import callback_by_citizen
from yousu.catalog.choices import AppealKind
from yousu.core.errors import DomainError, NotFound
from yousu.core.ratelimit import client_ip
from yousu.org.choices import LEVEL_DEPTH
from yousu.org.models import Area
from yousu.org.selectors import jurisdictions

# The session key of the appeals this browser has proven: {code: phone as given}.
PROVEN = "citizen_appeals"
PROVEN_KEEP = 20
# An anonymous citizen's session (which holds the phone number they gave) ends after two hours.
SESSION_SECONDS = 2 * 3600
# The map's boundaries are simplified to about a metre: enough to tap a place, far less to download.
MAP_PRECISION = 0.00001


class PhotosInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several files in one input; the domain checks their number, size and type."""

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data] if data else []
        return [super(PhotosField, self).clean(file, initial) for file in files]


class AppealForm(forms.Form):
    """Shapes only (choices, lengths, numbers); every rule is the domain's."""

    kind = forms.ChoiceField(
        label=gettext_lazy("诉求类型"),
        choices=AppealKind.choices,
        initial=AppealKind.COMPLAINT,
        widget=forms.RadioSelect,
    )
    content = forms.CharField(
        label=gettext_lazy("诉求内容"),
        max_length=MAX_CONTENT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("请写清楚时间、地点和具体问题"),
    )
    title = forms.CharField(
        label=gettext_lazy("标题（选填）"),
        max_length=MAX_TITLE,
        required=False,
        help_text=gettext_lazy("不填则取内容的第一句"),
    )
    citizen_phone = forms.CharField(
        label=gettext_lazy("手机号码"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=gettext_lazy("用于查询办理进度和回访，不会公开"),
    )
    citizen_name = forms.CharField(
        label=gettext_lazy("姓名（选填）"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    confidential = forms.BooleanField(
        label=gettext_lazy("保密：不向承办单位透露我的姓名和电话"), required=False
    )
    address = forms.CharField(
        label=gettext_lazy("地址"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("填写地址，或在下方地图上点选位置"),
    )
    attachments = PhotosField(
        label=gettext_lazy("照片（选填）"),
        required=False,
        widget=PhotosInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
    )
    longitude = forms.FloatField(label=gettext_lazy("经度"), required=False, widget=forms.HiddenInput)
    latitude = forms.FloatField(label=gettext_lazy("纬度"), required=False, widget=forms.HiddenInput)
    idempotency_key = forms.CharField(max_length=100, required=False, widget=forms.HiddenInput)
    # The trap: hidden from people by the stylesheet, filled in by scripts that fill in every field.
    website = forms.CharField(label=gettext_lazy("网址（请勿填写）"), required=False)
    # Only when the deployment serves several cities; a point on the map says it too.
    jurisdiction = forms.ChoiceField(label=gettext_lazy("所在城市"), required=False, choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cities = list(jurisdictions().values_list("code", "name"))
        self.fields["jurisdiction"].choices = [("", _("按地图位置判断")), *cities]
        self.several_cities = len(cities) > 1
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        self.fields["attachments"].help_text = _(
            "最多 %(n)d 张，每张不超过 %(mb)d MB；出错重新提交时请重新选择照片"
        ) % {"n": max_photos(), "mb": max_attachment_bytes() // (1024 * 1024)}
        for name in ("longitude", "latitude"):
            self.fields[name].error_messages["invalid"] = _("经纬度应为数字")


class TrackForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("诉求编号"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=gettext_lazy("提交时留的手机号码"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )


class RatingForm(forms.Form):
    solved = forms.TypedChoiceField(
        label=gettext_lazy("您反映的问题解决了吗？"),
        choices=[("yes", gettext_lazy("已解决")), ("no", gettext_lazy("未解决"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    satisfaction = forms.ChoiceField(
        label=gettext_lazy("您对办理结果满意吗？"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=gettext_lazy("您的意见（选填）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# ---------------------------------------------------------------- helpers


def _prove(request, appeal: Appeal) -> None:
    """Remember in the session that this browser gave the appeal's phone number (the number is kept
    so the rating can give it to the domain again, which checks it like any other caller's)."""
    proven = dict(request.session.get(PROVEN, {}))
    proven.pop(appeal.code, None)
    proven[appeal.code] = appeal.citizen_phone
    request.session[PROVEN] = dict(list(proven.items())[-PROVEN_KEEP:])
    if not request.user.is_authenticated:
        request.session.set_expiry(SESSION_SECONDS)


def _proven(request, code: str) -> tuple[Appeal, str] | None:
    phone = request.session.get(PROVEN, {}).get(code)
    if phone is None:
        return None
    appeal = Appeal.objects.filter(code=code).first()
    return (appeal, phone) if appeal is not None else None


def _refusal(form, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _render(request, template: str, context: dict, status: int = 200):
    return render(request, f"web/citizen/{template}", context, status=status)


def _limit_page(request, error: CitizenLimitExceeded):
    return _render(request, "limited.html", {"message": error.message}, status=429)


# ---------------------------------------------------------------- pages


@require_GET
def home(request):
    return _render(request, "home.html", {})


def _submit_context(form) -> dict:
    return {
        "form": form,
        "areas_url": reverse("citizen-areas"),
        "tile_url": getattr(settings, "YOUSU_CITIZEN_MAP_TILE_URL", ""),
        "place_kinds": " ".join(PLACE_REQUIRED_KINDS),
    }


@never_cache
def submit(request):
    if request.method != "POST":
        form = AppealForm(initial={"idempotency_key": uuid.uuid4().hex})
        return _render(request, "submit.html", _submit_context(form))
    form = AppealForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            appeal = citizen_appeal_submit(
                kind=data["kind"],
                title=data["title"],
                content=data["content"],
                phone=data["citizen_phone"],
                name=data["citizen_name"],
                confidential=data["confidential"],
                address=data["address"],
                longitude=data["longitude"],
                latitude=data["latitude"],
                attachments=data["attachments"],
                idempotency_key=data["idempotency_key"],
                trap=data["website"],
                jurisdiction=data.get("jurisdiction") or "",
                ip=client_ip(request),
            )
        except CitizenLimitExceeded as error:
            return _limit_page(request, error)
        except IdempotencyKeyTaken:
            # The form's key was used with another phone (the page copied to another browser): the
            # form back with what this visitor typed only, nothing of the appeal that key made, and a
            # new key, so that their own submission can go through.
            form.data = form.data.copy()
            form.data["idempotency_key"] = uuid.uuid4().hex
            form.add_error(None, _("这张表单已用另一个手机号码提交过；已换成新表单，请核对后再提交"))
            return _render(request, "submit.html", _submit_context(form), status=409)
        except DomainError as error:
            _refusal(form, error)
        else:
            _prove(request, appeal)
            return redirect("citizen-submitted", code=appeal.code)
    return _render(request, "submit.html", _submit_context(form), status=400)


@never_cache
@require_GET
def submitted(request, code: str):
    proven = _proven(request, code)
    if proven is None:
        return redirect(f"{reverse('citizen-track')}?code={code}")
    appeal, phone = proven
    return _render(request, "submitted.html", {"appeal": appeal, "phone": mask_phone(phone)})


@never_cache
def track(request):
    if request.method != "POST":
        form = TrackForm(initial={"code": request.GET.get("code", "")[:40]})
        return _render(request, "track.html", {"form": form})
    form = TrackForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            appeal = citizen_appeal_find(
                code=form.cleaned_data["code"], phone=form.cleaned_data["phone"], ip=client_ip(request)
            )
        except CitizenLimitExceeded as error:
            return _limit_page(request, error)
        except NotFound as error:
            form.add_error(None, error.message)
            status = 404
        except DomainError as error:
            _refusal(form, error)
        else:
            _prove(request, appeal)
            return redirect("citizen-progress", code=appeal.code)
    return _render(request, "track.html", {"form": form}, status=status)


def _progress_page(request, appeal: Appeal, phone: str, rating_form=None, status: int = 200, thanks=False):
    context = {
        "progress": citizen_progress(appeal),
        "phone": mask_phone(phone),
        "rating_form": rating_form or RatingForm(),
        "thanks": thanks,
    }
    return _render(request, "progress.html", context, status=status)


@never_cache
@require_GET
def progress(request, code: str):
    proven = _proven(request, code)
    if proven is None:
        return redirect(f"{reverse('citizen-track')}?code={code}")
    return _progress_page(request, *proven)


@never_cache
@require_POST
def rate(request, code: str):
    proven = _proven(request, code)
    if proven is None:
        return redirect(f"{reverse('citizen-track')}?code={code}")
    appeal, phone = proven
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            callback_by_citizen(appeal=appeal, phone=phone, **form.cleaned_data)
        except DomainError as error:
            _refusal(form, error)
            status = 409 if error.code == "already_answered" else 400
            return _progress_page(request, appeal, phone, rating_form=form, status=status)
        return _progress_page(request, appeal, phone, thanks=True)
    return _progress_page(request, appeal, phone, rating_form=form, status=400)


@require_GET
def areas(request):
    """The city's areas that have a boundary, as GeoJSON, coarse to fine (so the finest is drawn on
    top and takes the tap): the map's only base layer, since no tiles come from outside the intranet."""
    features = []
    found = Area.objects.filter(is_active=True, boundary__isnull=False).only("name", "level", "boundary")
    for area in sorted(found, key=lambda a: (LEVEL_DEPTH[a.level], a.pk)):
        geometry = set_precision(shape(area.boundary).simplify(MAP_PRECISION), MAP_PRECISION)
        features.append(
            {
                "type": "Feature",
                "properties": {"name": area.name, "level": area.level},
                "geometry": mapping(geometry),
            }
        )
    response = JsonResponse({"type": "FeatureCollection", "features": features})
    response["Cache-Control"] = "public, max-age=600"
    return response
