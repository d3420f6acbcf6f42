"""What every figure of the monthly assessment (考评) and of the grassroots-burden table means.

Written once, as data: the API sends these texts next to the numbers, the admin shows them, and the
computation in `assessment.py` follows them. Change a rule there and here together.

Which orders count, and when:
- Only lead orders (主办) count for a unit's rates: the lead unit answers to the citizen; an assisting
  unit's part ends with the lead, and counting it twice would punish help.
- A platform or street that forwards an order down (三级派单) does not answer for it: the order counts
  for the unit that received it. Likewise an order whose return (退单) was approved was sent to the wrong
  unit by the dispatcher and leaves that unit's figures; a refused return keeps it there and counts
  against the unit as a refused return.
- Across a month boundary an order counts where each thing happened, as monthly 12345 assessments do
  (本月新增 + 上月结转): received and responded in the month it was dispatched; due for completion in the
  month it was dispatched, in every following month it is still open at the start of, and in a month it
  is sent back in; completed in the month of its (last) completion. So an order dispatched on 31 October
  and completed on 2 November is open in October's figures and completed in November's.
- Callbacks count in the month of the callback, one per order: the order's last callback in the month
  (an unsatisfied callback sends the order back once; the second callback is the citizen's verdict).
  The unit is the one the callback names.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# Rate code → its name, what it measures, and the formula. The scheme weighs the same codes.
RATES = {
    "response_rate": {
        "name": _("响应率"),
        "definition": _(
            "本月派给本单位的主办工单中，在签收时限内签收的比例。转派下级和退单获准的工单不计入。"
        ),
        "formula": _("按时签收工单数 ÷ 本月派单数（不含转派、退单获准）"),
    },
    "completion_rate": {
        "name": _("办结率"),
        "definition": _(
            "本月应办结的主办工单（本月派单、月初仍未办结的上月结转工单、本月被退回重办的工单）中，"
            "到月末已办结且未被重新打开的比例。"
        ),
        "formula": _("月末已办结数 ÷ 本月应办结数"),
    },
    "on_time_rate": {
        "name": _("按时办结率"),
        "definition": _("本月办结的工单中，本月每次办结都在办结时限内的比例。"),
        "formula": _("按时办结数 ÷ 月末已办结数"),
    },
    "resolution_rate": {
        "name": _("解决率"),
        "definition": _("本月回访的工单（每单取本月最后一次回访）中，群众表示问题已解决的比例。"),
        "formula": _("已解决 ÷ 本月回访工单数"),
    },
    "satisfaction_rate": {
        "name": _("满意率"),
        "definition": _(
            "本月回访的工单（每单取本月最后一次回访）中，群众满意或基本满意的比例；"
            "经核实不满意并非承办单位造成的，不计入分母。"
        ),
        "formula": _("（满意 + 基本满意）÷（回访工单数 − 非单位原因的不满意）"),
    },
}

# The counts shown with the rates; the scheme deducts points for the last three.
COUNTS = {
    "received": {
        "name": _("派单数"),
        "definition": _("本月派给本单位的主办工单数（含随后转派下级或退单获准的）。"),
    },
    "assessed": {
        "name": _("考核工单数"),
        "definition": _("本月派单数减去转派下级和退单获准的工单：响应率的分母。"),
    },
    "due": {"name": _("应办结数"), "definition": _("本月派单、上月结转未办结和本月退回重办的主办工单数。")},
    "completed": {"name": _("已办结数"), "definition": _("应办结工单中到月末已办结的。")},
    "called_back": {"name": _("回访工单数"), "definition": _("本月有回访结果的工单数。")},
    "unreachable": {"name": _("回访未接通"), "definition": _("本月回访未能联系到群众的次数，不计入各率。")},
    "sent_back": {"name": _("退回重办"), "definition": _("本月本单位主办工单被退回重办的次数。")},
    "returns_filed": {"name": _("退单申请"), "definition": _("本月本单位提出的退单申请数。")},
    "returns_refused": {
        "name": _("退单被驳回"),
        "definition": _("本月本单位被驳回（含按规则驳回）的退单申请数；每次扣分。"),
    },
    "overdue": {"name": _("超期工单"), "definition": _("本月触发超期节点的本单位主办工单数；每单扣分。")},
    "criticism_notices": {"name": _("通报批评"), "definition": _("本月对本单位的通报批评数；每次扣分。")},
}

SCORE = {
    "name": _("综合得分"),
    "definition": _(
        "各率按考评方案的权重加权（某率本月没有分母时不计，其余权重按比例放大到 100 分），"
        "再减去超期、退单被驳回和通报批评的扣分，最低 0 分。本月没有任何可计算的率的单位不计分、不排名；"
        "派单平台只列数据，不参加计分排名。"
    ),
}
RANK = {
    "name": _("同类排名"),
    "definition": _("在同一层级、同一类型的单位（如区级职能部门、街道、社区）中按得分排名，同分同名次。"),
}
ZONE = {
    "name": _("红黄蓝区"),
    "definition": _(
        "按考评方案：阈值方式下得分低于红区线为红区、低于黄区线为黄区、其余为蓝区；"
        "排名比例方式下同类中排名靠前的一定比例为蓝区、靠后的一定比例为红区、其余为黄区。红区为预警。"
    ),
}

BURDEN = {
    "received": {
        "name": _("接收工单"),
        "definition": _("本月派给本街道或社区的主办工单数（含转派下级的）。"),
    },
    "assigned_elsewhere": {
        "name": _("目录规定他人负责"),
        "definition": _("其中职责目录指定的责任单位既不是本单位、也不在本单位之下的工单数：被转嫁的工作。"),
    },
    "pushdowns_refused": {
        "name": _("驳回部门推诿"),
        "definition": _("本月部门或企业提出、建议改由本单位承办而被驳回的退单申请数（含按规则驳回）。"),
    },
    "pushdowns_refused_by_rule": {
        "name": _("其中按规则驳回"),
        "definition": _("上项中因职责目录规定由部门负责而被系统按规则直接驳回的。"),
    },
    "whistles": {"name": _("吹哨次数"), "definition": _("本月本单位吹哨的次数。")},
    "report_ins_due": {"name": _("应报到部门次"), "definition": _("本月吹哨召集的部门次数。")},
    "report_ins_on_time": {"name": _("按时报到部门次"), "definition": _("其中在报到时限内报到的。")},
    "access_list_refused": {
        "name": _("拒绝违反准入清单派单"),
        "definition": _(
            "本月有人试图把不在社区工作事项准入清单内的事项派给、转派给或请本社区协办，被系统拒绝的次数。"
        ),
    },
    "hours_saved": {
        "name": _("减负工时（估算）"),
        "definition": _(
            "（驳回部门推诿 + 拒绝违反准入清单派单）× 考评方案的每件工单估算工时：挡在基层之外的工作量，"
            "是估算值而非实际记录的工时。"
        ),
    },
}


def as_data() -> dict:
    """The definitions as plain strings in the current language, for the API and the docs."""

    def plain(group: dict) -> dict:
        return {code: {key: str(text) for key, text in entry.items()} for code, entry in group.items()}

    return {
        "rates": plain(RATES),
        "counts": plain(COUNTS),
        "score": {key: str(text) for key, text in SCORE.items()},
        "rank": {key: str(text) for key, text in RANK.items()},
        "zone": {key: str(text) for key, text in ZONE.items()},
        "burden": plain(BURDEN),
    }


def as_markdown() -> str:
    """The definitions as the document `docs/assessment.md` (in the current language); a test keeps
    the committed document equal to this, so the docs cannot drift from what the code computes."""
    data = as_data()
    lines = [
        "# 考评与基层减负指标说明 (definitions of the assessment and grassroots-burden figures)",
        "",
        "Generated by `yousu assess --definitions` from `yousu/evaluation/definitions.py`;",
        "the web pages, the API and the Excel reports show the same texts next to the numbers.",
        "",
        "## 各率 (rates)",
        "",
        "| 指标 | 定义 | 计算公式 |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {r['name']} | {r['definition']} | {r['formula']} |" for r in data["rates"].values()]
    lines += ["", "## 计数 (counts)", "", "| 指标 | 定义 |", "| --- | --- |"]
    lines += [f"| {c['name']} | {c['definition']} |" for c in data["counts"].values()]
    lines += ["", "## 得分、排名与分区 (score, rank, zone)", "", "| 指标 | 定义 |", "| --- | --- |"]
    lines += [f"| {data[key]['name']} | {data[key]['definition']} |" for key in ("score", "rank", "zone")]
    lines += ["", "## 基层减负 (grassroots burden)", "", "| 指标 | 定义 |", "| --- | --- |"]
    lines += [f"| {b['name']} | {b['definition']} |" for b in data["burden"].values()]
    lines += ["", "## 跨月与计入规则 (which orders count, and when)", ""]
    rules = __doc__.split("Which orders count, and when:", 1)[1].strip()
    lines += [rules, ""]
    return "\n".join(lines)
