"""Personal data stripped from a text before it may become a knowledge entry: phone numbers, ID
numbers, bank cards, plates, e-mail addresses, online handles and people's names are replaced by
readable placeholders (``[电话]``, ``[姓名]`` …). Only how many of each kind were removed is returned;
the removed values are never kept.

Rules, in the order they run (an earlier rule's placeholder is never matched by a later one):

- e-mail addresses; 18-digit (last character X/x) and 15-digit ID numbers whose birth date is a real
  date; bank cards (16–19 digits, optionally in groups of four) that pass the Luhn check or stand
  after 卡号/账号/账户; mainland mobiles (1[3-9]x, with spaces or dashes, +86/0086); landlines with an
  area code (0731-84123456, (0731)8412 3456, 0731 84123456); 7–8-digit local numbers shortly after
  电话/联系/致电/拨打/手机/座机; vehicle plates (湘A12345, 湘A·D12345).
- Names: the names the caller knows (the citizen's, from the appeal) and their surname with 先生/女士/…;
  a surname with a polite form (张先生, 王女士, 李师傅, 张某某 → ``[姓名]``); a name before a job title
  (刘建国科长, 陈局长 → ``[姓名]科长``, ``[姓名]局长``: the title says whom to ask, the name is personal);
  a name after 联系人/经办人/承办人/负责人/工作人员 and a colon; person names that jieba tags ``nr``
  and that start with a common surname, unless they run into a place or organisation word.

Public service numbers (12345, 110, 12315, 96xxx, 400-…) have at most five digits or no area code and
are left alone, as are document numbers (长政发〔2019〕12号) and dates.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

PHONE, ID_NUMBER, NAME, BANK_CARD, PLATE, EMAIL, HANDLE = (
    "phone",
    "id_number",
    "name",
    "bank_card",
    "plate",
    "email",
    "handle",
)
# The placeholder that stands for each kind in the text; also its label on the pages.
PLACEHOLDERS = {
    PHONE: "[电话]",
    ID_NUMBER: "[身份证号]",
    NAME: "[姓名]",
    BANK_CARD: "[银行卡号]",
    PLATE: "[车牌号]",
    EMAIL: "[邮箱]",
    HANDLE: "[网名]",
}
LABELS = {
    PHONE: "电话号码",
    ID_NUMBER: "身份证号",
    NAME: "姓名",
    BANK_CARD: "银行卡号",
    PLATE: "车牌号",
    EMAIL: "电子邮箱",
    HANDLE: "网名",
}


@dataclass(frozen=True)
class Redacted:
    """The text with personal data replaced, and how many values of each kind were replaced."""

    text: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.counts)


# ---------------------------------------------------------------- numbers

_NOT_DIGIT_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_DIGIT_AFTER = r"(?![0-9A-Za-z])"
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_ID18 = re.compile(
    _NOT_DIGIT_BEFORE
    + r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
    + _NOT_DIGIT_AFTER
)
_ID15 = re.compile(
    _NOT_DIGIT_BEFORE + r"[1-9]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}" + _NOT_DIGIT_AFTER
)
_CARD = re.compile(_NOT_DIGIT_BEFORE + r"(?:\d{4}[ -]?){3}\d{4}(?:[ -]?\d{1,3})?" + _NOT_DIGIT_AFTER)
_CARD_WORDS = re.compile(r"(?:卡号|银行卡|账号|帐号|账户|帐户|卡)[^0-9]{0,6}$")
_DASH = r"[-－—–\s]?"
_MOBILE = re.compile(
    r"(?<![0-9A-Za-z+])(?:(?:\+|00)\s?86[-\s]?|86-)?1[3-9]\d"
    + _DASH
    + r"\d{4}"
    + _DASH
    + r"\d{4}"
    + _NOT_DIGIT_AFTER
)
_LANDLINE = re.compile(
    _NOT_DIGIT_BEFORE
    + r"(?:[(（]0\d{2,3}[)）]\s?|0\d{2,3}"
    + _DASH
    + r")(?:\d{3,4}"
    + _DASH
    + r"\d{4}|\d{7,8})(?:(?:转|-)\d{1,5})?"
    + _NOT_DIGIT_AFTER
)
# A local number without an area code counts as a phone only shortly after a word that says so.
_PHONE_WORDS = re.compile(r"电话|联系|致电|拨打|手机|座机|热线|号码|来电")
_LOCAL = re.compile(_NOT_DIGIT_BEFORE + r"\d{3,4}" + _DASH + r"\d{4}" + _NOT_DIGIT_AFTER)
_LOCAL_WINDOW = 24
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE = re.compile(
    rf"(?<![0-9A-Za-z])[{_PROVINCES}][A-HJ-NP-Z][·•・\s-]?[A-HJ-NP-Z0-9]{{4,5}}[A-HJ-NP-Z0-9挂学警]"
    + _NOT_DIGIT_AFTER
)
# 网友“UU0081176”, “UU0081176”您好, UU0081176：您好: the handle the citizen posted under.
_HANDLE = re.compile(
    r"(?<=(?:网友|用户|网民|市民)[“\"「『])[^”\"」』\s]{1,30}(?=[”\"」』])"
    r"|(?<=[“\"「『])[^”\"」』\s]{1,30}(?=[”\"」』]\s*[,，!！]?\s*(?:您好|你好))"
    r"|(?<![“\"「『\w])[A-Za-z][A-Za-z0-9_.-]{3,29}(?=\s*[：:，,!！]?\s*(?:您好|你好))"
    r"|(?<=\A)\s*[A-Za-z][A-Za-z0-9_.-]{3,29}(?=\s*[：:])"
)


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# ---------------------------------------------------------------- names

# Common single-character surnames (百家姓 and the frequent modern ones), and compound ones.
SURNAMES = set(
    "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜戚谢邹喻柏窦章苏潘葛奚范彭郎"
    "鲁韦昌马苗凤花方俞任袁柳鲍史唐费廉岑薛雷贺倪汤滕殷罗毕郝邬安常乐于傅皮卞齐康伍余元卜顾孟"
    "黄穆萧尹姚邵湛汪祁毛禹狄米贝明臧计伏成戴谈宋茅庞熊纪舒屈项祝董梁杜阮蓝闵席季麻强贾路娄危江童"
    "颜郭梅盛林刁钟徐邱骆高夏蔡田樊胡凌霍虞万支柯昝管卢莫经房裘缪干解应宗丁宣贲邓郁单杭洪包诸左石"
    "崔吉钮龚程嵇邢滑裴陆荣翁荀羊於惠甄曲封芮羿储靳汲邴糜松井段富巫乌焦巴弓牧隗山谷车侯宓蓬全郗班"
    "仰秋仲伊宫宁仇栾暴甘钭厉戎祖武符刘景詹束龙叶幸司韶郜黎蓟薄印宿白怀蒲邰从鄂索咸籍赖卓蔺屠蒙池乔"
    "阴胥苍双闻莘党翟谭贡劳逄姬申扶堵冉宰郦雍却璩桑桂濮牛寿通边扈燕冀郏浦尚农温别庄晏柴瞿阎充慕连"
    "茹习宦艾鱼容向古易慎戈廖庾终暨居衡步都耿满弘匡国文寇广禄阙东欧殳沃利蔚越夔隆师巩厍聂晁勾敖融冷"
    "訾辛阚那简饶空曾毋沙乜养鞠须丰巢关蒯相查后荆红游竺权逯盖益桓公付肖覃邝粟谌阳练揭佘禤麦区缑钏"
    "晋楚闫佟展帅官谷冼蒙邸岳"
)
COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "令狐",
    "慕容",
    "尉迟",
    "公孙",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "轩辕",
    "端木",
    "南宫",
    "澹台",
    "呼延",
)
_SURNAME = "(?:" + "|".join(COMPOUND_SURNAMES) + "|[" + "".join(sorted(SURNAMES)) + "])"
# Polite forms that stand for the whole person: the form goes with the name (张先生 → [姓名]).
HONORIFICS = ("先生", "女士", "小姐", "同志", "师傅", "阿姨", "大爷", "大妈", "大姐", "老师")
# Job titles: the name goes, the title stays (陈局长 → [姓名]局长): it says whom to ask.
TITLES = (
    "局长",
    "科长",
    "主任",
    "经理",
    "所长",
    "队长",
    "书记",
    "镇长",
    "乡长",
    "村长",
    "站长",
    "部长",
    "处长",
    "院长",
    "校长",
    "医生",
    "律师",
    "警官",
    "组长",
    "会计",
)
_HONORIFIC = "|".join(HONORIFICS)
_TITLE = "|".join(TITLES)
_CJK = r"[\u4e00-\u9fff]"
# One to three characters starting with a surname just before a polite form or a title (leftmost
# start first, so 张玉华同志 is read whole, never as 张玉 + 华同志); kept only when _person_before says
# they are a person's name.
_BEFORE_TITLE = re.compile(rf"({_SURNAME}(?:某某|某|{_CJK}{{0,2}}?))(?:(副?(?:{_TITLE}))|{_HONORIFIC})")
# 张某 / 张某某: a name already half hidden; the surname goes too.
_SURNAME_MOU = re.compile(rf"{_SURNAME}某某?")
# 联系人：张三 / 经办人: 李四 — a name after the word and a colon.
_ROLE_NAME = re.compile(
    rf"(?:联系人|经办人|承办人|负责人|工作人员|联络人|来电人|诉求人|反映人|投诉人|举报人)\s*[：:]\s*"
    rf"({_SURNAME}{_CJK}{{1,2}})(?=[，,。；;、\s（(）)：:]|电话|手机|联系|$|\d|{_HONORIFIC}|{_TITLE})"
)
# A name running into one of these is a place or an organisation (张家界市, 楚龙中队, 王府井街道).
_PLACE_WORDS = (
    "路 街 巷 村 镇 乡 县 区 市 省 州 湖 河 江 山 桥 坪 湾 港 岭 庄 寺 园 苑 城 组 洲 塘 冲 铺 "
    "小区 社区 公司 学校 小学 中学 大学 医院 集团 大道 广场 中心 花园 大厦 酒店 超市 银行 项目 家园 "
    "工业 片区 中队 大队 电器 液化 驾校 纪念馆 公园 市场 商场 有限 宾馆 水库 新村 纸业 物业 幼儿园"
)
_PLACE_SUFFIXES = tuple(_PLACE_WORDS.split())
# Words jieba reads as names although they are none, in the replies seen so far.
_NOT_NAME_WORDS = "谢谢 祝您 高新 安监 安监员 东方 上官 养犬 高一 高二 高三 白改黑 费由"
NOT_NAMES = frozenset(_NOT_NAME_WORDS.split())
# Characters that never continue a name: a two-character name is not extended over them.
_NOT_NAME_TAIL = set(
    "的地得了在和与及是等到对被将已向从于也都就还又把给让由为其系称说讲有无未不再亦曾这那家户父母妻子儿女人同村镇路、，。；："
)


@lru_cache(maxsize=1)
def _posseg():
    from yousu.intelligence import similarity

    similarity._load()  # one jieba initialisation for the whole process, quiet
    import jieba.posseg

    return jieba.posseg


def _starts_with_surname(word: str) -> bool:
    return word[:2] in COMPOUND_SURNAMES or word[:1] in SURNAMES


def _jieba_names(text: str) -> set[str]:
    """Person names jieba finds in the text: tagged nr, starting with a surname, and not a word of
    jieba's dictionary — the dictionary tags many common words nr (许可, 高峰, 阳光, 申请人); a name it
    does not know is one its HMM put together, which is what real names are."""
    posseg = _posseg()
    dictionary = posseg.dt.word_tag_tab
    names: set[str] = set()
    pairs = list(posseg.cut(text))
    for i, pair in enumerate(pairs):
        word = pair.word
        if pair.flag != "nr" or not 2 <= len(word) <= 4 or word in NOT_NAMES or word in dictionary:
            continue
        if not re.fullmatch(f"{_CJK}+", word) or not _starts_with_surname(word):
            continue
        if word.endswith(_PLACE_SUFFIXES) or len(word) > 3 + (word[:2] in COMPOUND_SURNAMES):
            continue
        if "".join(p.word for p in pairs[i + 1 : i + 3]).startswith(_PLACE_SUFFIXES):
            continue
        # jieba often cuts a three-character name 2 + 1 (陈烨 皓): take the lone character along.
        following = pairs[i + 1].word if i + 1 < len(pairs) else ""
        if len(word) == 2 and len(following) == 1 and re.fullmatch(_CJK, following):
            word += "" if following in _NOT_NAME_TAIL else following
        names.add(word)
    return names


def _surname_of(name: str) -> str:
    return name[:2] if name[:2] in COMPOUND_SURNAMES else name[:1]


# ---------------------------------------------------------------- the stripping


class _Stripper:
    def __init__(self, text: str):
        self.text = text
        self.counts: Counter[str] = Counter()

    def sub(self, pattern: re.Pattern, kind: str, *, keep=None, group: int = 0, then=None) -> None:
        """Replace every match of `pattern` (or only its `group`) by the kind's placeholder, followed
        by `then(match)` if given, unless `keep(match)` says the match is not personal data."""

        def replace(match: re.Match) -> str:
            if keep is not None and keep(match):
                return match.group(0)
            self.counts[kind] += 1
            whole = match.group(0)
            if not group:
                return PLACEHOLDERS[kind] + (then(match) if then else "")
            start, end = match.start(group) - match.start(), match.end(group) - match.start()
            return whole[:start] + PLACEHOLDERS[kind] + whole[end:]

        self.text = pattern.sub(replace, self.text)

    def literal(self, value: str, kind: str, *, suffix: str = "") -> None:
        """Replace every occurrence of `value` followed by `suffix` (which goes too)."""
        found = self.text.count(value + suffix)
        if found:
            self.counts[kind] += found
            self.text = self.text.replace(value + suffix, PLACEHOLDERS[kind])

    def local_numbers(self) -> None:
        """7–8-digit numbers without an area code, when a phone word stands shortly before them."""
        text, out, pos = self.text, [], 0
        for match in _LOCAL.finditer(text):
            before = text[max(0, match.start() - _LOCAL_WINDOW) : match.start()]
            if len(re.sub(r"\D", "", match.group(0))) < 7 or not _PHONE_WORDS.search(before):
                continue
            out.append(text[pos : match.start()] + PLACEHOLDERS[PHONE])
            pos = match.end()
            self.counts[PHONE] += 1
        out.append(text[pos:])
        self.text = "".join(out)

    def name(self, name: str) -> None:
        """A name wherever it occurs, with the polite form after it if any (张三先生 → [姓名]), except
        where it runs into a place or an organisation (the same characters as 张三村)."""
        pattern = re.compile(re.escape(name) + f"(?:{_HONORIFIC})?")

        def replace(match: re.Match) -> str:
            if match.string.startswith(_PLACE_SUFFIXES, match.end()):
                return match.group(0)
            self.counts[NAME] += 1
            return PLACEHOLDERS[NAME]

        self.text = pattern.sub(replace, self.text)


def _is_card(match: re.Match) -> bool:
    digits = re.sub(r"\D", "", match.group(0))
    before = match.string[max(0, match.start() - 12) : match.start()]
    if _PHONE_WORDS.search(before):
        return False  # 电话：0731-0000-0000-0000 is a phone, the phone rules take it
    return _luhn(digits) or bool(_CARD_WORDS.search(before))


def _starts_a_word(text: str, start: int) -> bool:
    """Whether the character at `start` belongs to a word that jieba reads across it or from it
    (市委书记: 市委; 该班班主任: 班主任; 来信同志: 来信), so it is no surname there."""
    window_start = max(0, start - 3)
    pos = window_start
    for pair in _posseg().cut(text[window_start : start + 4]):
        end = pos + len(pair.word)
        if pos < start < end:
            return True
        if pos == start:
            return len(pair.word) > 1 and not pair.flag.startswith("nr")
        pos = end
    return False


def _person_before(match: re.Match) -> bool:
    """Whether the characters before a polite form or title are a person's name: a surname alone
    (陈局长, 王女士) or with 某 where the surname does not belong to another word; two or three
    characters that jieba tags as a name, or three that are no dictionary word and start no word."""
    name, text, start = match.group(1), match.string, match.start(1)
    if len(name) == 1 or "某" in name:
        return not _starts_a_word(text, start)
    alone = list(_posseg().cut(name))
    if len(alone) == 1 and alone[0].flag.startswith("nr"):
        return True
    window = text[max(0, start - 4) : match.end(1) + 2]
    if any(pair.word == name and pair.flag.startswith("nr") for pair in _posseg().cut(window)):
        return True
    return len(name) == 3 and len(alone) > 1 and name not in NOT_NAMES and not _starts_a_word(text, start)


def strip_personal_data(text: str, *, known_names: Iterable[str] = ()) -> Redacted:
    """`text` with personal data replaced by placeholders (see the module's docstring), and the count
    of values replaced by kind. `known_names`: names known to be personal in this text (the citizen's
    name on the appeal), removed wherever they occur, also as surname + 先生/女士/… ."""
    s = _Stripper(text or "")
    if not s.text.strip():
        return Redacted(s.text, {})

    # Numbers first, longest first: an ID number must not be read as a card or a phone.
    s.sub(_EMAIL, EMAIL)
    s.sub(_ID18, ID_NUMBER)
    s.sub(_ID15, ID_NUMBER)
    s.sub(_CARD, BANK_CARD, keep=lambda m: not _is_card(m))
    s.sub(_MOBILE, PHONE)
    s.sub(_LANDLINE, PHONE)
    s.local_numbers()
    s.sub(_PLATE, PLATE)
    s.sub(_HANDLE, HANDLE)

    # Names: those the caller knows, with their surname + polite form; after 联系人：; those jieba
    # recognises (a name said once is removed everywhere); then before polite forms and titles.
    known = {n.strip() for n in known_names if n and len(n.strip()) >= 2}
    for name in sorted(known, key=len, reverse=True):
        s.name(name)
        surname = _surname_of(name)
        for honorific in HONORIFICS:
            s.literal(surname, NAME, suffix=honorific)
    s.sub(_ROLE_NAME, NAME, group=1)
    for name in sorted(_jieba_names(s.text), key=len, reverse=True):
        s.name(name)
    s.sub(_BEFORE_TITLE, NAME, keep=lambda m: not _person_before(m), then=lambda m: m.group(2) or "")
    s.sub(_SURNAME_MOU, NAME, keep=lambda m: _starts_a_word(m.string, m.start()))
    return Redacted(s.text, dict(s.counts))
