"""`yousu classify evaluate` — train on one labelled file, score on another, print JSON."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from yousu.intelligence import classifier


class Command(BaseCommand):
    help = "训练与评估诉求文本分类模型"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        evaluate = sub.add_parser("evaluate", help="用一个文件训练、另一个文件评估")
        evaluate.add_argument("--train", required=True, dest="train_file")
        evaluate.add_argument("--test", required=True, dest="test_file")
        evaluate.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, action, **options):
        if action == "evaluate":
            return self._evaluate(options["train_file"], options["test_file"], options["as_json"])
        raise CommandError(_("未知的操作：%(action)s") % {"action": action})

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
