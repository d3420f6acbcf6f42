"""Choice sets of the organisation model: area kinds, levels, unit kinds, roles, grid duties."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    """The four administrative levels of three-level dispatch, plus the grid below a community."""

    CITY = "city", _("市")
    DISTRICT = "district", _("区/县/园区")
    STREET = "street", _("街道/乡镇")
    COMMUNITY = "community", _("社区/村")
    GRID = "grid", _("网格")


LEVEL_DEPTH = {Level.CITY: 0, Level.DISTRICT: 1, Level.STREET: 2, Level.COMMUNITY: 3, Level.GRID: 4}


class AreaKind(models.TextChoices):
    CITY = "city", _("市")
    DISTRICT = "district", _("区")
    COUNTY = "county", _("县")
    PARK = "park", _("园区")
    STREET = "street", _("街道")
    TOWNSHIP = "township", _("乡镇")
    COMMUNITY = "community", _("社区")
    VILLAGE = "village", _("村")
    GRID = "grid", _("网格")


AREA_KIND_LEVEL = {
    AreaKind.CITY: Level.CITY,
    AreaKind.DISTRICT: Level.DISTRICT,
    AreaKind.COUNTY: Level.DISTRICT,
    AreaKind.PARK: Level.DISTRICT,
    AreaKind.STREET: Level.STREET,
    AreaKind.TOWNSHIP: Level.STREET,
    AreaKind.COMMUNITY: Level.COMMUNITY,
    AreaKind.VILLAGE: Level.COMMUNITY,
    AreaKind.GRID: Level.GRID,
}


class UnitKind(models.TextChoices):
    CITY_PLATFORM = "city_platform", _("市级平台/指挥中心")
    DISTRICT_PLATFORM = "district_platform", _("区县/园区平台")
    DEPARTMENT = "department", _("职能部门")
    DISTRICT_GOVERNMENT = "district_government", _("区县政府")
    STREET = "street", _("街道/乡镇")
    COMMUNITY = "community", _("社区/村")
    ENTERPRISE = "enterprise", _("企事业单位")


# The units that dispatch: they send orders on and review the replies.
PLATFORM_KINDS = (UnitKind.CITY_PLATFORM, UnitKind.DISTRICT_PLATFORM)
# The grassroots (基层): the units responsibility must not be pushed down onto.
GRASSROOTS_KINDS = (UnitKind.STREET, UnitKind.COMMUNITY)

# Which levels a unit of each kind may sit at; a department or enterprise exists at several.
UNIT_KIND_LEVELS = {
    UnitKind.CITY_PLATFORM: {Level.CITY},
    UnitKind.DISTRICT_PLATFORM: {Level.DISTRICT},
    UnitKind.DEPARTMENT: {Level.CITY, Level.DISTRICT, Level.STREET},
    UnitKind.DISTRICT_GOVERNMENT: {Level.DISTRICT},
    UnitKind.STREET: {Level.STREET},
    UnitKind.COMMUNITY: {Level.COMMUNITY},
    UnitKind.ENTERPRISE: {Level.CITY, Level.DISTRICT},
}

# The unit kind that answers for a territory at each level ("the street of the appeal's area").
TERRITORIAL_KIND = {
    Level.DISTRICT: UnitKind.DISTRICT_GOVERNMENT,
    Level.STREET: UnitKind.STREET,
    Level.COMMUNITY: UnitKind.COMMUNITY,
}


class RoleCode(models.TextChoices):
    OPERATOR = "operator", _("接线员")
    DISPATCHER = "dispatcher", _("派单员")
    UNIT_HANDLER = "unit_handler", _("承办人")
    UNIT_LEADER = "unit_leader", _("单位负责人")
    SUPERVISOR = "supervisor", _("督办员")
    GRID_WORKER = "grid_worker", _("网格员")
    ADMINISTRATOR = "administrator", _("系统管理员")
    LEADER = "leader", _("领导（只读看板）")
    # One deployment may serve a province and its cities: this role reads every jurisdiction and
    # changes none (the services' role checks never name it).
    PROVINCIAL = "provincial", _("省级监管（只读，全部辖区）")


class GridDuty(models.TextChoices):
    CHIEF = "chief", _("网格长")
    FULL_TIME_WORKER = "full_time", _("专职网格员")
    PART_TIME_WORKER = "part_time", _("兼职网格员")
    STATIONED = "stationed", _("驻格人员")
    PATROL = "patrol", _("巡格人员")


GRID_ONLY_DUTIES = {
    GridDuty.FULL_TIME_WORKER,
    GridDuty.PART_TIME_WORKER,
    GridDuty.STATIONED,
    GridDuty.PATROL,
}
DEPARTMENT_DUTIES = {GridDuty.STATIONED, GridDuty.PATROL}
