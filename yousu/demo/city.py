"""The demo jurisdiction, modelled on Xining as the seed articles describe it.

Places the seeds name (城中区, 城东区, 城北区, 饮马街街道, 东大街社区, 南山西社区, 东兴社区) keep their
names; every other street, community and grid is invented and marked （演示）. Boundaries are
generated rectangles that nest (district ⊃ street ⊃ community ⊃ grid), so a point resolves to a
grid; they are not the real map.
"""

from __future__ import annotations

import json

CITY = ("630100", "西宁市", "city")
CITY_APPEAL_PREFIX = "XN"
CITY_BOX = (101.55, 36.50, 101.95, 36.78)  # lon_min, lat_min, lon_max, lat_max
# What the demo writes into free text is marked as demo data.
DEMO_MARK = "（演示数据）"
# The district whose units have demo accounts: a newcomer who logs in as one of them finds work there.
HOME_DISTRICT = "630103"
HOME_COMMUNITY = "630103001001"

# The city's own calendar decisions on top of the official holidays and make-up days that the
# chinesecalendar package supplies. The storm is invented and marked （演示）; 元旦 is fixed by law on
# 1 January (《全国年节及纪念日放假办法》), so it is entered for a year the package does not cover
# yet, while the rest of that year's arrangement waits for the State Council.
# date, working day, reason
CALENDAR_OVERRIDES = [
    ("2026-12-18", False, "市政府决定：暴雪红色预警，全市停工一天（演示）"),
    ("2027-01-01", False, "元旦（法定节假日，1 月 1 日放假，《全国年节及纪念日放假办法》）"),
]
# Years past the chinesecalendar package that the demo city declares, so that a demo dispatched late
# in the package's last year still gets deadlines. Declared provisionally (临时声明): only 元旦 is
# entered, the other days count Monday–Friday until the State Council publishes the year's holidays
# (each November or December), and administrators are reminded of it on every page and by `yousu check`.
# year, source, provisional
CALENDAR_DECLARED_YEARS = [
    (
        2027,
        "演示数据：已录入元旦（1 月 1 日）；国务院办公厅 2027 年节假日安排公布后须录入其余节假日和调休上班日并确认",
        True,
    ),
]

# code, name, kind
DISTRICTS = [
    ("630103", "城中区", "district"),
    ("630102", "城东区", "district"),
    ("630104", "城西区", "district"),
    ("630105", "城北区", "district"),
    ("630106", "湟中区", "district"),
    ("630121", "大通县", "county"),
    ("630123", "湟源县", "county"),
    ("630190", "西宁经济技术开发区", "park"),
]

# district code, street code suffix, street name, kind, communities (first ones as the seeds name them)
STREETS = [
    ("630103", "001", "饮马街街道", "street", ["东大街社区", "礼让街社区（演示）", "饮马社区（演示）"]),
    (
        "630103",
        "002",
        "南山路街道（演示）",
        "street",
        ["南山西社区", "凤凰山社区（演示）", "南山东社区（演示）"],
    ),
    (
        "630103",
        "003",
        "人民街街道（演示）",
        "street",
        ["人民街社区（演示）", "解放路社区（演示）", "水井巷社区（演示）"],
    ),
    ("630102", "001", "东关街道（演示）", "street", ["东兴社区", "东关社区（演示）", "清真巷社区（演示）"]),
    (
        "630102",
        "002",
        "八一路街道（演示）",
        "street",
        ["八一社区（演示）", "团结社区（演示）", "康东社区（演示）"],
    ),
    ("630104", "001", "西门街道（演示）", "street", ["西门社区（演示）", "文汇社区（演示）"]),
    ("630104", "002", "古城台街道（演示）", "street", ["古城台社区（演示）", "虎台社区（演示）"]),
    (
        "630105",
        "001",
        "朝阳街道（演示）",
        "street",
        ["朝阳社区（演示）", "山川社区（演示）", "祁连路社区（演示）"],
    ),
    ("630105", "002", "小桥街道（演示）", "street", ["小桥社区（演示）", "毛胜寺社区（演示）"]),
    ("630106", "001", "鲁沙尔镇（演示）", "township", ["和平村（演示）", "阳坡村（演示）"]),
    ("630106", "002", "多巴镇（演示）", "township", ["多巴一村（演示）", "多巴二村（演示）"]),
    ("630121", "001", "桥头镇（演示）", "township", ["桥头村（演示）", "新添堡村（演示）"]),
    ("630123", "001", "城关镇（演示）", "township", ["城关村（演示）", "池汉村（演示）"]),
    ("630190", "001", "生物园区街道（演示）", "street", ["园区一社区（演示）", "园区二社区（演示）"]),
]
GRIDS_PER_COMMUNITY = 2

# sector code, sector name, city department, district department name pattern (None: city only)
SECTORS = [
    ("natural_resources", "自然资源和规划", "西宁市自然资源和规划局", "{d}自然资源和规划局"),
    ("market_regulation", "市场监督管理", "西宁市市场监督管理局", "{d}市场监督管理局"),
    ("ecology_environment", "生态环境", "西宁市生态环境局", "{d}生态环境局"),
    ("urban_management", "城市管理（城管）", "西宁市城市管理局", "{d}城市管理局"),
    ("traffic_police", "公安交通管理（交警）", "西宁市公安局交通警察支队", "{d}交警大队"),
    ("municipal", "市政", "西宁市市政公用服务中心", "{d}市政服务中心"),
    ("forestry", "林业和草原", "西宁市林业和草原局", "{d}林业和草原局"),
    ("human_resources", "人力资源和社会保障", "西宁市人力资源和社会保障局", "{d}人力资源和社会保障局"),
    ("housing", "住房和城乡建设", "西宁市住房和城乡建设局", "{d}住房和城乡建设局"),
    ("education", "教育", "西宁市教育局", "{d}教育局"),
    ("health", "卫生健康", "西宁市卫生健康委员会", "{d}卫生健康局"),
    ("transport", "交通运输", "西宁市交通运输局", "{d}交通运输局"),
    ("civil_affairs", "民政", "西宁市民政局", "{d}民政局"),
    ("emergency", "应急管理", "西宁市应急管理局", "{d}应急管理局"),
    ("water_affairs", "水务", "西宁市水务局", None),
    ("public_security", "公安", "西宁市公安局", "{d}公安分局"),
    ("culture_tourism", "文化和旅游", "西宁市文化和旅游局", "{d}文化和旅游局"),
    ("agriculture", "农业农村", "西宁市农业农村局", "{d}农业农村局"),
    ("medical_security", "医疗保障", "西宁市医疗保障局", "{d}医疗保障局"),
    ("commerce", "商务", "西宁市商务局", "{d}商务局"),
    ("housing_fund", "住房公积金", "西宁住房公积金管理中心", None),
]

# unit code, name, sector code, sector name: the utilities the seeds' citizens call about
ENTERPRISES = [
    ("ENT-WATER", "市供水企业（演示）", "water_supply", "供水"),
    ("ENT-HEAT", "市供热企业（演示）", "heating", "供热"),
    ("ENT-GAS", "市燃气企业（演示）", "gas", "燃气"),
    ("ENT-POWER", "市供电企业（演示）", "power", "供电"),
]

CITY_PLATFORM = "CITY-PLATFORM"


def _box(lon_min: float, lat_min: float, lon_max: float, lat_max: float) -> str:
    ring = [
        [lon_min, lat_min],
        [lon_max, lat_min],
        [lon_max, lat_max],
        [lon_min, lat_max],
        [lon_min, lat_min],
    ]
    return json.dumps({"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]})


def _split(box, parts: int, *, vertical: bool):
    lon_min, lat_min, lon_max, lat_max = box
    if vertical:
        step = (lon_max - lon_min) / parts
        return [(lon_min + i * step, lat_min, lon_min + (i + 1) * step, lat_max) for i in range(parts)]
    step = (lat_max - lat_min) / parts
    return [(lon_min, lat_min + i * step, lon_max, lat_min + (i + 1) * step) for i in range(parts)]


def area_rows() -> list[dict]:
    """Rows in the `yousu import areas` layout, parents first."""
    rows = [dict(code=CITY[0], name=CITY[1], kind=CITY[2], parent_code="", boundary=_box(*CITY_BOX))]
    columns = _split(CITY_BOX, 4, vertical=True)
    district_boxes = {}
    for index, (code, name, kind) in enumerate(DISTRICTS):
        half = _split(columns[index % 4], 2, vertical=False)[index // 4]
        district_boxes[code] = half
        rows.append(dict(code=code, name=name, kind=kind, parent_code=CITY[0], boundary=_box(*half)))
    for district_code, _name, _kind in DISTRICTS:
        streets = [s for s in STREETS if s[0] == district_code]
        for street_box, (_d, suffix, street_name, street_kind, communities) in zip(
            _split(district_boxes[district_code], len(streets), vertical=True), streets, strict=True
        ):
            street_code = district_code + suffix
            rows.append(
                dict(
                    code=street_code,
                    name=street_name,
                    kind=street_kind,
                    parent_code=district_code,
                    boundary=_box(*street_box),
                )
            )
            community_kind = "village" if street_kind == "township" else "community"
            for number, (community_box, community_name) in enumerate(
                zip(_split(street_box, len(communities), vertical=False), communities, strict=True), start=1
            ):
                community_code = f"{street_code}{number:03d}"
                rows.append(
                    dict(
                        code=community_code,
                        name=community_name,
                        kind=community_kind,
                        parent_code=street_code,
                        boundary=_box(*community_box),
                    )
                )
                for grid_number, grid_box in enumerate(
                    _split(community_box, GRIDS_PER_COMMUNITY, vertical=True), start=1
                ):
                    base = community_name.replace("（演示）", "")
                    rows.append(
                        dict(
                            code=f"{community_code}G{grid_number:02d}",
                            name=f"{base}第{grid_number}网格（演示）",
                            kind="grid",
                            parent_code=community_code,
                            boundary=_box(*grid_box),
                        )
                    )
    return rows


def unit_rows() -> list[dict]:
    """Rows in the `yousu import units` layout, parents first."""

    def row(code, name, kind, level, parent, area, sector="", sector_name=""):
        return dict(
            code=code,
            name=name,
            kind=kind,
            level=level,
            parent_code=parent,
            area_code=area,
            sector_code=sector,
            sector_name=sector_name,
            phone="",
        )

    rows = [row(CITY_PLATFORM, "西宁市诉求受理一体化管理平台", "city_platform", "city", "", CITY[0])]
    for code, sector_name, city_name, _pattern in SECTORS:
        rows.append(
            row(f"CITY-{code}", city_name, "department", "city", CITY_PLATFORM, CITY[0], code, sector_name)
        )
    for code, name, sector, sector_name in ENTERPRISES:
        rows.append(row(code, name, "enterprise", "city", CITY_PLATFORM, CITY[0], sector, sector_name))
    for district_code, district_name, kind in DISTRICTS:
        platform = f"{district_code}-PLATFORM"
        rows.append(
            row(
                platform,
                f"{district_name}诉求受理平台",
                "district_platform",
                "district",
                CITY_PLATFORM,
                district_code,
            )
        )
        government = "管理委员会" if kind == "park" else "人民政府"
        rows.append(
            row(
                f"{district_code}-GOV",
                f"{district_name}{government}",
                "district_government",
                "district",
                CITY_PLATFORM,
                district_code,
            )
        )
        for code, sector_name, _city_name, pattern in SECTORS:
            if pattern:
                rows.append(
                    row(
                        f"{district_code}-{code}",
                        pattern.format(d=district_name),
                        "department",
                        "district",
                        platform,
                        district_code,
                        code,
                        sector_name,
                    )
                )
        for _d, suffix, street_name, _street_kind, communities in (
            s for s in STREETS if s[0] == district_code
        ):
            street_code = district_code + suffix
            rows.append(
                row(
                    street_code,
                    street_name.replace("（演示）", "") + "办事处（演示）"
                    if "（演示）" in street_name
                    else street_name + "办事处",
                    "street",
                    "street",
                    platform,
                    street_code,
                )
            )
            for number, community_name in enumerate(communities, start=1):
                community_code = f"{street_code}{number:03d}"
                suffix_name = (
                    "居委会" if community_name.replace("（演示）", "").endswith("社区") else "村委会"
                )
                base = community_name.replace("（演示）", "")
                marked = "（演示）" if "（演示）" in community_name else ""
                rows.append(
                    row(
                        community_code,
                        f"{base}{suffix_name}{marked}",
                        "community",
                        "community",
                        street_code,
                        community_code,
                    )
                )
    return rows
