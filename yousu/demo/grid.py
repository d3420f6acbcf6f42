"""The demo's grid governance (未诉先办), walked day by day inside the activity simulation.

Every working day each community of the home district sends its daily discovery report (most with
nothing found, now and then one misses the due time and is flagged to its street); the streets study
what was found; the district platform dispatches what was sent up, some of it jointly; the home
community's grid worker reports what the rounds meet, self-handled when the access list allows; the
stationed staff sign for their department's matters on the spot; and once a week the district holds a
joint meeting on a joint matter. All through the real services, at simulated moments.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING

from yousu.appeals.choices import AppealStatus
from yousu.catalog.models import CatalogItem
from yousu.catalog.selectors import community_may_receive
from yousu.core.errors import DomainError
from yousu.dispatch.choices import ACTIVE_ORDER_STATUSES, OrderRole, OrderStatus, ReplyResult
from yousu.dispatch.models import Order
from yousu.dispatch.services import (
    order_accept,
    order_reply,
    order_review,
    order_submit_assist_part,
    proposal,
    reviewing_platform,
)
from yousu.grid.choices import DecisionKind, HandlingMode, StreetDecision
from yousu.grid.models import DailyReportScope, FoundProblem, ReportKind
from yousu.grid.selectors import stationed_worklist
from yousu.grid.services import (
    daily_report_submit,
    grid_report_create,
    joint_meeting_record,
    problem_dispatch,
    problem_study,
    stationed_accept,
)
from yousu.org.choices import Level, RoleCode, UnitKind
from yousu.org.models import Area, Person, Unit

from .city import DEMO_MARK, HOME_COMMUNITY, HOME_DISTRICT

if TYPE_CHECKING:
    from .activity import Simulation


# The demo city's mapping of the fourteen report kinds to its catalog (data a city sets in the admin).
KIND_ITEMS = {
    "dispute": "D15-02-01",
    "safety": "D01-04-01",
    "fire": "D10-03-02",
    "sanitation": "D15-03-02",
    "municipal": "D02-03-01",
    "illegal_building": "D03-04-01",
    "street_order": "D03-03-01",
    "pollution": "D04-01-01",
    "food_drug": "D06-01-03",
    "utilities": "D12-01-03",
    "property": "D15-02-03",
    "vulnerable": "D15-06-02",
    "public_order": "D10-01-01",
    "policy": "D15-01-03",
}

# kind code, what was found ({place} is the community), how it was solved
FINDINGS = [
    ("sanitation", "{place}3号楼后侧垃圾堆积，影响居民出行", "社区组织保洁员清理，已恢复整洁"),
    ("dispute", "{place}两户居民因楼上漏水发生争执", "社区调解员上门调解，双方达成维修协议"),
    ("vulnerable", "{place}独居老人家中暖气不热，行动不便", "社区网格员联系物业检修，并安排志愿者定期探访"),
    ("property", "{place}物业与业主因公共照明维修产生矛盾", "社区召集物业和业主代表协商，照明已修复"),
    ("street_order", "{place}路口早市占道经营，堵塞人行道", "城管部门规范早市经营区域，人行道已畅通"),
    ("municipal", "{place}主路多盏路灯夜间不亮", "市政部门更换灯具，路灯已恢复"),
    ("fire", "{place}楼道内电动自行车飞线充电", "应急管理部门会同社区清理飞线，设置集中充电桩"),
    (
        "pollution",
        "{place}沿街餐馆油烟直排，居民楼外墙熏黑",
        "生态环境部门检测达标，市场监管部门督促安装净化器",
    ),
    ("illegal_building", "{place}楼顶私自搭建彩钢房", "城管部门依法拆除违建"),
    ("food_drug", "{place}临街无证熟食摊点", "市场监管部门查处，摊主已办证经营"),
    ("safety", "{place}旁工地围挡倾斜，存在倒塌隐患", "住建部门督促施工方加固围挡"),
]
# Found problems a street handles itself: those a community may not take on and a street can.
STREET_KINDS = {"property", "dispute"}
# Kinds the district dispatches jointly, with the second department brought in.
JOINT_PARTNERS = {
    "pollution": "market_regulation",
    "fire": "urban_management",
    "street_order": "market_regulation",
}
PILOT_SINCE = dt.date(2026, 1, 1)
REPORT_SHARE = 0.95  # a community's daily report is in on time on most days
FOUND_SHARE = {True: 0.45, False: 0.08}  # a problem found on a day: the home community, the others
GRID_REPORT_SHARE = 0.6  # the home community's grid worker reports something on a working day


def map_report_kinds() -> int:
    """Map the default report kinds to the demo catalog (once; a city's own mapping is left alone)."""
    mapped = 0
    items = {item.code: item for item in CatalogItem.objects.filter(code__in=KIND_ITEMS.values())}
    for kind in ReportKind.objects.filter(code__in=KIND_ITEMS, item__isnull=True):
        item = items.get(KIND_ITEMS[kind.code])
        if item is not None:
            kind.item = item
            kind.save(update_fields=["item"])
            mapped += 1
    return mapped


class GridActivity:
    """The grid governance steps of one simulation; it schedules them on the simulation's queue."""

    def __init__(self, simulation: Simulation):
        self.sim = simulation
        # A stream of its own, so that the citizens' walk is the same with or without the grid's.
        self.rng = random.Random(repr(simulation.rng.getstate()[1][:8]))
        map_report_kinds()
        # The pilot (试点) of the second seed: the daily report is required in the home district.
        DailyReportScope.objects.get_or_create(
            area=Area.objects.get(code=HOME_DISTRICT),
            defaults={"since": PILOT_SINCE, "note": "演示数据：未诉先办试点区"},
        )
        self.kinds = {
            kind.code: kind for kind in ReportKind.objects.filter(is_active=True).select_related("item")
        }
        self.findings = [f for f in FINDINGS if f[0] in self.kinds and self.kinds[f[0]].item is not None]
        self.communities = list(
            Unit.objects.filter(
                kind=UnitKind.COMMUNITY, is_active=True, area__path__contains=f"/{HOME_DISTRICT}/"
            )
            .select_related("area", "parent")
            .order_by("code")
        )
        self.grid_worker = Person.objects.filter(username="ddj_grid", is_demo=True).first()
        self.stationed = list(Person.objects.filter(username__in=("czq_cg", "czq_rs"), is_demo=True))
        self.home_grids = list(
            Area.objects.filter(level=Level.GRID, code__startswith=HOME_COMMUNITY).order_by("code")
        )
        self.joint_for_meeting: list[FoundProblem] = []
        self.last_meeting: dt.date | None = None

    # ------------------------------------------------------------ planning

    def plan_day(self, day: dt.date, start: dt.datetime) -> None:
        if not self.findings or not self.sim.calendar.is_workday(day):
            return
        for community in self.communities:
            if self.rng.random() < REPORT_SHARE:
                moment = start + dt.timedelta(hours=self.rng.uniform(9, 17.5))
            elif self.rng.random() < 0.5:
                # Missed the due time: flagged to the street that evening, sent late the next morning.
                moment = start + dt.timedelta(days=1, hours=self.rng.uniform(8.5, 10))
            else:
                continue
            self.sim.at(moment, self.daily_report, community, day)
        if self.grid_worker is not None and self.home_grids and self.rng.random() < GRID_REPORT_SHARE:
            self.sim.at(start + dt.timedelta(hours=self.rng.uniform(9, 16)), self.grid_report)
        if self.last_meeting is None or (day - self.last_meeting).days >= 7:
            self.sim.at(start + dt.timedelta(hours=15), self.joint_meeting, day)

    # ------------------------------------------------------------ daily reports and study

    def _finding(self, community: Unit) -> tuple:
        code, text, solution = self.rng.choice(self.findings)
        place = community.area.name.replace("（演示）", "")
        return code, text.format(place=place) + DEMO_MARK, solution

    def daily_report(self, community: Unit, day: dt.date) -> None:
        home = community.code == HOME_COMMUNITY
        problems = []
        if self.rng.random() < FOUND_SHARE[home]:
            code, text, _solution = self._finding(community)
            grids = list(Area.objects.filter(level=Level.GRID, parent=community.area).order_by("code"))
            problem = {"text": text, "kind": self.kinds[code]}
            if grids:
                problem["area"] = self.rng.choice(grids)
            problems.append(problem)
        report = daily_report_submit(
            community=community,
            day=day,
            by=self.sim.person(community, RoleCode.UNIT_HANDLER),
            problems=problems,
            note="" if problems else "今日巡查未发现问题" + DEMO_MARK,
        )
        for problem in report.problems.all():
            self.sim.at(self.sim.working(self.sim.clock.moment, self.rng.uniform(1, 6)), self.study, problem)

    def study(self, problem: FoundProblem) -> None:
        street = problem.community.parent
        leader = self.sim.leader_of(street)
        kind = problem.kind.code if problem.kind else ""
        if self.rng.random() < 0.06:
            problem_study(
                problem=problem,
                by=leader,
                decision=StreetDecision.DROP,
                reason="经核实已由物业当日处理" + DEMO_MARK,
            )
            return
        if kind in STREET_KINDS or (
            problem.kind and community_may_receive(item=problem.kind.item, community=problem.community)
        ):
            problem = problem_study(
                problem=problem,
                by=leader,
                decision=StreetDecision.HANDLE,
                reason="街道会商：自行办理" + DEMO_MARK,
            )
            self._handle(problem)
            return
        problem = problem_study(
            problem=problem,
            by=leader,
            decision=StreetDecision.SEND_UP,
            reason="涉及部门职责，报区级研判派单" + DEMO_MARK,
        )
        self.sim.at(
            self.sim.working(self.sim.clock.moment, self.rng.uniform(1, 4)), self.district_dispatch, problem
        )

    def district_dispatch(self, problem: FoundProblem) -> None:
        problem.refresh_from_db()
        appeal = problem.appeal
        if appeal.status != AppealStatus.RECEIVED:
            return  # taken on the spot by stationed staff in the meantime
        platform = Unit.objects.get(
            kind=UnitKind.DISTRICT_PLATFORM, area=appeal.area.ancestor_at(Level.DISTRICT)
        )
        dispatcher = self.sim.dispatcher_of(platform)
        try:
            lead_unit = proposal(appeal).unit
        except DomainError:
            return
        kind = problem.kind.code if problem.kind else ""
        partner = Unit.objects.filter(
            kind=UnitKind.DEPARTMENT,
            parent=platform,
            code=f"{platform.area.code}-{JOINT_PARTNERS.get(kind, '')}",
        ).first()
        if partner is not None and partner != lead_unit and lead_unit.parent_id == platform.pk:
            problem_dispatch(
                problem=problem, by=dispatcher, units=[lead_unit, partner], mode=HandlingMode.JOINT
            )
            self.joint_for_meeting.append(problem)
        else:
            problem_dispatch(problem=problem, by=dispatcher, units=[lead_unit], mode=HandlingMode.ASSISTED)
        self._handle(problem)

    # ------------------------------------------------------------ grid worker and stationed staff

    def grid_report(self) -> None:
        code, text, _solution = self._finding(Unit.objects.get(code=HOME_COMMUNITY))
        kind = self.kinds[code]
        community = Unit.objects.get(code=HOME_COMMUNITY)
        mode = (
            HandlingMode.SELF
            if community_may_receive(item=kind.item, community=community)
            else HandlingMode.ASSISTED
        )
        grid = self.rng.choice(self.home_grids)
        problem = grid_report_create(
            by=self.grid_worker, kind=kind, text=text, mode=mode, grid=grid, address="东大街（演示地址）"
        )
        if mode == HandlingMode.SELF:
            self._handle(problem)
            return
        moment = self.sim.clock.moment
        self.sim.at(moment + dt.timedelta(minutes=self.rng.randint(20, 120)), self.on_the_spot, problem)

    def on_the_spot(self, problem: FoundProblem) -> None:
        for person in self.stationed:
            for row in stationed_worklist(person):
                if row.appeal.pk == problem.appeal_id:
                    stationed_accept(appeal=row.appeal, by=person)
                    self._handle(problem)
                    return
        self.sim.at(
            self.sim.working(self.sim.clock.moment, self.rng.uniform(1, 3)), self.district_dispatch, problem
        )

    # ------------------------------------------------------------ handling

    def _handle(self, problem: FoundProblem) -> None:
        """The units that hold the problem's orders sign for them a little later and finish them."""
        self.sim.at(
            self.sim.working(self.sim.clock.moment, self.rng.uniform(0.5, 3)), self.accept_all, problem
        )

    def _orders(self, problem: FoundProblem):
        return Order.objects.filter(appeal_id=problem.appeal_id).exclude(
            unit__kind__in=("city_platform", "district_platform")
        )

    def accept_all(self, problem: FoundProblem) -> None:
        for order in self._orders(problem).filter(status=OrderStatus.DISPATCHED).select_related("unit"):
            order_accept(order=order, by=self.sim.handler_of(order.unit))
        hours = self.rng.uniform(4, 20)  # working hours: half a day to two and a half days
        self.sim.at(self.sim.working(self.sim.clock.moment, hours), self.finish, problem)

    def finish(self, problem: FoundProblem) -> None:
        orders = list(self._orders(problem).filter(status__in=ACTIVE_ORDER_STATUSES).select_related("unit"))
        for order in orders:
            if order.status == OrderStatus.DISPATCHED:
                order_accept(order=order, by=self.sim.handler_of(order.unit))
                order.refresh_from_db()
        for order in orders:
            if order.role != OrderRole.LEAD and order.status == OrderStatus.ACCEPTED:
                order_submit_assist_part(
                    order=order, by=self.sim.handler_of(order.unit), text="已按分工完成" + DEMO_MARK
                )
        lead = next((o for o in orders if o.role == OrderRole.LEAD), None)
        if lead is None:
            return
        lead.refresh_from_db()
        if lead.status != OrderStatus.ACCEPTED:
            return
        solution = next((f[2] for f in FINDINGS if problem.kind and f[0] == problem.kind.code), "问题已解决")
        lead = order_reply(
            order=lead,
            by=self.sim.handler_of(lead.unit),
            text=solution + DEMO_MARK,
            result=ReplyResult.SOLVED,
        )
        self.sim.at(self.sim.working(self.sim.clock.moment, self.rng.uniform(0.5, 4)), self.review, lead)

    def review(self, order: Order) -> None:
        order.refresh_from_db()
        if order.status != OrderStatus.REPLIED:
            return
        reviewer = self.sim.dispatcher_of(reviewing_platform(order))
        order_review(
            order=order, by=reviewer, approve=True, note="同意办结" + DEMO_MARK, confirm_low_score=True
        )

    # ------------------------------------------------------------ joint meetings

    def joint_meeting(self, day: dt.date) -> None:
        waiting = [
            p
            for p in self.joint_for_meeting
            if Order.objects.filter(
                appeal_id=p.appeal_id, role=OrderRole.LEAD, status=OrderStatus.ACCEPTED
            ).exists()
        ]
        if not waiting:
            return
        problem = waiting[0]
        self.joint_for_meeting.remove(problem)
        lead = Order.objects.select_related("unit").get(
            appeal_id=problem.appeal_id, role=OrderRole.LEAD, status=OrderStatus.ACCEPTED
        )
        platform = reviewing_platform(lead)
        street = problem.community.parent
        units = list(
            {o.unit for o in Order.objects.filter(appeal_id=problem.appeal_id).select_related("unit")}
            - {platform}
        )
        joint_meeting_record(
            by=self.sim.dispatcher_of(platform),
            convened_by=platform,
            held_on=day,
            title=f"{problem.community.area.name.replace('（演示）', '')}问题联席会议" + DEMO_MARK,
            attendees=[*units, street],
            minutes="各责任单位通报办理进展，明确分工和完成时限。" + DEMO_MARK,
            matters=[
                {
                    "appeal": problem.appeal,
                    "discussion": "问题涉及多个部门，需联合推动解决" + DEMO_MARK,
                    "decisions": [
                        {
                            "kind": DecisionKind.ORDER,
                            "text": "街道组织相关商户和居民配合整改" + DEMO_MARK,
                            "owner": street,
                            "due": self.sim.working(self.sim.clock.moment, 16),
                        }
                    ],
                }
            ],
        )
        self.last_meeting = day
