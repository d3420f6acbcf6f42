"""`yousu hot-issues` — absorb the appeals not yet grouped and refresh the heat (what the periodic job
does); `--rebuild` regroups the open hot issues from the last days' appeals; lists the hottest."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from yousu.core.errors import DomainError
from yousu.intelligence.hot_issues import hot_issues_periodic, hot_issues_rebuild, hot_issues_top


class Command(BaseCommand):
    help = "热点问题：归并新诉求并更新热度；--rebuild 重新归并未派单的热点问题"

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="丢弃未派单的热点问题，重新归并近期诉求")
        parser.add_argument("--days", type=int, help="重新归并最近多少天的诉求（默认：热点时间窗）")
        parser.add_argument("--top", type=int, default=10, help="列出热度最高的前几个（默认 10）")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, rebuild, days, top, as_json, **options):
        if days is not None and not rebuild:
            raise CommandError(_("--days 只能与 --rebuild 一起使用"))
        if top < 0:
            raise CommandError(_("--top 不能为负数"))
        try:
            result = hot_issues_rebuild(days=days) if rebuild else hot_issues_periodic()
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        rows = (
            [
                {
                    "id": h.pk,
                    "name": h.name,
                    "area": h.area.name if h.area_id else "",
                    "appeals": h.appeal_count,
                    "heat": h.heat,
                    "first_at": timezone.localtime(h.first_at).isoformat(),
                    "last_at": timezone.localtime(h.last_at).isoformat(),
                }
                for h in hot_issues_top(limit=top)
            ]
            if top
            else []
        )
        if as_json:
            self.stdout.write(json.dumps({**result, "top": rows}, ensure_ascii=False))
            return
        self.stdout.write(json.dumps(result, ensure_ascii=False))
        for row in rows:
            self.stdout.write(
                f"{row['heat']:>8.2f}  {row['appeals']:>4}  {row['name']}  "
                f"{row['first_at'][:10]} – {row['last_at'][:10]}"
            )
