"""Personal data stripped before a reply may become a knowledge entry (yousu.knowledge.pii): phones in
every form, ID numbers, cards, plates, e-mail, and the names given in a reply; public service numbers,
document numbers and dates stay."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from yousu.knowledge.pii import strip_personal_data

REPLIES = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "data"
    / "tipdm2020c"
    / "messages_with_replies.csv"
)


def stripped(text: str, **kwargs) -> str:
    return strip_personal_data(text, **kwargs).text


@pytest.mark.parametrize(
    "phone",
    [
        "13812345678",
        "138-1234-5678",
        "138 1234 5678",
        "+86 13812345678",
        "+86-138-1234-5678",
        "008613812345678",
        "0731-84123456",
        "0731 84123456",
        "(0731)8412 3456",
        "（0731）84123456",
        "010-6512 3456",
    ],
)
def test_phone_numbers_in_every_form_are_replaced(phone):
    result = strip_personal_data(f"如有疑问请拨打{phone}，我们将及时答复。")
    assert result.text == "如有疑问请拨打[电话]，我们将及时答复。"
    assert result.counts == {"phone": 1}


def test_a_local_number_counts_as_a_phone_only_after_a_phone_word():
    assert stripped("联系电话：84123456。") == "联系电话：[电话]。"
    assert stripped("请致电 8412-3456 咨询") == "请致电 [电话] 咨询"
    # An eight-digit figure elsewhere is an amount or a code, not a phone.
    assert stripped("项目总投资84123456元。") == "项目总投资84123456元。"


@pytest.mark.parametrize(
    "number", ["430102199003071234", "43010219900307123X", "43010219900307123x", "430102900307123"]
)
def test_id_numbers_are_replaced(number):
    result = strip_personal_data(f"身份证号{number}，已核实。")
    assert result.text == "身份证号[身份证号]，已核实。"
    assert result.counts == {"id_number": 1}


def test_cards_plates_emails_and_handles_are_replaced():
    result = strip_personal_data(
        "网友“UU0081176”您好！您的车辆湘A12345已解除，退款至卡号6222 0212 3456 7890 128，"
        "回执发至zhang.san@example.com。"
    )
    assert result.text == "网友“[网名]”您好！您的车辆[车牌号]已解除，退款至卡号[银行卡号]，回执发至[邮箱]。"
    assert result.counts == {"handle": 1, "plate": 1, "bank_card": 1, "email": 1}


def test_the_citizens_name_and_its_polite_forms_are_replaced():
    text = "王小明您好！经核实，王小明反映的情况属实，王先生可于工作日办理。"
    result = strip_personal_data(text, known_names=["王小明"])
    assert result.text == "[姓名]您好！经核实，[姓名]反映的情况属实，[姓名]可于工作日办理。"
    assert result.counts == {"name": 3}


def test_a_surname_with_a_polite_form_is_replaced():
    assert stripped("张先生您好，李女士反映的问题已转交，刘师傅已上门。") == (
        "[姓名]您好，[姓名]反映的问题已转交，[姓名]已上门。"
    )
    assert stripped("经查，张某某于2018年在此建房。") == "经查，[姓名]于2018年在此建房。"


def test_names_after_contact_words_are_replaced():
    assert stripped("联系人：刘建国，电话：0731-84123456。经办人:李四") == (
        "联系人：[姓名]，电话：[电话]。经办人:[姓名]"
    )


def test_an_officials_name_goes_and_the_title_stays():
    assert stripped("可向成小平同志咨询。") == "可向[姓名]咨询。"
    assert (
        stripped("县委赵玉书记带队，陈局长表示将尽快处理。")
        == "县委[姓名]书记带队，[姓名]局长表示将尽快处理。"
    )
    assert stripped("办公室主任成桂宁到现场查看。") == "办公室主任[姓名]到现场查看。"


def test_a_name_said_once_is_removed_everywhere():
    result = strip_personal_data("村民蒋民爱反映房屋受损。经查，蒋民爱的房屋位于公路下方。")
    assert "蒋民爱" not in result.text
    assert result.counts == {"name": 2}


def test_public_numbers_document_numbers_dates_and_titles_stay():
    text = (
        "如有疑问请拨打12345热线，或110、120、12315、96150、400-123-4567。依据长政发〔2019〕12号文件"
        "和湘政办发[2018]103号，自2019年4月18日起执行，详见2019-04-18公告。该同志、班主任、市委书记、"
        "社区主任、来信同志均已知悉。相关工作人员到现场查看。"
    )
    result = strip_personal_data(text)
    assert result.text == text
    assert result.counts == {}


def test_places_and_organisations_are_not_names():
    text = "请到张家界市王府井街道、高新区管委会或阳光小区物业办理许可证。"
    assert stripped(text) == text


def test_nothing_is_kept_of_the_removed_values():
    result = strip_personal_data("王小明，电话13812345678", known_names=["王小明"])
    assert "王小明" not in repr(result) and "13812345678" not in repr(result)


@pytest.mark.skipif(not REPLIES.exists(), reason="needs ../shared/data/tipdm2020c/messages_with_replies.csv")
def test_real_replies_keep_their_public_numbers_and_lose_their_handles():
    with REPLIES.open(encoding="utf-8-sig") as f:
        replies = [row["答复意见"] for row, _ in zip(csv.DictReader(f), range(300), strict=False)]
    results = [strip_personal_data(reply) for reply in replies]
    for reply, result in zip(replies, results, strict=True):
        assert ("12345" in reply) <= ("12345" in result.text)
        assert "UU00" not in result.text
    assert sum(result.changed for result in results) > 100
