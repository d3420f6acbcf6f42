"""The classifier's jieba word features: the tokenizer, and a model using it as a file on disk."""

from __future__ import annotations

import subprocess
import sys

import joblib
import pytest

from tests.intelligence.test_classify_evaluate import rows
from yousu.intelligence import classifier


@pytest.mark.parametrize("text", ["", " ", "  \n\t　 "])
def test_blank_text_has_no_words(text):
    assert classifier.words(text) == []


def test_words_cover_the_text_without_spaces():
    text = "小区 楼道路灯坏了\n请尽快修理"
    found = classifier.words(text)
    assert len(found) > 1
    assert all(word.strip() for word in found)
    assert "".join(found) == "".join(text.split())


def test_blank_text_still_gets_three_suggestions():
    data = rows()
    model = classifier.train([t for t, _ in data], [label for _, label in data])
    suggestions = classifier.top_labels(model, "   ")
    assert len(suggestions) == 3
    assert 0.99 <= sum(s.probability for s in suggestions) <= 1.01


def test_trained_model_round_trips_through_a_file(tmp_path):
    data = rows()
    model = classifier.train([t for t, _ in data], [label for _, label in data])
    joblib.dump(model, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    for text in ("学校老师收费", "医院挂号排队", "路灯坏了"):
        assert classifier.top_labels(loaded, text) == classifier.top_labels(model, text)


def test_loading_the_dictionary_prints_nothing():
    # A fresh process: jieba loads its dictionary on the first cut and would log that on stderr.
    code = "from yousu.intelligence import classifier; print(classifier.words('小区路灯坏了'))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr == ""
    assert "路灯" in done.stdout


def test_terms_are_characters_pairs_and_marked_words():
    found = classifier.terms("路灯 坏了")
    assert found[:4] == ["路", "灯", "坏", "了"]
    assert {"路灯", "灯坏", "坏了"} <= set(found)
    assert "#路灯" in found
    assert classifier.terms(" \n") == []


def test_trained_coefficients_are_column_major():
    # Row-major coefficients make every single prediction copy the whole matrix (bench/classify.py).
    data = rows()
    model = classifier.train([t for t, _ in data], [label for _, label in data])
    for calibrated in model.named_steps["clf"].calibrated_classifiers_:
        assert calibrated.estimator.coef_.flags.f_contiguous
