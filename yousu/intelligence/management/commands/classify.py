"""`yousu classify train` — a new model version; `yousu classify evaluate` — train on one file, score another."""

from __future__ import annotations

import argparse
import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from yousu.core.errors import DomainError
from yousu.intelligence import classifier, services
from yousu.intelligence.suggestions import first_try_accuracy


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(_("日期格式应为 YYYY-MM-DD：%(value)s") % {"value": value}) from None


def _percent(rate) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


class Command(BaseCommand):
    help = "训练与评估诉求文本分类模型"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        train = sub.add_parser("train", help="训练新版本模型")
        train.add_argument(
            "--from",
            dest="source",
            help="CSV 或 XLSX（text,label 两列）；不给则用本平台已办结诉求及其最终事项",
        )
        train.add_argument("--activate", action="store_true", help="训练后设为启用中的模型")
        evaluate = sub.add_parser("evaluate", help="用一个文件训练、另一个文件评估")
        evaluate.add_argument("--train", required=True, dest="train_file")
        evaluate.add_argument("--test", required=True, dest="test_file")
        evaluate.add_argument("--json", action="store_true", dest="as_json")
        accuracy = sub.add_parser("accuracy", help="派单建议的首派准确率（按周、按领域）")
        accuracy.add_argument("--start", type=_date, help="开始日期 YYYY-MM-DD（默认结束日期前 12 周）")
        accuracy.add_argument("--end", type=_date, help="结束日期 YYYY-MM-DD（默认今天）")
        accuracy.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, action, **options):
        if action == "evaluate":
            return self._evaluate(options["train_file"], options["test_file"], options["as_json"])
        if action == "train":
            return self._train(options["source"], options["activate"])
        if action == "accuracy":
            return self._accuracy(options["start"], options["end"], options["as_json"])
        raise CommandError(_("未知的操作：%(action)s") % {"action": action})

    def _train(self, source, activate):
        try:
            examples = classifier.load_examples(source) if source else services.settled_appeal_examples()
            record = services.model_train(examples=examples, activate=activate)
        except classifier.TrainingDataError as exc:
            raise CommandError(str(exc)) from None
        summary = record.training_summary
        state = _("已启用") if record.is_active else _("未启用")
        self.stdout.write(
            _("已训练模型 v%(version)d（%(rows)d 条，%(labels)d 个类别，%(state)s）：%(path)s")
            % {
                "version": record.version,
                "rows": summary["rows"],
                "labels": len(summary["labels"]),
                "state": state,
                "path": services.models_dir() / record.file_path,
            }
        )

    def _accuracy(self, start, end, as_json):
        end = end or timezone.localdate()
        start = start or end - dt.timedelta(weeks=12)
        try:
            figures = first_try_accuracy(start=start, end=end)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if as_json:
            self.stdout.write(json.dumps(figures, ensure_ascii=False))
            return
        header = _("派单数  首选正确  前三含正确  首派成功  自动派单  撤回")
        self.stdout.write(_("%(start)s 至 %(end)s") % {"start": figures["start"], "end": figures["end"]})
        self.stdout.write(f"{'':12}{header}")
        rows = [(_("合计"), figures["overall"])]
        rows += [(week["week"], week) for week in figures["weeks"]]
        rows += [(field["name"], field) for field in figures["fields"]]
        for name, row in rows:
            self.stdout.write(
                f"{name:12}{row['dispatched']:6}  {_percent(row['agreed_rate']):>8}  {_percent(row['top3_rate']):>10}"
                f"  {_percent(row['first_try_rate']):>8}  {row['auto']:8}  {row['withdrawn']:4}"
            )

    def _evaluate(self, train_file, test_file, as_json):
        try:
            train = classifier.load_examples(train_file)
            classifier.check_trainable(train)
            test = classifier.load_examples(test_file)
        except classifier.TrainingDataError as exc:
            raise CommandError(str(exc)) from None
        model = classifier.train(train.texts, train.labels)
        result = classifier.evaluate(model, test.texts, test.labels)
        result["n_train"] = len(train.texts)
        result["labels"] = sorted(set(train.labels))
        if as_json:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            for key, value in result.items():
                self.stdout.write(f"{key}: {value}")
