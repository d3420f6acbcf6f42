"""Demo accounts: at least one per role, all marked as demo, all with the same published password.

Names are job titles, never real people's names.
"""

# Published on purpose: demo accounts exist only in a demo database made by `yousu demo`.
DEMO_PASSWORD = "yousu-demo-2026"

# username, display name, unit code, roles, staff (may use the admin), superuser
DEMO_PEOPLE = [
    ("admin", "系统管理员（演示）", "CITY-PLATFORM", ["administrator"], True, True),
    ("operator", "接线员（演示）", "CITY-PLATFORM", ["operator"], False, False),
    ("dispatcher", "市平台派单员（演示）", "CITY-PLATFORM", ["dispatcher"], False, False),
    ("czq_dispatcher", "城中区平台派单员（演示）", "630103-PLATFORM", ["dispatcher"], False, False),
    # Decides access-list changes at the district stage (docs/access-list.md): the demo's streets hang
    # under the district platform, so its leader is the district unit on their chain.
    (
        "czq_platform_lead",
        "城中区诉求受理平台负责人（演示）",
        "630103-PLATFORM",
        ["unit_leader"],
        False,
        False,
    ),
    ("supervisor", "督办员（演示）", "CITY-PLATFORM", ["supervisor"], False, False),
    ("leader", "市领导看板（演示）", "CITY-PLATFORM", ["leader"], False, False),
    # The province-level reader belongs to no city's units (docs/jurisdictions.md).
    ("province", "省级监管（演示）", None, ["provincial"], False, False),
    (
        "czq_scjg",
        "城中区市场监管局承办人（演示）",
        "630103-market_regulation",
        ["unit_handler"],
        False,
        False,
    ),
    (
        "czq_scjg_lead",
        "城中区市场监管局负责人（演示）",
        "630103-market_regulation",
        ["unit_leader"],
        False,
        False,
    ),
    (
        "czq_sthj",
        "城中区生态环境局承办人（演示）",
        "630103-ecology_environment",
        ["unit_handler"],
        False,
        False,
    ),
    (
        "czq_zrzy",
        "城中区自然资源和规划局承办人（演示）",
        "630103-natural_resources",
        ["unit_handler"],
        False,
        False,
    ),
    ("czq_cg", "城中区城管驻格人员（演示）", "630103-urban_management", ["unit_handler"], False, False),
    ("czq_rs", "城中区人社局巡格人员（演示）", "630103-human_resources", ["unit_handler"], False, False),
    ("ymj_street", "饮马街街道负责人（演示）", "630103001", ["unit_leader"], True, False),
    ("ymj_handler", "饮马街街道承办人（演示）", "630103001", ["unit_handler"], False, False),
    ("ddj_community", "东大街社区承办人（演示）", "630103001001", ["unit_handler"], False, False),
    ("ddj_grid", "东大街社区网格员（演示）", "630103001001", ["grid_worker"], False, False),
    (
        "ddj_grid_chief",
        "东大街社区网格长（演示）",
        "630103001001",
        ["grid_worker", "unit_leader"],
        False,
        False,
    ),
    ("water", "供水企业承办人（演示）", "ENT-WATER", ["unit_handler"], False, False),
]

# username, area code, duty, department unit code (for stationed and patrol staff)
DEMO_GRID_DUTIES = [
    ("ddj_grid_chief", "630103001001", "chief", None),
    ("ddj_grid", "630103001001G01", "full_time", None),
    ("ddj_grid", "630103001001G02", "part_time", None),
    ("czq_cg", "630103001001G01", "stationed", "630103-urban_management"),
    ("czq_rs", "630103001001G02", "patrol", "630103-human_resources"),
    ("ymj_street", "630103001", "chief", None),
]
