"""What every figure of the monthly assessment (考评) and of the grassroots-burden table means.

Written once, as data: the API sends these texts next to the numbers, the admin shows them, and the
computation in `assessment.py` follows them. Change a rule there and here together.

Which orders count in which month, and when each outcome is judged, is `TIMING` below: the pages,
the API and docs/assessment.md show it next to the figures.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# Rate code → its name, what it measures, and the formula. The scheme weighs the same codes.
RATES = {
    "response_rate": {
        "name": _("响应率"),
        "definition": _(
            "本月派给本单位的主办工单中，在签收时限内签收的比例。转派下级和退单获准的工单不计入；"
            "签收时限跨月的，签收后（或时限届满仍未签收时）计入派单所在月份。"
        ),
        "formula": _("按时签收工单数 ÷（本月派单数 − 转派、退单获准 − 签收结果待定）"),
    },
    "completion_rate": {
        "name": _("办结率"),
        "definition": _(
            "本月应办结的主办工单（本月派单、月初仍未办结的上月结转工单、本月被退回重办的工单）中，"
            "到月末已办结且未被重新打开的比例。月末未办结但办结时限尚未届满的工单不算未办结，"
            "结转到下月判定。"
        ),
        "formula": _("月末已办结数 ÷（本月应办结数 − 期限内结转数）"),
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
    "report_in_rate": {
        "name": _("报到率"),
        "definition": _(
            "本月街道、社区吹哨召集本单位（职能部门或企事业单位）的次数中，在报到时限内报到的比例；"
            "迟到和时限届满未报到都算未按时报到，时限未到的待定。权重由考评方案确定。"
        ),
        "formula": _("按时报到次数 ÷（被召集报到次数 − 报到结果待定）"),
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
    "awaiting_response": {
        "name": _("签收结果待定"),
        "definition": _("本月派单中尚未签收、签收时限也未届满的工单数；有此类工单时本月结果为暂定。"),
    },
    "carried_over": {
        "name": _("期限内结转"),
        "definition": _("应办结工单中月末尚未办结、但办结时限尚未届满的，不计入本月办结率，结转到下月判定。"),
    },
    "report_ins_due": {
        "name": _("被召集报到次数"),
        "definition": _("本月街道、社区吹哨召集本单位报到的次数。"),
    },
    "report_ins_on_time": {"name": _("按时报到"), "definition": _("其中在报到时限内报到的。")},
    "report_ins_late": {"name": _("迟到报到"), "definition": _("其中超过报到时限才报到的。")},
    "report_ins_missing": {"name": _("未报到"), "definition": _("其中报到时限已过仍未报到的。")},
    "report_ins_pending": {
        "name": _("报到结果待定"),
        "definition": _("其中尚未报到、报到时限也未届满的；有此类召集时本月结果为暂定。"),
    },
}

SCORE = {
    "name": _("综合得分"),
    "definition": _(
        "各率按考评方案的权重加权（某率本月没有分母时不计，其余权重按比例放大到 100 分），"
        "再减去超期、退单被驳回和通报批评的扣分，最低 0 分。本月没有任何可计算的率的单位不计分、不排名；"
        "派单平台只列数据，不参加计分排名。"
    ),
}
SAMPLE = {
    "name": _("样本不足"),
    "definition": _(
        "本月考核工单数（响应率与办结率分母中较大者）加上应报到次数少于考评方案的最少样本数（默认 3）"
        "的单位，各率照常列出，但不计分、不排名、不分区，显示为“样本不足”：一两件工单说明不了一个单位的工作。"
    ),
}
PROVISIONAL = {
    "name": _("暂定"),
    "definition": _(
        "月份尚未结束，或本月还有工单未到签收时限、被召集部门未到报到时限时，计算结果为暂定，"
        "页面、接口、报表和公开排名都标明“暂定”；这些时限全部届满后系统自动重算为终版，"
        "终版与暂定版的差别列在计算版本中。每月 15 日、25 日（考评方案可设）按本月截至当日的数据试算，"
        "预计处于红区的单位会收到预警。"
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
        "终版考评发布时，红区、黄区单位及其负责人会收到通知，写明各率、同类排名和失分的工单。"
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
    "whistles": {
        "name": _("吹哨次数"),
        "definition": _("本月本单位吹哨的次数：向部门求助，从不计入本单位的考评扣分。"),
    },
    "report_ins_due": {"name": _("应报到部门次"), "definition": _("本月吹哨召集的部门次数。")},
    "report_ins_on_time": {"name": _("按时报到部门次"), "definition": _("其中在报到时限内报到的。")},
    "access_list_refused": {
        "name": _("拒绝违反准入清单派单"),
        "definition": _(
            "本月有人试图把不在社区工作事项准入清单内的事项派给、转派给或请本社区协办，被系统拒绝的次数。"
        ),
    },
    "forwards_refused": {
        "name": _("拒绝违反目录转派"),
        "definition": _(
            "本月有人试图把职责目录规定由部门负责的事项转派给本街道或社区、未经会商决定或市平台批准的例外，"
            "被系统拒绝的次数。"
        ),
    },
    "delegated": {
        "name": _("经批准下放"),
        "definition": _(
            "本月依据会商决定或市平台批准的目录例外，转派给本街道或社区的、目录规定由他人负责的工单数："
            "经过批准，但仍是基层多承担的工作。"
        ),
    },
    "hours_saved": {
        "name": _("减负工时（估算）"),
        "definition": _(
            "（驳回部门推诿 + 拒绝违反准入清单派单 + 拒绝违反目录转派）× 考评方案的每件工单估算工时："
            "挡在基层之外的工作量，是估算值而非实际记录的工时。"
        ),
    },
}


# Which month an order belongs to and when each of its outcomes is judged (跨月与计入规则).
TIMING = [
    _("只有主办工单计入单位的各率：主办单位对群众负责；协办单位的工作随主办工单结束，重复计算等于惩罚协助。"),
    _(
        "平台或街道逐级转派的工单不由其负责，计入接收单位；退单获准的工单是派错了，不计入该单位；"
        "退单被驳回的工单仍计入该单位，并作为退单被驳回扣分。"
    ),
    _(
        "工单属于派单所在的月份（按本市时间，11 月 30 日 23:59 派出的属 11 月；12 月 1 日转派下级的，"
        "下级工单属 12 月）。响应结果在签收时判定：签收时限跨月的，哪怕在下月签收，也计入派单所在月份；"
        "时限届满仍未签收的为未按时签收；时限未到的为“签收结果待定”，不算失败。"
    ),
    _(
        "办结在办结当月判定（本月新增 + 上月结转）：本月派单、月初仍未办结的结转工单和本月退回重办的工单应在本月办结；"
        "月末已办结的算已办结，月末未办结且办结时限已过的算未办结，办结时限未到的不算失败，结转到下月判定。"
        "10 月 31 日派单、11 月 2 日办结的工单计入 11 月的已办结。"
    ),
    _(
        "回访在回访当月计入，每单一次：取本月最后一次回访（不满意退回重办一次，第二次回访是群众的结论），"
        "计入回访所针对的单位。"
    ),
    _(
        "报到结果在报到时判定，计入吹哨所在月份：时限内报到为按时，超时报到为迟到，时限届满仍未报到为未报到，"
        "时限未到的待定。吹哨在街道、社区的基层减负数据中计为向部门求助，不计入其扣分。"
    ),
    _(
        "只要本月还有签收结果待定或报到结果待定，本月结果就是暂定；最后一个时限届满后自动重算为终版，"
        "终版替代暂定版并列出变化。"
    ),
]


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
        "sample": {key: str(text) for key, text in SAMPLE.items()},
        "provisional": {key: str(text) for key, text in PROVISIONAL.items()},
        "burden": plain(BURDEN),
        "timing": [str(rule) for rule in TIMING],
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
    lines += [
        f"| {data[key]['name']} | {data[key]['definition']} |"
        for key in ("score", "rank", "zone", "sample", "provisional")
    ]
    lines += ["", "## 基层减负 (grassroots burden)", "", "| 指标 | 定义 |", "| --- | --- |"]
    lines += [f"| {b['name']} | {b['definition']} |" for b in data["burden"].values()]
    lines += ["", "## 跨月与计入规则 (which orders count, and when)", ""]
    lines += [f"- {rule}" for rule in data["timing"]]
    lines += [""]
    return "\n".join(lines)
