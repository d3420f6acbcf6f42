"""Phone numbers in one stored form, so that a limit, a look-up or a comparison sees one number however it
was typed: `+86 138 1234 5678`, `0086 13812345678`, `138-1234-5678` and `１３８１２３４５６７８` are all
`13812345678`.

The form is the national one for numbers of the platform's country (YOUSU_PHONE_REGION, default CN): the
digits a person there dials — a mobile's 11 digits, a landline with its 0 and area code (`09718123456`).
That is what the intake desk reads out, what the citizen types to track an appeal, what an SMS gateway in
the country takes, and what the masking (`138****5678`) was written for; rows stored before this module
were already in it. A number of another country keeps its country code, in E.164 (`+16502530000`).

A number is refused (DomainError naming the field) when it cannot be a phone number: characters other than
digits, spaces, dashes, dots, brackets and a leading +; no country behind a + or 00; or a length that no
number of its country has. A number of the right shape that libphonenumber does not know as allocated is
kept, as typed: its metadata may lag a new range, and the demo's citizens use a range no real number uses.
"""

from __future__ import annotations

import hmac
import re
import unicodedata

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext as _

from .errors import DomainError

DEFAULT_REGION = "CN"
# Longer than any number written with spaces and brackets; libphonenumber itself stops at 250.
MAX_TYPED = 40
_TYPED = re.compile(r"\+?[0-9 ().\-]+")
_POSSIBLE = (phonenumbers.ValidationResult.IS_POSSIBLE, phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY)


def phone_region() -> str:
    return getattr(settings, "YOUSU_PHONE_REGION", DEFAULT_REGION) or DEFAULT_REGION


def _refused(field: str) -> DomainError:
    return DomainError(
        _("电话号码格式不对：请填写手机号码或带区号的固定电话，例如 13812345678 或 0971-8123456"),
        field=field,
    )


def normalise_phone(value: str | None, *, field: str = "citizen_phone") -> str:
    """The stored form of a typed phone number ("" for none); raises DomainError(field=field) for text
    that cannot be a phone number."""
    # NFKC turns full-width digits and ＋ (a Chinese input method's) into ASCII.
    typed = unicodedata.normalize("NFKC", value or "").strip()
    if not typed:
        return ""
    if len(typed) > MAX_TYPED or not _TYPED.fullmatch(typed) or not any(c.isdigit() for c in typed):
        raise _refused(field)
    region = phone_region()
    try:
        number = phonenumbers.parse(typed, region)
    except phonenumbers.NumberParseException:
        raise _refused(field) from None
    if phonenumbers.is_possible_number_with_reason(number) not in _POSSIBLE:
        raise _refused(field)
    if number.country_code != phonenumbers.country_code_for_region(region):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if phonenumbers.is_valid_number(number):
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        return re.sub(r"\D", "", national)
    digits = re.sub(r"\D", "", typed)
    if typed.startswith("+") or digits.startswith(_international_prefix(region)):
        # Written with the country code: the number after it (its shape is all we know of it).
        return phonenumbers.national_significant_number(number)
    return digits


def _international_prefix(region: str) -> str:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    prefix = metadata.international_prefix if metadata is not None else None
    # A plain prefix such as 00; a pattern (several prefixes) is matched as its first digits only.
    return f"{prefix}{phonenumbers.country_code_for_region(region)}" if prefix and prefix.isdigit() else "+"


def same_phone(stored: str | None, typed: str | None) -> bool:
    """Whether `typed` is the number `stored` (a row's phone, possibly from before normalisation).
    Text that is not a phone number matches nothing. Compared in constant time, so response times do
    not hint at how much of a number was right."""
    try:
        given = normalise_phone(typed)
    except DomainError:
        return False
    try:
        kept = normalise_phone(stored)
    except DomainError:
        kept = (stored or "").strip()  # a number kept as it was entered: compared as it is
    return bool(kept) and bool(given) and hmac.compare_digest(kept.encode(), given.encode())
