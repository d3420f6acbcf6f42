"""Callback services (回访): create the callbacks that completions call for, record the citizen's answer
(by phone at the intake desk, or through the one-time link), and act on it.

What an answer leads to (the seed: "不满意的退回重办一次"):
- satisfied or basically satisfied → the order is closed (结案);
- unsatisfied because of the unit, the first time for this order → sent back (退回重办). A send-back
  needs a person of a platform (dispatch's rule), so an answer given through the citizen's link waits
  in the intake desk's queue with outcome `send_back_requested` and an operator carries it out;
- unsatisfied a second time → closed and escalated: a `callback_escalated` event and a message to the
  city platform's supervisors (a supervision order needs an open order, and this one is finished);
- unsatisfied for a reason the unit did not cause → closed;
- unreachable after YOUSU_CALLBACK_MAX_ATTEMPTS calls, or a link that expired unanswered → closed.
Closing is the system's consequence of the recorded answer (`order_close(by=None)`); the callback's
own event names who recorded it. Only the answer that settles the order's current completion acts on
it; a linked duplicate's answer that comes later is recorded and counted, and changes nothing else.

Events, the contract the monthly assessment reads:
  callback_done        order_id, payload {unit, solved, satisfaction, unit_caused, channel, round}
  callback_unreachable order_id, payload {unit, attempts}
and, for the trail only: callback_created, callback_not_needed, callback_attempt, callback_escalated.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from yousu.appeals.choices import Channel
from yousu.appeals.events import record_event
from yousu.appeals.models import Appeal
from yousu.appeals.portal import phone_matches
from yousu.core.errors import DomainError, NotFound, PermissionRefused
from yousu.dispatch.choices import OrderRole, OrderStatus
from yousu.dispatch.models import Order
from yousu.dispatch.services import order_close, order_send_back
from yousu.notifications.channels import DeliveryFailed
from yousu.notifications.services import BACKOFF, notify
from yousu.org.choices import RoleCode, UnitKind
from yousu.org.models import Person

from .choices import (
    LINK_CHANNELS,
    CallbackChannel,
    CallbackOutcome,
    CallbackStatus,
    MessageStatus,
    Satisfaction,
)
from .models import Callback, CitizenMessage
from .selectors import may_call_back, token_digest

logger = logging.getLogger(__name__)

ONLINE_CHANNELS = (Channel.WEB, Channel.MINI_PROGRAM, Channel.APP, Channel.OPEN311)
COMMENT_LIMIT = 2000
# A worker holds a message this long while it sends; far longer than a gateway may take.
LEASE = dt.timedelta(minutes=5)


class AlreadyAnswered(DomainError):
    code = "already_answered"


# ---------------------------------------------------------------- creating


def callbacks_periodic(now: dt.datetime | None = None) -> dict:
    """The callbacks' share of the periodic job: create what completions call for, send the citizens'
    links, and give up on links that expired unanswered."""
    now = now or timezone.now()
    return {
        "created": callbacks_create_due(now=now),
        "messages_sent": citizen_messages_deliver_due(now=max(now, timezone.now())),
        "expired": callbacks_expire(now=now),
    }


def channel_for(appeal: Appeal) -> str:
    if appeal.channel == Channel.HOTLINE:
        return CallbackChannel.PHONE
    return CallbackChannel.WEB if appeal.channel in ONLINE_CHANNELS else CallbackChannel.SMS


def callbacks_create_due(now: dt.datetime | None = None) -> int:
    """Create a callback for every completed lead order not yet asked about its current completion,
    one for its appeal and one for each linked duplicate; returns how many were created. Safe to run
    in several workers at once: a unique constraint lets one of them create each callback."""
    now = now or timezone.now()
    asked = Callback.objects.filter(
        order=OuterRef("pk"), appeal=OuterRef("appeal"), order_completed_at=OuterRef("completed_at")
    )
    due = (
        Order.objects.filter(role=OrderRole.LEAD, status=OrderStatus.COMPLETED, completed_at__isnull=False)
        .exclude(Exists(asked))
        .select_related("appeal", "unit")
        .order_by("completed_at", "pk")
    )
    created = 0
    for order in due:
        with transaction.atomic():
            appeals = [order.appeal, *order.appeal.duplicates.order_by("pk")]
            made = sum(_create_for(order, appeal, now) for appeal in appeals)
            created += made
            pending = Callback.objects.filter(
                order=order, order_completed_at=order.completed_at, status=CallbackStatus.PENDING
            )
            if made and not pending.exists():
                # Nobody can be asked (anonymous, no phone): the completion stands and the order ends.
                order_close(order=order, by=None, reason=_("无法回访（未留联系电话），结案"))
    return created


def _create_for(order: Order, appeal: Appeal, now: dt.datetime) -> int:
    phone = (appeal.citizen_phone or "").strip()
    channel = channel_for(appeal)
    earlier = Callback.objects.filter(order=order, appeal=appeal)
    try:
        with transaction.atomic():
            # A callback still open from an earlier completion is overtaken by this one.
            earlier.filter(status=CallbackStatus.PENDING).update(
                status=CallbackStatus.NOT_NEEDED, note=_("工单已再次办结，以新的回访为准")
            )
            callback = Callback.objects.create(
                appeal=appeal,
                order=order,
                order_completed_at=order.completed_at,
                round=earlier.count() + 1,
                channel=channel,
                status=CallbackStatus.PENDING if phone else CallbackStatus.NOT_NEEDED,
                note="" if phone else _("匿名或未留联系电话，无法回访"),
                created_at=now,
            )
    except IntegrityError:
        return 0  # another worker created it first
    facts = {"unit": order.unit.code, "channel": channel, "round": callback.round}
    if not phone:
        record_event(appeal, "callback_not_needed", order_id=order.pk, reason=callback.note, payload=facts)
        return 1
    record_event(appeal, "callback_created", order_id=order.pk, payload=facts)
    if channel in LINK_CHANNELS:
        CitizenMessage.objects.create(
            callback=callback,
            phone=phone,
            text=_("【12345回访】您的诉求“%(title)s”（%(code)s）已办结，请点击链接评价办理情况：")
            % {"title": appeal.title[:30], "code": appeal.code},
            next_attempt_at=now,
            created_at=now,
        )
    return 1


# ---------------------------------------------------------------- the citizen's text message


def _issue_token(callback: Callback, now: dt.datetime) -> str:
    """A fresh one-time token for the callback's link; only its digest is stored, so the link is made
    anew at each attempt to send it (an earlier link stops working)."""
    token = secrets.token_urlsafe(32)
    callback.token_hash = token_digest(token)
    callback.token_expires_at = now + dt.timedelta(days=settings.YOUSU_CALLBACK_LINK_DAYS)
    callback.save(update_fields=["token_hash", "token_expires_at"])
    return token


def callback_link(token: str) -> str:
    return settings.YOUSU_PUBLIC_URL.rstrip("/") + reverse("callback-answer", args=[token])


def citizen_messages_deliver_due(now: dt.datetime | None = None, limit: int = 200) -> int:
    """Send the citizens' pending text messages that are due; returns how many were tried. A row is
    claimed with a conditional update, so two workers never send the same message."""
    now = now or timezone.now()
    tried = 0
    while tried < limit:
        with transaction.atomic():
            rows = CitizenMessage.objects.filter(status=MessageStatus.PENDING, next_attempt_at__lte=now)
            if connection.features.has_select_for_update_skip_locked:
                rows = rows.select_for_update(skip_locked=True)
            row = rows.order_by("next_attempt_at", "pk").first()
            if row is None:
                return tried
            won = CitizenMessage.objects.filter(
                pk=row.pk, status=MessageStatus.PENDING, attempts=row.attempts
            ).update(attempts=row.attempts + 1, next_attempt_at=now + LEASE)
            if not won:
                continue
            row.attempts += 1
            callback = Callback.objects.select_for_update().get(pk=row.callback_id)
            if callback.status != CallbackStatus.PENDING:
                CitizenMessage.objects.filter(pk=row.pk).update(
                    status=MessageStatus.FAILED, next_attempt_at=None, last_error=_("回访已结束，不再发送")
                )
                continue
            token = _issue_token(callback, now)
        tried += 1
        error, permanent = None, False
        try:
            gateway = import_string(settings.YOUSU_SMS_GATEWAY)()
            gateway.send(phone=row.phone, text=row.text + callback_link(token))
        except DeliveryFailed as exc:
            error, permanent = str(exc), exc.permanent
        except Exception as exc:  # the gateway's own error: recorded and retried like any failure
            logger.exception("citizen message %s raised", row.pk)
            error = f"{type(exc).__name__}: {exc}"
        _record_send(row, callback, error=error, permanent=permanent, now=now)
    return tried


@transaction.atomic
def _record_send(
    row: CitizenMessage, callback: Callback, *, error: str | None, permanent: bool, now: dt.datetime
) -> None:
    if error is None:
        fields = {"status": MessageStatus.SENT, "sent_at": now, "next_attempt_at": None}
    elif permanent or row.attempts >= settings.YOUSU_NOTIFY_MAX_ATTEMPTS:
        fields = {"status": MessageStatus.FAILED, "next_attempt_at": None, "last_error": error}
    else:
        fields = {"next_attempt_at": now + BACKOFF[min(row.attempts, len(BACKOFF)) - 1], "last_error": error}
    held = CitizenMessage.objects.filter(
        pk=row.pk, status=MessageStatus.PENDING, attempts=row.attempts
    ).update(**fields)
    if not held:
        logger.warning("citizen message %s: claim lost before the outcome was recorded", row.pk)
        return
    callback = (
        Callback.objects.select_for_update().select_related("order__unit", "appeal").get(pk=callback.pk)
    )
    if callback.status != CallbackStatus.PENDING:
        return
    if error is None:
        callback.attempts += 1
        callback.last_attempt_at = now
        callback.save(update_fields=["attempts", "last_attempt_at"])
    elif fields.get("status") == MessageStatus.FAILED:
        # The message never got through: the citizen cannot be reached this way.
        callback.attempts = max(callback.attempts, 1)
        _give_up(callback, now=now, note=_("回访短信发送失败：%(error)s") % {"error": error})


def callbacks_expire(now: dt.datetime | None = None) -> int:
    """Link callbacks whose link expired unanswered are recorded as unreachable; returns how many."""
    now = now or timezone.now()
    expired = 0
    for pk in Callback.objects.filter(
        status=CallbackStatus.PENDING, channel__in=LINK_CHANNELS, token_expires_at__lt=now
    ).values_list("pk", flat=True):
        with transaction.atomic():
            callback = Callback.objects.select_for_update().select_related("order__unit", "appeal").get(pk=pk)
            if callback.status == CallbackStatus.PENDING:
                _give_up(callback, now=now, note=_("回访链接过期，群众未评价"))
                expired += 1
    return expired


# ---------------------------------------------------------------- answers


def _check_answer(solved, satisfaction, comment) -> tuple[bool, str, str]:
    if not isinstance(solved, bool):
        raise DomainError(_("请选择问题是否已解决"), field="solved")
    if satisfaction not in Satisfaction.values:
        raise DomainError(
            _("满意度只能是：%(values)s") % {"values": "、".join(str(s.label) for s in Satisfaction)},
            field="satisfaction",
        )
    comment = (comment or "").strip()
    if len(comment) > COMMENT_LIMIT:
        raise DomainError(_("不能超过 %(n)d 个字符") % {"n": COMMENT_LIMIT}, field="comment")
    return solved, satisfaction, comment


def _locked(callback: Callback) -> Callback:
    callback = (
        Callback.objects.select_for_update().select_related("order__unit", "appeal").get(pk=callback.pk)
    )
    if callback.status != CallbackStatus.PENDING:
        raise AlreadyAnswered(
            _("该回访已是“%(status)s”，不能再记录") % {"status": callback.get_status_display()},
            field="status",
        )
    return callback


@transaction.atomic
def callback_record(
    *,
    callback: Callback,
    by: Person,
    solved: bool,
    satisfaction: str,
    unit_caused: bool | None,
    comment: str = "",
) -> Callback:
    """The intake desk records a callback made by phone; the operator judges whether an unsatisfied
    answer is the unit's doing. A link callback may be recorded this way too (the citizen called in):
    it becomes a phone callback and its link stops working."""
    if not may_call_back(by):
        raise PermissionRefused(_("只有接线员或市平台派单员、督办员可以记录回访"), field="by")
    solved, satisfaction, comment = _check_answer(solved, satisfaction, comment)
    if satisfaction == Satisfaction.UNSATISFIED:
        if not isinstance(unit_caused, bool):
            raise DomainError(_("不满意时须判断是否因承办单位原因"), field="unit_caused")
    else:
        unit_caused = False
    callback = _locked(callback)
    callback.channel = CallbackChannel.PHONE
    return _finish(
        callback, by=by, solved=solved, satisfaction=satisfaction, unit_caused=unit_caused, comment=comment
    )


@transaction.atomic
def callback_by_token(*, token: str, solved: bool, satisfaction: str, comment: str = "") -> Callback:
    """The citizen answers through the link: once, before it expires. The form asks no question about
    whose fault it was; a problem the citizen says is not solved counts as the unit's doing."""
    found = (
        Callback.objects.filter(token_hash=token_digest(token or "")).only("pk").first() if token else None
    )
    if found is None:
        raise NotFound(_("回访链接无效"), field="token")
    callback = Callback.objects.select_for_update().select_related("order__unit", "appeal").get(pk=found.pk)
    if callback.status == CallbackStatus.DONE:
        raise AlreadyAnswered(_("您已评价过，每个诉求只能评价一次，感谢您的反馈"), field="token")
    if callback.status != CallbackStatus.PENDING:
        raise AlreadyAnswered(_("本次回访已结束，链接不能再使用"), field="token")
    if callback.token_expires_at is None or callback.token_expires_at <= timezone.now():
        raise DomainError(_("回访链接已过期"), field="token")
    solved, satisfaction, comment = _check_answer(solved, satisfaction, comment)
    unit_caused = satisfaction == Satisfaction.UNSATISFIED and not solved
    return _finish(
        callback, by=None, solved=solved, satisfaction=satisfaction, unit_caused=unit_caused, comment=comment
    )


def _finish(
    callback: Callback, *, by: Person | None, solved: bool, satisfaction: str, unit_caused: bool, comment: str
) -> Callback:
    now = timezone.now()
    callback.status = CallbackStatus.DONE
    callback.solved, callback.satisfaction, callback.unit_caused = solved, satisfaction, unit_caused
    callback.comment, callback.done_by, callback.done_at = comment, by, now
    if by is not None:
        callback.attempts += 1
        callback.last_attempt_at = now
    callback.save()
    record_event(
        callback.appeal,
        "callback_done",
        actor=by,
        order_id=callback.order_id,
        reason=comment,
        payload={
            "unit": callback.order.unit.code,
            "solved": solved,
            "satisfaction": satisfaction,
            "unit_caused": unit_caused,
            "channel": callback.channel,
            "round": callback.round,
        },
    )
    callback.outcome = _act_on_answer(callback, by)
    callback.save(update_fields=["outcome"])
    return callback


def _settles(callback: Callback) -> Order | None:
    """The order, if this callback may still act on it: completed, at the completion it is about."""
    order = Order.objects.select_related("unit", "appeal").get(pk=callback.order_id)
    if order.status != OrderStatus.COMPLETED or order.completed_at != callback.order_completed_at:
        return None
    return order


def _act_on_answer(callback: Callback, by: Person | None) -> str:
    order = _settles(callback)
    if order is None:
        return CallbackOutcome.NONE
    label = Satisfaction(callback.satisfaction).label
    reason = _("回访：%(satisfaction)s") % {"satisfaction": label}
    if callback.comment:
        reason = f"{reason}；{callback.comment}"
    if callback.satisfaction != Satisfaction.UNSATISFIED:
        order_close(order=order, by=None, reason=reason)
        return CallbackOutcome.CLOSED
    unsatisfied_before = (
        Callback.objects.filter(
            order=order, status=CallbackStatus.DONE, satisfaction=Satisfaction.UNSATISFIED
        )
        .exclude(order_completed_at=callback.order_completed_at)
        .exists()
    )
    if unsatisfied_before:
        order_close(order=order, by=None, reason=reason)
        _escalate(callback, order, reason)
        return CallbackOutcome.ESCALATED
    if not callback.unit_caused:
        order_close(order=order, by=None, reason=reason)
        return CallbackOutcome.CLOSED
    if by is None:
        notify(
            kind="callback_send_back",
            text=_("群众回访不满意，请退回重办：%(code)s %(title)s")
            % {"code": order.appeal.code, "title": order.appeal.title},
            unit=callback.appeal.intake_unit,
            order=order,
        )
        return CallbackOutcome.SEND_BACK_REQUESTED
    _send_back(callback, order, by, reason)
    return CallbackOutcome.SENT_BACK


def _send_back(callback: Callback, order: Order, by: Person, reason: str) -> None:
    order_send_back(order=order, by=by, reason=reason)
    # The other citizens' callbacks on this completion are overtaken: they will be asked again.
    Callback.objects.filter(order=order, status=CallbackStatus.PENDING).update(
        status=CallbackStatus.NOT_NEEDED, note=_("工单已退回重办，办结后重新回访")
    )


def _escalate(callback: Callback, order: Order, reason: str) -> None:
    record_event(
        callback.appeal,
        "callback_escalated",
        order_id=order.pk,
        reason=reason,
        payload={"unit": order.unit.code, "round": callback.round},
    )
    text = _("二次回访不满意，请督办：%(code)s %(title)s（承办单位：%(unit)s）") % {
        "code": order.appeal.code,
        "title": order.appeal.title,
        "unit": order.unit.name,
    }
    supervisors = list(
        Person.objects.filter(
            roles__code=RoleCode.SUPERVISOR, is_active=True, unit__kind=UnitKind.CITY_PLATFORM
        ).distinct()
    )
    for supervisor in supervisors:
        notify(kind="callback_escalated", text=text, person=supervisor, order=order)
    if not supervisors:
        notify(kind="callback_escalated", text=text, unit=callback.appeal.intake_unit, order=order)


@transaction.atomic
def callback_send_back(*, callback: Callback, by: Person, reason: str = "") -> Callback:
    """An operator carries out the send-back a citizen's link answer called for (退回重办)."""
    if not may_call_back(by):
        raise PermissionRefused(_("只有接线员或市平台派单员、督办员可以退回重办"), field="by")
    callback = (
        Callback.objects.select_for_update().select_related("order__unit", "appeal").get(pk=callback.pk)
    )
    if callback.outcome != CallbackOutcome.SEND_BACK_REQUESTED:
        raise DomainError(_("该回访没有待办的退回重办"), field="status")
    order = _settles(callback)
    if order is None:
        raise DomainError(_("工单已不是已办结状态，不能退回重办"), field="status")
    reason = (reason or "").strip() or _("回访不满意：%(comment)s") % {"comment": callback.comment or "—"}
    _send_back(callback, order, by, reason)
    callback.outcome = CallbackOutcome.SENT_BACK
    callback.save(update_fields=["outcome"])
    return callback


@transaction.atomic
def callback_unreachable(*, callback: Callback, by: Person, note: str) -> Callback:
    """A phone call that reached nobody. After YOUSU_CALLBACK_MAX_ATTEMPTS of them the callback is
    recorded as unreachable and the order is closed."""
    if not may_call_back(by):
        raise PermissionRefused(_("只有接线员或市平台派单员、督办员可以记录回访"), field="by")
    note = (note or "").strip()
    if not note:
        raise DomainError(_("请说明联系情况"), field="note")
    if len(note) > COMMENT_LIMIT:
        raise DomainError(_("不能超过 %(n)d 个字符") % {"n": COMMENT_LIMIT}, field="note")
    callback = _locked(callback)
    now = timezone.now()
    callback.attempts += 1
    callback.last_attempt_at = now
    if callback.attempts >= settings.YOUSU_CALLBACK_MAX_ATTEMPTS:
        return _give_up(callback, now=now, note=note, by=by)
    callback.note = note
    callback.save(update_fields=["attempts", "last_attempt_at", "note"])
    record_event(
        callback.appeal,
        "callback_attempt",
        actor=by,
        order_id=callback.order_id,
        reason=note,
        payload={"unit": callback.order.unit.code, "attempts": callback.attempts},
    )
    return callback


def _give_up(callback: Callback, *, now: dt.datetime, note: str, by: Person | None = None) -> Callback:
    callback.status, callback.note = CallbackStatus.UNREACHABLE, note
    callback.done_by, callback.done_at = by, now
    callback.save()
    record_event(
        callback.appeal,
        "callback_unreachable",
        actor=by,
        order_id=callback.order_id,
        reason=note,
        payload={"unit": callback.order.unit.code, "attempts": callback.attempts},
    )
    order = _settles(callback)
    still_asking = Callback.objects.filter(order_id=callback.order_id, status=CallbackStatus.PENDING).exists()
    if order is not None and not still_asking:
        order_close(order=order, by=None, reason=_("回访无法联系，结案"))
        callback.outcome = CallbackOutcome.CLOSED
    else:
        callback.outcome = CallbackOutcome.NONE
    callback.save(update_fields=["outcome"])
    return callback


# ---------------------------------------------------------------- the citizen portal


def citizen_lead_order(appeal: Appeal) -> Order | None:
    """The lead order whose completion the citizen of `appeal` is asked about: the appeal's own, or for
    a linked duplicate that of the appeal it follows (as callbacks_create_due asks both citizens)."""
    handled = appeal
    while handled.duplicate_of_id:
        handled = handled.duplicate_of
    return (
        Order.objects.filter(appeal=handled, role=OrderRole.LEAD)
        .exclude(status__in=(OrderStatus.FORWARDED, OrderStatus.RETURNED))
        .select_related("unit", "appeal")
        .order_by("-dispatched_at", "-pk")
        .first()
    )


def citizen_callback(appeal: Appeal, order: Order | None = None) -> Callback | None:
    """The appeal's callback about its lead order's latest completion, if one was created."""
    order = order or citizen_lead_order(appeal)
    if order is None:
        return None
    callbacks = Callback.objects.filter(order=order, appeal=appeal)
    if order.status == OrderStatus.COMPLETED:
        callbacks = callbacks.filter(order_completed_at=order.completed_at)
    return callbacks.order_by("-order_completed_at", "-pk").first()


@transaction.atomic
def callback_by_citizen(
    *, appeal: Appeal, phone: str, solved: bool, satisfaction: str, comment: str = ""
) -> Callback:
    """The citizen rates the handling on the portal, with the phone number the appeal was submitted
    with. It is the same answer as one given through the text message's link (callback_by_token): once
    per completion, and an unsatisfied, unsolved answer calls for a send-back by the intake desk.

    A citizen may rate before the periodic job has created the callback: it is then created here, for
    this completion and as the job would (with the linked duplicates' callbacks), so the job later finds
    nothing left to do, and the text message it queued is not sent."""
    if not phone_matches(appeal, phone):
        raise PermissionRefused(_("手机号码与诉求不符"), field="phone")
    order = citizen_lead_order(appeal)
    if order is not None:
        # Locked: a dispatcher's send-back and the citizen's answer must not cross.
        order = Order.objects.select_for_update().select_related("unit", "appeal").get(pk=order.pk)
    if order is None or order.status not in (OrderStatus.COMPLETED, OrderStatus.CLOSED):
        raise DomainError(_("诉求尚未办结，办结后才能评价"), field="status")
    solved, satisfaction, comment = _check_answer(solved, satisfaction, comment)
    found = citizen_callback(appeal, order)
    if found is None and order.status == OrderStatus.COMPLETED:
        now = timezone.now()
        for asked in [order.appeal, *order.appeal.duplicates.order_by("pk")]:
            _create_for(order, asked, now)
        found = citizen_callback(appeal, order)
    if found is None:
        raise AlreadyAnswered(_("本次回访已结束，不能再评价"), field="status")
    callback = Callback.objects.select_for_update().select_related("order__unit", "appeal").get(pk=found.pk)
    if callback.status == CallbackStatus.DONE:
        raise AlreadyAnswered(_("您已评价过，每次办结只能评价一次，感谢您的反馈"), field="status")
    if callback.status != CallbackStatus.PENDING:
        raise AlreadyAnswered(_("本次回访已结束，不能再评价"), field="status")
    if callback.channel == CallbackChannel.PHONE:
        # Nobody called: the citizen answered online, as through a link, so figures count it there.
        callback.channel = CallbackChannel.WEB
    # The link it would have sent is no longer needed; the message queue's own wording for that.
    CitizenMessage.objects.filter(callback=callback, status=MessageStatus.PENDING).update(
        status=MessageStatus.FAILED, next_attempt_at=None, last_error=_("回访已结束，不再发送")
    )
    unit_caused = satisfaction == Satisfaction.UNSATISFIED and not solved
    return _finish(
        callback, by=None, solved=solved, satisfaction=satisfaction, unit_caused=unit_caused, comment=comment
    )
