"""Benchmark (not a test): the appeal-text classifier against a char TF-IDF + LinearSVC baseline.

    .venv/bin/python bench/classify.py [--data ../shared/data/tipdm2020c/labelled_messages.csv]

5-fold stratified cross-validation on the labelled file, the model and the baseline on the same
folds in the same run. Prediction time is measured with single-item predict calls (as intake calls
it) on one core. Then `yousu classify evaluate` runs on an 80/20 stratified split written to
temporary files, and its macro-F1 is compared with the model's on the same split scored here
(they must agree within 0.01). Prints one JSON object, then a markdown table.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

# One core: the figure is for one intake request on one CPU.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yousu.settings.development")

import django  # noqa: E402

django.setup()

from sklearn.model_selection import StratifiedKFold, train_test_split  # noqa: E402

from yousu.intelligence import classifier  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "tipdm2020c" / "labelled_messages.csv"


def cross_validate(build, texts, labels, folds: int) -> dict:
    scores = []
    for train_index, test_index in StratifiedKFold(folds, shuffle=True, random_state=0).split(texts, labels):
        model = build([texts[i] for i in train_index], [labels[i] for i in train_index])
        scores.append(
            classifier.evaluate(model, [texts[i] for i in test_index], [labels[i] for i in test_index])
        )
    return {
        "macro_f1": round(statistics.mean(s["macro_f1"] for s in scores), 4),
        "macro_f1_sd": round(statistics.stdev(s["macro_f1"] for s in scores), 4),
        "accuracy": round(statistics.mean(s["accuracy"] for s in scores), 4),
        "ms_per_item": round(statistics.mean(s["ms_per_item"] for s in scores), 3),
    }


def write(path: Path, texts, labels) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(zip(texts, labels, strict=True))


def evaluate_command_agrees(texts, labels) -> dict:
    train_x, test_x, train_y, test_y = train_test_split(
        texts, labels, test_size=0.2, stratify=labels, random_state=0
    )
    here = classifier.evaluate(classifier.train(train_x, train_y), test_x, test_y)["macro_f1"]
    with tempfile.TemporaryDirectory() as directory:
        train_file, test_file = Path(directory) / "train.csv", Path(directory) / "test.csv"
        write(train_file, train_x, train_y)
        write(test_file, test_x, test_y)
        command = [sys.executable, "-m", "yousu", "classify", "evaluate"]
        command += ["--train", str(train_file), "--test", str(test_file), "--json"]
        printed = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    return {
        "split_macro_f1": here,
        "command_macro_f1": printed["macro_f1"],
        "agrees": abs(here - printed["macro_f1"]) <= 0.01,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    examples = classifier.load_examples(args.data)
    texts, labels = examples.texts, examples.labels
    result = {
        "rows": len(texts),
        "labels": len(set(labels)),
        "folds": args.folds,
        "model": cross_validate(classifier.train, texts, labels, args.folds),
        "baseline": cross_validate(
            lambda x, y: classifier.build_baseline().fit(x, y), texts, labels, args.folds
        ),
        "evaluate_command": evaluate_command_agrees(texts, labels),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    print()
    print("| 模型 | macro-F1（5 折均值 ± 标准差） | 准确率 | 单条预测 ms |")
    print("|---|---|---|---|")
    for name, key in (
        ("字符 1–3 元 TF-IDF + 校准 LinearSVC（本模型）", "model"),
        ("字符 TF-IDF + LinearSVC（基线）", "baseline"),
    ):
        row = result[key]
        print(
            f"| {name} | {row['macro_f1']} ± {row['macro_f1_sd']} | {row['accuracy']} | {row['ms_per_item']} |"
        )


if __name__ == "__main__":
    main()
