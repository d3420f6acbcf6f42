"""`yousu tally [--rebuild]`: count the events the dashboard's counters have not counted yet (what the
periodic job does every minute), or throw the counters away and count the whole event log again
(after a bulk import, or when the dimensions change)."""

from django.core.management.base import BaseCommand

from yousu.reports.models import Tally
from yousu.reports.tallies import tally_events


class Command(BaseCommand):
    help = "计入看板计数（--rebuild：按事件日志全部重算）"

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="清空看板计数，按事件日志全部重算")

    def handle(self, **options):
        result = tally_events(rebuild=options["rebuild"])
        if result.get("busy"):
            self.stdout.write("另一次计数正在进行，本次未计入。")
            return
        what = "重算" if options["rebuild"] else "计入"
        self.stdout.write(
            f"{what} {result['events']} 个事件，写入 {result['rows']} 行计数"
            f"（共 {Tally.objects.count()} 行），进度至事件 {result['watermark']}，用时 {result['seconds']} 秒"
        )
