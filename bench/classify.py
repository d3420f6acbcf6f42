"""Benchmark (not a test): the appeal-text classifier against a char TF-IDF + LinearSVC baseline.

    .venv/bin/python bench/classify.py [--data ../shared/data/tipdm2020c/labelled_messages.csv] [--explore]

5-fold stratified cross-validation on the labelled file, the model and the baseline on the same
folds in the same run. Prediction time is measured with single-item predict calls (as intake calls
it) on one core. The model's calibration is checked on the same folds: the Brier score and, per
band of top-1 probability, the mean probability beside the share of appeals whose top-1 was right.
Then `yousu classify evaluate` runs on an 80/20 stratified split written to temporary files, and
its macro-F1 is compared with the model's on the same split scored here (they must agree within
0.01). Prints one JSON object, then markdown tables.

--explore also cross-validates, on the same folds, the other configurations that were tried before
choosing the model (batch predictions, so no timing), and prints their table.
"""

from __future__ import annotations

import argparse
import csv
import functools
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

import numpy  # noqa: E402
from sklearn.calibration import CalibratedClassifierCV  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression, RidgeClassifier, SGDClassifier  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold, train_test_split  # noqa: E402
from sklearn.naive_bayes import ComplementNB  # noqa: E402
from sklearn.pipeline import FeatureUnion, make_pipeline  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from yousu.intelligence import classifier  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "tipdm2020c" / "labelled_messages.csv"


BANDS = (0.5, 0.7, 0.9)  # top-1 probability bands: < 0.5, 0.5–0.7, 0.7–0.9, >= 0.9


def calibration(model, texts, labels) -> dict:
    probabilities = model.predict_proba(texts)
    truth = numpy.asarray(labels)
    top = probabilities.max(axis=1)
    right = model.classes_[probabilities.argmax(axis=1)] == truth
    onehot = (model.classes_[None, :] == truth[:, None]).astype(float)
    return {"brier": ((probabilities - onehot) ** 2).sum(axis=1), "top": top, "right": right}


def summarise_calibration(parts: list[dict]) -> dict:
    top = numpy.concatenate([p["top"] for p in parts])
    right = numpy.concatenate([p["right"] for p in parts])
    band = numpy.digitize(top, BANDS)
    edges = (0.0, *BANDS, 1.0)
    bands = []
    for n in range(len(edges) - 1):
        inside = band == n
        if inside.any():
            bands.append(
                {
                    "band": f"{edges[n]}–{edges[n + 1]}",
                    "appeals": int(inside.sum()),
                    "mean_top1_probability": round(float(top[inside].mean()), 3),
                    "top1_accuracy": round(float(right[inside].mean()), 3),
                }
            )
    return {
        "brier": round(float(numpy.concatenate([p["brier"] for p in parts]).mean()), 4),
        "mean_top1_probability": round(float(top.mean()), 3),
        "top1_accuracy": round(float(right.mean()), 3),
        # Expected calibration error: the gap between confidence and accuracy, weighted by band size.
        "ece": round(
            sum(b["appeals"] * abs(b["mean_top1_probability"] - b["top1_accuracy"]) for b in bands)
            / len(top),
            4,
        ),
        "bands": bands,
    }


def folds_of(texts, labels, folds: int):
    for train_index, test_index in StratifiedKFold(folds, shuffle=True, random_state=0).split(texts, labels):
        yield (
            [texts[i] for i in train_index],
            [labels[i] for i in train_index],
            [texts[i] for i in test_index],
            [labels[i] for i in test_index],
        )


def cross_validate(build, texts, labels, folds: int, calibrated: bool = False) -> dict:
    scores, parts = [], []
    for train_x, train_y, test_x, test_y in folds_of(texts, labels, folds):
        model = build(train_x, train_y)
        scores.append(classifier.evaluate(model, test_x, test_y))
        if calibrated:
            parts.append(calibration(model, test_x, test_y))
    result = {
        "macro_f1": round(statistics.mean(s["macro_f1"] for s in scores), 4),
        "macro_f1_sd": round(statistics.stdev(s["macro_f1"] for s in scores), 4),
        "accuracy": round(statistics.mean(s["accuracy"] for s in scores), 4),
        "ms_per_item": round(statistics.mean(s["ms_per_item"] for s in scores), 3),
    }
    if calibrated:
        result["calibration"] = summarise_calibration(parts)
    return result


@functools.cache
def cached_words(text: str) -> tuple[str, ...]:
    # The exploration tokenises the same texts for every configuration and fold: once is enough.
    return tuple(classifier.words(text))


def chars(low: int, high: int, **options) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char", ngram_range=(low, high), sublinear_tf=True, **options)


def word_grams(high: int = 1, **options) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer=lambda text: _grams(cached_words(text), high), sublinear_tf=True, **options
    )


def _grams(words: tuple[str, ...], high: int) -> list[str]:
    return [" ".join(words[i : i + n]) for n in range(1, high + 1) for i in range(len(words) - n + 1)]


def both(**options):
    return FeatureUnion([("chars", chars(1, 2)), ("words", word_grams(1))], **options)


# The configurations tried before choosing the model (all on the same folds); the model and the
# baseline are measured separately above, with timing.
CONFIGURATIONS = [
    (
        "字符 1–3 元 + 校准 LinearSVC(C=1)（上一版模型）",
        lambda: make_pipeline(chars(1, 3), CalibratedClassifierCV(LinearSVC(C=1.0), cv=3)),
    ),
    ("字符 1–3 元 + LinearSVC(C=3)", lambda: make_pipeline(chars(1, 3), LinearSVC(C=3.0))),
    ("字符 1–2 元 + LinearSVC(C=3)", lambda: make_pipeline(chars(1, 2), LinearSVC(C=3.0))),
    (
        "字符 1–4 元 min_df=2 max_df=0.9 + LinearSVC",
        lambda: make_pipeline(chars(1, 4, min_df=2, max_df=0.9), LinearSVC()),
    ),
    ("jieba 词 + LinearSVC", lambda: make_pipeline(word_grams(1), LinearSVC())),
    ("jieba 词 1–2 元 + LinearSVC(C=3)", lambda: make_pipeline(word_grams(2), LinearSVC(C=3.0))),
    (
        "jieba 词 1–2 元 + ComplementNB(alpha=0.01)",
        lambda: make_pipeline(word_grams(2), ComplementNB(alpha=0.01)),
    ),
    ("字符 1–2 元 + 词 + LinearSVC(C=3)", lambda: make_pipeline(both(), LinearSVC(C=3.0))),
    (
        "字符 1–2 元 + 词 + LinearSVC(C=3, balanced)",
        lambda: make_pipeline(both(), LinearSVC(C=3.0, class_weight="balanced")),
    ),
    (
        "字符 1–2 元 + 词 + LogisticRegression(C=30)",
        lambda: make_pipeline(both(), LogisticRegression(C=30.0, max_iter=300)),
    ),
    (
        "字符 1–2 元 + 词 + SGDClassifier(modified_huber)",
        lambda: make_pipeline(
            both(), SGDClassifier(loss="modified_huber", alpha=2e-5, max_iter=50, random_state=0)
        ),
    ),
    (
        "字符 1–2 元 + 词 + RidgeClassifier(alpha=1)",
        lambda: make_pipeline(both(), RidgeClassifier(alpha=1.0, solver="sparse_cg")),
    ),
    (
        "字符 1–2 元 + 词 + RidgeClassifier(alpha=0.7, balanced)",
        lambda: make_pipeline(
            both(), RidgeClassifier(alpha=0.7, solver="sparse_cg", class_weight="balanced")
        ),
    ),
]


def explore(texts, labels, folds: int) -> list[dict]:
    splits = list(folds_of(texts, labels, folds))
    rows = []
    for name, build in CONFIGURATIONS:
        scores = [
            f1_score(test_y, build().fit(train_x, train_y).predict(test_x), average="macro")
            for train_x, train_y, test_x, test_y in splits
        ]
        rows.append(
            {
                "configuration": name,
                "macro_f1": round(statistics.mean(scores), 4),
                "macro_f1_sd": round(statistics.stdev(scores), 4),
            }
        )
        print(
            f"{rows[-1]['macro_f1']:.4f} ± {rows[-1]['macro_f1_sd']:.4f}  {name}", file=sys.stderr, flush=True
        )
    return rows


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
    parser.add_argument("--explore", action="store_true", help="also the configurations tried")
    args = parser.parse_args()
    examples = classifier.load_examples(args.data)
    texts, labels = examples.texts, examples.labels
    result = {
        "rows": len(texts),
        "labels": len(set(labels)),
        "folds": args.folds,
        "model": cross_validate(classifier.train, texts, labels, args.folds, calibrated=True),
        "baseline": cross_validate(
            lambda x, y: classifier.build_baseline().fit(x, y), texts, labels, args.folds
        ),
        "evaluate_command": evaluate_command_agrees(texts, labels),
    }
    if args.explore:
        result["explored"] = explore(texts, labels, args.folds)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    print()
    print("| 模型 | macro-F1（5 折均值 ± 标准差） | 准确率 | 单条预测 ms |")
    print("|---|---|---|---|")
    for name, key in (
        ("字符 1–2 元 + jieba 词 TF-IDF + 校准 RidgeClassifier（本模型）", "model"),
        ("字符 TF-IDF + LinearSVC（基线）", "baseline"),
    ):
        row = result[key]
        print(
            f"| {name} | {row['macro_f1']} ± {row['macro_f1_sd']} | {row['accuracy']} | {row['ms_per_item']} |"
        )
    print()
    print("| top-1 概率区间 | 诉求数 | 平均 top-1 概率 | top-1 准确率 |")
    print("|---|---|---|---|")
    for band in result["model"]["calibration"]["bands"]:
        print(
            f"| {band['band']} | {band['appeals']} | {band['mean_top1_probability']} | {band['top1_accuracy']} |"
        )
    if args.explore:
        print()
        print("| 配置 | macro-F1（5 折均值 ± 标准差） |")
        print("|---|---|")
        for row in result["explored"]:
            print(f"| {row['configuration']} | {row['macro_f1']} ± {row['macro_f1_sd']} |")


if __name__ == "__main__":
    main()
