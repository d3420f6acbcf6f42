"""Benchmark (not a test): place resolution and grid lookup time per call on a generated city.

    .venv/bin/python bench/places.py [--districts 8] [--streets 6] [--communities 9] [--n 1000]

It builds a throwaway SQLite database in a temporary directory (removed afterwards), generates a city
of districts × streets × communities with invented names, three roads per street (each road name
shared by two streets of neighbouring districts, so the quarter of the lookups that give only a road
are ambiguous), a landmark and a compound per community and two grids per community. After one
warm-up call builds the cached gazetteer and grid index, it times `--n` calls of `resolve_place`
(addresses and appeal texts of about 60 characters made from those names), 50 of a 4,000-character
text (the longest the API accepts) and `--n` calls of `grid_at`. It prints one JSON object: the
gazetteer's size, the build times, and mean / p95 / max milliseconds per call, wall clock and CPU.

The default run gives about 3,000 names. Django's cache is the local-memory one unless REDIS_URL is
set, in which case each call also reads the gazetteer's version from Redis.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Characters the invented names are made of; two or three of them plus a suffix make a name.
SYLLABLES = (
    "安宁康泰和平永兴长乐福寿嘉禾瑞丰景明春晖秋实青松翠柏金石玉泉银河星辰华光新民德胜"
    "朝阳夕照南湖北苑东岭西山清溪碧水红旗绿洲云台雪峰望岳观澜盛世锦绣鸿运通达育才"
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--districts", type=int, default=8)
    parser.add_argument("--streets", type=int, default=6, help="streets per district")
    parser.add_argument("--communities", type=int, default=9, help="communities per street")
    parser.add_argument("--n", type=int, default=1000, help="calls of each function to time")
    parser.add_argument("--seed", type=int, default=12345)
    return parser.parse_args()


def setup_django(directory: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{directory / 'places-bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "yousu.settings.development"
    os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


class Names:
    """Distinct invented names: the same stem never comes out twice."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def __call__(self, suffix: str, length: int = 2) -> str:
        while True:
            stem = "".join(self.rng.choice(SYLLABLES) for _ in range(length))
            if stem not in self.used:
                self.used.add(stem)
                return stem + suffix


def box(lon0, lat0, lon1, lat1):
    return {
        "type": "Polygon",
        "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]],
    }


def build_city(args, rng):
    from django.db import transaction

    from yousu.intelligence.places import place_name_create
    from yousu.org.services import area_create

    name = Names(rng)
    streets, communities, grids = [], [], []
    with transaction.atomic():
        city = area_create(code="B", name="基准市", kind="city")
        roads = [name("路", 2) for _ in range(args.districts * args.streets * 3 // 2)]
        for d in range(args.districts):
            district = area_create(code=f"B{d}", name=name("区"), kind="district", parent=city)
            for s in range(args.streets):
                street = area_create(code=f"B{d}-{s}", name=name("街道"), kind="street", parent=district)
                streets.append(street)
                for c in range(args.communities):
                    community = area_create(
                        code=f"B{d}-{s}-{c}", name=name("社区"), kind="community", parent=street
                    )
                    communities.append(community)
                    place_name_create(area=community, name=name("广场", 3), kind="landmark")
                    place_name_create(area=community, name=name("小区", 3), kind="compound")
                    # Grids tile a unit square per community, side by side along the longitude.
                    x = len(communities) - 1
                    for g in range(2):
                        grids.append(
                            area_create(
                                code=f"B{d}-{s}-{c}-G{g}",
                                name=f"网格{x}-{g}",
                                kind="grid",
                                parent=community,
                                boundary=box(x * 0.01 + g * 0.005, 30.0, x * 0.01 + (g + 1) * 0.005, 30.01),
                            )
                        )
        # Every road runs through two streets, at the same place in two neighbouring districts: the
        # shared names make lookups ambiguous until a district name narrows them.
        for index, street in enumerate(streets):
            d, s = divmod(index, args.streets)
            for k in range(3):
                road = roads[((d // 2) * args.streets + s) * 3 + k]
                place_name_create(area=street, name=road, kind="road")
    return city, streets, communities, grids


def chain_names(area) -> list[str]:
    return [a.name for a in area.ancestors() if a.level != "city"]


def make_queries(args, rng, communities) -> list[tuple[str, str]]:
    from yousu.org.models import PlaceName

    landmarks = dict(PlaceName.objects.filter(kind="landmark").values_list("area_id", "name"))
    roads_by_street = {}
    for area_id, road in PlaceName.objects.filter(kind="road").values_list("area_id", "name"):
        roads_by_street.setdefault(area_id, []).append(road)
    filler = "小区门口路灯不亮已经一周了晚上出行很不方便希望尽快派人维修谢谢"
    queries = []
    for i in range(args.n):
        community = rng.choice(communities)
        district, street, own = chain_names(community)
        road = rng.choice(roads_by_street[community.parent_id])
        shape = i % 4
        if shape == 0:
            queries.append((f"{district}{street}{own}{rng.randint(1, 99)}号楼", filler))
        elif shape == 1:
            queries.append((f"{road}{rng.randint(1, 300)}号", filler))  # often ambiguous
        elif shape == 2:
            queries.append((f"{district}{road}", f"{landmarks[community.pk]}附近{filler}"))
        else:
            queries.append(("", f"{filler}，地点在{own}{landmarks[community.pk]}东侧"))
    return queries


def timed(calls) -> tuple[tuple[list[float], list[float]], list]:
    """Wall-clock and this thread's CPU milliseconds per call: on a busy shared machine the wall
    clock also counts the time other processes held the CPU."""
    wall, cpu, results = [], [], []
    for call in calls:
        start, start_cpu = time.perf_counter(), time.thread_time()
        results.append(call())
        cpu.append((time.thread_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
    return (wall, cpu), results


def _p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


def summary(times: tuple[list[float], list[float]]) -> dict:
    wall, cpu = times
    return {
        "mean_ms": round(statistics.fmean(wall), 3),
        "p95_ms": round(_p95(wall), 3),
        "max_ms": round(max(wall), 3),
        "cpu_mean_ms": round(statistics.fmean(cpu), 3),
        "cpu_p95_ms": round(_p95(cpu), 3),
    }


def main() -> None:
    args = parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="yousu-places-bench-") as directory:
        setup_django(Path(directory))
        from django.conf import settings

        from yousu.intelligence import places

        started = time.perf_counter()
        _city, _streets, communities, grids = build_city(args, rng)
        generated_s = time.perf_counter() - started

        started = time.perf_counter()
        gazetteer = places.build_gazetteer()
        gazetteer_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        places.build_grid_index()
        grid_index_ms = (time.perf_counter() - started) * 1000

        queries = make_queries(args, rng, communities)
        places.resolve_place(address=queries[0][0], text=queries[0][1])  # builds and keeps the gazetteer
        resolve_times, resolutions = timed(
            [lambda q=q: places.resolve_place(address=q[0], text=q[1]) for q in queries]
        )
        # The longest content the API accepts (4,000 characters), made of the names' own characters:
        # nearly every position starts some name, the scan's worst case.
        long_texts = ["".join(rng.choice(SYLLABLES) for _ in range(4000)) for _ in range(50)]
        long_times, _long = timed([lambda t=t: places.resolve_place(text=t) for t in long_texts])
        points = []
        for _ in range(args.n):
            grid = rng.choice(grids)
            (lon0, lat0), _p1, (lon1, lat1) = grid.boundary["coordinates"][0][:3]
            points.append((rng.uniform(lat0, lat1), rng.uniform(lon0, lon1), grid.pk))
        places.grid_at(lat=points[0][0], lng=points[0][1])  # builds and keeps the grid index
        grid_times, found = timed([lambda p=p: places.grid_at(lat=p[0], lng=p[1]) for p in points])

        result = {
            "names": len([n for n, entries in gazetteer.names.items() if entries]),
            "areas": len(gazetteer.places),
            "grids": len(grids),
            "generate_s": round(generated_s, 1),
            "gazetteer_build_ms": round(gazetteer_ms, 1),
            "grid_index_build_ms": round(grid_index_ms, 1),
            "resolve_place": {
                "n": len(queries),
                **summary(resolve_times),
                "resolved": sum(1 for r in resolutions if r.area is not None and not r.ambiguous),
                "ambiguous": sum(1 for r in resolutions if r.ambiguous),
            },
            "resolve_place_4000_chars": {"n": len(long_texts), **summary(long_times)},
            "grid_at": {
                "n": len(points),
                **summary(grid_times),
                "correct": sum(
                    1 for g, p in zip(found, points, strict=True) if g is not None and g.pk == p[2]
                ),
            },
            "database": "SQLite (temporary file)",
            "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
            "python": sys.version.split()[0],
        }
        print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
