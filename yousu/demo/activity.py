"""Demo activity: a few weeks of simulated appeals handled through the platform's own services.

`build_demo()` makes a city with no appeals, so every figure a newcomer would see is zero. This walks
the last days step by step, in the order of their moments — intake, dispatch down the three levels,
accept, reply, review, callbacks, returns, extensions, urges, supervision orders, whistles — calling
the same services a person at each desk would call, each at its own simulated moment. The periodic
job runs every couple of simulated hours, so time nodes fire and callbacks are created by the real
rules. Every figure on the dashboard, the reports and the assessment is then produced by the
platform itself from the event log.

Demo data is marked: the citizen is always 演示市民 (or anonymous) with a phone number in a range no
real number uses, every text says 演示, and the people the simulation needs (one per unit that has no demo
account doing that job) are demo actors without a usable password: they cannot log in.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import json
import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from unittest import mock

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from yousu.appeals.choices import OPEN_APPEAL_STATUSES, AppealStatus, Channel
from yousu.appeals.models import Appeal
from yousu.appeals.services import (
    appeal_answer_at_intake,
    appeal_create,
    appeal_link_duplicate,
    appeal_set_item,
)
from yousu.callbacks.choices import CallbackChannel, CallbackOutcome, CallbackStatus, Satisfaction
from yousu.callbacks.models import Callback
from yousu.callbacks.services import (
    callback_by_token,
    callback_record,
    callback_send_back,
    callback_unreachable,
)
from yousu.catalog.choices import AppealKind, ClockKind
from yousu.catalog.models import CatalogItem
from yousu.core.errors import DomainError
from yousu.demo.grid import GridActivity
from yousu.dispatch.choices import (
    ACTIVE_ORDER_STATUSES,
    OrderRole,
    OrderStatus,
    PauseReason,
    ReplyResult,
    RequestStatus,
    ReturnReason,
)
from yousu.dispatch.models import ClockPause, CriticismNotice, ExtensionRequest, Order, ReturnRequest, Whistle
from yousu.dispatch.services import (
    appeal_dispatch,
    criticism_notice_issue,
    extension_request_review,
    order_accept,
    order_add_assist,
    order_extension_request,
    order_forward,
    order_pause,
    order_reply,
    order_resume,
    order_return_request,
    order_review,
    order_submit_assist_part,
    return_request_review,
    reviewing_platform,
)
from yousu.dispatch.whistles import whistle_blow, whistle_report_in
from yousu.evaluation.assessment import month_bounds, next_month, previous_month
from yousu.evaluation.models import AssessmentRun, AssessmentScheme
from yousu.evaluation.publication import assess_and_publish
from yousu.knowledge.answers import intake_answer_check, intake_answer_unreachable
from yousu.knowledge.models import CheckStatus, EntryStatus, IntakeAnswer, KnowledgeEntry
from yousu.notifications.sms import SmsGateway
from yousu.org.calendar import calendar_for_area
from yousu.org.choices import PLATFORM_KINDS, Level, RoleCode, UnitKind
from yousu.org.models import Area, Person, Unit
from yousu.org.services import person_create
from yousu.public.services import typical_case_publish
from yousu.reports.tallies import tally_events
from yousu.supervision.choices import SupervisionStatus
from yousu.supervision.jobs import run_periodic
from yousu.supervision.models import SupervisionOrder, Urge
from yousu.supervision.services import (
    supervision_order_answer,
    supervision_order_close,
    supervision_order_issue,
    urge_issue,
)

from .city import CITY, CITY_PLATFORM, DEMO_MARK, HOME_COMMUNITY, HOME_DISTRICT

CITIZEN_NAME = "演示市民"
# Mainland numbers are 11 digits starting with 1[3-9] (mobile) or 0 (fixed lines with an area code);
# 100 followed by eight digits is neither, so no demo number can ever reach a real person.
DEMO_PHONE_PREFIX = "100"
ACTOR_PREFIX = "sim-"
# The district departments a platform asks to assist a lead department (协办), first one not the lead.
ASSIST_SECTORS = ("urban_management", "ecology_environment", "market_regulation")
# The demo accounts that sit at the city's desks in the simulation (intake, dispatch, supervision, grid).
SIMULATION_DESKS = ("operator", "dispatcher", "supervisor", "ddj_grid")
# A year at most: the working calendar knows the official holidays of the years around now, and a
# longer walk would only take longer without showing anything new.
MAX_DAYS = 366
MAX_PER_DAY = 500
# Minutes before the walk's end of the calls left waiting for the dispatcher.
WAITING_CALLS = (28, 17, 6)


# ---------------------------------------------------------------- what citizens write about

# item code, kind, weight, title, what the citizen says, what the unit (or the operator) answers.
# {place} is the community, {road} a street name near it; written for the demo, about no real case.
SCENARIOS = [
    (
        "D12-04-01",
        "complaint",
        9,
        "小区暖气不热",
        "{place}小区入冬以来暖气一直不热，家里室温只有十四五度，老人孩子受不了，请供热企业尽快查明原因。",
        "供热企业已派员入户测温，对单元立管排气并调整管网平衡阀，复测室温已达到19℃以上。",
    ),
    (
        "D12-04-02",
        "help",
        3,
        "楼道暖气管道漏水",
        "{place}一栋三单元楼道暖气管道接口漏水，地面结冰，上下楼很危险，请派人维修。",
        "维修人员已到场更换漏水接口并清理地面积冰，管道试压正常。",
    ),
    (
        "D12-01-01",
        "complaint",
        4,
        "小区突然停水未提前通知",
        "{place}小区今天早上突然停水，没有看到任何停水通知，请问什么时候恢复供水？",
        "停水系{road}供水管道抢修所致，已于当日恢复供水，今后计划停水将提前24小时张贴通知。",
    ),
    (
        "D12-02-01",
        "complaint",
        3,
        "片区晚上频繁停电",
        "{place}这一片最近一周晚上频繁停电，每次十几分钟，家里电器都受影响。",
        "经排查为片区变压器负荷过高，供电企业已完成增容改造，近期未再发生停电。",
    ),
    (
        "D12-03-01",
        "report",
        2,
        "楼道里有燃气味",
        "{place}二号楼楼道里闻到明显的燃气味，担心有泄漏，请燃气公司马上来检查。",
        "燃气企业抢修人员20分钟内到场，查明为一户表前阀门松动，已紧固并检测无泄漏。",
    ),
    (
        "D03-01-05",
        "help",
        6,
        "人行道积雪结冰无人清扫",
        "下雪两天了，{road}人行道上的积雪还没人清扫，已经结冰，好几位老人滑倒。",
        "环卫部门已组织人员和机械清除积雪，并在坡道撒布融雪剂，路面已恢复通行。",
    ),
    (
        "D03-01-02",
        "complaint",
        4,
        "垃圾清运不及时",
        "{place}门口的垃圾桶已经满了三天没人清运，气味很大，请尽快处理。",
        "已督促环卫作业单位当日清运，并将该点位清运频次调整为每日两次。",
    ),
    (
        "D03-03-01",
        "complaint",
        4,
        "早市摊贩占道经营",
        "{road}早市摊贩把摊位摆到了机动车道上，早高峰车辆无法通行。",
        "城管执法人员已对占道摊点劝导规范，引导摊贩进入划定区域经营，并安排早间巡查。",
    ),
    (
        "D04-01-01",
        "complaint",
        5,
        "楼下烧烤店油烟直排",
        "{place}楼下新开的烧烤店没有安装油烟净化设施，油烟直接排到居民楼，窗户都不敢开。",
        "生态环境部门已现场检查，责令该店安装油烟净化器并限期整改，复查已达标排放。",
    ),
    (
        "D04-02-01",
        "complaint",
        4,
        "工地夜间施工噪声扰民",
        "{road}旁的工地每天晚上十一点以后还在施工，噪声很大，周边居民无法休息。",
        "已对施工单位夜间违规施工立案查处，要求22时后停止高噪声作业，确需夜间施工须办理审批并公示。",
    ),
    (
        "D04-02-05",
        "complaint",
        2,
        "广场舞音响声音过大",
        "{place}小广场每天晚上广场舞音响开得很大，一直到九点半，影响学生写作业。",
        "民警已与舞蹈队负责人沟通，约定音量控制和结束时间，并在广场设置了噪声提示牌。",
    ),
    (
        "D02-01-01",
        "report",
        3,
        "道路坑洼影响通行",
        "{road}路面出现一个大坑，晚上看不清，已经有电动车摔倒，请尽快修补。",
        "市政养护人员已对坑槽进行临时修补并设置警示标志，待气温回升后进行彻底修复。",
    ),
    (
        "D02-03-01",
        "complaint",
        3,
        "路灯不亮",
        "{road}一段有五六盏路灯已经半个月不亮了，晚上走路很害怕。",
        "经检修为供电线路老化，已更换线缆，路灯恢复照明。",
    ),
    (
        "D02-02-01",
        "report",
        2,
        "井盖缺失",
        "{road}人行道上一个井盖不见了，只用一个塑料桶挡着，非常危险。",
        "已在1小时内补装井盖并检查周边井盖，未发现其他缺失。",
    ),
    (
        "D05-03-04",
        "report",
        3,
        "车辆长期违停堵路",
        "{road}路口常有车辆违章停放，早晚高峰堵得很厉害，公交车都过不去。",
        "交警部门已加强该路段巡查和抓拍，并增设禁停标志。",
    ),
    (
        "D05-04-01",
        "report",
        2,
        "路口信号灯故障",
        "{road}十字路口信号灯一直黄灯闪烁，车辆和行人乱成一团。",
        "交警已到场指挥交通，信号机故障已于当日修复。",
    ),
    (
        "D05-01-03",
        "suggestion",
        3,
        "建议增加早高峰公交班次",
        "经过{place}的公交线路早高峰间隔太长，经常等二十多分钟，建议增加班次。",
        "公交集团已在早高峰时段加密该线路班次，发车间隔缩短至8分钟。",
    ),
    (
        "D05-02-01",
        "complaint",
        2,
        "出租车拒载",
        "晚上在{road}打车，出租车司机嫌路程近拒载，请相关部门处理。",
        "已根据乘车时间和车牌信息核实，对该驾驶员依规处罚并进行教育培训。",
    ),
    (
        "D06-01-01",
        "complaint",
        3,
        "餐馆后厨卫生差",
        "在{road}一家餐馆吃饭，看到后厨卫生很差，餐具没有消毒。",
        "市场监管部门已现场检查，责令限期整改，并对该店进行了食品安全约谈。",
    ),
    (
        "D06-02-02",
        "complaint",
        2,
        "健身房关门预付卡无法退费",
        "{place}附近的健身房突然关门，会员卡里还有两千多元没有用完，联系不上商家。",
        "已联系经营者协商，商家承诺分期退还预付款，并纳入重点监管名单。",
    ),
    (
        "D06-04-01",
        "help",
        2,
        "电梯故障困人",
        "{place}五号楼电梯突然停在两层之间，里面有人被困，请马上处理。",
        "维保单位15分钟内到场解救被困人员，电梯已停用检修，经检验合格后恢复运行。",
    ),
    (
        "D06-03-01",
        "report",
        1,
        "商店不明码标价",
        "{road}一家超市蔬菜水果不标价格，结账时价格明显偏高。",
        "已责令该超市落实明码标价制度，对价格违法行为依法立案。",
    ),
    (
        "D07-01-02",
        "help",
        3,
        "工地拖欠农民工工资",
        "我们在{road}一个工地干了三个月活，包工头一直拖着不发工资，一共欠了十几个人的工钱。",
        "人社部门已约谈施工总承包单位，督促其通过农民工工资专用账户足额支付，工资已全部发放。",
    ),
    (
        "D07-03-04",
        "inquiry",
        2,
        "社保关系转移怎么办理",
        "我从外省回来工作，想把养老保险关系转到本市，需要准备什么材料？",
        "可通过国家社会保险公共服务平台或到社保经办窗口申请转移接续，携带身份证即可，转入地负责办理。",
    ),
    (
        "D09-04-01",
        "inquiry",
        3,
        "医保门诊报销比例",
        "请问城乡居民医保在社区卫生服务中心看门诊能报销多少？",
        "城乡居民医保在基层医疗机构门诊可按规定比例报销，具体比例和年度限额以本市医保政策为准。",
    ),
    (
        "D01-01-01",
        "complaint",
        4,
        "物业服务不到位",
        "{place}小区物业很长时间不打扫楼道，门禁坏了也不修，业主意见很大。",
        "住建部门已约谈物业企业，门禁已修复，楼道保洁恢复每日一次，并纳入物业服务考核。",
    ),
    (
        "D01-01-02",
        "inquiry",
        2,
        "物业费涨价是否合规",
        "{place}小区物业通知明年物业费上涨，请问物业费调整需要经过什么程序？",
        "物业费调整须按合同约定并经业主共同决定，物业企业不得擅自涨价，可向属地住建部门反映。",
    ),
    (
        "D01-02-03",
        "inquiry",
        2,
        "老旧小区加装电梯政策",
        "{place}是九十年代的老楼，居民想加装电梯，请问有什么补贴、怎么申请？",
        "加装电梯须经本单元业主同意并编制方案，按规定可申请财政补助，可向所在区住建部门咨询申报。",
    ),
    (
        "D08-01-01",
        "inquiry",
        2,
        "小学入学划片咨询",
        "孩子明年上小学，住在{place}，请问对口哪所学校、需要什么材料？",
        "入学划片以区教育局公布的学区划分为准，一般每年春季公布，需准备户口簿和房产或居住证明。",
    ),
    (
        "D10-03-02",
        "report",
        2,
        "电动车在楼道充电",
        "{place}有住户把电动车推进楼道充电，还私拉电线，很不安全。",
        "已会同社区开展入户劝导，清理楼道充电车辆，并在小区增设集中充电桩。",
    ),
    (
        "D03-06-02",
        "complaint",
        2,
        "遛狗不拴绳",
        "{place}小区经常有人遛狗不拴绳，孩子被吓得不敢下楼。",
        "公安部门已联合社区开展文明养犬宣传，对不拴绳遛狗行为进行劝导和处罚。",
    ),
    (
        "D03-01-06",
        "complaint",
        3,
        "背街小巷垃圾堆积",
        "{road}后面的小巷子垃圾堆积很久没人管，夏天蚊蝇多，现在也有异味。",
        "街道已组织清理积存垃圾，并将该巷道纳入日常保洁范围。",
    ),
    (
        "D05-03-01",
        "help",
        2,
        "小区停车位紧张",
        "{place}小区车位太少，晚上车都停到消防通道上，希望协调解决。",
        "街道已召集物业和业主代表协商，利用闲置空地新增停车位，并清理消防通道。",
    ),
    (
        "D15-03-07",
        "complaint",
        2,
        "无物业小区环境脏乱",
        "{place}附近的老家属院没有物业，院子里杂物乱堆，下水道也经常堵。",
        "街道已组织对院落进行集中整治，并引入准物业服务进行日常管理。",
    ),
    (
        "D15-02-04",
        "help",
        2,
        "楼上漏水渗到我家",
        "{place}楼上住户卫生间漏水渗到我家天花板，找他们好几次都不处理。",
        "社区已上门协调双方，楼上住户已请人维修防水，双方就损失达成一致。",
    ),
    (
        "D15-01-01",
        "help",
        2,
        "高龄津贴申请代办",
        "家里老人今年满八十岁，行动不便，想请社区帮忙代办高龄津贴申请。",
        "社区工作人员已上门收取材料并代为提交申请，津贴将按月发放。",
    ),
    (
        "D15-06-02",
        "help",
        1,
        "请社区看望独居老人",
        "{place}有位独居老人好几天没下楼了，邻居有点担心，请社区去看看。",
        "社区网格员已上门探访，老人身体无大碍，已纳入每周定期探访名单。",
    ),
    (
        "D15-03-01",
        "complaint",
        2,
        "楼道堆放杂物",
        "{place}楼道里堆满了纸箱和旧家具，存在消防隐患。",
        "社区已联系相关住户清理楼道杂物，并张贴消防安全提示。",
    ),
    (
        "D10-02-03",
        "inquiry",
        2,
        "身份证补办需要多久",
        "身份证丢了，请问补办需要带什么、多久能拿到？",
        "可携带户口簿到户籍所在地或就近派出所补办，一般二十个工作日内制证，可申领临时身份证。",
    ),
    (
        "D01-06-02",
        "inquiry",
        2,
        "公积金提取条件",
        "租房住，请问可以提取住房公积金付房租吗？",
        "无房职工租房可按规定提取住房公积金，可通过公积金中心网上大厅或手机App办理。",
    ),
    (
        "D16-03-04",
        "help",
        1,
        "健身器材损坏",
        "{place}小广场的健身器材有两件坏了，螺丝松动，容易伤到人。",
        "已联系维护单位更换损坏部件，并对其他器材进行安全检查。",
    ),
    (
        "D09-01-02",
        "praise",
        1,
        "表扬医院护士耐心细致",
        "家里老人在区医院住院期间，护士照顾得非常耐心细致，特此表扬。",
        "已将群众表扬转达医院及当事护士，医院将在全院通报表扬。",
    ),
    (
        "D15-05-03",
        "praise",
        1,
        "感谢社区志愿者",
        "{place}的志愿者下雪天帮独居老人买菜送药，非常感谢。",
        "已将群众的感谢转达社区志愿服务队。",
    ),
    (
        "D13-03-01",
        "inquiry",
        1,
        "二手房过户办理流程",
        "准备买一套二手房，请问不动产登记需要哪些材料，能不能网上办？",
        "二手房转移登记可通过不动产登记网上服务平台预约办理，需买卖双方身份证、不动产权证书及合同等。",
    ),
    (
        "D11-01-01",
        "inquiry",
        1,
        "低保申请条件",
        "家里收入很低，请问申请低保需要满足什么条件，到哪里申请？",
        "可向户籍所在地街道（乡镇）提出申请，家庭人均收入低于本市低保标准并符合财产条件的可以申请。",
    ),
    (
        "D03-02-02",
        "inquiry",
        1,
        "垃圾分类怎么分",
        "小区开始垃圾分类了，请问过期药品和旧电池应该投到哪个桶？",
        "过期药品和废电池属于有害垃圾，请投放到红色有害垃圾收集容器。",
    ),
    (
        "D02-05-01",
        "report",
        1,
        "大风后树木倾斜",
        "昨晚大风后{road}边一棵大树严重倾斜，随时可能倒在人行道上。",
        "园林部门已对倾斜树木进行修剪加固，并排查了该路段其他行道树。",
    ),
]

GRID_CHANNELS = (Channel.GRID_REPORT, Channel.PROACTIVE)
# channel, weight; the hotline takes most calls, as the seeds' figures show.
CHANNELS = [
    (Channel.HOTLINE, 62),
    (Channel.WEB, 9),
    (Channel.APP, 9),
    (Channel.MINI_PROGRAM, 7),
    (Channel.WECHAT_GROUP, 5),
    (Channel.GRID_REPORT, 4),
    (Channel.REPORTING_PLATFORM, 2),
    (Channel.MEDIA, 2),
]
# Citizens call from early morning to late evening, most in the working morning and afternoon.
INTAKE_HOURS = {
    7: 2,
    8: 6,
    9: 10,
    10: 11,
    11: 9,
    12: 5,
    13: 5,
    14: 8,
    15: 9,
    16: 8,
    17: 6,
    18: 4,
    19: 4,
    20: 3,
    21: 2,
    22: 1,
}
WEEKEND_SHARE = 0.55
# When the simulation runs the periodic job. Production runs it every minute; in the simulation a node
# fires at the next of these hours instead, which keeps a month's walk to seconds (the job's own cost
# is mostly fixed per run). Callbacks are made at least PERIODIC_GAP after a completion, so the job
# has created them by then.
PERIODIC_HOURS = (0, 4, 7, 9, 11, 13, 15, 17, 19, 21)
PERIODIC_GAP = dt.timedelta(hours=4)
# Shares of appeals: another caller about a problem already in handling (linked, 并案), callers who
# leave no name or number (匿名: nobody to call back), and those who ask to stay hidden from the unit.
DUPLICATE_SHARE = 0.04
ANONYMOUS_SHARE = 0.03
CONFIDENTIAL_SHARE = 0.03
# The seed of the answers at intake and their callbacks (Simulation.answer_rng).
ANSWER_SEED = 12345
# The seed of the departments' answers to the supervision orders of missed report-ins: a stream of its
# own, so that the follow-up of whistles leaves the citizens' walk as it was.
REPORT_IN_SEED = 20260
ROADS = ["长江路", "黄河路", "昆仑路", "五四大街", "七一路", "西关大街", "东关大街", "南川路", "柴达木路"]
UNSATISFIED_COMMENTS = [
    "问题没有解决，只是来看了一下就走了",
    "答复和实际情况不符，现在还是老样子",
    "处理太慢，希望尽快彻底解决",
]
UNREACHABLE_NOTES = ["电话无人接听", "电话关机", "电话占线，稍后再拨"]


# ---------------------------------------------------------------- the simulation's clock and phones


class SimulationError(RuntimeError):
    """The simulation did not find what its own earlier steps should have produced: a bug in it."""


class SimulatedClock:
    """What `django.utils.timezone.now` answers while the simulation runs."""

    def __init__(self, moment: dt.datetime):
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment


@contextmanager
def simulated_clock(start: dt.datetime) -> Iterator[SimulatedClock]:
    """Every service reads `django.utils.timezone.now`. A simulation of past weeks must run each
    service at its own moment (an order accepted on 3 November is accepted on 3 November, its
    deadlines counted from then), so `now` is patched for the duration of the walk only; leaving it
    patched would make every later request of the process live in the simulation's past."""
    clock = SimulatedClock(start)
    with mock.patch("django.utils.timezone.now", new=clock):
        yield clock


class DemoPhones(SmsGateway):
    """The demo citizens' phones: the callback links the platform texts them land here instead of
    at a gateway (a real gateway must never be handed the demo's numbers), and the simulated citizen
    opens the link from here. Installed by `demo_phones()` for the duration of a simulation."""

    inbox: dict[str, list[str]] = {}

    def send(self, *, phone: str, text: str) -> None:
        type(self).inbox.setdefault(phone, []).append(text)


@contextmanager
def demo_phones() -> Iterator[dict[str, list[str]]]:
    DemoPhones.inbox = {}
    try:
        with override_settings(YOUSU_SMS_GATEWAY=f"{__name__}.DemoPhones"):
            yield DemoPhones.inbox
    finally:
        DemoPhones.inbox = {}


def _link_pattern() -> re.Pattern:
    marker = "TOKENMARKER"
    path = reverse("callback-answer", args=[marker])
    return re.compile(re.escape(path).replace(marker, "([^/?#]+)"))


# ---------------------------------------------------------------- the summary


@dataclass
class ActivitySummary:
    """What the walk left in the database, counted from it afterwards (or why nothing was done)."""

    skipped: bool = False
    existing_appeals: int = 0
    appeals_by_kind: dict[str, int] = field(default_factory=dict)
    appeals_by_status: dict[str, int] = field(default_factory=dict)
    appeals_by_channel: dict[str, int] = field(default_factory=dict)
    orders_by_status: dict[str, int] = field(default_factory=dict)
    callbacks_by_status: dict[str, int] = field(default_factory=dict)
    sent_back_orders: int = 0
    return_requests: dict[str, int] = field(default_factory=dict)
    extension_requests: dict[str, int] = field(default_factory=dict)
    urges: int = 0
    supervision_orders: int = 0
    whistles: int = 0
    assisting_orders: int = 0
    clock_pauses: int = 0
    criticism_notices: int = 0
    open_appeals: int = 0
    overdue_orders: int = 0
    actors_created: int = 0
    assessed_month: str = ""
    tallies: dict | None = None
    typical_cases: int = 0
    seconds: float = 0.0
    first_day: dt.date | None = None
    last_day: dt.date | None = None


def summarise_activity(*, now: dt.datetime, actors_created: int = 0) -> ActivitySummary:
    def counts(queryset, column: str) -> dict[str, int]:
        return {
            row[column]: row["n"] for row in queryset.values(column).annotate(n=Count("id")).order_by(column)
        }

    return ActivitySummary(
        appeals_by_kind=counts(Appeal.objects.all(), "kind"),
        appeals_by_status=counts(Appeal.objects.all(), "status"),
        appeals_by_channel=counts(Appeal.objects.all(), "channel"),
        orders_by_status=counts(Order.objects.all(), "status"),
        callbacks_by_status=counts(Callback.objects.all(), "status"),
        sent_back_orders=Order.objects.filter(send_back_count__gt=0).count(),
        return_requests=counts(ReturnRequest.objects.all(), "status"),
        extension_requests=counts(ExtensionRequest.objects.all(), "status"),
        urges=Urge.objects.count(),
        supervision_orders=SupervisionOrder.objects.count(),
        whistles=Whistle.objects.count(),
        assisting_orders=Order.objects.exclude(role=OrderRole.LEAD).count(),
        clock_pauses=ClockPause.objects.count(),
        criticism_notices=CriticismNotice.objects.count(),
        open_appeals=Appeal.objects.filter(status__in=OPEN_APPEAL_STATUSES).count(),
        overdue_orders=Order.objects.filter(status__in=ACTIVE_ORDER_STATUSES, completion_due__lt=now).count(),
        actors_created=actors_created,
    )


# ---------------------------------------------------------------- the walk


@dataclass
class Case:
    """One simulated appeal: what the citizen raised and what will happen to it."""

    appeal: Appeal
    scenario: tuple
    item: CatalogItem
    phone: str
    target: Unit | None = None
    order: Order | None = None
    # Decided when the appeal is received, so a run is the same whatever the order of the steps.
    plan: dict = field(default_factory=dict)


@dataclass(order=True)
class _Step:
    at: dt.datetime
    seq: int
    action: Callable = field(compare=False)
    args: tuple = field(compare=False, default=())


def _another_unit(unit: Unit, *, same_sector: bool) -> Unit:
    """The unit a department's return names as responsible: for "wrong area" its counterpart in another
    district (same sector and level), else a department beside it under the same platform."""
    others = (
        Unit.objects.filter(
            is_active=True,
            kind__in=(UnitKind.DEPARTMENT, UnitKind.ENTERPRISE),
            area__path__startswith=f"/{unit.area.path_codes()[0]}/",
        )
        .exclude(pk=unit.pk)
        .order_by("path")
    )
    if same_sector and unit.sector_id:
        counterpart = others.filter(sector_id=unit.sector_id, level=unit.level, kind=unit.kind).first()
        if counterpart is not None:
            return counterpart
    return others.filter(parent_id=unit.parent_id).first() or others.first()


class Simulation:
    """The walk: a queue of steps ordered by their moment. A step calls one service as the person at
    that desk would, at the step's moment, and schedules what follows from it."""

    def __init__(
        self, *, rng: random.Random, now: dt.datetime, per_day: int, clock: SimulatedClock, phones: dict
    ):
        self.rng, self.now, self.per_day, self.clock, self.phones = rng, now, per_day, clock, phones
        self.steps: list[_Step] = []
        self.seq = itertools.count()
        self.city_area = Area.objects.get(code=CITY[0])
        self.calendar = calendar_for_area(self.city_area)
        self.city_platform = Unit.objects.get(code=CITY_PLATFORM)
        self.people: dict[tuple[int, str], Person] = {}
        self.actors_created = 0
        self.operator = Person.objects.get(username="operator")
        self.dispatcher = Person.objects.get(username="dispatcher")
        self.supervisor = Person.objects.get(username="supervisor")
        self.phone_numbers = itertools.count(1)
        self.link = _link_pattern()
        self.seen_supervision = 0
        self.open_cases: list[Case] = []
        self.items = {
            item.code: item for item in CatalogItem.objects.filter(level=3).select_related("time_limit_class")
        }
        self.scenarios = [s for s in SCENARIOS if s[0] in self.items]
        self.grids = list(Area.objects.filter(level=Level.GRID, is_active=True).order_by("code"))
        self.grid_weights = [
            (6 if grid.code.startswith(HOME_COMMUNITY) else 3 if grid.code.startswith(HOME_DISTRICT) else 1)
            for grid in self.grids
        ]
        self.area_names = {area.code: area.name.replace("（演示）", "") for area in Area.objects.all()}
        self.grid_activity = GridActivity(self)
        self.entries = {
            entry.question: entry for entry in KnowledgeEntry.objects.filter(status=EntryStatus.ACTIVE)
        }
        self.answer_rng = random.Random(ANSWER_SEED)
        self.report_in_rng = random.Random(REPORT_IN_SEED)
        self.someone_never_came = False

    # ------------------------------------------------------------ scheduling

    def at(self, moment: dt.datetime, action: Callable, *args) -> None:
        # Nothing happens before the moment it was decided at: the simulated clock only moves forward.
        moment = max(moment, self.clock.moment + dt.timedelta(seconds=1))
        heapq.heappush(self.steps, _Step(moment, next(self.seq), action, args))

    def working(self, start: dt.datetime, hours: float) -> dt.datetime:
        """`hours` of working time after `start` (a moment outside office hours moves to the next one)."""
        return self.calendar.add(start, dt.timedelta(hours=max(hours, 1 / 60)))

    def later(self, case: Case, start: dt.datetime, hours: float) -> dt.datetime:
        """Working time for ordinary orders; urgent ones are handled around the clock."""
        if self._urgent(case):
            return start + dt.timedelta(hours=hours / 8)
        return self.working(start, hours)

    def _urgent(self, case: Case) -> bool:
        limit = case.item.time_limit_class
        return bool(limit and limit.clock == ClockKind.CALENDAR)

    def run(self, first_day: dt.date) -> None:
        tz = timezone.get_default_timezone()
        day = first_day
        today = timezone.localdate(self.now)
        while day <= today:
            start = dt.datetime.combine(day, dt.time(), tzinfo=tz)
            self._plan_intake(day, start)
            self.grid_activity.plan_day(day, start)
            if day == today:
                self._plan_last_calls()
            for hour in PERIODIC_HOURS:
                tick = start + dt.timedelta(hours=hour)
                if tick <= self.now:
                    self.at(tick, self.periodic)
            end = min(start + dt.timedelta(days=1), self.now)
            # One transaction per simulated day: a failure leaves whole days or nothing of a day.
            with transaction.atomic():
                while self.steps and self.steps[0].at < end:
                    step = heapq.heappop(self.steps)
                    self.clock.moment = step.at
                    step.action(*step.args)
                if day == today:
                    # The periodic job as it runs at the moment the walk ends.
                    self.clock.moment = self.now
                    self.periodic()
            day += dt.timedelta(days=1)

    def _plan_last_calls(self) -> None:
        """The calls of the last half hour, received and left for the dispatcher: whatever the hour
        `yousu demo` runs at, the dispatcher's queue and the operator's day have something in them."""
        for minutes in WAITING_CALLS:
            self.at(self.now - dt.timedelta(minutes=minutes), self.intake, True)

    # ------------------------------------------------------------ people

    def person(self, unit: Unit, role: str) -> Person:
        """Someone of `unit` with `role`: a demo account when there is one, else the unit's demo actor."""
        key = (unit.pk, role)
        if key not in self.people:
            found = (
                Person.objects.filter(unit=unit, roles__code=role, is_active=True, is_demo=True)
                .order_by("id")
                .first()
            )
            self.people[key] = found or self._actor(unit)
        return self.people[key]

    def _actor(self, unit: Unit) -> Person:
        username = f"{ACTOR_PREFIX}{unit.code}"
        actor = Person.objects.filter(username=username).first()
        if actor is not None:
            return actor
        platform = unit.kind in PLATFORM_KINDS
        actor = person_create(
            username=username,
            full_name=f"{unit.name}{'派单员' if platform else '承办人'}（演示）",
            unit=unit,
            roles=[RoleCode.DISPATCHER] if platform else [RoleCode.UNIT_HANDLER, RoleCode.UNIT_LEADER],
            password=None,  # an actor of the simulation, never a login account
            is_demo=True,
        )
        self.actors_created += 1
        return actor

    def dispatcher_of(self, unit: Unit) -> Person:
        return self.person(unit, RoleCode.DISPATCHER if unit.kind in PLATFORM_KINDS else RoleCode.UNIT_LEADER)

    def handler_of(self, unit: Unit) -> Person:
        return self.person(unit, RoleCode.UNIT_HANDLER)

    def leader_of(self, unit: Unit) -> Person:
        return self.person(unit, RoleCode.UNIT_LEADER)

    # ------------------------------------------------------------ intake

    def _plan_intake(self, day: dt.date, start: dt.datetime) -> None:
        weekend = not self.calendar.is_workday(day)
        mean = self.per_day * (WEEKEND_SHARE if weekend else 1.0)
        count = max(0, round(self.rng.gauss(mean, max(1.0, mean * 0.2))))
        hours, weights = zip(*INTAKE_HOURS.items(), strict=True)
        for _ in range(count):
            hour = self.rng.choices(hours, weights)[0]
            moment = start + dt.timedelta(
                hours=hour, minutes=self.rng.randrange(60), seconds=self.rng.randrange(60)
            )
            if moment < self.now:
                self.at(moment, self.intake)

    def intake(self, waiting: bool = False) -> None:
        """A call or message received; unless `waiting`, its answer at intake or its dispatch planned."""
        rng = self.rng
        if not waiting and rng.random() < DUPLICATE_SHARE:
            original = self._open_case()
            if original is not None:
                self._duplicate(original)
                return
        scenario = rng.choices(self.scenarios, [s[2] for s in self.scenarios])[0]
        code, kind, _weight, title, content, _reply = scenario
        item = self.items[code]
        channel = rng.choices([c for c, _w in CHANNELS], [w for _c, w in CHANNELS])[0]
        grid = rng.choices(self.grids, self.grid_weights)[0]
        if channel == Channel.GRID_REPORT:
            # What grid workers find comes from the grid governance walk (demo/grid.py) through the
            # grid services; a citizen's matter drawn on this channel reaches the WeChat group instead.
            channel = Channel.WECHAT_GROUP
        _city, district, street, community, _grid = (self.area_names[code] for code in grid.path_codes())
        road = rng.choice(ROADS)
        received_by = {
            Channel.HOTLINE: self.operator,
            Channel.WECHAT_GROUP: self.operator,
            Channel.MEDIA: self.operator,
            Channel.REPORTING_PLATFORM: self.operator,
        }.get(channel)
        lon_min, lat_min, lon_max, lat_max = _bounds(grid.boundary)
        phone = f"{DEMO_PHONE_PREFIX}{next(self.phone_numbers):08d}"
        online = channel in (Channel.WEB, Channel.APP, Channel.MINI_PROGRAM)
        anonymous = channel == Channel.HOTLINE and rng.random() < ANONYMOUS_SHARE
        appeal = appeal_create(
            kind=kind,
            channel=channel,
            title=title,
            content=content.format(place=community, road=road) + DEMO_MARK,
            intake_unit=self.city_platform,
            received_by=received_by,
            address=f"{district}{street}{community}{road}{rng.randint(1, 99)}号附近（演示地址）",
            longitude=round(rng.uniform(lon_min, lon_max), 6),
            latitude=round(rng.uniform(lat_min, lat_max), 6),
            area=grid,
            # Online forms leave the matter to the dispatcher; the hotline operator picks it at once.
            item=None if online else item,
            citizen_name=CITIZEN_NAME,
            citizen_phone=phone,
            anonymous=anonymous,
            confidential=not anonymous and rng.random() < CONFIDENTIAL_SHARE,
        )
        case = Case(appeal=appeal, scenario=scenario, item=item, phone=phone)
        case.plan = self._plan(case)
        moment = self.clock.moment
        if waiting:
            return
        if case.plan["answer_at_intake"]:
            self.at(moment + dt.timedelta(minutes=rng.randint(3, 12)), self.answer_at_intake, case)
        else:
            self.at(self.later(case, moment, rng.uniform(0.1, 0.8)), self.dispatch, case)

    def _open_case(self) -> Case | None:
        """An appeal in handling that another citizen may call about; settled ones are forgotten."""
        while self.open_cases:
            case = self.rng.choice(self.open_cases)
            if Appeal.objects.filter(pk=case.appeal.pk, status=AppealStatus.DISPATCHED).exists():
                return case
            self.open_cases.remove(case)
        return None

    def _duplicate(self, original: Case) -> None:
        """Another caller reports the same problem: received, then linked to the appeal in handling
        (并案), which gets no second order; the caller is called back when it is completed."""
        appeal = original.appeal
        duplicate = appeal_create(
            kind=appeal.kind,
            channel=Channel.HOTLINE,
            title=appeal.title,
            content=appeal.content,
            intake_unit=self.city_platform,
            received_by=self.operator,
            address=appeal.address,
            longitude=appeal.longitude,
            latitude=appeal.latitude,
            area=appeal.area,
            item=original.item,
            citizen_name=CITIZEN_NAME,
            citizen_phone=f"{DEMO_PHONE_PREFIX}{next(self.phone_numbers):08d}",
        )
        moment = self.clock.moment + dt.timedelta(minutes=self.rng.randint(2, 8))
        self.at(moment, self.link_duplicate, duplicate, appeal)

    def link_duplicate(self, duplicate: Appeal, original: Appeal) -> None:
        appeal_link_duplicate(
            appeal=duplicate, original=original, by=self.operator, reason="同一问题的重复来电" + DEMO_MARK
        )

    def _plan(self, case: Case) -> dict:
        """Every decision of this appeal's life, drawn in one place so runs repeat exactly."""
        rng = self.rng
        r = rng.random
        return {
            "answer_at_intake": case.appeal.kind == AppealKind.INQUIRY and r() < 0.75,
            "return": r() < 0.07,
            "return_kind": rng.choice(["to_street", "not_our_duty", "wrong_area"]),
            "accept_late": r() < 0.08,
            "urge": r() < 0.06,
            "supervise": r() < 0.03,
            "escalate": r() < 0.5,
            "extension": r() < 0.06,
            "extension_approved": r() < 0.8,
            "whistle": r() < 0.3,
            "reply_share": rng.choices(
                [
                    rng.uniform(0.15, 0.5),
                    rng.uniform(0.5, 0.95),
                    rng.uniform(1.05, 2.5),
                    rng.uniform(3.0, 6.0),
                ],
                [64, 24, 8, 4],
            )[0],
            "review_send_back": r() < 0.05,
            "callback": rng.choices(
                ["satisfied", "basically", "unsatisfied_unit", "unsatisfied_other", "unreachable", "silent"],
                [58, 16, 12, 4, 5, 5],
            )[0],
            "second_callback": rng.choices(["satisfied", "basically", "unsatisfied"], [55, 30, 15])[0],
            "solved": r() < 0.9,
            "pause": r() < 0.04,
            "assist": r() < 0.08,
            "criticise": r() < 0.5,
        }

    def answer_at_intake(self, case: Case) -> None:
        """Most answers come from the knowledge base when it has the matter (and the entry may be
        given); the rest in the operator's own words. The citizen is asked the next day whether it
        helped. Its own random stream: the rest of the walk draws what it drew before."""
        entry = self.entries.get(case.scenario[3])
        if entry is not None and self.answer_rng.random() < 0.85:
            try:
                appeal_answer_at_intake(appeal=case.appeal, by=self.operator, knowledge_entry=entry)
            except DomainError:
                entry = None  # hidden today (overdue or flagged): the operator answers in their own words
            else:
                self._plan_answer_check(case)
                return
        appeal_answer_at_intake(appeal=case.appeal, answer=case.scenario[5] + DEMO_MARK, by=self.operator)
        self._plan_answer_check(case)

    def _plan_answer_check(self, case: Case) -> None:
        hours = settings.YOUSU_INTAKE_ANSWER_CHECK_HOURS + self.answer_rng.uniform(1, 30)
        self.at(self.clock.moment + dt.timedelta(hours=hours), self.check_answer, case)

    def check_answer(self, case: Case) -> None:
        record = IntakeAnswer.objects.filter(appeal=case.appeal, check_status=CheckStatus.PENDING).first()
        if record is None:
            return
        draw = self.answer_rng.random()
        if draw < 0.06:
            intake_answer_unreachable(record=record, by=self.operator, note="无人接听（演示）")
        else:
            intake_answer_check(record=record, by=self.operator, helped=draw < 0.9)

    # ------------------------------------------------------------ dispatch

    def dispatch(self, case: Case) -> None:
        appeal = case.appeal
        if appeal.item_id is None:
            appeal = case.appeal = appeal_set_item(appeal=appeal, item=case.item, by=self.dispatcher)
        case.order = appeal_dispatch(appeal=appeal, by=self.dispatcher)
        self.open_cases.append(case)
        # The catalog's answer, as dispatch recorded it: the unit the order travels down to.
        case.target = case.order.proposed_unit
        self._arrived(case)

    def _arrived(self, case: Case) -> None:
        order = case.order
        if order.unit_id != case.target.pk:
            self.at(self.later(case, self.clock.moment, self.rng.uniform(0.2, 1.5)), self.forward, case)
        elif case.plan["return"] and order.unit.kind in (UnitKind.DEPARTMENT, UnitKind.ENTERPRISE):
            self.at(self.later(case, self.clock.moment, self.rng.uniform(0.3, 2.0)), self.ask_return, case)
        else:
            self._plan_accept(case)

    def forward(self, case: Case) -> None:
        case.order = order_forward(order=case.order, by=self.dispatcher_of(case.order.unit))
        self._arrived(case)

    def ask_return(self, case: Case) -> None:
        """退单: most are refused by rule, the rest by the dispatcher (first-receiver duty)."""
        order = case.order
        kind = case.plan["return_kind"]
        handler = self.handler_of(order.unit)
        if kind == "to_street":
            street = Unit.objects.get(code=case.appeal.area.path_codes()[2])
            request = order_return_request(
                order=order,
                by=handler,
                reason=ReturnReason.NOT_OUR_DUTY,
                explanation="该问题发生在街道辖区内，建议由街道协调处理" + DEMO_MARK,
                suggested_unit=street,
                basis_item=case.item,
            )
        elif kind == "not_our_duty":
            request = order_return_request(
                order=order,
                by=handler,
                reason=ReturnReason.NOT_OUR_DUTY,
                explanation="本单位认为该事项不属于本单位职责" + DEMO_MARK,
                suggested_unit=_another_unit(order.unit, same_sector=False),
                basis_item=case.item,
            )
        else:
            request = order_return_request(
                order=order,
                by=handler,
                reason=ReturnReason.WRONG_AREA,
                explanation="诉求地点可能不在本单位辖区" + DEMO_MARK,
                suggested_unit=_another_unit(order.unit, same_sector=True),
                basis_item=case.item,
            )
        if request.status == RequestStatus.PENDING:
            self.at(
                self.working(self.clock.moment, self.rng.uniform(0.5, 3)), self.refuse_return, case, request
            )
        else:
            self._plan_accept(case)

    def refuse_return(self, case: Case, request: ReturnRequest) -> None:
        return_request_review(
            request=request,
            by=self.dispatcher_of(case.order.dispatched_from),
            approve=False,
            note="经核实，诉求地点在本单位辖区内，按首接负责办理" + DEMO_MARK,
        )
        if case.plan["criticise"]:
            # The seeds' case: a unit that tried to hand back its own work is named in a notice.
            criticism_notice_issue(
                unit=case.order.unit,
                reason=f"对职责范围内的诉求“{case.appeal.title}”申请退单，未落实首接负责制" + DEMO_MARK,
                by=self.supervisor,
                order=case.order,
            )
        self._plan_accept(case)

    # ------------------------------------------------------------ handling

    def _plan_accept(self, case: Case) -> None:
        order = case.order
        limit = order.response_due - order.clock_start
        share = self.rng.uniform(1.2, 2.0) if case.plan["accept_late"] else self.rng.uniform(0.05, 0.6)
        moment = max(self.clock.moment, order.clock_start) + limit * share
        if not self._urgent(case):
            moment = self.working(moment, 0)
        self.at(moment, self.accept, case)

    def accept(self, case: Case) -> None:
        order = case.order = order_accept(order=case.order, by=self.handler_of(case.order.unit))
        plan, moment = case.plan, self.clock.moment
        reply_at = self._share_of_limit(case, plan["reply_share"])
        if plan["extension"] and not self._urgent(case) and order.completion_due > moment:
            ask_at = moment + (order.completion_due - moment) * 0.4
            self.at(ask_at, self.ask_extension, case)
            # Asked for because the work takes longer: done a little after the first deadline.
            reply_at = self._share_of_limit(case, self.rng.uniform(1.05, 1.3))
        if plan["whistle"] and order.unit.kind == UnitKind.STREET:
            self.at(self.working(moment, self.rng.uniform(0.5, 2)), self.blow_whistle, case)
        if plan["urge"] and reply_at > moment + dt.timedelta(hours=2):
            self.at(moment + (reply_at - moment) * 0.5, self.urge, case)
        if plan["supervise"] and reply_at > moment + dt.timedelta(hours=4):
            self.at(moment + (reply_at - moment) * 0.6, self.supervise, case)
        if plan["pause"] and reply_at > moment + dt.timedelta(hours=4):
            paused_at = moment + (reply_at - moment) * 0.3
            self.at(paused_at, self.pause, case)
            self.at(paused_at + (reply_at - paused_at) * 0.5, self.resume, case)
        if plan["assist"] and order.unit.kind == UnitKind.DEPARTMENT and order.unit.level == Level.DISTRICT:
            self._plan_assist(case, reply_at)
        self.at(max(reply_at, moment + dt.timedelta(minutes=10)), self.reply, case)

    def _plan_assist(self, case: Case, reply_at: dt.datetime) -> None:
        """协办: the district platform brings in a second department, which signs for its part and
        submits it before the lead unit replies (or the assist is not planned at all)."""
        added_at = self.working(self.clock.moment, self.rng.uniform(0.5, 2))
        accepted_at = self.working(added_at, self.rng.uniform(0.5, 3))
        submitted_at = self.working(accepted_at, self.rng.uniform(1, 6))
        if submitted_at < reply_at:
            self.at(added_at, self.add_assist, case, accepted_at, submitted_at)

    def add_assist(self, case: Case, accepted_at: dt.datetime, submitted_at: dt.datetime) -> None:
        lead = case.order
        district = lead.unit.area.code
        helper_unit = (
            Unit.objects.filter(
                code__in=[f"{district}-{sector}" for sector in ASSIST_SECTORS], kind=UnitKind.DEPARTMENT
            )
            .exclude(pk=lead.unit_id)
            .order_by("code")
            .first()
        )
        helper = order_add_assist(
            order=lead,
            by=self.dispatcher_of(reviewing_platform(lead)),
            unit=helper_unit,
            reason="需相关部门配合现场核查" + DEMO_MARK,
        )
        self.at(accepted_at, self.accept_assist, helper)
        self.at(submitted_at, self.submit_assist_part, helper)

    def accept_assist(self, helper: Order) -> None:
        order_accept(order=helper, by=self.handler_of(helper.unit))

    def submit_assist_part(self, helper: Order) -> None:
        order_submit_assist_part(
            order=helper, by=self.handler_of(helper.unit), text="已配合主办单位完成现场核查" + DEMO_MARK
        )

    def pause(self, case: Case) -> None:
        """挂起: the unit waits for the citizen's material; that time does not count against it."""
        order_pause(
            order=case.order,
            by=self.handler_of(case.order.unit),
            reason=PauseReason.WAITING_FOR_CITIZEN,
            explanation="需群众补充现场照片和相关材料" + DEMO_MARK,
        )

    def resume(self, case: Case) -> None:
        order_resume(order=case.order, by=self.handler_of(case.order.unit), note="群众已补充材料" + DEMO_MARK)

    def _share_of_limit(self, case: Case, share: float) -> dt.datetime:
        order = case.order
        if self._urgent(case):
            return order.clock_start + (order.completion_due - order.clock_start) * share
        limit = self.calendar.elapsed(order.clock_start, order.completion_due)
        return self.working(order.clock_start, limit.total_seconds() / 3600 * share)

    def ask_extension(self, case: Case) -> None:
        order = case.order
        request = order_extension_request(
            order=order,
            by=self.handler_of(order.unit),
            until=self.working(order.completion_due, self.rng.choice([8, 16, 24])),
            reason="需协调多个部门现场核查，申请延期办结" + DEMO_MARK,
        )
        self.at(
            self.working(self.clock.moment, self.rng.uniform(0.5, 3)), self.decide_extension, case, request
        )

    def decide_extension(self, case: Case, request: ExtensionRequest) -> None:
        approve = case.plan["extension_approved"]
        extension_request_review(
            request=request,
            by=self.dispatcher_of(reviewing_platform(case.order)),
            approve=approve,
            note="" if approve else "理由不充分，请按原时限办结" + DEMO_MARK,
        )

    def blow_whistle(self, case: Case) -> None:
        """街道吹哨、部门报到: the street summons two of its district's departments."""
        order = case.order
        district = case.appeal.area.path_codes()[1]
        departments = list(
            Unit.objects.filter(code__in=[f"{district}-urban_management", f"{district}-housing"]).order_by(
                "code"
            )
        )
        whistle = whistle_blow(
            by=self.leader_of(order.unit),
            problem=f"{case.appeal.title}：需相关部门到场联合处置" + DEMO_MARK,
            departments=departments,
            appeal=case.appeal,
        )
        for number, department in enumerate(departments):
            # The second department comes late once in a while: the whistle's record shows it.
            hours = (
                self.rng.uniform(30, 40)
                if number == 1 and self.rng.random() < 0.5
                else self.rng.uniform(1, 20)
            )
            if number == 1 and not self.someone_never_came and department.code.startswith(HOME_DISTRICT):
                # One department of the walk never comes: the sweep warns it, then escalates it, and
                # the supervision desk and its unit desk (a demo login's: the home district's urban
                # management) show a summons still missing (吹哨之后).
                self.someone_never_came = True
                continue
            self.at(self.clock.moment + dt.timedelta(hours=hours), self.report_in, whistle, department)

    def report_in(self, whistle: Whistle, department: Unit) -> None:
        whistle_report_in(
            whistle=whistle,
            by=self.handler_of(department),
            on_site=f"{department.name}执法人员2名（演示）",
            note="已到现场会同街道处置" + DEMO_MARK,
        )

    def urge(self, case: Case) -> None:
        urge_issue(order=case.order, by=self.supervisor, text=f"请加快办理“{case.appeal.title}”" + DEMO_MARK)

    def supervise(self, case: Case) -> None:
        order = case.order
        if order.supervision_orders.filter(status=SupervisionStatus.OPEN).exists():
            return  # the overdue node already issued one; a second would be refused
        supervision = supervision_order_issue(
            order=order,
            by=self.supervisor,
            reason=f"群众反映强烈，请重点督办“{case.appeal.title}”" + DEMO_MARK,
            escalate=case.plan["escalate"],
        )
        self._answer_later(supervision, self.rng)

    def _answer_later(self, supervision: SupervisionOrder, rng: random.Random) -> None:
        answer_at = self.working(self.clock.moment, rng.uniform(1, 6))
        self.at(answer_at, self.answer_supervision, supervision, rng)

    def answer_supervision(self, supervision: SupervisionOrder, rng: random.Random) -> None:
        supervision = supervision_order_answer(
            supervision=supervision,
            by=self.leader_of(supervision.unit),
            answer="已专题研究，安排专人负责，将尽快办结并答复群众" + DEMO_MARK,
        )
        self.at(self.working(self.clock.moment, rng.uniform(2, 10)), self.close_supervision, supervision)

    def close_supervision(self, supervision: SupervisionOrder) -> None:
        supervision_order_close(
            supervision=supervision, by=self.supervisor, note="已反馈，予以销号" + DEMO_MARK
        )

    def reply(self, case: Case) -> None:
        order = case.order
        result = ReplyResult.SOLVED if case.plan["solved"] else ReplyResult.EXPLAINED
        if case.appeal.kind in (AppealKind.INQUIRY, AppealKind.PRAISE, AppealKind.SUGGESTION):
            result = ReplyResult.EXPLAINED
        text = case.scenario[5] + DEMO_MARK
        if order.send_back_count:
            text = "经重新办理：" + text
        case.order = order_reply(order=order, by=self.handler_of(order.unit), text=text, result=result)
        self.at(self.working(self.clock.moment, self.rng.uniform(0.3, 3)), self.review, case)

    def review(self, case: Case) -> None:
        order = case.order
        reviewer = self.dispatcher_of(reviewing_platform(order))
        if case.plan["review_send_back"] and order.send_back_count == 0:
            case.order = order_review(
                order=order,
                by=reviewer,
                approve=False,
                note="答复未说明整改结果，请补充后重新答复" + DEMO_MARK,
            )
            self.at(self.later(case, self.clock.moment, self.rng.uniform(2, 8)), self.reply, case)
            return
        # The demo's replies are a sentence long and many score low; its dispatcher has read them.
        case.order = order_review(order=order, by=reviewer, approve=True, confirm_low_score=True)
        # The periodic job creates the callback at its next run; the desk calls back after that.
        self.at(
            self.working(self.clock.moment + PERIODIC_GAP, self.rng.uniform(1, 12)),
            self.call_back,
            case,
        )

    # ------------------------------------------------------------ callbacks

    def call_back(self, case: Case) -> None:
        order = case.order
        order.refresh_from_db()
        pending = list(
            Callback.objects.filter(
                order=order, order_completed_at=order.completed_at, status=CallbackStatus.PENDING
            ).order_by("pk")
        )
        own = [callback for callback in pending if callback.appeal_id == case.appeal.pk]
        if not own and not case.appeal.anonymous:
            raise SimulationError(f"{case.appeal.code} 办结后没有待回访记录")
        for callback in pending:
            if callback.appeal_id != case.appeal.pk:
                # Linked callers are asked too; the first answer settles the order, later ones count.
                moment = self.working(self.clock.moment, self.rng.uniform(0.2, 2))
                self.at(moment, self.call_back_linked, callback)
        if own:
            self._ask(case, own[0])

    def call_back_linked(self, callback: Callback) -> None:
        callback.refresh_from_db()
        if callback.status != CallbackStatus.PENDING:
            return  # overtaken: the order was sent back meanwhile and this caller will be asked again
        callback_record(
            callback=callback,
            by=self.operator,
            solved=True,
            satisfaction=self.rng.choice([Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED]),
            unit_caused=None,
        )

    def _ask(self, case: Case, callback: Callback) -> None:
        choice = case.plan["callback"] if callback.round == 1 else case.plan["second_callback"]
        if choice == "silent" and callback.channel == CallbackChannel.PHONE:
            choice = "unreachable"
        if callback.channel != CallbackChannel.PHONE:
            if choice in ("silent", "unreachable"):
                return  # the citizen never opens the link; it expires and the periodic job gives up
            self._answer_link(case, callback, choice)
            return
        if choice == "unreachable":
            self._unreachable(case, callback)
            return
        satisfaction, unit_caused = _satisfaction(choice)
        callback = callback_record(
            callback=callback,
            by=self.operator,
            solved=case.plan["solved"] and satisfaction != Satisfaction.UNSATISFIED,
            satisfaction=satisfaction,
            unit_caused=unit_caused,
            comment=self._comment(satisfaction),
        )
        self._after_answer(case, callback)

    def _answer_link(self, case: Case, callback: Callback, choice: str) -> None:
        texts = self.phones.get(case.phone, [])
        found = self.link.search(texts[-1]) if texts else None
        if found is None:
            raise SimulationError(f"{case.appeal.code} 的回访短信未送达演示号码")
        satisfaction, _unit_caused = _satisfaction(choice)
        callback = callback_by_token(
            token=found.group(1),
            solved=satisfaction != Satisfaction.UNSATISFIED,
            satisfaction=satisfaction,
            comment=self._comment(satisfaction),
        )
        if callback.outcome == CallbackOutcome.SEND_BACK_REQUESTED:
            self.at(
                self.working(self.clock.moment, self.rng.uniform(0.5, 4)),
                self.carry_out_send_back,
                case,
                callback,
            )
        else:
            self._after_answer(case, callback)

    def carry_out_send_back(self, case: Case, callback: Callback) -> None:
        order = Order.objects.get(pk=callback.order_id)
        if order.status != OrderStatus.COMPLETED:
            # Closed in the meantime by the answered callback of a linked duplicate's citizen: the
            # service refuses a send-back then, and the operator finds nothing left to send back.
            return
        callback = callback_send_back(callback=callback, by=self.operator)
        self._after_answer(case, callback)

    def _unreachable(self, case: Case, callback: Callback) -> None:
        callback = callback_unreachable(
            callback=callback, by=self.operator, note=self.rng.choice(UNREACHABLE_NOTES)
        )
        if callback.status == CallbackStatus.PENDING:
            self.at(
                self.working(self.clock.moment, self.rng.uniform(1, 4)), self._unreachable, case, callback
            )

    def _comment(self, satisfaction: str) -> str:
        if satisfaction == Satisfaction.UNSATISFIED:
            return self.rng.choice(UNSATISFIED_COMMENTS) + DEMO_MARK
        return ""

    def _after_answer(self, case: Case, callback: Callback) -> None:
        if callback.outcome == CallbackOutcome.SENT_BACK:
            # 退回重办: the unit handles it again and replies; a new completion, a new callback.
            case.order.refresh_from_db()
            self.at(self.later(case, self.clock.moment, self.rng.uniform(4, 16)), self.reply, case)

    # ------------------------------------------------------------ the periodic job

    def periodic(self) -> None:
        run_periodic(now=self.clock.moment)
        # The supervised units' leaders answer the supervision orders the overdue nodes issued.
        for supervision in (
            SupervisionOrder.objects.filter(pk__gt=self.seen_supervision, issued_by__isnull=True)
            .select_related("unit", "order__appeal", "report_in__whistle__appeal")
            .order_by("pk")
        ):
            self.seen_supervision = max(self.seen_supervision, supervision.pk)
            # The grid walk's orders and the missed report-ins draw from streams of their own, so the
            # citizens' walk stays the same.
            if supervision.report_in_id is not None:
                rng = self.report_in_rng
            elif supervision.order.appeal.channel in GRID_CHANNELS:
                rng = self.grid_activity.rng
            else:
                rng = self.rng
            if supervision.unit.kind not in PLATFORM_KINDS and rng.random() < 0.85:
                self._answer_later(supervision, rng)


def _satisfaction(choice: str) -> tuple[str, bool | None]:
    return {
        "satisfied": (Satisfaction.SATISFIED, None),
        "basically": (Satisfaction.BASICALLY_SATISFIED, None),
        "unsatisfied": (Satisfaction.UNSATISFIED, True),
        "unsatisfied_unit": (Satisfaction.UNSATISFIED, True),
        "unsatisfied_other": (Satisfaction.UNSATISFIED, False),
    }[choice]


def _bounds(boundary) -> tuple[float, float, float, float]:
    if isinstance(boundary, str):
        boundary = json.loads(boundary)
    ring = boundary["coordinates"][0]
    lons, lats = [point[0] for point in ring], [point[1] for point in ring]
    return min(lons), min(lats), max(lons), max(lats)


# ---------------------------------------------------------------- entry point


def build_activity(
    *, days: int = 30, per_day: int = 10, seed: int = 2026, now: dt.datetime | None = None
) -> ActivitySummary:
    """Simulate `days` days of appeals (about `per_day` a working day) ending at `now`, through the
    real services. Does nothing when the database already holds appeals (the summary says so)."""
    if not 1 <= days <= MAX_DAYS:
        raise DomainError(f"模拟天数应在 1 到 {MAX_DAYS} 之间", field="days")
    if not 1 <= per_day <= MAX_PER_DAY:
        raise DomainError(f"每日诉求数应在 1 到 {MAX_PER_DAY} 之间", field="per_day")
    found = set(
        Person.objects.filter(username__in=SIMULATION_DESKS, is_demo=True).values_list("username", flat=True)
    )
    missing = [username for username in SIMULATION_DESKS if username not in found]
    if missing or not Unit.objects.filter(code=CITY_PLATFORM).exists():
        raise DomainError(
            f"请先生成演示城市（yousu demo）；缺少演示账号：{'、'.join(missing) or '—'}", field="demo"
        )
    started = time.perf_counter()
    now = timezone.localtime(now or timezone.now())
    existing = Appeal.objects.count()
    if existing:
        return ActivitySummary(skipped=True, existing_appeals=existing)
    first_day = timezone.localdate(now) - dt.timedelta(days=days - 1)
    tz = timezone.get_default_timezone()
    with (
        demo_phones() as phones,
        simulated_clock(dt.datetime.combine(first_day, dt.time(), tzinfo=tz)) as clock,
    ):
        # Before the simulated periodic job assesses anything: the demo's scheme weighs report-ins.
        _ensure_demo_scheme()
        simulation = Simulation(rng=random.Random(seed), now=now, per_day=per_day, clock=clock, phones=phones)
        simulation.run(first_day)
        clock.moment = now
        assessed = _assess_previous_month(now)
        published = _publish_typical_cases()
    tallies = tally_events(now=now)
    summary = summarise_activity(now=now, actors_created=simulation.actors_created)
    summary.assessed_month, summary.tallies, summary.typical_cases = assessed, tallies, published
    summary.first_day, summary.last_day = first_day, timezone.localdate(now)
    summary.seconds = round(time.perf_counter() - started, 1)
    return summary


def _ensure_demo_scheme() -> None:
    """The demo's scheme weighs the departments' report-in rate (报到率), as the mechanism asks a city
    to: the default scheme lists it at weight 0; the demo gives it 10 alongside the three rates."""
    scheme = (
        AssessmentScheme.objects.filter(valid_from__lte=timezone.localdate()).order_by("-valid_from").first()
    )
    if scheme is not None and scheme.report_in_weight == 0:
        scheme.report_in_weight = 10
        scheme.full_clean()
        scheme.save(update_fields=["report_in_weight"])


def _assess_previous_month(now: dt.datetime) -> str:
    """The monthly assessment of the month before `now`, as the monthly job would have run it (final
    when every sign-for limit has passed, and then the red and yellow zones are told), and the running
    month to date, which is provisional until it ends."""
    month = previous_month(timezone.localdate(now))
    start, end = month_bounds(month)
    if end > now or not Appeal.objects.filter(received_at__gte=start, received_at__lt=end).exists():
        return ""
    # The simulated periodic job has usually assessed it already (and made it final once every sign-for
    # limit passed, telling the red and yellow zones); only what it left undone is computed here.
    current = AssessmentRun.objects.filter(month=month, is_current=True).first()
    if current is None or current.is_provisional:
        assess_and_publish(month=month, note="演示数据：模拟活动生成后计算")
    assess_and_publish(month=next_month(month), note="演示数据：本月截至今日，暂定")
    return f"{month:%Y-%m}"


def _publish_typical_cases(limit: int = 2) -> int:
    """The demo supervisor publishes the first closed, satisfied appeals as typical cases, so the
    public page shows some; the publishing service redacts and checks the texts as for anyone."""
    supervisor = Person.objects.get(username="supervisor")
    published = 0
    candidates = (
        Appeal.objects.filter(status=AppealStatus.CLOSED, confidential=False, anonymous=False)
        # One filter() call, so the three conditions hold for the same order (the forwarding
        # platforms' orders of the appeal have no reply of their own).
        .filter(orders__role=OrderRole.LEAD, orders__status=OrderStatus.CLOSED, orders__reply_text__gt="")
        .order_by("id")
        .distinct()
    )
    for appeal in candidates[:limit]:
        order = appeal.orders.filter(role=OrderRole.LEAD, status=OrderStatus.CLOSED).order_by("-id").first()
        typical_case_publish(
            appeal=appeal, by=supervisor, title=appeal.title, summary=appeal.content, outcome=order.reply_text
        )
        published += 1
    return published
