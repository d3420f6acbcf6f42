"""Reply review (答复质量评分): how well a unit's reply answers the appeal, scored for the dispatcher
who reviews it — relevance to the appeal, completeness (result, basis, contact) and timeliness.

The scorer is pure and fits nothing: text is represented by hashed character bigrams with sublinear
term frequency, so a score can be computed for one reply at reply time and never goes stale. The
thresholds below were calibrated on 2,816 real appeals with their official replies (tipdm2020c,
`bench/reply_review.py`, figures in docs/reply-review.md). It suggests; the dispatcher decides.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field

import numpy as np
from django.conf import settings
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize

# Stored with every score, so a score written by an older scorer can be told apart.
SCORER_VERSION = 1

# total = 100 × (WEIGHTS · (relevance, completeness, timeliness)). Relevance weighs most: a complete,
# punctual reply about something else does not answer the citizen, and must fall below the threshold.
WEIGHTS = {"relevance": 0.5, "completeness": 0.3, "timeliness": 0.2}
DEFAULT_LOW_SCORE = 60

# Raw cosine → relevance 0–1, linear between the two. On the real data (see the module docstring) a
# reply to another appeal has a median cosine of 0.028 and 80% of them stay under 0.05; the true
# reply's median is 0.147. So below 0.05 the reply shares no more than boilerplate with the appeal,
# and from 0.15 on it is as close as a typical real answer.
COSINE_UNRELATED = 0.05
COSINE_TYPICAL = 0.15

# Timeliness: a reply within the first half of the allowed time is fully timely; after that it falls
# to ON_TIME_FLOOR at the deadline; an overdue reply starts at OVERDUE_START and reaches 0 when it
# took twice the allowed time.
ON_TIME_FLOOR = 0.6
OVERDUE_START = 0.3

_WHITESPACE = re.compile(r"\s+")
# Phone numbers are often masked in published replies ("0731-0000-00000000"), so any digits count;
# separators may be a hyphen, a full-width hyphen or a dash (whitespace is removed before matching).
_SEP = r"[-－—–]{1,3}"
_LANDLINE = rf"(?<![\dA-Za-z])0\d{{2,3}}(?:{_SEP})?\d{{3,8}}(?:{_SEP}\d{{3,8}})?(?!\d)"
_MOBILE = r"(?<![\dA-Za-z])1[3-9]\d{9}(?!\d)"
# Service numbers such as 12345 (the hotline) or 12315 (market supervision).
_SERVICE = r"(?<!\d)123\d{2}(?!\d)"

# Result: what was found or done, a refusal, a commitment, or an inquiry's answer — the phrasings of
# real replies. "已收悉" (received) is deliberately not a result.
RESULT_PATTERNS = [
    re.compile(p)
    for p in (
        r"经[^。；，！]{0,20}?(?:核实|调查|查|了解|核查|研究|决定|查看|走访|协调|排查|检测|审核|会商)",
        r"(?:现已|目前已|已经|已于|已将|已对|已安排|已完成|已督促|已责令|已要求|已协调|已联系|已整改|"
        r"已处理|已解决|已修复|已清理|已拆除|已恢复|已落实|已办理|已发放|已退还|已补发|已立案|已约谈|已查处)",
        r"(?:进行|开展|完成|排除|落实|组织|安排|督促|拆除|清理|修复|整改|处理|查处|调整|解决|恢复|更换|维修|"
        r"安装|约谈|责令|处罚|罚款|下达)了",
        r"处理结果|办理结果|处理意见|调查结果|核查结果|正在|将于|拟于|计划于|预计于",
        r"不符合|不属于|不予|尚无法|暂无法|暂不具备",
        # An inquiry's result is the answer: where to go and what to bring.
        r"即可|可到|可向|可凭|可登录|可携带",
    )
]
# Basis: a named document (《…》 of a kind that carries rules), a rule word after 根据/依据/按照/依照,
# or an article number.
_RULE_WORD = r"(?:规定|条例|办法|政策|文件|通知|意见|标准|规范|细则|法|规划|方案|精神|要求)"
BASIS_PATTERNS = [
    re.compile(p)
    for p in (
        rf"《[^》]{{1,60}}{_RULE_WORD}[^》]{{0,10}}》",
        rf"(?:根据|依据|按照|依照|遵照|参照)[^。；！]{{0,40}}{_RULE_WORD}",
        r"第[一二三四五六七八九十百零〇\d]+条",
    )
]
CONTACT_PATTERNS = [
    re.compile(p)
    for p in (
        r"(?:联系电话|咨询电话|举报电话|投诉电话|办公电话|服务电话|热线|电话)[：:（(为是]{0,3}\d[\d－—–-]{4,}",
        _LANDLINE,
        _MOBILE,
        rf"(?:拨打|致电)[^。；]{{0,10}}{_SERVICE}",
        r"联系人[：:]\s*\S{1,10}",
    )
]

_vectorizer = HashingVectorizer(
    analyzer="char", ngram_range=(2, 2), n_features=2**20, alternate_sign=False, norm=None
)


@dataclass(frozen=True)
class Check:
    """One completeness check: whether it passed and the words of the reply that show it."""

    passed: bool
    evidence: str = ""


@dataclass(frozen=True)
class ReplyScore:
    relevance: float
    cosine: float
    completeness: float
    result_stated: Check
    basis_given: Check
    contact_given: Check
    timeliness: float
    on_time: bool | None
    time_used: float | None  # share of the allowed time the reply took (1.0 = at the deadline)
    total: int
    low: bool
    threshold: int
    reasons: list[str] = field(default_factory=list)
    version: int = SCORER_VERSION

    def as_dict(self) -> dict:
        """The stored form (JSON-safe)."""
        return asdict(self)


def _clean(text: str) -> str:
    return _WHITESPACE.sub("", text or "")


def _vectors(texts: list[str]):
    matrix = _vectorizer.transform([_clean(t) for t in texts]).astype(np.float64)
    # Sublinear tf: a word the reply repeats ten times is not ten times the evidence.
    matrix.data = 1.0 + np.log(matrix.data)
    return normalize(matrix)


def text_cosine(a: str, b: str) -> float:
    """Cosine similarity of two texts' character-bigram vectors (0 when either has no bigram)."""
    matrix = _vectors([a, b])
    return float(matrix[0].multiply(matrix[1]).sum())


def cosines(appeals: list[str], replies: list[str]) -> np.ndarray:
    """Row-wise cosine of appeals[i] and replies[i]; the bulk form used by the benchmark."""
    a, r = _vectors(appeals), _vectors(replies)
    return np.asarray(a.multiply(r).sum(axis=1)).ravel()


def relevance_of(cosine: float) -> float:
    span = COSINE_TYPICAL - COSINE_UNRELATED
    return float(min(1.0, max(0.0, (cosine - COSINE_UNRELATED) / span)))


def _check(patterns, text: str) -> Check:
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            return Check(True, match.group(0)[:60])
    return Check(False)


def completeness_checks(reply_text: str) -> tuple[Check, Check, Check]:
    """(result stated, basis given, contact given) of a reply, each with its evidence."""
    text = _clean(reply_text)
    return _check(RESULT_PATTERNS, text), _check(BASIS_PATTERNS, text), _check(CONTACT_PATTERNS, text)


def timeliness_of(
    replied_at: dt.datetime, clock_start: dt.datetime, completion_due: dt.datetime
) -> tuple[float, bool, float]:
    """(timeliness 0–1, on time, share of the allowed time used)."""
    allowed = (completion_due - clock_start).total_seconds()
    taken = max(0.0, (replied_at - clock_start).total_seconds())
    used = taken / allowed if allowed > 0 else (0.0 if replied_at <= completion_due else 2.0)
    on_time = replied_at <= completion_due
    if not on_time:
        score = OVERDUE_START * max(0.0, 2.0 - max(used, 1.0))
    elif used <= 0.5:
        score = 1.0
    else:
        score = 1.0 - (1.0 - ON_TIME_FLOOR) * (min(used, 1.0) - 0.5) / 0.5
    return round(score, 3), on_time, round(used, 3)


def low_score_threshold() -> int:
    return int(getattr(settings, "YOUSU_REPLY_REVIEW_LOW_SCORE", DEFAULT_LOW_SCORE))


def score_reply(
    *,
    appeal_text: str,
    reply_text: str,
    result: str,
    replied_at: dt.datetime | None,
    clock_start: dt.datetime | None,
    completion_due: dt.datetime | None,
) -> ReplyScore:
    """Score a reply for the reviewing dispatcher. `result` is the unit's declared outcome
    (solved / explained / unsolvable); when it is not "solved" the citizen is owed the basis."""
    cosine = text_cosine(appeal_text, reply_text)
    relevance = relevance_of(cosine)
    result_stated, basis_given, contact_given = completeness_checks(reply_text)
    completeness = (result_stated.passed + basis_given.passed + contact_given.passed) / 3
    if replied_at is None or clock_start is None or completion_due is None:
        # No clock to judge by (e.g. a reply scored outside an order): counted as on time.
        timeliness, on_time, used = 1.0, None, None
    else:
        timeliness, on_time, used = timeliness_of(replied_at, clock_start, completion_due)
    total = round(
        100
        * (
            WEIGHTS["relevance"] * relevance
            + WEIGHTS["completeness"] * completeness
            + WEIGHTS["timeliness"] * timeliness
        )
    )
    threshold = low_score_threshold()

    reasons = []
    if relevance < 0.5:
        reasons.append("答复内容与诉求关联度低" if relevance > 0 else "答复内容与诉求无关")
    if not result_stated.passed:
        reasons.append("答复未说明办理结果")
    if not basis_given.passed:
        reasons.append(
            "答复未说明办理依据" if result == "solved" else "未解决或解释说明的答复未给出政策法规依据"
        )
    if not contact_given.passed:
        reasons.append("答复未留联系电话或联系人")
    if on_time is False:
        reasons.append("答复已超过办结时限")
    elif used is not None and used > 0.9:
        reasons.append("答复临近办结时限")

    return ReplyScore(
        relevance=round(relevance, 3),
        cosine=round(cosine, 4),
        completeness=round(completeness, 3),
        result_stated=result_stated,
        basis_given=basis_given,
        contact_given=contact_given,
        timeliness=timeliness,
        on_time=on_time,
        time_used=used,
        total=total,
        low=total < threshold,
        threshold=threshold,
        reasons=reasons,
    )
