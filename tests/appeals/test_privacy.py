"""Privacy: the citizen's name and phone in full only for intake, the dispatching platform and the
handler who must call back; a confidential appeal hides them from handling units; every full view
is recorded."""

from yousu.appeals.models import PersonalDataAccess
from yousu.appeals.selectors import citizen_for, may_see_citizen_in_full

from .factories import PHONE, at_market, new_appeal, staff

MASKED_PHONE = "138****5678"


def handling_units(appeal) -> set[int]:
    return set(appeal.orders.values_list("unit_id", flat=True))


def accesses(person, appeal) -> int:
    return PersonalDataAccess.objects.filter(person=person, appeal=appeal).count()


def test_operator_and_platform_dispatchers_see_the_citizen_in_full_and_each_view_is_logged(world):
    _city, order = at_market(world)
    appeal = order.appeal
    for person in (world.people.operator, world.people.dispatcher, world.people.east_dispatcher):
        view = citizen_for(person, appeal, purpose="回访")
        assert (view.name, view.phone, view.masked, view.hidden) == ("王小明", PHONE, False, False)
        citizen_for(person, appeal)
        assert accesses(person, appeal) == 2
    record = PersonalDataAccess.objects.filter(person=world.people.operator).order_by("id").first()
    assert record.purpose == "回访"


def test_the_handling_units_handler_sees_the_citizen_in_full_and_it_is_logged(world):
    _city, order = at_market(world)
    appeal, handler = order.appeal, world.people.east_market_handler
    view = citizen_for(handler, appeal, handling_unit_ids=handling_units(appeal))
    assert (view.name, view.phone, view.masked) == ("王小明", PHONE, False)
    assert accesses(handler, appeal) == 1


def test_handlers_without_the_handling_unit_ids_and_other_units_see_a_mask_and_nothing_is_logged(world):
    _city, order = at_market(world)
    appeal = order.appeal
    ids = handling_units(appeal)
    outsiders = [
        (world.people.east_market_handler, None),  # not told that its unit handles the appeal
        (world.people.west_market_handler, ids),
        (world.people.east_eco_handler, ids),
        (world.people.supervisor, ids),
        (world.people.admin, ids),
    ]
    outsiders.append((staff(world.units.east_market, "clerk", "grid_worker"), ids))  # no handling role
    for person, unit_ids in outsiders:
        view = citizen_for(person, appeal, handling_unit_ids=unit_ids)
        assert (view.name, view.phone, view.masked, view.hidden) == ("王**", MASKED_PHONE, True, False)
        assert not may_see_citizen_in_full(person, appeal, handling_unit_ids=unit_ids)
    assert not PersonalDataAccess.objects.exists()


def test_a_platform_dispatcher_of_another_district_sees_a_mask(world):
    _city, order = at_market(world)
    west_dispatcher = staff(world.units.west_platform, "wendy", "dispatcher")
    view = citizen_for(west_dispatcher, order.appeal)
    assert (view.phone, view.masked) == (MASKED_PHONE, True)
    assert not PersonalDataAccess.objects.exists()


def test_confidential_appeal_hides_the_citizen_from_the_handling_unit_entirely(world):
    _city, order = at_market(world, new_appeal(world, confidential=True))
    appeal = order.appeal
    for person in (world.people.east_market_handler, world.people.west_market_handler):
        view = citizen_for(person, appeal, handling_unit_ids=handling_units(appeal))
        assert (view.name, view.phone, view.masked, view.hidden) == ("", "", True, True)
    assert not PersonalDataAccess.objects.exists()
    # Intake and the platforms still can call the citizen back, and that is logged.
    view = citizen_for(world.people.operator, appeal)
    assert (view.name, view.phone) == ("王小明", PHONE)
    assert accesses(world.people.operator, appeal) == 1


def test_anonymous_appeal_has_nothing_to_show_or_log(world):
    appeal = new_appeal(world, anonymous=True)
    view = citizen_for(world.people.operator, appeal)
    assert (view.name, view.phone) == ("", "")
    assert not PersonalDataAccess.objects.exists()


def test_masks_keep_only_the_edges(world):
    appeal = new_appeal(world, citizen_name="欧阳小明", citizen_phone="13900001111")
    view = citizen_for(world.people.supervisor, appeal)
    assert (view.name, view.phone) == ("欧***", "139****1111")
