"""The appeal-text classifier: training, prediction with calibrated confidences, and evaluation.

Chinese has no spaces between words, so the text is represented twice, in one TF-IDF vector: by
character 1–2-grams, which need no dictionary and cope with the typos and abbreviations common in
appeals, and by jieba words, which carry the longer terms (地名, 单位, 事项) the characters split. A
class-balanced ridge classifier on it scored best of the linear learners tried (bench/classify.py,
docs/intelligence.md) and, being one linear model, predicts in a few milliseconds; sigmoid
calibration turns its scores into probabilities a dispatcher can read as confidences.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import jieba
import numpy
from django.utils.translation import gettext as _
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import RidgeClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from yousu.core.tabular import TableError, read_table, require_columns

COLUMNS = ("text", "label")
TOP_K = 3

# jieba announces loading its dictionary on stderr at debug level, once per process that predicts.
jieba.setLogLevel(logging.WARNING)


class TrainingDataError(Exception):
    """The examples cannot train a model (too few rows or labels, or an unreadable file)."""


@dataclass
class Examples:
    texts: list[str]
    labels: list[str]
    source: str

    def summary(self) -> dict:
        counts = Counter(self.labels)
        return {"rows": len(self.texts), "labels": dict(sorted(counts.items())), "source": self.source}


@dataclass
class Suggestion:
    label: str
    probability: float


def load_examples(path: str | Path) -> Examples:
    """Read a CSV/XLSX file with exactly the columns ``text,label``; every row needs both."""
    try:
        table = read_table(path)
        require_columns(table, COLUMNS)
    except TableError as exc:
        raise TrainingDataError(str(exc)) from None
    texts, labels = [], []
    for number, row in table.rows:
        text, label = row.get("text", ""), row.get("label", "")
        if "__extra__" in row:
            raise TrainingDataError(_("第 %(row)d 行的列数多于表头") % {"row": number})
        if not text or not label:
            column = "text" if not text else "label"
            raise TrainingDataError(_("第 %(row)d 行 %(column)s 为空") % {"row": number, "column": column})
        texts.append(text)
        labels.append(label)
    return Examples(texts=texts, labels=labels, source=Path(path).name)


def check_trainable(examples: Examples, *, min_rows: int = 20, min_labels: int = 2) -> None:
    distinct = len(set(examples.labels))
    if len(examples.texts) < min_rows or distinct < min_labels:
        raise TrainingDataError(
            _("训练数据不足：需要至少 %(rows)d 条、%(labels)d 个类别，实际 %(n)d 条、%(k)d 个类别")
            % {"rows": min_rows, "labels": min_labels, "n": len(examples.texts), "k": distinct}
        )


def words(text: str) -> list[str]:
    """jieba's words of `text` (HMM on, for place and unit names not in its dictionary), spaces dropped.

    A module-level function, so that a pipeline using it pickles into the model file."""
    return [word for word in jieba.lcut(text) if word.strip()]


def terms(text: str) -> list[str]:
    """The features of `text`: its characters and character pairs (whitespace left out) and its words.

    Words are marked with "#" so that a one-character word stays apart from the same character."""
    chars = [char for char in text if not char.isspace()]
    pairs = [first + second for first, second in itertools.pairwise(chars)]
    return chars + pairs + ["#" + word for word in words(text)]


def build_pipeline() -> Pipeline:
    # Calibration needs a few examples of every label in each internal fold; with the rarest label
    # smaller than that, fewer folds are used (decided in train()). ensemble=False keeps one ridge
    # model (refitted on all the data) behind the calibrators: one prediction costs one model.
    # class_weight="balanced": the smaller categories (交通运输 has a third of 城乡建设's appeals)
    # otherwise lose recall to the larger ones, and macro-F1 counts every category alike.
    ridge = RidgeClassifier(alpha=0.5, solver="sparse_cg", class_weight="balanced")
    return Pipeline(
        [
            ("tfidf", TfidfVectorizer(analyzer=terms, sublinear_tf=True)),
            ("clf", CalibratedClassifierCV(ridge, method="sigmoid", cv=3, ensemble=False)),
        ]
    )


def build_baseline() -> Pipeline:
    """The published reference point: character TF-IDF + an uncalibrated LinearSVC."""
    return Pipeline(
        [
            ("tfidf", TfidfVectorizer(analyzer="char", ngram_range=(1, 2))),
            ("clf", LinearSVC()),
        ]
    )


def train(texts: list[str], labels: list[str]) -> Pipeline:
    pipeline = build_pipeline()
    rarest = min(Counter(labels).values())
    pipeline.set_params(clf__cv=max(2, min(3, rarest)))
    pipeline.fit(texts, labels)
    # The ridge solver leaves its coefficients row-major; a sparse text vector times their transpose
    # then copies the whole matrix (several ms per appeal). Column-major, the product costs microseconds.
    for calibrated in pipeline.named_steps["clf"].calibrated_classifiers_:
        calibrated.estimator.coef_ = numpy.asfortranarray(calibrated.estimator.coef_)
    return pipeline


def top_labels(model: Pipeline, text: str, k: int = TOP_K) -> list[Suggestion]:
    probabilities = model.predict_proba([text])[0]
    classes = model.classes_
    order = probabilities.argsort()[::-1][:k]
    return [Suggestion(label=str(classes[i]), probability=round(float(probabilities[i]), 4)) for i in order]


def evaluate(model: Pipeline, texts: list[str], labels: list[str]) -> dict:
    """Score a trained model on held-out examples; time single-item predictions as intake will."""
    started = time.perf_counter()
    predicted = [model.predict([text])[0] for text in texts]
    elapsed = time.perf_counter() - started
    return {
        "macro_f1": round(float(f1_score(labels, predicted, average="macro")), 4),
        "accuracy": round(float(accuracy_score(labels, predicted)), 4),
        "n_test": len(texts),
        "ms_per_item": round(elapsed * 1000 / max(1, len(texts)), 3),
    }
