"""Place resolution (地点识别): from an appeal's address and text, the deepest known area the evidence
agrees on; from a point, the grid that contains it.

The gazetteer holds every active area's name (with the suffixes people drop or add: 城东区 is also
城东, 东兴社区 also 东兴社区居委会) and the place names (aliases, roads, landmarks, compounds) that
administrators attach to areas. A text is scanned once, left to right, taking the longest known name
at each position. Each name found points at one or more areas; the areas that every name agrees on
(each lies on the chain from the city down to it) are the answer. When the names point at several
places, or contradict each other, the answer says so and lists them: it never picks one.

Caching: the gazetteer and the grid index are built once per process and kept with the version number
that Django's cache holds; any save or delete of an area or a place name bumps that number (signals
connected by the intelligence app), so every process sharing the cache rebuilds on its next call.
A bulk `update()` sends no signal: a process rebuilds at least every LOCAL_LIFETIME seconds anyway.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yousu.core.errors import DomainError
from yousu.core.tabular import Table, choice_value, require_columns, run_import
from yousu.org.choices import Level
from yousu.org.models import Area, PlaceName, PlaceNameKind
from yousu.org.services import raise_validation

VERSION_KEY = "yousu:places-version"
# A process rebuilds at least this often even without a bump: a safety net for bulk updates and for a
# deployment whose cache is not shared between processes (the local-memory default).
LOCAL_LIFETIME = 300.0

ADDRESS, TEXT = "address", "text"

# Suffixes of area names that people leave out ("城东" for 城东区), longest first so that 街道办事处
# is taken before 办事处. A base shorter than two characters is never used: it would match everywhere.
AREA_SUFFIXES = (
    "街道办事处",
    "办事处",
    "居委会",
    "村委会",
    "街道",
    "社区",
    "市",
    "区",
    "县",
    "镇",
    "乡",
    "村",
)
# The forms people add to an area's name, by the suffix the name ends with.
ADDED_FORMS = {
    "街道": ("街道办事处", "街道办", "办事处"),
    "社区": ("社区居委会", "居委会"),
    "村": ("村委会", "村民委员会"),
    "镇": ("镇政府", "镇人民政府"),
    "乡": ("乡政府", "乡人民政府"),
}
# Trailing annotations such as "（演示）" are notes for staff, not part of the name people write.
ANNOTATION = re.compile(r"[（(][^（）()]*[）)]$")
# Common words that begin with a shortened area name (城中村 is not "城中区 village"): the scan reads
# them as one token that names nothing.
COMMON_WORDS = ("城中村", "城乡结合部", "社区医院", "社区卫生服务中心", "村委会", "居委会", "街道办")

RESOLVED_LEVELS = (Level.DISTRICT, Level.STREET, Level.COMMUNITY)
# The reason names this many candidates at most; `candidates` holds them all.
REASON_PLACES = 5


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class PlaceMatch:
    """A known name found in the address or the text, and one area it names."""

    name: str
    kind: str  # the area's level for an area's own name, else the place name's kind
    area_code: str
    area_name: str
    where: str  # "address" or "text"
    used: bool  # False when the address contradicted it (address evidence outranks the text)


@dataclass
class PlaceCandidate:
    area: Area
    names: list[str]


@dataclass
class PlaceResolution:
    area: Area | None
    ambiguous: bool
    candidates: list[PlaceCandidate] = field(default_factory=list)
    matches: list[PlaceMatch] = field(default_factory=list)
    reason: str = ""


# ---------------------------------------------------------------- the gazetteer


@dataclass(frozen=True)
class _Place:
    id: int
    code: str
    name: str
    level: str
    path: str


@dataclass(frozen=True)
class _Entry:
    area_id: int
    kind: str


class Gazetteer:
    """Names → areas, with a longest-match scan over a dict keyed by the names' first character."""

    def __init__(self, places: Iterable[_Place], names: dict[str, list[_Entry]]):
        self.places = {place.id: place for place in places}
        self.by_path = {place.path: place for place in self.places.values()}
        self.names: dict[str, tuple[_Entry, ...]] = {name: tuple(entries) for name, entries in names.items()}
        for word in COMMON_WORDS:
            self.names.setdefault(word, ())
        lengths: dict[str, set[int]] = {}
        for name in self.names:
            lengths.setdefault(name[0], set()).add(len(name))
        self.lengths = {first: tuple(sorted(sizes, reverse=True)) for first, sizes in lengths.items()}
        # Each area's chain (itself and its known ancestors) as a set: "does this name fit that place"
        # becomes one set intersection, which keeps a long text with many names fast.
        self.chains: dict[int, frozenset[int]] = {}
        for place in self.places.values():
            codes = place.path.strip("/").split("/")
            prefixes = ("/" + "".join(f"{c}/" for c in codes[:depth]) for depth in range(1, len(codes) + 1))
            self.chains[place.id] = frozenset(self.by_path[p].id for p in prefixes if p in self.by_path)

    def scan(self, text: str) -> list[tuple[str, tuple[_Entry, ...]]]:
        """The known names in `text`, leftmost-longest, without overlaps, in order of appearance."""
        found = []
        names, lengths = self.names, self.lengths
        i, end = 0, len(text)
        while i < end:
            sizes = lengths.get(text[i])
            step = 1
            if sizes:
                for size in sizes:
                    entries = names.get(text[i : i + size])
                    if entries is not None:
                        if entries:
                            found.append((text[i : i + size], entries))
                        step = size
                        break
            i += step
        return found

    def fits(self, areas: frozenset[int], area_id: int) -> bool:
        """Whether one of `areas` is the area itself or one of its ancestors."""
        return not areas.isdisjoint(self.chains[area_id])

    def deepest(self, area_ids: Iterable[int]) -> list[int]:
        """The areas of `area_ids` that are not an ancestor of another one of them."""
        ids = set(area_ids)
        above = set()
        for a in ids:
            above.update(self.chains[a] - {a})
        return [a for a in ids if a not in above]

    def common_ancestor(self, area_ids: Iterable[int]) -> _Place | None:
        paths = [self.places[a].path.strip("/").split("/") for a in area_ids]
        if not paths:
            return None
        shared = []
        for parts in zip(*paths, strict=False):
            if len(set(parts)) != 1:
                break
            shared.append(parts[0])
        return self.by_path.get("/" + "".join(f"{code}/" for code in shared)) if shared else None


def area_name_variants(name: str) -> set[str]:
    """The forms of an area's name people write: as registered, without its suffix, with an added one."""
    core = "".join(ANNOTATION.sub("", name.strip()).split())
    if not core:
        return set()
    variants = {core}
    for suffix in AREA_SUFFIXES:
        if core.endswith(suffix) and len(core) - len(suffix) >= 2:
            base = core[: -len(suffix)]
            variants.add(base)
            variants.update(base + added for added in ADDED_FORMS.get(suffix, ()))
            break
    return {v for v in variants if len(v) >= 2}


def build_gazetteer() -> Gazetteer:
    places = [
        _Place(id=pk, code=code, name=name, level=level, path=path)
        for pk, code, name, level, path in Area.objects.filter(is_active=True)
        .exclude(level=Level.GRID)
        .values_list("id", "code", "name", "level", "path")
    ]
    names: dict[str, list[_Entry]] = {}

    def add(name: str, entry: _Entry) -> None:
        entries = names.setdefault(name, [])
        if all(e.area_id != entry.area_id for e in entries):
            entries.append(entry)

    for place in places:
        for variant in area_name_variants(place.name):
            add(variant, _Entry(area_id=place.id, kind=place.level))
    active = {place.id for place in places}
    rows = PlaceName.objects.filter(is_active=True).values_list("name", "kind", "area_id")
    for name, kind, area_id in rows.order_by("id"):
        if area_id in active and len(name) >= 2:
            add(name, _Entry(area_id=area_id, kind=kind))
    return Gazetteer(places, names)


# ---------------------------------------------------------------- caching


_lock = threading.Lock()
# (version, monotonic time built, gazetteer, grid index or None until first asked)
_kept: list = [None, 0.0, None, None]
# Per thread (each has its own database connection): the outermost atomic block of a transaction that
# changed areas or place names and has not committed. What that thread builds meanwhile holds rows a
# rollback may take back, so it is not kept; other threads see only committed rows and may keep theirs.
_pending = threading.local()


def _version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # From the clock, not 1: after the cache lost the key, a new count must not meet a number that
        # a process still holds for an older gazetteer.
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not in the cache (never read, or evicted)
        cache.set(VERSION_KEY, time.time_ns(), timeout=None)


def places_changed(**_signal_kwargs) -> None:
    """Make every process rebuild its gazetteer and grid index: now, and again after the commit."""
    _bump()
    with _lock:
        _kept[:] = [None, 0.0, None, None]
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        _pending.outermost = connection.atomic_blocks[0]
        transaction.on_commit(_committed)


def _committed() -> None:
    _pending.outermost = None
    _bump()


def _is_pending() -> bool:
    outermost = getattr(_pending, "outermost", None)
    if outermost is None:
        return False
    connection = transaction.get_connection()
    if connection.in_atomic_block and connection.atomic_blocks[0] is outermost:
        return True
    # That transaction is over: committed (and bumped) or rolled back (nothing of it was kept).
    _pending.outermost = None
    return False


def _current(part: int, build):
    """The cached gazetteer (part 2) or grid index (part 3), rebuilt when stale."""
    version = _version()
    now = time.monotonic()
    pending = _is_pending()
    with _lock:
        if (
            not pending
            and _kept[0] == version
            and now - _kept[1] < LOCAL_LIFETIME
            and _kept[part] is not None
        ):
            return _kept[part]
    built = build()
    if not pending:
        with _lock:
            if _kept[0] != version or now - _kept[1] >= LOCAL_LIFETIME:
                _kept[:] = [version, now, None, None]
            _kept[part] = built
    return built


def gazetteer() -> Gazetteer:
    return _current(2, build_gazetteer)


# ---------------------------------------------------------------- resolving


@dataclass
class _Evidence:
    name: str
    where: str
    entries: tuple[_Entry, ...]
    areas: frozenset[int]  # the areas it may name, none an ancestor of another


@dataclass
class _Decision:
    place_id: int | None  # the deepest area all evidence agrees on, at any level
    area_id: int | None  # the same if it is a district, street or community
    candidates: list[int]  # the places it may be, when more than one
    contradiction: bool

    @property
    def ambiguous(self) -> bool:
        return bool(self.candidates)


def _evidence(g: Gazetteer, text: str, where: str, city: Area | None) -> list[_Evidence]:
    found = []
    seen = set()
    for name, entries in g.scan(text or ""):
        if name in seen:
            continue
        seen.add(name)
        if city is not None:
            entries = tuple(e for e in entries if g.places[e.area_id].path.startswith(city.path))
        if not entries:
            continue
        ids = {e.area_id for e in entries}
        # A name that fits an area and an area inside it (人民街 for 人民街街道 and 人民街社区) is only
        # sure of the outer one.
        outer = frozenset(a for a in ids if len(g.chains[a] & ids) == 1)
        found.append(_Evidence(name=name, where=where, entries=entries, areas=outer))
    return found


def _decide(g: Gazetteer, evidence: list[_Evidence]) -> _Decision:
    every = set().union(*(ev.areas for ev in evidence))
    agreed = [leaf for leaf in every if all(g.fits(ev.areas, leaf) for ev in evidence)]
    deepest = g.deepest(agreed)
    if len(deepest) == 1:
        return _Decision(
            place_id=deepest[0], area_id=_resolvable(g, deepest[0]), candidates=[], contradiction=False
        )
    contradiction = not deepest
    if contradiction:
        deepest = g.deepest(every)
    deepest.sort(key=lambda a: g.places[a].path)
    shared = g.common_ancestor(deepest)
    return _Decision(
        place_id=shared.id if shared else None,
        area_id=_resolvable(g, shared.id) if shared else None,
        candidates=deepest,
        contradiction=contradiction,
    )


def _resolvable(g: Gazetteer, area_id: int) -> int | None:
    return area_id if g.places[area_id].level in RESOLVED_LEVELS else None


def _within_scope(g: Gazetteer, ev: _Evidence, scope: list[int]) -> _Evidence | None:
    """The text evidence narrowed to the areas that fit what the address said, or None if none fit."""
    scope_set = frozenset(scope)
    above_scope = frozenset().union(*(g.chains[s] for s in scope))
    # Fitting: on the way down to a scope area, or inside one.
    fitting = frozenset(a for a in ev.areas if a in above_scope or g.fits(scope_set, a))
    if not fitting:
        return None
    return _Evidence(name=ev.name, where=ev.where, entries=ev.entries, areas=fitting)


def resolve_place(*, address: str = "", text: str = "", city: Area | None = None) -> PlaceResolution:
    """The deepest area (district, street or community) that the address and text agree on.

    Address evidence outranks the text: the text may narrow what the address says (a community inside
    the street the address names) but never overrule or blur it. A name known in several areas, or
    names that contradict each other, give `ambiguous=True` with the candidates; `area` is then the
    deepest area all candidates share, if that is a district or below.
    """
    for _attempt in range(2):
        g = gazetteer()
        resolution = _resolve(g, address, text, city)
        if resolution is not None:
            return resolution
        # An area vanished under a kept gazetteer (a flushed test database, a bulk delete): rebuild.
        places_changed()
    raise RuntimeError("place gazetteer refers to areas that do not exist")  # pragma: no cover


def _resolve(g: Gazetteer, address: str, text: str, city: Area | None) -> PlaceResolution | None:
    from_address = _evidence(g, address, ADDRESS, city)
    from_text = _evidence(g, text, TEXT, city)
    used_text: list[_Evidence] = []
    if not from_address and not from_text:
        return PlaceResolution(area=None, ambiguous=False, reason=_("地址和内容中都没有找到已登记的地名"))
    if not from_address:
        used_text = from_text
        decision = _decide(g, from_text)
    else:
        decision = _decide(g, from_address)
        scope = decision.candidates or [decision.place_id]
        narrowed = [n for n in (_within_scope(g, ev, scope) for ev in from_text) if n] if scope else []
        if narrowed:
            combined = _decide(g, from_address + narrowed)
            # The text may settle or deepen the address, never make a settled address uncertain.
            if not combined.contradiction and not (combined.ambiguous and not decision.ambiguous):
                decision, used_text = combined, narrowed
    used = from_address + used_text
    used_areas = {(ev.where, ev.name): ev.areas for ev in used}
    # A match counts as used when its area lies on the way to the answer (or to one of the candidates).
    targets = decision.candidates or ([decision.place_id] if decision.place_id else [])
    on_the_way = frozenset().union(*(g.chains[t] for t in targets))

    def is_used(ev: _Evidence, area_id: int) -> bool:
        return area_id in used_areas.get((ev.where, ev.name), ()) and area_id in on_the_way

    needed = set(decision.candidates)
    if decision.area_id:
        needed.add(decision.area_id)
    areas = Area.objects.defer("boundary").in_bulk(needed)
    if len(areas) != len(needed):
        return None
    matches = [
        PlaceMatch(
            name=ev.name,
            kind=entry.kind,
            area_code=g.places[entry.area_id].code,
            area_name=g.places[entry.area_id].name,
            where=ev.where,
            used=is_used(ev, entry.area_id),
        )
        for ev in from_address + from_text
        for entry in ev.entries
    ]
    # Names by the area they point at, so a candidate's names are read off its chain.
    named: dict[int, list[tuple[int, str]]] = {}
    for order, ev in enumerate(used):
        for a in ev.areas:
            named.setdefault(a, []).append((order, ev.name))
    candidates = [
        PlaceCandidate(
            area=areas[c], names=[n for _o, n in sorted(x for a in g.chains[c] for x in named.get(a, ()))]
        )
        for c in decision.candidates
    ]
    area = areas[decision.area_id] if decision.area_id else None
    return PlaceResolution(
        area=area,
        ambiguous=decision.ambiguous,
        candidates=candidates,
        matches=matches,
        reason=_reason(g, decision, used, from_text, used_text, candidates, area),
    )


def _quoted(evidence: list[_Evidence]) -> str:
    return "、".join(f"“{ev.name}”" for ev in evidence)


def _chain(g: Gazetteer, area_id: int) -> str:
    """The area's name under its city: 城东区 / 东关街道 / 东兴社区."""
    codes = g.places[area_id].path.strip("/").split("/")
    names = []
    for depth in range(1, len(codes) + 1):
        place = g.by_path.get("/" + "".join(f"{c}/" for c in codes[:depth]))
        if place is not None and place.level != Level.CITY:
            names.append(place.name)
    return " / ".join(names) or g.places[area_id].name


def _reason(g, decision, used, from_text, used_text, candidates, area) -> str:
    said = []
    addressed = [ev for ev in used if ev.where == ADDRESS]
    if addressed:
        said.append(_("地址中的%(names)s") % {"names": _quoted(addressed)})
    if used_text:
        said.append(_("内容中的%(names)s") % {"names": _quoted(used_text)})
    evidence = "，".join(said)
    if not decision.ambiguous:
        if area is None:
            text = _("依据%(evidence)s只能确定所在城市，无法确定区县") % {"evidence": evidence}
        else:
            text = _("依据%(evidence)s定位到%(place)s") % {"evidence": evidence, "place": _chain(g, area.pk)}
    else:
        places = "；".join(
            f"{_chain(g, c.area.pk)}（{'、'.join(c.names)}）" for c in candidates[:REASON_PLACES]
        )
        if len(candidates) > REASON_PLACES:
            places += _("等")
        if decision.contradiction:
            text = _("线索互相矛盾，指向 %(count)d 处：%(places)s，请人工确认") % {
                "count": len(candidates),
                "places": places,
            }
        else:
            text = _("%(evidence)s可能指 %(count)d 处：%(places)s，没有其他线索能确定是哪一处") % {
                "evidence": evidence,
                "count": len(candidates),
                "places": places,
            }
        if area is not None:
            text += _("；可以确定在%(place)s") % {"place": _chain(g, area.pk)}
    taken = {ev.name for ev in used_text}
    ignored = [ev for ev in from_text if ev.name not in taken]
    if ignored and any(ev.where == ADDRESS for ev in used):
        text += _("（内容中的%(names)s与地址不符，未采用）") % {"names": _quoted(ignored)}
    return text


def _area_dict(area: Area | None) -> dict | None:
    if area is None:
        return None
    return {"code": area.code, "name": area.name, "level": area.level, "kind": area.kind}


def place_as_dict(resolution: PlaceResolution) -> dict:
    return {
        "area": _area_dict(resolution.area),
        "ambiguous": resolution.ambiguous,
        "candidates": [{"area": _area_dict(c.area), "names": list(c.names)} for c in resolution.candidates],
        "matches": [
            {
                "name": m.name,
                "kind": m.kind,
                "area": m.area_code,
                "area_name": m.area_name,
                "where": m.where,
                "used": m.used,
            }
            for m in resolution.matches
        ],
        "reason": resolution.reason,
    }


# ---------------------------------------------------------------- grids


def _coordinate(value, *, name: str, limit: float) -> float:
    if isinstance(value, bool):
        value = None  # True is 1.0 to float(), never a coordinate
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DomainError(_("%(name)s必须是数字") % {"name": _label(name)}, field=name) from None
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise DomainError(
            _("%(name)s超出范围（-%(limit)s 到 %(limit)s）") % {"name": _label(name), "limit": int(limit)},
            field=name,
        )
    return number


def _label(name: str) -> str:
    return _("纬度") if name == "lat" else _("经度")


@dataclass
class _GridIndex:
    tree: object  # shapely STRtree
    ids: list[int]
    paths: list[str]


def build_grid_index() -> _GridIndex:
    from shapely import STRtree
    from shapely.geometry import shape

    geometries, ids, paths = [], [], []
    rows = Area.objects.filter(is_active=True, level=Level.GRID, boundary__isnull=False).order_by("id")
    for pk, path, boundary in rows.values_list("id", "path", "boundary"):
        try:
            geometry = shape(boundary)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            continue  # boundaries are validated on save; one typed into the database by hand is skipped
        geometries.append(geometry)
        ids.append(pk)
        paths.append(path)
    return _GridIndex(tree=STRtree(geometries), ids=ids, paths=paths)


def grid_at(*, lat: float, lng: float, within: Area | None = None) -> Area | None:
    """The active grid whose boundary covers the point (inside or on its edge), or None.

    A point on the border two grids share is covered by both; the grid with the lower id is given,
    so the answer is the same on every call.
    """
    lat = _coordinate(lat, name="lat", limit=90.0)
    lng = _coordinate(lng, name="lng", limit=180.0)
    from shapely.geometry import Point

    for _attempt in range(2):
        index = _current(3, build_grid_index)
        hits = index.tree.query(Point(lng, lat), predicate="intersects")
        found = sorted(index.ids[h] for h in hits if within is None or index.paths[h].startswith(within.path))
        if not found:
            return None
        grid = Area.objects.filter(pk=found[0]).first()
        if grid is not None:
            return grid
        places_changed()
    return None


def grid_chain(grid: Area) -> dict:
    """The grid and its community, street and district, for an answer."""
    chain = grid.ancestors()
    by_level = {area.level: area for area in chain}
    return {
        "grid": _area_dict(grid),
        "community": _area_dict(by_level.get(Level.COMMUNITY)),
        "street": _area_dict(by_level.get(Level.STREET)),
        "district": _area_dict(by_level.get(Level.DISTRICT)),
    }


# ---------------------------------------------------------------- place names: writing and importing


@transaction.atomic
def place_name_create(
    *, area: Area, name: str, kind: str, note: str = "", is_active: bool = True
) -> PlaceName:
    place = PlaceName(area=area, name=name, kind=kind, note=note, is_active=is_active)
    _clean(place)
    if PlaceName.objects.filter(area=area, name=place.name).exists():
        raise DomainError(
            _("“%(name)s”已登记在%(area)s") % {"name": place.name, "area": area.name}, field="name"
        )
    place.save()
    return place


def _clean(place: PlaceName) -> None:
    # The (area, name) constraint is checked by the callers, which can name the field.
    try:
        place.full_clean(validate_constraints=False)
    except ValidationError as exc:
        raise_validation(exc)


IMPORT_COLUMNS = ("area_code", "name", "kind")
OPTIONAL_COLUMNS = ("note",)


@dataclass
class ImportResult:
    created: int
    updated: int
    unchanged: int = 0


def import_place_names(table: Table) -> ImportResult:
    """Add or update place names from rows of area_code,name,kind[,note]; all rows or none.

    A name already registered on the area gets the row's kind and note (and is active again), so the
    same file can be imported twice.
    """
    require_columns(table, IMPORT_COLUMNS, OPTIONAL_COLUMNS)
    areas = {
        a.code: a for a in Area.objects.filter(code__in={r.get("area_code", "") for _n, r in table.rows})
    }
    first_row: dict[tuple[str, str], int] = {}
    counts = ImportResult(created=0, updated=0)

    def handle(number: int, row: dict) -> None:
        code = row.get("area_code", "")
        if not code:
            raise DomainError(_("区域编码不能为空"), field="area_code")
        area = areas.get(code)
        if area is None:
            raise DomainError(_("未知的区域编码：%(code)s") % {"code": code}, field="area_code")
        kind = choice_value(PlaceNameKind.choices, row.get("kind", ""), "kind")
        name = "".join(row.get("name", "").split())
        key = (code, name)
        if key in first_row:
            raise DomainError(_("与第 %(row)d 行重复") % {"row": first_row[key]}, field="name")
        first_row[key] = number
        note = row.get("note", "")
        place = PlaceName.objects.filter(area=area, name=name).first()
        if place is None:
            place = PlaceName(area=area, name=name)
            counts.created += 1
        elif (place.kind, place.note, place.is_active) == (kind, note, True):
            # Importing the same file again changes nothing, not even the time of the last change.
            counts.unchanged += 1
            return
        else:
            counts.updated += 1
        place.kind, place.note, place.is_active = kind, note, True
        _clean(place)
        place.save()

    run_import(table, handle)
    return counts


def connect_signals() -> None:
    """Every save or delete of an area or a place name, from a service, an import or the admin alike,
    makes the gazetteer and the grid index stale."""
    from django.db.models.signals import post_delete, post_save

    for model in (Area, PlaceName):
        for label, signal in (("saved", post_save), ("deleted", post_delete)):
            signal.connect(places_changed, sender=model, dispatch_uid=f"places-{model.__name__}-{label}")
