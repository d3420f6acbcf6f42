"""Responsibility lookup: who is responsible for item X at place Y, now and at a past moment."""

import datetime as dt

import pytest
from django.utils import timezone

from yousu.catalog.choices import RuleTarget
from yousu.catalog.models import ResponsibilityRule
from yousu.catalog.selectors import responsible_unit, rule_history
from yousu.catalog.services import rule_change, rule_create, rule_retire
from yousu.core.errors import DomainError, PushDownRefused, ResponsibilityNotFound


def test_sector_rule_resolves_to_the_department_of_the_appeals_district(world):
    east = responsible_unit(item=world.items.fumes, area=world.areas.grid)
    west = responsible_unit(item=world.items.fumes, area=world.areas.west_community)
    assert east.unit == world.units.east_eco
    assert west.unit == world.units.west_eco
    assert [u.code for u in east.chain] == ["P", "C-E-P", "C-E-eco"]


def test_territorial_rule_resolves_to_the_street_of_the_place(world):
    answer = responsible_unit(item=world.items.parking, area=world.areas.grid)
    assert answer.unit == world.units.east_street


def test_fixed_unit_rule(world):
    assert (
        responsible_unit(item=world.items.water_outage, area=world.areas.west_street).unit
        == world.units.water
    )


def test_community_item_on_the_access_list_goes_to_the_community(world):
    assert (
        responsible_unit(item=world.items.hallway, area=world.areas.grid).unit == world.units.east_community
    )


def test_place_too_coarse_for_a_street_rule_is_a_clear_error(world):
    with pytest.raises(ResponsibilityNotFound) as caught:
        responsible_unit(item=world.items.parking, area=world.areas.east)
    assert caught.value.field == "area"


def test_no_rule_is_a_clear_error(world):
    with pytest.raises(ResponsibilityNotFound, match="工地扬尘"):
        responsible_unit(item=world.items.dust, area=world.areas.grid)


def test_category_rule_is_inherited_and_item_rule_wins(world):
    rule_create(
        item=world.items.category,
        target=RuleTarget.SECTOR,
        level="district",
        sector=world.sectors.market,
        reason="类别默认",
        by=world.people.admin,
    )
    assert responsible_unit(item=world.items.dust, area=world.areas.grid).unit == world.units.east_market
    # The item's own rule (environment) beats the category's (market).
    assert responsible_unit(item=world.items.fumes, area=world.areas.grid).unit == world.units.east_eco


def test_area_specific_rule_beats_the_city_wide_one(world):
    rule_create(
        item=world.items.fumes,
        area=world.areas.west,
        target=RuleTarget.SECTOR,
        level="district",
        sector=world.sectors.market,
        reason="西区试点",
        by=world.people.admin,
    )
    assert (
        responsible_unit(item=world.items.fumes, area=world.areas.west_community).unit
        == world.units.west_market
    )
    assert responsible_unit(item=world.items.fumes, area=world.areas.grid).unit == world.units.east_eco


def test_rule_changed_last_week_old_moment_returns_old_unit(world):
    now = timezone.now()
    last_week = now - dt.timedelta(days=7)
    original = ResponsibilityRule.objects.get(item=world.items.fumes, area=None)
    rule_change(
        rule=original,
        target=RuleTarget.SECTOR,
        level="district",
        sector=world.sectors.market,
        effective_at=last_week,
        reason="会商决定：油烟由市场监管负责",
        by=world.people.admin,
    )

    before = responsible_unit(
        item=world.items.fumes, area=world.areas.grid, at=last_week - dt.timedelta(days=1)
    )
    after = responsible_unit(
        item=world.items.fumes, area=world.areas.grid, at=last_week + dt.timedelta(hours=1)
    )
    current = responsible_unit(item=world.items.fumes, area=world.areas.grid)
    assert before.unit == world.units.east_eco
    assert after.unit == world.units.east_market
    assert current.unit == world.units.east_market

    history = list(rule_history(world.items.fumes))
    assert len(history) == 2
    old, new = history
    assert old.valid_until == last_week and new.valid_from == last_week
    assert new.replaces == old and new.created_by == world.people.admin
    assert new.reason == "会商决定：油烟由市场监管负责"
    assert old.sector == world.sectors.eco  # the old version is kept as it was


def test_a_rule_is_changed_only_once_and_only_forward(world):
    original = ResponsibilityRule.objects.get(item=world.items.fumes, area=None)
    with pytest.raises(DomainError, match="晚于"):
        rule_change(
            rule=original,
            target=RuleTarget.SECTOR,
            level="district",
            sector=world.sectors.market,
            effective_at=original.valid_from - dt.timedelta(days=1),
            reason="回溯",
            by=world.people.admin,
        )
    rule_change(
        rule=original,
        target=RuleTarget.SECTOR,
        level="district",
        sector=world.sectors.market,
        reason="第一次变更",
        by=world.people.admin,
    )
    with pytest.raises(DomainError):
        rule_change(
            rule=original,
            target=RuleTarget.SECTOR,
            level="district",
            sector=world.sectors.eco,
            reason="对旧版本再变更",
            by=world.people.admin,
        )
    assert ResponsibilityRule.objects.filter(item=world.items.fumes).count() == 2


def test_second_rule_for_the_same_item_and_area_is_refused(world):
    with pytest.raises(DomainError) as caught:
        rule_create(
            item=world.items.fumes,
            target=RuleTarget.SECTOR,
            level="district",
            sector=world.sectors.market,
            reason="重复",
            by=world.people.admin,
        )
    assert caught.value.field == "item"
    assert ResponsibilityRule.objects.filter(item=world.items.fumes).count() == 1


def test_rule_needs_a_reason_and_an_actor(world):
    with pytest.raises(DomainError) as no_reason:
        rule_create(
            item=world.items.dust,
            target=RuleTarget.SECTOR,
            level="district",
            sector=world.sectors.eco,
            reason="  ",
            by=world.people.admin,
        )
    assert no_reason.value.field == "reason"
    with pytest.raises(DomainError) as no_actor:
        rule_create(
            item=world.items.dust,
            target=RuleTarget.SECTOR,
            level="district",
            sector=world.sectors.eco,
            reason="依据",
            by=None,
        )
    assert no_actor.value.field == "by"


def test_rule_giving_a_non_listed_item_to_communities_is_refused(world):
    with pytest.raises(PushDownRefused):
        rule_create(
            item=world.items.dust,
            target=RuleTarget.TERRITORIAL,
            level="community",
            reason="让社区管扬尘",
            by=world.people.admin,
        )
    with pytest.raises(PushDownRefused):
        rule_create(
            item=world.items.dust,
            target=RuleTarget.UNIT,
            unit=world.units.east_community,
            reason="让东一社区管扬尘",
            by=world.people.admin,
        )
    assert not ResponsibilityRule.objects.filter(item=world.items.dust).exists()


def test_retired_rule_no_longer_answers_but_past_moments_still_do(world):
    rule = ResponsibilityRule.objects.get(item=world.items.parking)
    moment = timezone.now() - dt.timedelta(hours=1)
    rule_retire(rule=rule, reason="事项合并", by=world.people.admin)
    with pytest.raises(ResponsibilityNotFound):
        responsible_unit(item=world.items.parking, area=world.areas.grid)
    assert (
        responsible_unit(item=world.items.parking, area=world.areas.grid, at=moment).unit
        == world.units.east_street
    )
    rule.refresh_from_db()
    assert rule.retired_by == world.people.admin and rule.retired_reason == "事项合并"


def test_missing_department_is_named_in_the_error(world):
    world.units.west_eco.is_active = False
    world.units.west_eco.save()
    with pytest.raises(ResponsibilityNotFound, match="西区的生态环境部门"):
        responsible_unit(item=world.items.fumes, area=world.areas.west_community)
