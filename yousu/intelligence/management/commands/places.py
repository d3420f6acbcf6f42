"""`yousu places import FILE` — add place names (aliases, roads, landmarks, compounds) to areas;
`yousu places resolve "ADDRESS"` — print what place resolution makes of an address (and text) as JSON."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from yousu.core.errors import DomainError
from yousu.core.tabular import ImportFailed, TableError, read_table
from yousu.intelligence import places
from yousu.org.choices import Level
from yousu.org.models import Area


class Command(BaseCommand):
    help = "地名导入与地点识别"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        importing = sub.add_parser("import", help="从 CSV 或 XLSX 导入地名（列：area_code,name,kind[,note]）")
        importing.add_argument("file")
        resolving = sub.add_parser("resolve", help="识别一段地址（及诉求内容）所在的区域，输出 JSON")
        resolving.add_argument("address", nargs="?", default="", help="地址文字")
        resolving.add_argument("--text", default="", help="诉求标题和内容")
        resolving.add_argument("--city", default="", help="只在这个市级区域（编码）内识别")
        resolving.add_argument("--lat", type=float, help="纬度：同时给出经度时查找所在网格")
        resolving.add_argument("--lng", type=float, help="经度")

    def handle(self, *args, action, **options):
        if action == "import":
            return self._import(options["file"])
        if action == "resolve":
            return self._resolve(options)
        raise CommandError(_("未知的操作：%(action)s") % {"action": action})

    def _import(self, file):
        try:
            result = places.import_place_names(read_table(file))
        except (TableError, ImportFailed) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            _("已导入地名：新增 %(created)d 个，更新 %(updated)d 个")
            % {"created": result.created, "updated": result.updated}
        )

    def _resolve(self, options):
        address, text = options["address"], options["text"]
        lat, lng = options["lat"], options["lng"]
        if (lat is None) != (lng is None):
            raise CommandError(_("--lat 和 --lng 须同时给出"))
        if not (address.strip() or text.strip() or lat is not None):
            raise CommandError(_("请给出地址、--text 或 --lat/--lng"))
        city = None
        if options["city"]:
            city = Area.objects.filter(code=options["city"], level=Level.CITY).first()
            if city is None:
                raise CommandError(_("未知的市级区域编码：%(code)s") % {"code": options["city"]})
        try:
            point = None
            if lat is not None:
                grid = places.grid_at(lat=lat, lng=lng, within=city)
                point = {"lat": lat, "lng": lng, "grid": None}
                if grid is not None:
                    point.update(places.grid_chain(grid))
            resolution = places.resolve_place(address=address, text=text, city=city)
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            json.dumps({"place": places.place_as_dict(resolution), "point": point}, ensure_ascii=False)
        )
