"""Dispatch suggestions: items and units from the text, the choice kept beside them, first-try
accuracy, and automatic dispatch with its withdrawal."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.appeals.factories import new_appeal, reload
from yousu.appeals.choices import AppealStatus
from yousu.appeals.models import Event
from yousu.core.errors import DomainError, PermissionRefused
from yousu.dispatch.auto import (
    appeal_auto_dispatch,
    auto_dispatch_withdraw,
)
from yousu.dispatch.choices import OrderStatus
from yousu.dispatch.services import appeal_dispatch, order_accept
from yousu.evaluation.assessment import month_figures
from yousu.intelligence import classifier, services, suggestions
from yousu.intelligence.models import DispatchSuggestion
from yousu.supervision.jobs import run_periodic

pytestmark = pytest.mark.django_db

# Demo texts per catalog item: the words of each share nothing with the others', so a working model
# separates them and a broken one cannot.
TEXTS = {
    "D1-01-01": ["饭店油烟直排熏得开不了窗", "烧烤摊油烟呛人", "餐馆排烟管道冒黑烟", "楼下饭馆油烟大"],
    "D2-01-02": ["小区车位被外来车辆占满", "停车位划线不合理", "地下车库停车乱收费", "业主车位被占用"],
    "D2-01-03": ["整栋楼突然停水没有通知", "自来水停供两天了", "家里水龙头没水", "停水后一直不来水"],
}
FUMES = "饭店油烟直排熏得开不了窗，烧烤摊油烟呛人"
WATER = "整栋楼突然停水没有通知，水龙头没水"


def examples(labels=None) -> classifier.Examples:
    texts, out_labels = [], []
    for code, phrases in TEXTS.items():
        for n in range(6):
            for phrase in phrases:
                texts.append(f"（演示）{phrase}，第{n}次反映")
                out_labels.append(labels[code] if labels else code)
    return classifier.Examples(texts=texts, labels=out_labels, source="test")


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


@pytest.fixture
def model(world):
    return services.model_train(examples=examples(), activate=True)


def test_top_three_items_with_probabilities_and_the_units_the_catalog_names(world, model):
    made = suggestions.suggest_items(text=FUMES, area=world.areas.grid)
    assert made.model == model
    assert made.items[0].label == "D1-01-01"
    assert len(made.items) == 3
    probabilities = [s.probability for s in made.items]
    assert probabilities == sorted(probabilities, reverse=True)
    assert 0.99 <= sum(probabilities) <= 1.01
    assert made.top.item == world.items.fumes
    # Fumes are the district environment bureau's for a place in the east district.
    assert made.top.unit == world.units.east_eco
    water = suggestions.suggest_items(text=WATER, area=world.areas.grid).top
    assert (water.item, water.unit) == (world.items.water_outage, world.units.water)


def test_without_a_place_the_unit_is_left_open_with_the_reason(world, model):
    top = suggestions.suggest_items(text=FUMES, area=None).top
    assert top.item == world.items.fumes
    assert top.unit is None and "地点未定" in top.unit_note


def test_labels_that_are_field_names_map_to_first_level_items(world, var_dir):
    services.model_train(
        examples=examples({"D1-01-01": "生态环境", "D2-01-02": "社区治理", "D2-01-03": "供水（未编目）"}),
        activate=True,
    )
    made = suggestions.suggest_items(text=FUMES, area=world.areas.grid)
    assert made.top.item == world.items.domain
    unknown = next(s for s in made.items if s.label == "供水（未编目）")
    assert unknown.item is None and unknown.unit is None


def test_no_active_model_means_no_suggestion_and_dispatch_goes_on(world):
    appeal = new_appeal(world)
    appeal_dispatch(appeal=appeal, by=world.people.dispatcher)
    assert suggestions.suggest_items(text=FUMES).items == []
    assert not DispatchSuggestion.objects.exists()


def test_a_broken_model_file_does_not_stop_a_dispatch(world, model, var_dir):
    (var_dir / "models" / model.file_path).write_bytes(b"changed")
    suggestions._loaded.update(key=None)
    appeal = new_appeal(world)
    order = appeal_dispatch(appeal=appeal, by=world.people.dispatcher)
    assert order.status == OrderStatus.DISPATCHED
    assert not DispatchSuggestion.objects.exists()


def test_switching_the_active_model_is_seen_at_once(world, model):
    assert suggestions.active_model()[0] == model
    newer = services.model_train(examples=examples(), activate=True)
    assert suggestions.active_model()[0] == newer


def test_dispatch_keeps_the_suggestion_beside_the_dispatchers_choice(world, model):
    appeal = new_appeal(world, title="油烟", content=FUMES)
    appeal_dispatch(appeal=appeal, by=world.people.dispatcher)
    kept = DispatchSuggestion.objects.get(appeal=appeal)
    assert kept.model == model and kept.top_label == "D1-01-01"
    assert (kept.chosen_item, kept.chosen_unit, kept.chosen_by) == (
        world.items.fumes,
        world.units.east_eco,
        world.people.dispatcher,
    )
    assert kept.agreed is True and kept.in_top3 is True and kept.auto_dispatched is False

    # The operator filed a water text under parking: the suggestion disagrees with the choice.
    other = new_appeal(
        world, title="停水", content=WATER, item=world.items.parking, area=world.areas.east_community
    )
    appeal_dispatch(appeal=other, by=world.people.dispatcher)
    kept = DispatchSuggestion.objects.get(appeal=other)
    assert kept.top_label == "D2-01-03"
    assert kept.agreed is False and kept.in_top3 is True
    assert kept.chosen_unit == world.units.east_street


def test_the_first_suggestion_is_the_one_kept(world, model):
    appeal = new_appeal(world, content=FUMES)
    first = suggestions.suggestion_record(appeal)
    services.model_train(
        examples=examples({"D1-01-01": "x", "D2-01-02": "y", "D2-01-03": "z"}), activate=True
    )
    assert suggestions.suggestion_record(appeal).pk == first.pk
    assert DispatchSuggestion.objects.get(appeal=appeal).top_label == "D1-01-01"


def test_first_try_accuracy_per_week_and_field(world, model):
    p = world.people
    right = new_appeal(world, content=FUMES)
    appeal_dispatch(appeal=right, by=p.dispatcher)
    wrong = new_appeal(world, content=WATER, item=world.items.parking, area=world.areas.east_community)
    appeal_dispatch(appeal=wrong, by=p.dispatcher)
    assert suggestions.first_try_of([right.pk, wrong.pk]) == {right.pk: True, wrong.pk: True}

    today = timezone.localdate()
    figures = suggestions.first_try_accuracy(start=today, end=today)
    overall = figures["overall"]
    assert (overall["dispatched"], overall["agreed"], overall["in_top3"]) == (2, 1, 2)
    assert overall["agreed_rate"] == 0.5 and overall["top3_rate"] == 1.0
    year, week, _ = today.isocalendar()
    assert [w["week"] for w in figures["weeks"]] == [f"{year}-W{week:02d}"]
    by_field = {f["code"]: f for f in figures["fields"]}
    assert by_field["D1"]["agreed_rate"] == 1.0
    assert by_field["D2"]["agreed_rate"] == 0.0
    with pytest.raises(DomainError) as refused:
        suggestions.first_try_accuracy(start=today, end=today - dt.timedelta(days=1))
    assert refused.value.field == "start"


# ---------------------------------------------------------------- automatic dispatch


def test_automatic_dispatch_is_off_by_default(world, model, settings):
    assert settings.YOUSU_AUTO_DISPATCH_CONFIDENCE is None
    appeal = new_appeal(world, content=FUMES, item=None)
    assert appeal_auto_dispatch(appeal) is None
    assert reload(appeal).status == AppealStatus.RECEIVED
    assert run_periodic()["auto_dispatched"] == 0


def test_a_confident_suggestion_is_dispatched_and_marked_as_automatic(world, model, settings):
    settings.YOUSU_AUTO_DISPATCH_CONFIDENCE = 0.3
    appeal = new_appeal(world, content=FUMES, item=None)
    order = appeal_auto_dispatch(appeal)
    assert order is not None and order.dispatched_by is None
    assert order.unit == world.units.east_platform  # three-level dispatch, as a dispatcher would
    appeal = reload(appeal)
    assert appeal.status == AppealStatus.DISPATCHED and appeal.item == world.items.fumes
    event = Event.objects.get(appeal=appeal, action="dispatched")
    assert event.actor is None
    assert event.payload["auto"]["label"] == "D1-01-01"
    assert event.payload["auto"]["model"] == model.version
    kept = DispatchSuggestion.objects.get(appeal=appeal)
    assert kept.auto_dispatched and kept.auto_order_id == order.pk and kept.agreed


def test_doubt_leaves_the_appeal_to_the_dispatcher_with_the_reason(world, model, settings):
    settings.YOUSU_AUTO_DISPATCH_CONFIDENCE = 0.999
    low = new_appeal(world, content=FUMES, item=None)
    assert appeal_auto_dispatch(low) is None
    assert "低于自动派单阈值" in DispatchSuggestion.objects.get(appeal=low).auto_note

    settings.YOUSU_AUTO_DISPATCH_CONFIDENCE = 0.3
    chosen = new_appeal(world, content=FUMES, item=world.items.parking)
    assert appeal_auto_dispatch(chosen) is None
    assert DispatchSuggestion.objects.get(appeal=chosen).auto_note == "接线员已选定其他事项"

    nowhere = new_appeal(world, content=FUMES, item=None, area=None)
    assert appeal_auto_dispatch(nowhere) is None
    assert DispatchSuggestion.objects.get(appeal=nowhere).auto_note == "诉求地点未定"
    for appeal in (low, chosen, nowhere):
        assert reload(appeal).status == AppealStatus.RECEIVED
        assert not appeal.orders.exists()


def test_a_refusal_by_the_catalog_leaves_nothing_of_the_attempt(world, model, settings):
    settings.YOUSU_AUTO_DISPATCH_CONFIDENCE = 0.3
    # The city itself is too coarse a place for the district-level environment rule.
    appeal = new_appeal(world, content=FUMES, item=None, area=world.areas.city)
    assert appeal_auto_dispatch(appeal) is None
    appeal = reload(appeal)
    assert appeal.item is None and appeal.status == AppealStatus.RECEIVED
    assert not Event.objects.filter(appeal=appeal, action="item_set").exists()
    assert DispatchSuggestion.objects.get(appeal=appeal).auto_note


def test_intake_hook_and_periodic_job_dispatch_automatically(
    world, model, settings, django_capture_on_commit_callbacks
):
    settings.YOUSU_AUTO_DISPATCH_CONFIDENCE = 0.3
    with django_capture_on_commit_callbacks(execute=True):
        hooked = new_appeal(world, content=FUMES, item=None)
    assert reload(hooked).status == AppealStatus.DISPATCHED
    missed = new_appeal(world, content=WATER, item=None)  # its hook never ran (test transaction)
    assert run_periodic()["auto_dispatched"] == 1
    assert reload(missed).status == AppealStatus.DISPATCHED
    assert reload(missed).orders.get().unit == world.units.water


def test_the_dispatcher_withdraws_an_automatic_dispatch(world, model, settings):
    settings.YOUSU_AUTO_DISPATCH_CONFIDENCE = 0.3
    p = world.people
    appeal = new_appeal(world, content=FUMES, item=None)
    order = appeal_auto_dispatch(appeal)
    with pytest.raises(DomainError) as refused:
        auto_dispatch_withdraw(appeal=appeal, by=p.dispatcher, reason=" ")
    assert refused.value.field == "reason"
    with pytest.raises(PermissionRefused):
        auto_dispatch_withdraw(appeal=appeal, by=p.operator, reason="事项判断有误")
    auto_dispatch_withdraw(appeal=appeal, by=p.dispatcher, reason="事项判断有误")
    assert reload(order).status == OrderStatus.RETURNED
    assert reload(appeal).status == AppealStatus.RECEIVED
    assert Event.objects.filter(appeal=appeal, action="dispatch_withdrawn", actor=p.dispatcher).exists()
    with pytest.raises(DomainError, match="已撤回"):
        auto_dispatch_withdraw(appeal=appeal, by=p.dispatcher, reason="再撤一次")

    # The dispatcher's own dispatch replaces the machine's choice in the measure.
    appeal_dispatch(appeal=appeal, by=p.dispatcher, unit=world.units.west_platform, reason="实际在西区")
    kept = DispatchSuggestion.objects.get(appeal=appeal)
    assert kept.chosen_by == p.dispatcher and kept.chosen_unit == world.units.west_platform
    assert kept.auto_dispatched and kept.withdrawn_at is not None
    # Two dispatches from the platform that received it: the first one did not stand.
    assert suggestions.first_try_of([appeal.pk]) == {appeal.pk: False}


def test_no_withdrawal_once_the_unit_signed_for_it_or_for_a_human_dispatch(world, model, settings):
    settings.YOUSU_AUTO_DISPATCH_CONFIDENCE = 0.3
    p = world.people
    appeal = new_appeal(world, content=FUMES, item=None)
    order = appeal_auto_dispatch(appeal)
    order_accept(order=order, by=p.east_dispatcher)
    with pytest.raises(DomainError) as refused:
        auto_dispatch_withdraw(appeal=appeal, by=p.dispatcher, reason="事项判断有误")
    assert refused.value.field == "status"
    human = new_appeal(world, content=FUMES)
    appeal_dispatch(appeal=human, by=p.dispatcher)
    with pytest.raises(DomainError, match="不是自动派单"):
        auto_dispatch_withdraw(appeal=human, by=p.dispatcher, reason="事项判断有误")


def test_a_withdrawn_automatic_order_does_not_count_for_its_unit(world, model, settings):
    settings.YOUSU_AUTO_DISPATCH_CONFIDENCE = 0.3
    east = world.units.east_platform
    appeal = new_appeal(world, content=FUMES, item=None)
    appeal_auto_dispatch(appeal)
    month = timezone.localdate().replace(day=1)
    assert month_figures(month).counts[east.pk]["received"] == 1
    auto_dispatch_withdraw(appeal=appeal, by=world.people.dispatcher, reason="事项判断有误")
    assert month_figures(month).counts.get(east.pk, {}).get("received", 0) == 0


def test_accuracy_command_prints_the_figures(world, model):
    appeal_dispatch(appeal=new_appeal(world, content=FUMES), by=world.people.dispatcher)
    out = StringIO()
    call_command("classify", "accuracy", "--json", stdout=out)
    figures = json.loads(out.getvalue())
    assert figures["overall"]["dispatched"] == 1 and figures["overall"]["agreed_rate"] == 1.0
    table = StringIO()
    call_command("classify", "accuracy", stdout=table)
    assert "100.0%" in table.getvalue() and "生态环境" in table.getvalue()
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("classify", "accuracy", "--start", "30/11/2026")
    with pytest.raises(CommandError, match="开始日期不能晚于结束日期"):
        call_command("classify", "accuracy", "--start", "2026-12-01", "--end", "2026-11-01")


def test_unlikely_suggestions_are_shown_without_a_unit(world, model):
    made = suggestions.suggest_items(text=FUMES, area=world.areas.grid)
    unlikely = [s for s in made.items if s.probability < suggestions.UNIT_LOOKUP_MIN_PROBABILITY]
    assert unlikely, "the demo texts leave the second and third choices unlikely"
    assert all(s.unit is None and "可能性低" in s.unit_note for s in unlikely)
