"""Place resolution: the deepest area the address and text agree on, ambiguity reported rather than
guessed, the cached gazetteer kept fresh, grids found by point, place names imported with row errors.

The tree is generated here: 甲市 with two districts, three streets, four communities, two grids that
share a border, and roads, a landmark, a compound and an alias attached to areas.
"""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from tests.conftest import box
from yousu.core.errors import DomainError
from yousu.core.tabular import ImportFailed, TableError, read_table
from yousu.intelligence import places
from yousu.intelligence.places import (
    area_name_variants,
    grid_at,
    import_place_names,
    place_as_dict,
    place_name_create,
    resolve_place,
)
from yousu.org.models import PlaceName
from yousu.org.services import area_create, area_update


def build_tree(prefix: str = "T", city_name: str = "甲市") -> SimpleNamespace:
    a = SimpleNamespace()
    a.city = area_create(code=prefix, name=city_name, kind="city")
    a.east = area_create(code=f"{prefix}1", name="城东区", kind="district", parent=a.city)
    a.west = area_create(code=f"{prefix}2", name="城西区", kind="district", parent=a.city)
    a.dongguan = area_create(code=f"{prefix}1-1", name="东关街道", kind="street", parent=a.east)
    a.bayi = area_create(code=f"{prefix}1-2", name="八一路街道（演示）", kind="street", parent=a.east)
    a.ximen = area_create(code=f"{prefix}2-1", name="西门街道", kind="street", parent=a.west)
    a.dongxing = area_create(code=f"{prefix}1-1-1", name="东兴社区", kind="community", parent=a.dongguan)
    a.qingzhen = area_create(code=f"{prefix}1-1-2", name="清真巷社区", kind="community", parent=a.dongguan)
    a.tuanjie = area_create(code=f"{prefix}1-2-1", name="团结社区", kind="community", parent=a.bayi)
    a.wenhui = area_create(code=f"{prefix}2-1-1", name="文汇社区", kind="community", parent=a.ximen)
    return a


@pytest.fixture
def tree(db) -> SimpleNamespace:
    a = build_tree()
    # 人民路 runs through a street of each district; 解放路 through both streets of 城东区.
    for area in (a.dongguan, a.ximen):
        place_name_create(area=area, name="人民路", kind="road")
    for area in (a.dongguan, a.bayi):
        place_name_create(area=area, name="解放路", kind="road")
    place_name_create(area=a.dongguan, name="东关大街", kind="road")
    place_name_create(area=a.dongxing, name="星河广场", kind="landmark")
    place_name_create(area=a.tuanjie, name="阳光小区", kind="compound")
    place_name_create(area=a.east, name="老城东", kind="alias")
    return a


def codes(resolution) -> list[str]:
    return [c.area.code for c in resolution.candidates]


# ---------------------------------------------------------------- names and suffixes


def test_area_name_variants_strip_and_add_suffixes():
    assert area_name_variants("城东区") == {"城东区", "城东"}
    assert area_name_variants("东关街道") >= {"东关街道", "东关", "东关街道办事处", "东关办事处"}
    assert area_name_variants("东兴社区") >= {"东兴社区", "东兴", "东兴社区居委会", "东兴居委会"}
    assert area_name_variants("桥头村（演示）") >= {"桥头村", "桥头", "桥头村委会"}
    # A one-character base would match everywhere: 东区 stays whole.
    assert area_name_variants("东区") == {"东区"}


def test_deepest_area_from_a_full_address(tree):
    r = resolve_place(address="城东区东关街道东兴社区5号楼2单元")
    assert r.area == tree.dongxing
    assert not r.ambiguous and r.candidates == []
    assert {(m.name, m.where, m.used) for m in r.matches} == {
        ("城东区", "address", True),
        ("东关街道", "address", True),
        ("东兴社区", "address", True),
    }
    assert "东兴社区" in r.reason


def test_only_as_deep_as_the_evidence_goes(tree):
    assert resolve_place(address="城东区某小区门口").area == tree.east
    assert resolve_place(address="东关街道办事处对面").area == tree.dongguan
    assert resolve_place(address="某某路100号").area is None


def test_shortened_and_lengthened_area_names(tree):
    assert resolve_place(address="城东").area == tree.east
    assert resolve_place(address="东兴社区居委会旁").area == tree.dongxing
    # The staff note （演示） is not part of the name people write.
    assert resolve_place(address="八一路街道").area == tree.bayi
    assert resolve_place(address="八一路").area == tree.bayi


def test_place_names_point_at_their_area(tree):
    assert resolve_place(address="星河广场东门").area == tree.dongxing
    assert resolve_place(address="阳光小区3栋").area == tree.tuanjie
    assert resolve_place(address="老城东").area == tree.east
    assert resolve_place(address="东关大街18号").area == tree.dongguan


def test_a_common_word_is_not_a_shortened_district_name(tree):
    area_create(code="T3", name="城中区", kind="district", parent=tree.city)
    assert resolve_place(address="城中").area.code == "T3"
    assert resolve_place(text="城中村改造后路灯不亮").matches == []


# ---------------------------------------------------------------- ambiguity


def test_a_road_in_two_streets_is_ambiguous_not_guessed(tree):
    r = resolve_place(address="人民路12号")
    assert r.ambiguous
    assert r.area is None  # the two streets share only the city
    assert codes(r) == [tree.dongguan.code, tree.ximen.code]
    assert all(c.names == ["人民路"] for c in r.candidates)
    assert "2 处" in r.reason


def test_ambiguous_within_one_district_still_gives_the_district(tree):
    r = resolve_place(address="解放路口")
    assert r.ambiguous
    assert codes(r) == [tree.dongguan.code, tree.bayi.code]
    assert r.area == tree.east


def test_a_district_name_narrows_an_ambiguous_road(tree):
    r = resolve_place(address="城西区人民路12号")
    assert r.area == tree.ximen and not r.ambiguous
    used = {(m.area_code, m.used) for m in r.matches if m.name == "人民路"}
    assert used == {(tree.ximen.code, True), (tree.dongguan.code, False)}


def test_the_text_narrows_an_ambiguous_address(tree):
    r = resolve_place(address="人民路12号", text="文汇社区门口的路灯坏了")
    assert r.area == tree.wenhui and not r.ambiguous


def test_contradicting_evidence_lists_both_places(tree):
    r = resolve_place(address="文汇社区东关大街")
    assert r.ambiguous
    assert codes(r) == [tree.dongguan.code, tree.wenhui.code]
    assert r.area is None
    assert {c.area.code: c.names for c in r.candidates} == {
        tree.dongguan.code: ["东关大街"],
        tree.wenhui.code: ["文汇社区"],
    }
    assert "矛盾" in r.reason


def test_contradiction_inside_one_district_gives_the_district(tree):
    r = resolve_place(text="清真巷社区和阳光小区之间")
    assert r.ambiguous
    assert codes(r) == [tree.qingzhen.code, tree.tuanjie.code]
    assert r.area == tree.east


# ---------------------------------------------------------------- address outranks the text


def test_the_address_outranks_the_text(tree):
    r = resolve_place(address="东兴社区", text="就在文汇社区对面")
    assert r.area == tree.dongxing and not r.ambiguous
    text_match = next(m for m in r.matches if m.where == "text")
    assert (text_match.name, text_match.used) == ("文汇社区", False)
    assert "未采用" in r.reason


def test_the_text_deepens_the_address(tree):
    r = resolve_place(address="东关街道", text="清真巷社区楼道堆物")
    assert r.area == tree.qingzhen and not r.ambiguous


def test_the_text_never_makes_a_settled_address_uncertain(tree):
    r = resolve_place(address="城东区", text="解放路上井盖缺失")
    assert r.area == tree.east
    assert not r.ambiguous


def test_a_city_alone_is_not_an_area_but_lets_the_text_place_it(tree):
    only_city = resolve_place(address="甲市某某路100号")
    assert only_city.area is None and not only_city.ambiguous
    assert "城市" in only_city.reason
    assert resolve_place(address="甲市", text="东关街道办事处门口").area == tree.dongguan


def test_text_alone_is_used_when_the_address_names_nothing(tree):
    assert resolve_place(address="某某路100号", text="星河广场噪音").area == tree.dongxing


# ---------------------------------------------------------------- scope and activity


def test_inactive_names_and_areas_are_not_known(tree):
    PlaceName.objects.filter(name="星河广场").update(is_active=False)
    places.places_changed()  # a bulk update sends no signal
    assert resolve_place(address="星河广场").area is None
    tree.wenhui.is_active = False
    tree.wenhui.save()
    assert resolve_place(address="文汇社区").area is None


def test_a_city_limits_the_search(tree):
    other = build_tree(prefix="U", city_name="乙市")
    place_name_create(area=other.ximen, name="人民路", kind="road")
    r = resolve_place(address="城西区人民路", city=other.city)
    assert r.area == other.ximen
    assert all(m.area_code.startswith("U") for m in r.matches)
    both = resolve_place(address="城西区人民路")
    assert both.ambiguous and codes(both) == [tree.ximen.code, other.ximen.code]


def test_place_as_dict_is_plain_json(tree):
    data = place_as_dict(resolve_place(address="人民路"))
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert data["ambiguous"] is True and data["area"] is None
    assert [c["area"]["code"] for c in data["candidates"]] == [tree.dongguan.code, tree.ximen.code]
    assert {m["where"] for m in data["matches"]} == {"address"}


# ---------------------------------------------------------------- place names


def test_place_name_rules(tree):
    grid = area_create(
        code="T1-1-1-G9", name="网格", kind="grid", parent=tree.dongxing, boundary=box(5, 5, 6, 6)
    )
    with pytest.raises(DomainError) as grid_error:
        place_name_create(area=grid, name="网格里的路", kind="road")
    assert grid_error.value.field == "area"
    with pytest.raises(DomainError) as short:
        place_name_create(area=tree.dongguan, name="路", kind="road")
    assert short.value.field == "name"
    with pytest.raises(DomainError) as twice:
        place_name_create(area=tree.dongguan, name=" 人民 路 ", kind="road")
    assert twice.value.field == "name"
    with pytest.raises(DomainError) as kind:
        place_name_create(area=tree.dongguan, name="新路", kind="river")
    assert kind.value.field == "kind"


def test_place_names_are_edited_in_the_admin(admin_client, tree):
    from django.urls import reverse

    add = reverse("admin:org_placename_add")
    answer = admin_client.post(
        add, {"area": tree.wenhui.pk, "name": "文汇桥", "kind": "landmark", "is_active": "on"}
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert resolve_place(address="文汇桥下").area == tree.wenhui  # the admin's save is seen at once
    refused = admin_client.post(
        add, {"area": tree.wenhui.pk, "name": "文汇桥", "kind": "road", "is_active": "on"}
    )
    assert refused.status_code == 200  # the form again, with the (area, name) error
    assert PlaceName.objects.filter(name="文汇桥").count() == 1
    changelist = reverse("admin:org_placename_changelist")
    found = admin_client.get(changelist, {"q": "文汇", "kind__exact": "landmark"})
    assert "文汇桥" in found.text and "人民路" not in found.text
    roads = admin_client.get(changelist, {"kind__exact": "road"})
    assert "人民路" in roads.text and "文汇桥" not in roads.text


# ---------------------------------------------------------------- caching


@pytest.mark.django_db(transaction=True)
def test_the_gazetteer_is_kept_until_a_place_name_is_added():
    a = build_tree()
    assert resolve_place(address="月湖公园").area is None
    kept = places.gazetteer()
    assert places.gazetteer() is kept  # nothing changed: the same one is served
    place_name_create(area=a.wenhui, name="月湖公园", kind="landmark")
    assert resolve_place(address="月湖公园").area == a.wenhui
    assert places.gazetteer() is not kept


@pytest.mark.django_db(transaction=True)
def test_a_renamed_area_is_known_by_its_new_name():
    a = build_tree()
    assert resolve_place(address="文汇社区").area == a.wenhui
    area_update(a.wenhui, name="文苑社区", kind="community", parent=a.ximen, boundary=None)
    assert resolve_place(address="文苑社区").area == a.wenhui
    assert resolve_place(address="文汇社区").area is None


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_place_name_is_forgotten():
    a = build_tree()
    assert resolve_place(address="月湖公园").area is None

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        place_name_create(area=a.wenhui, name="月湖公园", kind="landmark")
        assert resolve_place(address="月湖公园").area == a.wenhui  # its own write, seen at once
        raise Undo
    assert resolve_place(address="月湖公园").area is None


# ---------------------------------------------------------------- grids


@pytest.fixture
def grids(tree):
    g = SimpleNamespace()
    g.first = area_create(
        code="T1-1-1-G1", name="东兴第1网格", kind="grid", parent=tree.dongxing, boundary=box(1, 1, 2, 2)
    )
    g.second = area_create(
        code="T1-1-1-G2", name="东兴第2网格", kind="grid", parent=tree.dongxing, boundary=box(2, 1, 3, 2)
    )
    g.west = area_create(
        code="T2-1-1-G1", name="文汇第1网格", kind="grid", parent=tree.wenhui, boundary=box(10, 10, 11, 11)
    )
    return g


def test_grid_at_finds_the_grid_around_a_point(tree, grids):
    assert grid_at(lat=1.5, lng=1.5) == grids.first
    assert grid_at(lat=1.5, lng=2.5) == grids.second
    assert grid_at(lat=10.5, lng=10.5) == grids.west
    assert grid_at(lat=1.5, lng=5.0) is None


def test_grid_at_on_an_edge(tree, grids):
    assert grid_at(lat=1.0, lng=1.5) == grids.first  # an outer edge belongs to the grid
    # The border two grids share: the lower id, every time.
    lower = min(grids.first, grids.second, key=lambda grid: grid.pk)
    assert {grid_at(lat=1.5, lng=2.0) for _ in range(3)} == {lower}


def test_grid_at_within_an_area(tree, grids):
    assert grid_at(lat=1.5, lng=1.5, within=tree.east) == grids.first
    assert grid_at(lat=1.5, lng=1.5, within=tree.west) is None


def test_grid_at_sees_a_new_grid(tree, grids):
    assert grid_at(lat=20.5, lng=20.5) is None
    new = area_create(
        code="T2-1-1-G2", name="文汇第2网格", kind="grid", parent=tree.wenhui, boundary=box(20, 20, 21, 21)
    )
    assert grid_at(lat=20.5, lng=20.5) == new


@pytest.mark.parametrize(
    ("lat", "lng", "field"),
    [
        (91, 1, "lat"),
        (-90.5, 1, "lat"),
        (1, 181, "lng"),
        (math.nan, 1, "lat"),
        (1, "东经", "lng"),
        (None, 1, "lat"),
    ],
)
def test_grid_at_refuses_bad_coordinates(db, lat, lng, field):
    with pytest.raises(DomainError) as refused:
        grid_at(lat=lat, lng=lng)
    assert refused.value.field == field


# ---------------------------------------------------------------- import


def write(tmp_path, text: str, name: str = "places.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_adds_and_updates(tree, tmp_path):
    path = write(
        tmp_path,
        "area_code,name,kind,note\n"
        "T1-1,东关清真大寺,地标,\n"
        "T2-1-1,文汇小区,compound,物业电话见台账\n"
        "T1-1,人民路,road,复核过\n",
    )
    result = import_place_names(read_table(path))
    assert (result.created, result.updated) == (2, 1)
    assert PlaceName.objects.get(name="东关清真大寺").kind == "landmark"
    assert PlaceName.objects.get(area=tree.dongguan, name="人民路").note == "复核过"
    assert resolve_place(address="文汇小区5号楼").area == tree.wenhui


def test_import_reports_rows_and_writes_nothing(tree, tmp_path):
    before = PlaceName.objects.count()
    path = write(
        tmp_path,
        "area_code,name,kind\n"
        "T1-1,好名字路,road\n"
        "NOPE,某某路,road\n"
        "T1-1,某某桥,bridge\n"
        "T1-1,路,road\n"
        "T1-1,好名字路,road\n",
    )
    with pytest.raises(ImportFailed) as failed:
        import_place_names(read_table(path))
    rows = {(e.row, e.column) for e in failed.value.errors}
    assert rows == {(3, "area_code"), (4, "kind"), (5, "name"), (6, "name")}
    assert "第 2 行" in next(e.message for e in failed.value.errors if e.row == 6)
    assert PlaceName.objects.count() == before


def test_import_refuses_a_wrong_header(tree, tmp_path):
    with pytest.raises(TableError, match="kind"):
        import_place_names(read_table(write(tmp_path, "area_code,name\nT1,某路\n")))
    with pytest.raises(TableError, match="street"):
        import_place_names(read_table(write(tmp_path, "area_code,name,kind,street\nT1,某路,road,x\n")))


# ---------------------------------------------------------------- commands


def test_cli_import_and_resolve(tree, tmp_path, capsys):
    call_command("places", "import", str(write(tmp_path, "area_code,name,kind\nT2-1,西门口,landmark\n")))
    assert "新增 1" in capsys.readouterr().out
    call_command("places", "resolve", "西门口", "--text", "文汇社区")
    data = json.loads(capsys.readouterr().out)
    assert data["place"]["area"]["code"] == tree.wenhui.code
    assert data["point"] is None
    call_command("places", "resolve", "人民路")
    data = json.loads(capsys.readouterr().out)
    assert data["place"]["ambiguous"] is True


def test_cli_errors_are_one_line(tree, tmp_path):
    bad = write(tmp_path, "area_code,name,kind\nNOPE,某某路,road\n")
    with pytest.raises(CommandError, match="第 2 行 area_code"):
        call_command("places", "import", str(bad))
    with pytest.raises(CommandError, match="lat"):
        call_command("places", "resolve", "东关", "--lat", "95", "--lng", "1")
    with pytest.raises(CommandError):
        call_command("places", "resolve", "东关", "--city", "NOPE")


def test_cli_resolve_with_a_point(tree, grids, capsys):
    call_command("places", "resolve", "--lat", "1.5", "--lng", "1.5")
    point = json.loads(capsys.readouterr().out)["point"]
    assert point["grid"]["code"] == grids.first.code
    assert point["community"]["code"] == tree.dongxing.code
    assert point["district"]["code"] == tree.east.code


# ---------------------------------------------------------------- the demo city


def test_the_demo_city_resolves_places(defaults):
    from yousu.demo.builder import build_demo

    build_demo()
    stamps = dict(PlaceName.objects.values_list("id", "updated_at"))
    assert stamps
    assert all(note.startswith("演示数据") for note in PlaceName.objects.values_list("note", flat=True))
    assert resolve_place(address="城东区东关大街").area.code == "630102001"
    assert resolve_place(address="东兴社区").area.code == "630102001001"
    shared = resolve_place(address="长江路")
    assert shared.ambiguous and shared.area.code == "630103"
    build_demo()  # again: nothing changes
    assert dict(PlaceName.objects.values_list("id", "updated_at")) == stamps
