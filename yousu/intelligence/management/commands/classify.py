"""`yousu classify train` — a new model version; `yousu classify evaluate` — train on one file, score another."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from yousu.intelligence import classifier, services


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

    def handle(self, *args, action, **options):
        if action == "evaluate":
            return self._evaluate(options["train_file"], options["test_file"], options["as_json"])
        if action == "train":
            return self._train(options["source"], options["activate"])
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
