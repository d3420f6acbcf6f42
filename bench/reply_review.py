"""Benchmark (not a test): the reply scorer (yousu.intelligence.reply_review) on real appeals and replies.

    .venv/bin/python bench/reply_review.py [--data ../shared/data/tipdm2020c/messages_with_replies.csv]
                                           [--rounds 5]

For each of the 2,816 messages, the official reply is compared with the reply to another message
drawn at random (`--rounds` independent draws, seed 0): the share of pairs where the true reply is
the more relevant (ties count half), the cosine
percentiles the relevance thresholds are set from, and, for comparison only, the same share with an
IDF fitted on the replies (which the scorer does not do). Then the share of real replies passing each
completeness check, the total score of the true and of a random reply (the data has no deadlines, so
both are scored as replied in the first half of the allowed time: timeliness 1) against the low-score
threshold, the days from message to reply, and the time of one score_reply call. Prints one JSON
object, then a markdown table. No message text is printed.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yousu.settings.development")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer  # noqa: E402

from yousu.intelligence import reply_review as rr  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "tipdm2020c" / "messages_with_replies.csv"


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def appeal_text(row: dict) -> str:
    return f"{row['留言主题']}。{row['留言详情']}"


def derangements(n: int, rounds: int) -> list[np.ndarray]:
    """Random partners: row i is paired with the reply of another row, never its own."""
    rng = np.random.default_rng(0)
    out = []
    for _ in range(rounds):
        perm = rng.permutation(n)
        fixed = perm == np.arange(n)
        perm[fixed] = (perm[fixed] + 1) % n
        out.append(perm)
    return out


def share_true_wins(true: np.ndarray, randoms: list[np.ndarray]) -> float:
    wins = [np.mean((true > other) + 0.5 * (true == other)) for other in randoms]
    return round(float(np.mean(wins)), 4)


def fitted_idf_cosines(appeals, replies, partners):
    """The comparison the scorer does not make: the same bigrams with an IDF fitted on the replies."""
    vectorizer = HashingVectorizer(
        analyzer="char", ngram_range=(2, 2), n_features=2**20, alternate_sign=False, norm=None
    )
    a = vectorizer.transform([rr._clean(t) for t in appeals])
    r = vectorizer.transform([rr._clean(t) for t in replies])
    idf = TfidfTransformer(sublinear_tf=True).fit(r)
    a, r = idf.transform(a), idf.transform(r)
    true = np.asarray(a.multiply(r).sum(axis=1)).ravel()
    return share_true_wins(true, [np.asarray(a.multiply(r[perm]).sum(axis=1)).ravel() for perm in partners])


def parse_time(text: str) -> dt.datetime | None:
    for fmt in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    return None


def percentiles(values, points) -> dict:
    return {f"p{p}": round(float(np.percentile(values, p)), 3) for p in points}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not args.data.exists():
        sys.exit(f"no data file: {args.data}")
    rows = load(args.data)
    appeals = [appeal_text(row) for row in rows]
    replies = [row["答复意见"] for row in rows]
    n = len(rows)
    partners = derangements(n, args.rounds)

    true = rr.cosines(appeals, replies)
    a, r = rr._vectors(appeals), rr._vectors(replies)
    random_cos = [np.asarray(a.multiply(r[perm]).sum(axis=1)).ravel() for perm in partners]
    share = share_true_wins(true, random_cos)
    # One-line acknowledgements ("留言已收悉") share nothing with any appeal; without them:
    substantial = np.array([len(rr._clean(text)) >= 50 for text in replies])
    share_substantial = share_true_wins(true[substantial], [c[substantial] for c in random_cos])
    all_random = np.concatenate(random_cos)
    relevance_true = np.array([rr.relevance_of(c) for c in true])
    relevance_random = np.array([rr.relevance_of(c) for c in all_random])

    checks = [rr.completeness_checks(text) for text in replies]
    check_share = {
        name: round(sum(c[i].passed for c in checks) / n, 4)
        for i, name in enumerate(("result_stated", "basis_given", "contact_given"))
    }
    all_three = round(sum(all(x.passed for x in c) for c in checks) / n, 4)

    # Score through the public function, as order_reply does. No deadlines in the data: a reply is
    # placed at a fifth of a 15-day period (timeliness 1), so the totals show text quality alone.
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    clock = {
        "replied_at": start + dt.timedelta(days=3),
        "clock_start": start,
        "completion_due": start + dt.timedelta(days=15),
    }
    began = time.perf_counter()
    totals_true = [
        rr.score_reply(appeal_text=a_, reply_text=r_, result="solved", **clock).total
        for a_, r_ in zip(appeals, replies, strict=True)
    ]
    ms_per_call = (time.perf_counter() - began) * 1000 / n
    perm = partners[0]
    totals_random = [
        rr.score_reply(appeal_text=appeals[i], reply_text=replies[perm[i]], result="solved", **clock).total
        for i in range(n)
    ]
    threshold = rr.low_score_threshold()

    delays = []
    for row in rows:
        asked, answered = parse_time(row["留言时间"]), parse_time(row["答复时间"])
        if asked and answered and answered >= asked:
            delays.append((answered - asked).total_seconds() / 86400)

    figures = {
        "n": n,
        "rounds": args.rounds,
        "relevance": {
            "share_true_beats_random": share,
            "share_true_beats_random_fitted_idf": fitted_idf_cosines(appeals, replies, partners),
            "replies_of_50_chars_or_more": int(substantial.sum()),
            "share_true_beats_random_50_chars_or_more": share_substantial,
            "cosine_true": percentiles(true, (10, 25, 50, 75)),
            "cosine_random": percentiles(all_random, (50, 80, 90, 95, 99)),
            "thresholds": [rr.COSINE_UNRELATED, rr.COSINE_TYPICAL],
            "relevance_at_least_half_true": round(float(np.mean(relevance_true >= 0.5)), 4),
            "relevance_at_least_half_random": round(float(np.mean(relevance_random >= 0.5)), 4),
        },
        "completeness": {**check_share, "all_three": all_three},
        "total": {
            "threshold": threshold,
            "median_true": statistics.median(totals_true),
            "median_random": statistics.median(totals_random),
            "low_share_true": round(sum(t < threshold for t in totals_true) / n, 4),
            "low_share_random": round(sum(t < threshold for t in totals_random) / n, 4),
            # What another threshold (YOUSU_REPLY_REVIEW_LOW_SCORE) would ask to confirm.
            "low_share_by_threshold": {
                str(t): [
                    round(sum(x < t for x in totals_true) / n, 4),
                    round(sum(x < t for x in totals_random) / n, 4),
                ]
                for t in (40, 50, 55, 60, 65, 70)
            },
        },
        "reply_days": {"n": len(delays), **percentiles(delays, (50, 75, 90))},
        "ms_per_score_reply": round(ms_per_call, 3),
    }
    print(json.dumps(figures, ensure_ascii=False))
    rel, comp, tot, days = (
        figures["relevance"],
        figures["completeness"],
        figures["total"],
        figures["reply_days"],
    )
    rows = [
        ("留言与答复对数", f"{n}（随机配对 {args.rounds} 轮）"),
        ("真实答复相关度高于随机答复的比例（逐条配对，平局计半）", rel["share_true_beats_random"]),
        ("同上，改用在答复上拟合的 IDF（仅作对照，评分器不用）", rel["share_true_beats_random_fitted_idf"]),
        (
            f"同上，仅 50 字以上的答复（{rel['replies_of_50_chars_or_more']} 条）",
            rel["share_true_beats_random_50_chars_or_more"],
        ),
        ("真实答复余弦 p10 / p25 / p50 / p75", " / ".join(map(str, rel["cosine_true"].values()))),
        ("随机答复余弦 p50 / p80 / p90 / p95 / p99", " / ".join(map(str, rel["cosine_random"].values()))),
        (
            "相关度 ≥ 0.5 的比例：真实 / 随机",
            f"{rel['relevance_at_least_half_true']} / {rel['relevance_at_least_half_random']}",
        ),
        ("说明办理结果的答复", comp["result_stated"]),
        ("给出办理依据的答复", comp["basis_given"]),
        ("留有联系方式的答复", comp["contact_given"]),
        ("三项齐全的答复", comp["all_three"]),
        ("总分中位数：真实 / 随机（按时答复）", f"{tot['median_true']} / {tot['median_random']}"),
        (
            f"低于 {tot['threshold']} 分（需确认）的比例：真实 / 随机",
            f"{tot['low_share_true']} / {tot['low_share_random']}",
        ),
        *(
            (f"阈值 {t} 时低分比例：真实 / 随机", f"{on_true} / {on_random}")
            for t, (on_true, on_random) in tot["low_share_by_threshold"].items()
        ),
        ("留言到答复的天数 p50 / p75 / p90", f"{days['p50']} / {days['p75']} / {days['p90']}"),
        ("每次 score_reply 耗时 ms", figures["ms_per_score_reply"]),
    ]
    print()
    print("| 指标 | 数值 |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
