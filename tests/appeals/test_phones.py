"""Phone numbers are normalised before anything counts or compares them (issue 21): four spellings of one
number (+86…, 0086…, spaces, plain) gave four submissions past the per-phone limit and tracked nothing.
Intake stores the national form, the per-phone limit counts it, tracking and the citizen's rating match
any spelling, and text that cannot be a phone number answers 400 naming the field. Existing rows are
normalised by appeals 0004, which keeps a number it cannot read as it was."""

import pytest
from django.apps import apps as django_apps
from django.core.cache import cache
from django.test import Client

from tests.api.helpers import CITIZEN_PHONE, make_appeal
from tests.conftest import _migration
from yousu.appeals.limits import CitizenLimitExceeded
from yousu.appeals.models import Appeal
from yousu.appeals.portal import citizen_appeal_find, citizen_appeal_submit
from yousu.appeals.selectors import mask_phone
from yousu.core.errors import DomainError

from .factories import new_appeal

SPELLINGS = ["+8613812345678", "008613812345678", "138 1234 5678", "13812345678"]


@pytest.fixture(autouse=True)
def fresh_limits():
    # The limits count in the cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


def _submit(phone: str, n: int) -> Appeal:
    return citizen_appeal_submit(
        kind="inquiry",
        content=f"公积金提取需要哪些材料？（第 {n} 次）",
        phone=phone,
        ip=f"10.7.0.{n}",
        idempotency_key=f"phones-{n}",
    )


def test_intake_stores_the_national_form_which_the_mask_reads(world):
    appeal = new_appeal(world, citizen_phone="+86 138-1234-5678")
    assert appeal.citizen_phone == "13812345678"
    assert mask_phone(appeal.citizen_phone) == "138****5678"
    assert new_appeal(world, citizen_phone="0971-8123456").citizen_phone == "09718123456"


def test_four_spellings_of_one_number_count_as_one_for_the_per_phone_limit(world, settings):
    settings.YOUSU_CITIZEN_SUBMISSIONS_PER_PHONE_HOUR = 3
    for n, phone in enumerate(SPELLINGS[:3]):
        assert _submit(phone, n).citizen_phone == "13812345678"
    with pytest.raises(CitizenLimitExceeded):
        _submit(SPELLINGS[3], 3)
    assert Appeal.objects.count() == 3


def test_every_spelling_tracks_the_same_appeal(world):
    appeal = _submit("13812345678", 0)
    for n, phone in enumerate(SPELLINGS):
        assert citizen_appeal_find(code=appeal.code, phone=phone, ip=f"10.8.0.{n}") == appeal
    # Submitted in one spelling, tracked in another, over the portal's pages too.
    other = _submit("0086 138 1234 5678", 1)
    found = Client().post("/h5/track/", {"code": other.code, "phone": "+86 138 1234 5678"})
    assert found.status_code == 302 and found["Location"].endswith(f"/{other.code}/")


def test_tracking_with_text_that_is_no_phone_number_names_the_field(world):
    appeal = _submit("13812345678", 0)
    with pytest.raises(DomainError) as refused:
        citizen_appeal_find(code=appeal.code, phone="12ab", ip="10.9.0.1")
    assert refused.value.field == "phone"
    page = Client().post("/h5/track/", {"code": appeal.code, "phone": "+12345"})
    assert page.status_code == 400 and "电话号码格式不对" in page.content.decode()


@pytest.mark.parametrize("phone", ["12ab", "+12345", "138123456789012345"])
def test_an_invalid_phone_answers_400_naming_the_field(client, world, phone):
    body = {
        "kind": "complaint",
        "channel": "web",
        "title": "工地夜间扬尘",
        "content": "东一社区旁工地夜间施工扬尘严重。",
        "area": "C-E-1-1-G1",
        "citizen_phone": phone,
    }
    client.force_login(world.people.operator)
    answer = client.post("/api/v1/appeals/", body, content_type="application/json")
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"]["field"] == "citizen_phone"
    assert not Appeal.objects.exists()


def test_the_migration_normalises_stored_phones_and_keeps_what_it_cannot_read(world):
    stored = {
        "+86 138-1234-5678": "13812345678",
        "0086 139 0000 1111": "13900001111",
        "0971-8123456": "09718123456",
        "13700001111": "13700001111",
        "分机 8801": "分机 8801",  # not a number: kept as it was entered
        "": "",
    }
    rows = {}
    for n, raw in enumerate(stored):
        appeal = make_appeal(world, title=f"油烟{n}", channel="web", citizen_phone=CITIZEN_PHONE)
        Appeal.objects.filter(pk=appeal.pk).update(citizen_phone=raw)  # as an older version stored it
        rows[appeal.pk] = raw
    _migration("appeals", "0004_normalise_citizen_phones").normalise_phones(django_apps, None)
    after = dict(Appeal.objects.filter(pk__in=rows).values_list("pk", "citizen_phone"))
    assert {rows[pk]: phone for pk, phone in after.items()} == stored
