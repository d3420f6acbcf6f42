"""One stored form per phone number (yousu.core.phones): however it is typed, a number is one number; a
number of the platform's country is kept in its national form, which the masking reads; text that
cannot be a phone number is refused naming the field."""

import pytest

from yousu.appeals.selectors import mask_phone
from yousu.core.errors import DomainError
from yousu.core.phones import normalise_phone, same_phone

SPELLINGS = ["13812345678", "+8613812345678", "008613812345678", "138 1234 5678"]


@pytest.mark.parametrize(
    "typed",
    [*SPELLINGS, "+86 138-1234-5678", "0086 (138) 1234.5678", "１３８１２３４５６７８", " 138-1234-5678 "],
)
def test_every_spelling_of_a_mobile_is_its_eleven_digits(typed):
    assert normalise_phone(typed) == "13812345678"
    assert mask_phone(normalise_phone(typed)) == "138****5678"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        # A landline keeps its 0 and area code, however the country code was written.
        ("0971-8123456", "09718123456"),
        ("(0971) 812 3456", "09718123456"),
        ("+86 971 8123456", "09718123456"),
        ("+86 0971 8123456", "09718123456"),
        ("0086 10 1234 5678", "01012345678"),
        # Another country's number keeps its country code (E.164).
        ("+1 650 253 0000", "+16502530000"),
        ("001 650 253 0000", "+16502530000"),
        # The right shape but no allocated range (the demo's citizens): kept, not refused.
        ("10000000001", "10000000001"),
        ("+86 100 0000 0001", "10000000001"),
        # A local number without its area code, as caller ID shows a call from the same city.
        ("812 3456", "8123456"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_landlines_other_countries_and_unallocated_ranges(typed, stored):
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "12ab",
        "call me",
        "1234",
        "+12345",
        "+999 1234 5678",
        "138123456789012345",
        "13812345678\x00",
        "\ud800",
        "+",
        "-",
    ],
)
def test_text_that_cannot_be_a_phone_number_is_refused_naming_the_field(typed):
    with pytest.raises(DomainError) as refused:
        normalise_phone(typed, field="phone")
    assert refused.value.field == "phone"
    assert "电话号码格式不对" in refused.value.message


def test_the_platform_s_country_is_a_setting(settings):
    settings.YOUSU_PHONE_REGION = "US"
    assert normalise_phone("(650) 253-0000") == "6502530000"
    assert normalise_phone("+86 138 1234 5678") == "+8613812345678"


def test_same_phone_compares_the_stored_forms():
    for typed in SPELLINGS:
        assert same_phone("13812345678", typed)
        # A row stored before normalisation, in any spelling, still matches.
        assert same_phone("+86 138-1234-5678", typed)
    assert not same_phone("13812345678", "13812345679")
    assert not same_phone("", "")
    assert not same_phone("13812345678", "not a phone")
    # A number kept as entered because it could not be read matches only itself, exactly.
    assert not same_phone("分机 123", "123")
