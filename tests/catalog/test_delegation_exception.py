"""目录例外: a recorded exception that lets a department's item go to a street or community in one area.
Who may ask and who decides (only the city platform, never the one who asked), what a request must name,
that a community is never given an item off its access list, and which exceptions the lookup finds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.appeals.factories import staff
from yousu.catalog.choices import AccessChangeAction, DelegateKind, DelegationStatus
from yousu.catalog.models import DelegationException, ResponsibilityRule
from yousu.catalog.selectors import delegation_exception_for
from yousu.catalog.services import (
    access_list_decide,
    access_list_propose,
    delegation_exception_decide,
    delegation_exception_request,
    rule_change,
)
from yousu.core.errors import DomainError, PermissionRefused, PushDownRefused


def ask(world, *, by=None, item=None, area=None, unit=None, unit_kind="", reason="街道有执法力量", **more):
    return delegation_exception_request(
        item=item or world.items.fumes,
        area=area or world.areas.east_street,
        unit=unit,
        unit_kind=unit_kind,
        reason=reason,
        by=by or world.people.east_dispatcher,
        **more,
    )


def approve(exception, by, note="同意：街道已配备油烟检测人员"):
    return delegation_exception_decide(exception=exception, by=by, approve=True, note=note)


# ---------------------------------------------------------------- requesting


@pytest.mark.parametrize("who", ["east_dispatcher", "street_leader", "admin"])
def test_platform_dispatchers_unit_leaders_and_administrators_may_ask(world, who):
    made = ask(world, by=getattr(world.people, who), unit=world.units.east_street)
    assert (made.status, made.requested_by) == (DelegationStatus.PENDING, getattr(world.people, who))
    assert made.decided_at is None


@pytest.mark.parametrize("who", ["east_market_handler", "operator", "supervisor"])
def test_handlers_operators_and_supervisors_may_not_ask(world, who):
    with pytest.raises(PermissionRefused):
        ask(world, by=getattr(world.people, who), unit=world.units.east_street)
    assert not DelegationException.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"unit": None, "unit_kind": ""}, "unit"),  # neither
        ({"unit": "east_street", "unit_kind": DelegateKind.STREET}, "unit"),  # both
        ({"unit": "east_eco"}, "unit"),  # not grassroots
        ({"unit": "west_street"}, "unit"),  # does not serve the area
        ({"unit_kind": "district_government"}, "unit_kind"),
        ({"unit": "east_street", "reason": "  "}, "reason"),
        ({"unit": "east_street", "item": "category"}, "item"),  # not a level-three item
    ],
)
def test_a_request_names_one_street_or_community_of_the_area_an_item_and_a_reason(world, fields, field):
    values = dict(fields)
    if isinstance(values.get("unit"), str):
        values["unit"] = getattr(world.units, values["unit"])
    if isinstance(values.get("item"), str):
        values["item"] = getattr(world.items, values["item"])
    with pytest.raises(DomainError) as refused:
        ask(world, **values)
    assert refused.value.field == field
    assert not DelegationException.objects.exists()


def test_an_expired_validity_is_refused(world):
    with pytest.raises(DomainError) as refused:
        ask(world, unit=world.units.east_street, valid_until=timezone.now() - dt.timedelta(hours=1))
    assert refused.value.field == "valid_until"


def test_a_community_is_never_given_an_item_off_its_access_list_exception_or_not(world):
    # Fumes is not on the access list: neither the named community nor "the community" may be asked for.
    for fields in ({"unit": world.units.east_community}, {"unit_kind": DelegateKind.COMMUNITY}):
        with pytest.raises(PushDownRefused):
            ask(world, area=world.areas.east_community, **fields)
    assert not DelegationException.objects.exists()
    # The hallway item is on it: a community may be named.
    made = ask(
        world, item=world.items.hallway, area=world.areas.east_community, unit=world.units.east_community
    )
    assert made.unit == world.units.east_community


def test_a_person_of_one_city_asks_only_for_its_own_areas(world, north):
    with pytest.raises(PermissionRefused) as refused:
        ask(world, by=north.dispatcher, unit=world.units.east_street)
    assert refused.value.field == "area"


# ---------------------------------------------------------------- deciding


def test_only_the_city_platform_approves_and_the_approval_is_recorded(world):
    p = world.people
    made = ask(world, unit=world.units.east_street)
    for person in (p.street_leader, p.east_market_handler, p.supervisor):
        with pytest.raises(PermissionRefused):
            approve(made, person)
    # The district platform asked; it cannot decide its own request, nor any other.
    with pytest.raises(PermissionRefused):
        approve(made, p.east_dispatcher)
    made.refresh_from_db()
    assert made.status == DelegationStatus.PENDING
    approved = approve(made, p.dispatcher)
    approved.refresh_from_db()
    assert (approved.status, approved.decided_by) == (DelegationStatus.APPROVED, p.dispatcher)
    assert approved.decided_at is not None and approved.decision_note.startswith("同意")


def test_the_one_who_asked_may_not_decide_and_a_decision_is_made_once(world):
    p = world.people
    made = ask(world, by=p.dispatcher, unit=world.units.east_street)
    with pytest.raises(PermissionRefused):
        approve(made, p.dispatcher)
    with pytest.raises(DomainError) as refused:
        delegation_exception_decide(exception=made, by=p.admin, approve=False, note=" ")
    assert refused.value.field == "note"
    refused_now = delegation_exception_decide(
        exception=made, by=p.admin, approve=False, note="应由职能部门办理"
    )
    assert refused_now.status == DelegationStatus.REFUSED
    with pytest.raises(DomainError) as again:
        approve(made, p.admin2)
    assert again.value.field == "status"


def test_approval_checks_the_access_list_again(world):
    p = world.people
    made = ask(
        world, item=world.items.hallway, area=world.areas.east_community, unit=world.units.east_community
    )
    change = access_list_propose(
        access_list=world.access_list,
        action=AccessChangeAction.REMOVE,
        item=world.items.hallway,
        reason="改由街道统一办理",
        by=p.street_leader,
    )
    # The catalog still gives hallways to communities; it has to change before the list may.
    rule_change(
        rule=ResponsibilityRule.objects.get(item=world.items.hallway),
        target="territorial",
        level="street",
        reason="改由街道办理",
        by=p.admin,
    )
    access_list_decide(change=change, approve=True, note="同意移出", by=p.admin)
    with pytest.raises(PushDownRefused):
        approve(made, p.dispatcher)
    made.refresh_from_db()
    assert made.status == DelegationStatus.PENDING


# ---------------------------------------------------------------- the lookup


def test_the_lookup_finds_only_approved_exceptions_in_force_for_the_place_and_the_unit(world):
    p, u, a = world.people, world.units, world.areas
    fumes = world.items.fumes
    made = ask(world, unit=u.east_street, valid_until=timezone.now() + dt.timedelta(days=30))
    assert delegation_exception_for(item=fumes, area=a.grid, unit=u.east_street) is None  # not approved
    approve(made, p.dispatcher)
    assert delegation_exception_for(item=fumes, area=a.grid, unit=u.east_street) == made
    # Not for another item, another place, another unit, or after it ran out.
    assert delegation_exception_for(item=world.items.dust, area=a.grid, unit=u.east_street) is None
    assert delegation_exception_for(item=fumes, area=a.west_community, unit=u.east_street) is None
    assert delegation_exception_for(item=fumes, area=a.grid, unit=u.east_community) is None
    later = timezone.now() + dt.timedelta(days=31)
    assert delegation_exception_for(item=fumes, area=a.grid, unit=u.east_street, at=later) is None


def test_a_community_exception_lets_the_order_pass_through_the_street_above_it(world):
    p, u, a = world.people, world.units, world.areas
    hallway = world.items.hallway
    named = approve(ask(world, item=hallway, area=a.east_community, unit=u.east_community), p.dispatcher)
    assert delegation_exception_for(item=hallway, area=a.grid, unit=u.east_community) == named
    assert delegation_exception_for(item=hallway, area=a.grid, unit=u.east_street) == named
    by_kind = approve(
        ask(
            world,
            item=hallway,
            area=a.west,
            unit_kind=DelegateKind.COMMUNITY,
            by=staff(u.west_platform, "wd", "dispatcher"),
        ),
        p.dispatcher,
    )
    assert delegation_exception_for(item=hallway, area=a.west_community, unit=u.west_community) == by_kind
    assert delegation_exception_for(item=hallway, area=a.west_community, unit=u.west_street) == by_kind
    # A street exception by kind does not reach down to the community.
    street_only = approve(
        ask(world, item=world.items.dust, area=a.east, unit_kind=DelegateKind.STREET), p.dispatcher
    )
    assert delegation_exception_for(item=world.items.dust, area=a.grid, unit=u.east_street) == street_only
    assert delegation_exception_for(item=world.items.dust, area=a.grid, unit=u.east_community) is None
