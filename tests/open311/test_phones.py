"""Open311 posts go through the one phone normalisation (yousu.core.phones): the number a client sends
in any spelling is stored in the national form, and one that cannot be a phone number answers 400
naming `phone`."""

from yousu.appeals.models import Appeal

from .test_api import form, post, refused


def test_a_posted_phone_is_stored_in_the_national_form(world, live_open311, api_key):
    post(live_open311, api_key=api_key, phone="+86 138 1234 5678")
    post(live_open311, api_key=api_key, phone="0086-138-1234-5678")
    assert set(Appeal.objects.values_list("citizen_phone", flat=True)) == {"13812345678"}


def test_a_phone_too_short_for_its_country_answers_400_naming_it(world, live_open311, api_key):
    description = refused(live_open311, "POST", "requests.json", 400, form(api_key, phone="+12345"))
    assert description.startswith("phone:"), description
    assert not Appeal.objects.exists()
