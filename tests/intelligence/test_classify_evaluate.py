"""The classifier library and `yousu classify evaluate`, on small generated files."""

from __future__ import annotations

import csv
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from yousu.intelligence import classifier

SHARED = (
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "tipdm2020c" / "labelled_messages.csv"
)

# Three demo categories whose texts share no characters with each other, so a correct
# classifier separates them perfectly and a broken one cannot.
TOPICS = {
    "城乡建设": ["小区楼道路灯坏了", "道路施工噪音扰民", "楼房墙体开裂渗水", "排水管道堵塞积水"],
    "教育文体": ["学校食堂收费太贵", "幼儿园入学报名难", "老师补课收钱", "学生校车不安全"],
    "卫生计生": ["医院挂号排队太久", "诊所药品价格高", "医生看病态度差", "疫苗接种预约难"],
}


def rows(repeat: int = 4) -> list[tuple[str, str]]:
    out = []
    for label, texts in TOPICS.items():
        for n in range(repeat):
            for text in texts:
                out.append((f"（演示）{text}第{n}次反映", label))
    return out


def write_csv(path: Path, data, header=("text", "label"), encoding="utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(data)
    return path


def run_evaluate(train: Path, test: Path) -> dict:
    out = StringIO()
    call_command("classify", "evaluate", "--train", str(train), "--test", str(test), "--json", stdout=out)
    return json.loads(out.getvalue())


def test_top_labels_are_three_ranked_probabilities():
    data = rows()
    model = classifier.train([t for t, _ in data], [label for _, label in data])
    suggestions = classifier.top_labels(model, "学校老师收费")
    assert suggestions[0].label == "教育文体"
    assert len(suggestions) == 3
    probabilities = [s.probability for s in suggestions]
    assert probabilities == sorted(probabilities, reverse=True)
    assert 0.99 <= sum(probabilities) <= 1.01


def test_evaluate_prints_one_json_object(tmp_path):
    train = write_csv(tmp_path / "train.csv", rows())
    test = write_csv(tmp_path / "test.csv", rows(repeat=1))
    result = run_evaluate(train, test)
    assert result["macro_f1"] == 1.0
    assert result["accuracy"] == 1.0
    assert result["n_test"] == 12
    assert result["n_train"] == 48
    assert result["labels"] == sorted(TOPICS)
    assert result["ms_per_item"] > 0


def test_evaluate_reads_gb18030_and_xlsx(tmp_path):
    from yousu.core.tabular import write_table

    train = write_csv(tmp_path / "train.csv", rows(), encoding="gb18030")
    test = tmp_path / "test.xlsx"
    write_table(test, ["text", "label"], rows(repeat=1))
    assert run_evaluate(train, test)["n_test"] == 12


def test_wrong_labels_lower_the_score(tmp_path):
    train = write_csv(tmp_path / "train.csv", rows())
    swapped = [(text, "卫生计生" if label == "教育文体" else label) for text, label in rows(repeat=1)]
    test = write_csv(tmp_path / "test.csv", swapped)
    result = run_evaluate(train, test)
    assert result["accuracy"] == pytest.approx(8 / 12, abs=0.001)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("text,category\n甲,乙\n", "缺少列：label"),
        ("", "文件是空的"),
        ("text,label\n", "没有数据"),
        ("text,label\n路灯坏了,\n", "第 2 行 label 为空"),
    ],
)
def test_bad_training_file_is_a_one_line_error(tmp_path, content, message):
    train = tmp_path / "train.csv"
    train.write_text(content, encoding="utf-8")
    test = write_csv(tmp_path / "test.csv", rows(repeat=1))
    with pytest.raises(CommandError, match=message) as caught:
        run_evaluate(train, test)
    assert "\n" not in str(caught.value)


def test_undecodable_file_is_an_error(tmp_path):
    train = tmp_path / "train.csv"
    train.write_bytes(b"text,label\n" + b"\xff\xfe\xfa" * 5 + b",x\n")
    test = write_csv(tmp_path / "test.csv", rows(repeat=1))
    with pytest.raises(CommandError, match="编码"):
        run_evaluate(train, test)


def test_too_few_rows_or_labels_cannot_train(tmp_path):
    one_label = [(text, "城乡建设") for text, _ in rows()]
    test = write_csv(tmp_path / "test.csv", rows(repeat=1))
    with pytest.raises(CommandError, match="训练数据不足"):
        run_evaluate(write_csv(tmp_path / "a.csv", one_label), test)
    with pytest.raises(CommandError, match="训练数据不足"):
        run_evaluate(write_csv(tmp_path / "b.csv", rows()[:10]), test)


def test_real_data_sample_separates_categories(tmp_path):
    if not SHARED.exists():
        pytest.skip("needs ../shared/data/tipdm2020c/labelled_messages.csv")
    with SHARED.open(encoding="utf-8-sig") as handle:
        data = [(r["text"], r["label"]) for r in csv.DictReader(handle)]
    # Every 10th row for training and a disjoint slice for testing keeps this under a few seconds.
    train = write_csv(tmp_path / "train.csv", data[::10])
    test = write_csv(tmp_path / "test.csv", data[5::40])
    result = run_evaluate(train, test)
    assert len(result["labels"]) == 7
    assert result["macro_f1"] > 0.6
