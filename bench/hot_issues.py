"""Benchmark (not a test): the hot-issue detector, fed message by message in time order.

    .venv/bin/python bench/hot_issues.py [--data ../shared/data/tipdm2020c/messages_for_hot_issues.csv]
                                         [--duplicates N] [--json]

Reads the messages (留言主题, 留言详情, 留言时间, 点赞数), sorts them by time and feeds them one at a time to
`HotIssueDetector` (the class the database service uses) with the project's default settings. The
time per message covers everything the service does per appeal apart from the database: word
weights (jieba), place words from the title, matching and the cluster update. Prints the mean and the
95th percentile in ms, then the top 5 hot issues by their highest heat — name, size, place, period:
never a message's text (the data is not ours to publish).

With `--duplicates N` it also measures `find_duplicates` on a throwaway SQLite database holding N
open appeals received in the last 7 days, taken from the same file (see docs/hot-issues.md).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# A database only for the duplicate finder: a throwaway SQLite file, never the project's own.
SCRATCH = tempfile.TemporaryDirectory()
os.environ["DATABASE_URL"] = f"sqlite:///{SCRATCH.name}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yousu.settings.development")

import django  # noqa: E402

django.setup()

from yousu.intelligence import similarity  # noqa: E402
from yousu.intelligence.detector import HotIssueDetector, Message, landmark_of  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "tipdm2020c" / "messages_for_hot_issues.csv"
# The file's place names are anonymised as a letter and a number: "A市", "A3区", "A7县".
CITY = re.compile(r"[A-Z]\d*市")
DISTRICT = re.compile(r"[A-Z]\d*[区县]")
TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M")


def parse_time(value: str) -> dt.datetime:
    for fmt in TIME_FORMATS:
        try:
            return dt.datetime.strptime(value.strip(), fmt)
        except ValueError:
            continue
    raise ValueError(f"unreadable time: {value!r}")


def read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    messages = []
    for row in rows:
        messages.append(
            {
                "id": row["留言编号"],
                "title": row["留言主题"].strip(),
                "content": row["留言详情"].strip(),
                "at": parse_time(row["留言时间"]),
                "votes": int(row.get("点赞数") or 0),
            }
        )
    messages.sort(key=lambda m: (m["at"], m["id"]))
    return messages


def strip_codes(text: str) -> str:
    """The text without its anonymised place codes, which jieba would glue to the next word."""
    return DISTRICT.sub(" ", CITY.sub(" ", text))


def place_of(title: str, content: str) -> tuple[tuple[str, ...], str, str]:
    """(place path city → district, its display name, landmark) from the title, else the content's
    first lines: no areas come with this data, so the place is read from the text."""
    for text in (title, content[:120]):
        districts = DISTRICT.findall(text)
        if districts:
            city = (CITY.findall(text) or [districts[0][0] + "市"])[0]
            return (city, districts[0]), districts[0], landmark_of(title, skip=[city, districts[0]])
    cities = CITY.findall(title)
    return ((cities[0],) if cities else ()), (cities[0] if cities else ""), landmark_of(title, skip=cities)


def run_detector(messages: list[dict]) -> dict:
    detector = HotIssueDetector()
    timings, peak = [], {}
    for message in messages:
        started = time.perf_counter()
        place, place_name, landmark = place_of(message["title"], message["content"])
        item = Message(
            key=message["id"],
            at=message["at"],
            terms=similarity.term_weights(
                strip_codes(message["content"]), title=strip_codes(message["title"])
            ),
            place=place,
            place_name=place_name,
            landmark=landmark,
            votes=message["votes"],
        )
        cluster, _score = detector.absorb(item)
        heat = detector.cluster_heat(cluster, message["at"])
        timings.append((time.perf_counter() - started) * 1000)
        if heat > peak.get(cluster, (0, None))[0]:
            peak[cluster] = (heat, message["at"])
    top = sorted(detector.clusters, key=lambda c: peak.get(c, (0,))[0], reverse=True)[:5]
    sizes = [c.count for c in detector.clusters]
    return {
        "messages": len(messages),
        "ms_per_message_mean": round(statistics.mean(timings), 3),
        "ms_per_message_p95": round(statistics.quantiles(timings, n=20)[18], 3),
        "clusters": len(detector.clusters),
        "clusters_of_3_or_more": sum(1 for s in sizes if s >= 3),
        "top": [
            {
                "name": detector.name(c),
                "size": c.count,
                "place": c.place_name or "—",
                "first": c.first_at.strftime("%Y-%m-%d"),
                "last": c.last_at.strftime("%Y-%m-%d"),
                "peak_heat": peak[c][0],
                "votes": c.votes,
            }
            for c in top
        ],
    }


def run_duplicates(messages: list[dict], n: int) -> dict:
    """find_duplicates against n open appeals of the last 7 days, on a throwaway SQLite database."""
    from django.core.management import call_command
    from django.utils import timezone

    from yousu.appeals.models import Appeal
    from yousu.intelligence import duplicates
    from yousu.intelligence.duplicates import find_duplicates
    from yousu.intelligence.hot_issues import hot_issues_absorb
    from yousu.org.models import Area, Unit

    call_command("migrate", verbosity=0)
    city = Area.objects.create(code="bench-city", name="市", kind="city")
    platform = Unit.objects.create(code="bench-platform", name="市平台", kind="city_platform", area=city)
    now = timezone.now()
    pool = messages[:n]
    Appeal.objects.bulk_create(
        Appeal(
            code=f"B{i:08d}",
            kind="complaint",
            channel="web",
            title=m["title"][:200],
            content=m["content"][:4000],
            received_at=now - dt.timedelta(days=7) * (i / max(1, n)),
            intake_unit=platform,
        )
        for i, m in enumerate(pool)
    )
    probes = messages[n : n + 200] or messages[:200]

    def measure() -> list[float]:
        timings = []
        for m in probes:
            started = time.perf_counter()
            find_duplicates(text=f"{m['title']}\n{m['content']}", at=now)
            timings.append((time.perf_counter() - started) * 1000)
        return timings

    # Not yet absorbed by the hot-issue detector: the first look-up segments every open appeal once
    # (the process cache keeps the words), the following ones do not.
    first = measure()
    cached = measure()
    # The usual state: the periodic job has absorbed them and stored their word weights.
    hot_issues_absorb(Appeal.objects.select_related("area").order_by("received_at"), now=now)
    duplicates._terms_cache.clear()
    stored = measure()
    return {
        "open_appeals_in_window": n,
        "probes": len(probes),
        "ms_mean_stored_terms": round(statistics.mean(stored), 2),
        "ms_p95_stored_terms": round(statistics.quantiles(stored, n=20)[18], 2),
        "ms_first_call_stored_terms": round(stored[0], 2),
        "ms_mean_process_cache": round(statistics.mean(cached), 2),
        "ms_mean_first_pass_unabsorbed": round(statistics.mean(first), 2),
    }


def table(result: dict) -> str:
    lines = [
        "| # | 名称 | 条数 | 地点 | 起止 | 最高热度 |",
        "|---|---|---|---|---|---|",
    ]
    for rank, row in enumerate(result["top"], 1):
        lines.append(
            f"| {rank} | {row['name']} | {row['size']} | {row['place']} | "
            f"{row['first']} – {row['last']} | {row['peak_heat']} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--duplicates", type=int, default=0, metavar="N")
    parser.add_argument("--json", action="store_true", help="print only the JSON object")
    args = parser.parse_args()
    if not args.data.exists():
        print(f"no data: {args.data}", file=sys.stderr)
        return 2
    messages = read(args.data)
    result = run_detector(messages)
    if args.duplicates:
        result["duplicates"] = run_duplicates(messages, args.duplicates)
    print(json.dumps(result, ensure_ascii=False, indent=None if args.json else 2))
    if not args.json:
        print()
        print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
