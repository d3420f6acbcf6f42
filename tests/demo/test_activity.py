"""Demo activity: weeks of appeals simulated through the real services, marked demo, added once."""

from __future__ import annotations

import datetime as dt
import logging
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Max, Min
from django.test import Client
from django.utils import timezone

from yousu.appeals.models import Appeal, Event
from yousu.callbacks.choices import CallbackOutcome, CallbackStatus, MessageStatus, Satisfaction
from yousu.callbacks.models import Callback, CitizenMessage
from yousu.core.errors import DomainError
from yousu.demo import activity
from yousu.demo.activity import ACTOR_PREFIX, CITIZEN_NAME, DEMO_PHONE_PREFIX, DemoPhones, build_activity
from yousu.demo.builder import build_demo
from yousu.demo.people import DEMO_PASSWORD
from yousu.dispatch.choices import OrderRole, OrderStatus, RequestStatus
from yousu.dispatch.models import Order, ReturnRequest, Whistle
from yousu.evaluation.models import AssessmentRun
from yousu.intelligence.models import ClassifierModel, DispatchSuggestion
from yousu.org.choices import PLATFORM_KINDS
from yousu.org.models import Person
from yousu.public.models import TypicalCase
from yousu.reports.models import Tally

from ..supervision.clock import at, frozen

# A Wednesday: the walk covers Saturday 31 October to Wednesday noon, so October has activity.
NOW = at(2026, 11, 4, 12, 0)
DAYS, PER_DAY = 5, 6
# Chosen so that this small walk has what the checks below look for: an unsatisfied callback that
# sends an order back, a return refused by rule, a linked duplicate, an anonymous caller, a whistle.
SEED = 103


def test_demo_activity(defaults, caplog):
    build_demo()
    with transaction.atomic():
        # A first walk, thrown away: the same seed and moment must give the same weeks again.
        build_activity(days=DAYS, per_day=PER_DAY, seed=SEED, now=NOW)
        first_walk = trail()
        transaction.set_rollback(True)
    assert not Appeal.objects.exists()
    real_clock = timezone.now
    with caplog.at_level(logging.INFO, logger="yousu.sms"):
        summary = build_activity(days=DAYS, per_day=PER_DAY, seed=SEED, now=NOW)
    assert timezone.now is real_clock, "the simulated clock must not outlive the walk"
    assert not summary.skipped
    assert trail() == first_walk
    check_several_statuses(summary)
    check_event_log()
    check_callbacks()
    check_sent_back()
    check_rules_at_work()
    check_demo_people()
    check_no_real_people(caplog)
    check_assessment_and_counters(summary)
    check_second_run_adds_nothing()


def trail() -> list[tuple]:
    """The event log without database ids: what happened, when, to which appeal, by whom."""
    return list(
        Event.objects.order_by("id").values_list(
            "appeal__code", "action", "at", "actor__username", "to_state"
        )
    )


def check_several_statuses(summary):
    statuses = set(Appeal.objects.values_list("status", flat=True))
    assert {"answered", "dispatched", "completed", "closed"} <= statuses
    assert summary.appeals_by_status == {
        status: Appeal.objects.filter(status=status).count() for status in statuses
    }
    assert sum(summary.appeals_by_kind.values()) == Appeal.objects.count()
    assert len(summary.appeals_by_kind) >= 3 and len(summary.appeals_by_channel) >= 3
    # Three-level dispatch went down the chain: city platform → district platform → unit.
    assert Order.objects.filter(status=OrderStatus.FORWARDED).exists()
    assert summary.open_appeals == Appeal.objects.filter(status__in=("received", "dispatched")).count() > 0


def check_event_log():
    first_moment = dt.datetime.combine(NOW.date() - dt.timedelta(days=DAYS - 1), dt.time(), tzinfo=NOW.tzinfo)
    bounds = Event.objects.aggregate(first=Min("at"), last=Max("at"))
    assert first_moment <= bounds["first"] and bounds["last"] <= NOW
    # Every service ran at its own moment, in the order the moments came: the log is chronological.
    moments = list(Event.objects.order_by("id").values_list("at", flat=True))
    assert moments == sorted(moments)
    for appeal in Appeal.objects.all():
        events = list(appeal.events.order_by("id"))
        assert events[0].action == "received" and events[0].at == appeal.received_at
        assert [e.action for e in events].count("received") == 1
        states = [e.to_state for e in events if e.order_id is None and e.to_state]
        assert states[-1] == appeal.status, appeal.code
    for order in Order.objects.all():
        assert Event.objects.filter(order_id=order.pk, action="dispatched").count() == 1


def check_callbacks():
    completed = Order.objects.filter(role=OrderRole.LEAD, status=OrderStatus.COMPLETED)
    assert completed.exists()
    for order in completed:
        # Created by the periodic job at the simulated moment after the completion, as in production.
        assert Callback.objects.filter(order=order, order_completed_at=order.completed_at).exists()
    for order in Order.objects.filter(role=OrderRole.LEAD, status=OrderStatus.CLOSED):
        # Closed because of its callback: answered, unreachable, or nobody to ask (anonymous).
        asked = Callback.objects.filter(order=order, order_completed_at=order.completed_at)
        assert asked.exists() and not asked.filter(status=CallbackStatus.PENDING).exists()
    assert set(Callback.objects.values_list("status", flat=True)) >= {
        CallbackStatus.DONE,
        CallbackStatus.PENDING,
    }


def check_sent_back():
    unsatisfied = Callback.objects.filter(
        satisfaction=Satisfaction.UNSATISFIED, outcome=CallbackOutcome.SENT_BACK
    )
    assert unsatisfied.exists()
    for callback in unsatisfied:
        order = callback.order
        assert order.send_back_count >= 1
        # Handled again: in handling since the send-back, or replied again after it.
        sent_back = Event.objects.filter(order_id=order.pk, action="sent_back").order_by("id").first()
        replied_again = Event.objects.filter(order_id=order.pk, action="replied", id__gt=sent_back.pk)
        assert order.status == OrderStatus.ACCEPTED or replied_again.exists()


def check_rules_at_work():
    # First-receiver duty: a unit's return request for its own catalog item is refused by rule.
    assert ReturnRequest.objects.filter(status=RequestStatus.REFUSED_BY_RULE).exists()
    # A return saying another unit is responsible names it and the catalog item it relies on.
    assert not ReturnRequest.objects.filter(reason="not_our_duty", suggested_unit__isnull=True).exists()
    assert not ReturnRequest.objects.filter(reason="not_our_duty", basis_item__isnull=True).exists()
    assert not ReturnRequest.objects.filter(status=RequestStatus.APPROVED).exists()
    # A second caller about the same problem is linked to the appeal in handling: no order of its own.
    duplicates = Appeal.objects.filter(duplicate_of__isnull=False)
    assert duplicates.exists() and not Order.objects.filter(appeal__in=duplicates).exists()
    # An anonymous caller leaves nobody to call back: no callback is pending for that appeal.
    anonymous = Appeal.objects.filter(anonymous=True)
    assert anonymous.exists()
    assert not Callback.objects.filter(appeal__in=anonymous, status=CallbackStatus.PENDING).exists()
    # 街道吹哨、部门报到: summoned departments report in.
    whistle = Whistle.objects.get()
    assert (
        whistle.blown_by_unit.kind == "street"
        and whistle.report_ins.filter(reported_at__isnull=False).exists()
    )
    # 吹哨之后: one department never came; the sweep warned it, then escalated it to the unit above,
    # and the supervision desk and the department's unit desk (a demo login's) show it.
    missing = whistle.report_ins.get(reported_at__isnull=True)
    assert missing.warned_at < missing.missed_at and missing.next_node_at is None
    assert missing.supervision_orders.get().escalated_to == missing.unit.parent
    supervisor, department = Client(), Client()
    supervisor.force_login(Person.objects.get(username="supervisor"))
    department.force_login(
        Person.objects.filter(unit=missing.unit, is_demo=True)
        .exclude(username__startswith=ACTOR_PREFIX)
        .first()
    )
    assert f'data-report-in="{missing.pk}" data-state="missed"' in supervisor.get("/supervision/").text
    assert f'data-whistle="{whistle.pk}" data-state="missed"' in department.get("/unit/").text


def check_demo_people():
    actors = Person.objects.filter(username__startswith=ACTOR_PREFIX)
    assert actors.exists()
    client = Client()
    for actor in actors:
        assert actor.is_demo and not actor.has_usable_password() and not actor.is_staff
        assert actor.full_name.startswith(actor.unit.name) and actor.full_name.endswith("（演示）")
        # Through the sign-in page itself, as a person would try (the login throttling needs a request).
        for password in (DEMO_PASSWORD, ""):
            client.post("/accounts/login/", {"username": actor.username, "password": password})
            assert "_auth_user_id" not in client.session
    assert not Person.objects.filter(is_demo=False).exists()
    # The demo accounts did the work of their own units: a newcomer who logs in finds it.
    assert Event.objects.filter(actor__username="operator", action="received").exists()
    assert Event.objects.filter(actor__username="dispatcher", action="dispatched").exists()


def check_no_real_people(caplog):
    for appeal in Appeal.objects.all():
        if appeal.anonymous:
            assert (appeal.citizen_name, appeal.citizen_phone) == ("", "")
        else:
            assert appeal.citizen_name == CITIZEN_NAME
            assert appeal.citizen_phone.startswith(DEMO_PHONE_PREFIX) and len(appeal.citizen_phone) == 11
        assert "演示" in appeal.content and "演示" in appeal.address
    # Callback links went to the demo's phones, never to the configured gateway.
    assert CitizenMessage.objects.filter(status=MessageStatus.SENT).exists()
    assert not [record for record in caplog.records if record.name == "yousu.sms"]
    assert DemoPhones.inbox == {}


def check_assessment_and_counters(summary):
    assert summary.assessed_month == "2026-10"
    run = AssessmentRun.objects.get(month=dt.date(2026, 10, 1), is_current=True)
    # The simulated periodic job assessed October when it ended and made it final once every sign-for
    # limit had passed; the running month is there too, provisional.
    assert not run.is_provisional and at(2026, 11, 1, 0, 0) <= run.computed_at <= NOW
    assert AssessmentRun.objects.get(month=dt.date(2026, 11, 1), is_current=True).is_provisional
    # The counters caught up with the log: counted and live figures are the platform's own.
    assert summary.tallies is not None
    assert Tally.objects.filter(dim="all", received__gt=0).exists()
    # The supervisor published typical cases of closed appeals, without the citizens' phones.
    cases = list(TypicalCase.objects.select_related("appeal"))
    assert summary.typical_cases == len(cases) >= 1
    for case in cases:
        assert case.appeal.status == "closed" and case.published_by.username == "supervisor"
        assert case.appeal.citizen_phone not in case.summary + case.outcome + case.title


def check_second_run_adds_nothing():
    before = (Appeal.objects.count(), Event.objects.count(), Order.objects.count(), Person.objects.count())
    again = build_activity(days=DAYS, per_day=PER_DAY, seed=SEED, now=NOW)
    assert again.skipped and again.existing_appeals == before[0]
    assert before == (
        Appeal.objects.count(),
        Event.objects.count(),
        Order.objects.count(),
        Person.objects.count(),
    )


def test_a_failure_keeps_whole_days_only(defaults):
    """A failing step rolls back its whole simulated day and stops the walk; earlier days stay."""
    build_demo()
    real_intake = activity.Simulation.intake
    failing_day = NOW.date() - dt.timedelta(days=1)

    def intake(self):
        if (
            timezone.localdate(self.clock.moment) == failing_day
            and timezone.localtime(self.clock.moment).hour >= 12
        ):
            raise RuntimeError("a bug in the simulation")
        return real_intake(self)

    with mock.patch.object(activity.Simulation, "intake", intake), pytest.raises(RuntimeError):
        build_activity(days=DAYS, per_day=PER_DAY, seed=SEED, now=NOW)
    day_start = dt.datetime.combine(failing_day, dt.time(), tzinfo=NOW.tzinfo)
    assert Event.objects.filter(at__lt=day_start).exists()
    assert not Event.objects.filter(at__gte=day_start).exists()
    assert timezone.now() > NOW  # the clock is the real one again


def test_refused_without_the_demo_city_or_with_bad_sizes(defaults):
    with pytest.raises(DomainError) as refused:
        build_activity(days=2, per_day=2, now=NOW)
    assert refused.value.field == "demo"
    for sizes, field in (({"days": 0}, "days"), ({"days": 367}, "days"), ({"per_day": 0}, "per_day")):
        with pytest.raises(DomainError) as refused:
            build_activity(now=NOW, **sizes)
        assert refused.value.field == field
    assert not Appeal.objects.exists() and not Person.objects.exists()


def test_command(defaults, settings, tmp_path):
    settings.VAR_DIR = tmp_path  # where the demo's suggestion model is written
    build_demo()
    for option, value in (("--days", "0"), ("--days", "400"), ("--per-day", "many")):
        with pytest.raises(CommandError, match=option):
            call_command("demo", "--no-migrate", option, value)
    assert not Appeal.objects.exists()
    with frozen(NOW):  # the command walks up to the current time: a fixed one, so the walk is known
        out = _command_output("--no-migrate", "--days", "2", "--per-day", "3")
    assert "模拟诉求（2026-11-03 至 2026-11-04" in out and "用时" in out and "回访" in out
    assert f"诉求 {Appeal.objects.count()} 件" in out and Appeal.objects.exists()
    # The actors exist but cannot log in, so the list of demo accounts leaves them out.
    assert Person.objects.filter(username__startswith=ACTOR_PREFIX).exists()
    assert "  operator " in out and ACTOR_PREFIX not in out
    # The demo's suggestion model is active before the walk, so its dispatches keep suggestions.
    model = ClassifierModel.objects.get(is_active=True)
    assert f"派单建议模型 v{model.version}" in out and model.training_summary["source"] == "demo_scenarios"
    # Dispatched by a platform: a street or community taking on its own found problem (自办) is not.
    dispatched = Appeal.objects.filter(orders__dispatched_from__kind__in=PLATFORM_KINDS).distinct().count()
    assert dispatched and DispatchSuggestion.objects.filter(chosen_at__isnull=False).count() == dispatched
    again = _command_output("--no-migrate", "--days", "2", "--per-day", "3")
    assert f"数据库中已有 {Appeal.objects.count()} 件诉求" in again
    quiet = _command_output("--no-migrate", "--no-activity")
    assert "模拟诉求" not in quiet and "数据库中已有" not in quiet


def _command_output(*args) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()
