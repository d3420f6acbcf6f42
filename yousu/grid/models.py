"""Grid governance and proactive handling (未诉先办).

Community party organisations and grid workers find problems before anyone complains. A grid worker's
report becomes an appeal at once; a community's daily discovery report (发现问题日报告) is studied by
its street (会商研判) and what the street sends up is studied and dispatched by the district
(区级问题研判派单); joint meetings (联席会议) push the hard ones. Rows are never deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yousu.appeals.models import Appeal
from yousu.catalog.models import CatalogItem
from yousu.dispatch.models import Consultation, Order
from yousu.org.models import Area, Unit

from .choices import DecisionKind, HandlingMode, ProblemSource, StreetDecision

USER = settings.AUTH_USER_MODEL


class ReportKind(models.Model):
    """A kind of matter grid workers report upward (网格员向上反馈事项). Data, not code: the defaults are
    the fourteen kinds the second seed counts; a city edits them and maps each to a catalog item."""

    code = models.CharField(_("编码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    description = models.TextField(_("说明"), blank=True)
    item = models.ForeignKey(
        CatalogItem,
        verbose_name=_("对应目录事项"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": 3},
        help_text=_("上报后按此三级事项和所在位置，依职责目录确定承办单位"),
    )
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("网格上报事项类别")
        verbose_name_plural = pgettext_lazy("plural", "网格上报事项类别")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


class DailyReportScope(models.Model):
    """Where the daily discovery report is required (a pilot district, a street, or the whole city):
    the communities under these areas are checked for a report every working day. With no row,
    nothing is checked — a city turns the mechanism on by naming where it applies."""

    area = models.OneToOneField(
        Area, verbose_name=_("实行区域"), on_delete=models.PROTECT, related_name="daily_report_scope"
    )
    since = models.DateField(_("起始日期"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("日报告实行范围")
        verbose_name_plural = pgettext_lazy("plural", "日报告实行范围")
        ordering = ["area__path"]

    def __str__(self) -> str:
        return f"{self.area}（{self.since} 起）"


class DailyReport(models.Model):
    """A community party organisation's problems found on one day (发现问题日报告). A report with no
    problem is still a report: it says the community looked and found nothing."""

    community = models.ForeignKey(
        Unit, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="daily_reports"
    )
    day = models.DateField(_("报告日期"))
    submitted_by = models.ForeignKey(
        USER, verbose_name=_("报送人"), on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("报送时间"))
    on_time = models.BooleanField(_("按时报送"), default=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("发现问题日报告")
        verbose_name_plural = pgettext_lazy("plural", "发现问题日报告")
        ordering = ["-day", "community__path"]
        constraints = [
            models.UniqueConstraint(fields=["community", "day"], name="dailyreport_one_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.community} · {self.day}"


class MissingDailyReport(models.Model):
    """A daily report not in by the set time, flagged to the street (未按时报送)."""

    community = models.ForeignKey(Unit, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(Unit, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("报告日期"))
    flagged_at = models.DateTimeField(_("标记时间"))
    report = models.OneToOneField(
        DailyReport,
        verbose_name=_("补报的日报告"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="missing_flag",
    )

    class Meta:
        verbose_name = _("日报告缺报")
        verbose_name_plural = pgettext_lazy("plural", "日报告缺报")
        ordering = ["-day", "community__path"]
        constraints = [
            models.UniqueConstraint(fields=["community", "day"], name="missingdailyreport_once"),
        ]

    def __str__(self) -> str:
        return f"{self.community} · {self.day}"


class FoundProblem(models.Model):
    """A problem found before (or regardless of) a complaint: a grid worker's report, or an item of a
    community's daily report. It becomes an appeal on the grid or proactive channel: a grid report at
    once, a daily-report item when its street decides to handle it or send it up."""

    source = models.CharField(_("来源"), max_length=20, choices=ProblemSource.choices)
    daily_report = models.ForeignKey(
        DailyReport,
        verbose_name=_("日报告"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="problems",
    )
    community = models.ForeignKey(
        Unit, verbose_name=_("发现社区"), on_delete=models.PROTECT, related_name="found_problems"
    )
    area = models.ForeignKey(
        Area, verbose_name=_("所在网格/区域"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.ForeignKey(
        ReportKind,
        verbose_name=_("事项类别"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("问题描述"))
    address = models.CharField(_("地址"), max_length=300, blank=True)
    longitude = models.FloatField(_("经度"), null=True, blank=True)
    latitude = models.FloatField(_("纬度"), null=True, blank=True)
    found_at = models.DateTimeField(_("发现时间"))
    reported_by = models.ForeignKey(
        USER, verbose_name=_("上报人"), on_delete=models.PROTECT, related_name="+"
    )
    mode = models.CharField(_("办理方式"), max_length=10, choices=HandlingMode.choices, blank=True)
    appeal = models.OneToOneField(
        Appeal,
        verbose_name=_("诉求"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="found_problem",
    )
    # A citizen's appeal about the same matter and place received before the problem was found: then
    # it was not found before a complaint. Looked up when the problem is reported.
    prior_complaint = models.ForeignKey(
        Appeal,
        verbose_name=_("此前的群众诉求"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    street_decision = models.CharField(
        _("街道研判"), max_length=10, choices=StreetDecision.choices, blank=True
    )
    street_reason = models.TextField(_("研判意见"), blank=True)
    street_decided_by = models.ForeignKey(
        USER, verbose_name=_("研判人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    street_decided_at = models.DateTimeField(_("研判时间"), null=True, blank=True)
    district_decided_by = models.ForeignKey(
        USER, verbose_name=_("区级派单人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    district_decided_at = models.DateTimeField(_("区级派单时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("发现的问题")
        verbose_name_plural = pgettext_lazy("plural", "发现的问题")
        ordering = ["-found_at", "-id"]
        indexes = [models.Index(fields=["community", "found_at"], name="foundproblem_community_at")]

    def __str__(self) -> str:
        return f"{self.community} · {self.text[:30]}"

    @property
    def before_complaint(self) -> bool:
        return self.prior_complaint_id is None


class JointMeeting(models.Model):
    """A joint meeting (联席会议) that pushes hard problems: who convened it, when, who attended."""

    convened_by = models.ForeignKey(
        Unit, verbose_name=_("召集单位"), on_delete=models.PROTECT, related_name="joint_meetings"
    )
    held_on = models.DateField(_("会议日期"))
    title = models.CharField(_("会议名称"), max_length=200)
    place = models.CharField(_("地点"), max_length=200, blank=True)
    attendees = models.ManyToManyField(Unit, verbose_name=_("参会单位"), related_name="+")
    minutes = models.TextField(_("会议纪要"))
    recorded_by = models.ForeignKey(
        USER, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("联席会议")
        verbose_name_plural = pgettext_lazy("plural", "联席会议")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.held_on} {self.title}"


class MeetingMatter(models.Model):
    """One matter a joint meeting discussed: an appeal (often a found problem's)."""

    meeting = models.ForeignKey(
        JointMeeting, verbose_name=_("联席会议"), on_delete=models.PROTECT, related_name="matters"
    )
    appeal = models.ForeignKey(Appeal, verbose_name=_("诉求"), on_delete=models.PROTECT, related_name="+")
    discussion = models.TextField(_("研究情况"))

    class Meta:
        verbose_name = _("会议议题")
        verbose_name_plural = pgettext_lazy("plural", "会议议题")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "appeal"], name="meetingmatter_once_per_meeting"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} · {self.appeal.code}"


class MeetingDecision(models.Model):
    """A decision with an owner and a deadline; it becomes an order (tracked like any order) or the
    outcome of the appeal's open consultation."""

    matter = models.ForeignKey(
        MeetingMatter, verbose_name=_("议题"), on_delete=models.PROTECT, related_name="decisions"
    )
    kind = models.CharField(_("落实方式"), max_length=20, choices=DecisionKind.choices)
    text = models.TextField(_("决定事项"))
    owner = models.ForeignKey(Unit, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+")
    due = models.DateTimeField(_("完成时限"))
    order = models.ForeignKey(
        Order, verbose_name=_("形成的工单"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    consultation = models.ForeignKey(
        Consultation,
        verbose_name=_("会商"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("会议决定")
        verbose_name_plural = pgettext_lazy("plural", "会议决定")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.owner} · {self.text[:30]}"
