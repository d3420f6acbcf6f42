"""redact(): what it removes from a typical case's text, and what it leaves alone."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yousu.public.services import EMAIL_MARK, HOUSE_MARK, ID_MARK, PHONE_MARK, redact

NAME = "王小明"


@pytest.mark.parametrize(
    "text",
    [
        "请回电13800005678",
        "请回电138-0000-5678",
        "请回电 138 0000 5678",
        "请回电+86 13800005678",
        "请回电+8613800005678",
        "请回电８６１３８００００５６７８",
        "座机0971-1234567",
        "座机（0971）8123456",
        "电话：8123 4567",
        "微信号 wxid_wang1990",
    ],
)
def test_phone_numbers_are_replaced(text):
    out = redact(text)
    assert out.startswith(text[:2]) and PHONE_MARK in out
    assert not re.search(r"[0-9０-９]{4}", out)


@pytest.mark.parametrize(
    "text",
    [
        "身份证630102199001011234",
        "身份证63010219900101123X",
        "身份证630102 19900101 1234",
        "身份证630102900101123",
    ],
)
def test_id_card_numbers_are_replaced_whole_not_as_a_phone(text):
    assert redact(text) == "身份证" + ID_MARK


def test_e_mail_addresses_are_replaced():
    assert redact("邮箱wang.xm+a@mail.example.com，谢谢") == f"邮箱{EMAIL_MARK}，谢谢"
    assert redact("邮箱 wxm＠example.cn") == f"邮箱 {EMAIL_MARK}"


def test_the_citizens_name_becomes_surname_and_mou_also_spaced_and_alone():
    text = "王小明反映：王 小 明家门口，小明说油烟很大"
    assert redact(text, names=(NAME,)) == "王某反映：王某家门口，某说油烟很大"


def test_a_two_character_name_keeps_no_given_name_rule():
    # "明" alone is too common a character to remove; only the full name is replaced.
    assert redact("王明说明天再来", names=("王明",)) == "王某说明天再来"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("新城大道88号油烟大", f"新城大道{HOUSE_MARK}油烟大"),
        ("新城大道88号院3号楼2单元501室楼下", f"新城大道{HOUSE_MARK}楼下"),
        ("幸福小区5栋3-201", f"幸福小区{HOUSE_MARK}"),
        ("国际大厦A座1203", f"国际大厦{HOUSE_MARK}"),
        ("三号楼一单元门口", f"{HOUSE_MARK}门口"),
    ],
)
def test_house_numbers_are_replaced(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "10月1号起每天都有",
        "地铁2号线出口",
        "第3号文件",
        "楼里30户居民",
        "2026年10月31日",
        "罚款12000元",
        "这一栋楼两层高",
        "东一街道",
        "诉求编号 20261031-0001",
    ],
)
def test_ordinary_numbers_and_words_are_left_alone(text):
    assert redact(text, names=(NAME,)) == text


ALPHABET = st.sampled_from([*"王小明 0123456789-号栋单元室@.a月年第，电话", "138", "0971-", "13800005678"])


@settings(max_examples=300, deadline=None)
@given(st.lists(ALPHABET, max_size=30).map("".join))
def test_redacting_twice_changes_nothing_more_and_leaves_no_mobile_number(text):
    once = redact(text, names=(NAME,))
    assert redact(once, names=(NAME,)) == once
    assert NAME not in once
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", once)
