"""Retrieval quality and speed of the knowledge search on real data (tipdm2020c): the 2,816 official
replies are indexed as entries, each message (主题 + 详情) is the query, and the reply actually given
to it should come back near the top. A substring-match baseline runs in the same process, and a
latency run on 100,000 synthetic entries checks the 50 ms target. Prints one JSON line.

    .venv/bin/python bench/knowledge.py [--csv PATH] [--synthetic 100000] [--seed 7]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from scipy import sparse

from yousu.knowledge.search import BM25Index, TfidfIndex, entry_terms, query_terms

DEFAULT_CSV = (
    Path(__file__).resolve().parent.parent.parent / "shared/data/tipdm2020c/messages_with_replies.csv"
)
_SPACE = re.compile(r"\s+")
TUNING_SEED = 1


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        for key in ("留言主题", "留言详情", "答复意见"):
            row[key] = _SPACE.sub(" ", row[key] or "").strip()
    return rows


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0


def evaluate(rank, queries: list[str], gold: list[int]) -> dict:
    """recall@1, @5, @10 and per-query latency (ms) of `rank(query) -> list of positions`."""
    hits1 = hits5 = hits10 = 0
    timings = []
    for query, answer in zip(queries, gold, strict=True):
        start = time.perf_counter()
        ranked = rank(query)
        timings.append((time.perf_counter() - start) * 1000)
        hits1 += bool(ranked[:1]) and ranked[0] == answer
        hits5 += answer in ranked[:5]
        hits10 += answer in ranked[:10]
    n = len(queries)
    return {
        "recall_at_1": round(hits1 / n, 4),
        "recall_at_5": round(hits5 / n, 4),
        "recall_at_10": round(hits10 / n, 4),
        "p50_ms": round(percentile(timings, 50), 3),
        "p95_ms": round(percentile(timings, 95), 3),
    }


def substring_baseline(replies: list[str]):
    """Plain substring matching: rank replies by how many of the query's distinct 2–4 character
    substrings (taken from its runs of Chinese characters) they contain. A Chinese-only substring
    occurs in a reply exactly when it is one of the reply's own 2–4 character grams, so the count is
    read from a reply × gram incidence matrix rather than by 2,816 `in` scans per query (same
    ranking, a faster baseline)."""
    cjk = re.compile(r"[\u4e00-\u9fff]+")

    def grams(text: str) -> set[str]:
        return {
            run[i : i + n] for run in cjk.findall(text) for n in (2, 3, 4) for i in range(len(run) - n + 1)
        }

    vocabulary: dict[str, int] = {}
    rows, cols = [], []
    for position, reply in enumerate(replies):
        for gram in grams(reply):
            rows.append(position)
            cols.append(vocabulary.setdefault(gram, len(vocabulary)))
    incidence = sparse.csc_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(replies), len(vocabulary))
    )

    def rank(query: str) -> list[int]:
        columns = [vocabulary[gram] for gram in grams(query) if gram in vocabulary]
        if not columns:
            return []
        counts = np.asarray(incidence[:, columns].sum(axis=1)).ravel()
        best = np.argsort(-counts, kind="stable")[:10]
        return [int(i) for i in best if counts[i] > 0]

    return rank


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--synthetic", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rows = [row for row in load(args.csv) if row["答复意见"]]
    # Replies are the entries; a reply text given to several messages is one entry.
    positions: dict[str, int] = {}
    for row in rows:
        positions.setdefault(row["答复意见"], len(positions))
    replies = list(positions)
    queries = [f"{row['留言主题']} {row['留言详情']}" for row in rows]
    gold = [positions[row["答复意见"]] for row in rows]

    start = time.perf_counter()
    documents = [entry_terms(question="", answer=reply, keywords="") for reply in replies]
    index = TfidfIndex(documents)
    build_s = time.perf_counter() - start
    bm25_index = BM25Index(documents)

    # The term scheme (two-character pieces), the query's doubled opening, the scorer (TF-IDF cosine
    # over BM25) and its norm power (BM25's k1 and length power before it) were chosen on one half of the messages (a seeded shuffle, TUNING_SEED); the other half is
    # reported apart as held out. Nothing is learned from the messages: the entries are the replies
    # alone and the query is what search() would be given.
    order = list(range(len(rows)))
    random.Random(TUNING_SEED).shuffle(order)
    held_out = order[len(order) // 2 :]

    def both(rank) -> dict:
        return {
            "all": evaluate(rank, queries, gold),
            "held_out": evaluate(rank, [queries[i] for i in held_out], [gold[i] for i in held_out]),
        }

    tfidf = both(lambda q: [i for i, _ in index.top(query_terms(q), 10)])
    bm25 = both(lambda q: [i for i, _ in bm25_index.top(query_terms(q), 10)])
    baseline = both(substring_baseline(replies))

    # Latency at 100,000 entries: each synthetic entry is a real reply's terms with a tenth dropped
    # and a few terms of another reply mixed in, so term statistics stay realistic.
    rng = random.Random(args.seed)
    synthetic = []
    for n in range(args.synthetic):
        words = [w for w in documents[n % len(documents)] if rng.random() > 0.1]
        other = documents[rng.randrange(len(documents))]
        words += rng.sample(other, min(5, len(other)))
        synthetic.append(words)
    start = time.perf_counter()
    big = TfidfIndex(synthetic)
    big_build_s = time.perf_counter() - start
    sample = rng.sample(queries, min(500, len(queries)))
    timings = []
    for query in sample:
        t0 = time.perf_counter()
        big.top(query_terms(query), 10)
        timings.append((time.perf_counter() - t0) * 1000)

    print(
        json.dumps(
            {
                "messages": len(rows),
                "entries": len(replies),
                "tfidf": {**tfidf, "build_s": round(build_s, 2)},
                "bm25_former": bm25,
                "substring_baseline": baseline,
                "synthetic": {
                    "entries": args.synthetic,
                    "build_s": round(big_build_s, 2),
                    "queries": len(sample),
                    "p50_ms": round(percentile(timings, 50), 3),
                    "p95_ms": round(percentile(timings, 95), 3),
                    "max_ms": round(max(timings), 3),
                    "mean_ms": round(statistics.fmean(timings), 3),
                },
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
