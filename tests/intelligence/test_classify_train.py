"""Model artifacts: `yousu classify train`, versions, one active model, recorded switches."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from tests.appeals.factories import new_appeal
from tests.intelligence.test_classify_evaluate import rows, write_csv
from yousu.appeals.choices import AppealStatus
from yousu.appeals.models import Appeal
from yousu.intelligence import classifier, services
from yousu.intelligence.models import ClassifierActivation, ClassifierModel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def train(*args) -> str:
    out = StringIO()
    call_command("classify", "train", *args, stdout=out)
    return out.getvalue()


def test_train_from_file_writes_artifact_and_record(tmp_path, var_dir):
    source = write_csv(tmp_path / "labelled.csv", rows())
    output = train("--from", str(source))
    record = ClassifierModel.objects.get()
    assert record.version == 1
    assert not record.is_active
    assert "v1" in output
    assert record.training_summary == {
        "rows": 48,
        "labels": {"卫生计生": 16, "城乡建设": 16, "教育文体": 16},
        "source": "labelled.csv",
    }
    assert record.metrics["train"]["accuracy"] == 1.0
    loaded = services.model_load(record)
    assert classifier.top_labels(loaded, "医院挂号")[0].label == "卫生计生"
    assert (var_dir / "models" / record.file_path).exists()


def test_each_training_is_a_new_version_and_activation_switches_are_recorded(tmp_path):
    source = write_csv(tmp_path / "labelled.csv", rows())
    train("--from", str(source), "--activate")
    train("--from", str(source), "--activate")
    first, second = ClassifierModel.objects.order_by("version")
    assert (first.version, second.version) == (1, 2)
    assert list(ClassifierModel.objects.filter(is_active=True)) == [second]
    switches = list(ClassifierActivation.objects.order_by("id").values_list("from_model", "to_model"))
    assert switches == [(None, first.pk), (first.pk, second.pk)]


def test_activating_the_active_model_again_is_refused(tmp_path):
    record = services.model_train(examples=classifier.load_examples(write_csv(tmp_path / "a.csv", rows())))
    services.model_activate(model=record)
    with pytest.raises(classifier.TrainingDataError, match="已是启用中的模型"):
        services.model_activate(model=record)
    assert ClassifierActivation.objects.count() == 1


def test_database_allows_only_one_active_model(tmp_path):
    examples = classifier.load_examples(write_csv(tmp_path / "a.csv", rows()))
    first = services.model_train(examples=examples, activate=True)
    second = services.model_train(examples=examples)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClassifierModel.objects.filter(pk=second.pk).update(is_active=True)
    assert list(ClassifierModel.objects.filter(is_active=True)) == [first]


def test_a_changed_artifact_is_not_loaded(tmp_path, var_dir):
    record = services.model_train(examples=classifier.load_examples(write_csv(tmp_path / "a.csv", rows())))
    (var_dir / "models" / record.file_path).write_bytes(b"not the trained model")
    with pytest.raises(classifier.TrainingDataError, match="与记录不符"):
        services.model_load(record)


def test_bad_file_is_a_command_error_and_writes_nothing(tmp_path, var_dir):
    source = tmp_path / "bad.csv"
    source.write_text("text,category\n路灯坏了,城乡建设\n", encoding="utf-8")
    with pytest.raises(CommandError, match="缺少列：label"):
        train("--from", str(source))
    assert not ClassifierModel.objects.exists()
    assert not (var_dir / "models").exists()


def settle(world, count: int, **fields) -> None:
    for _ in range(count):
        new_appeal(world, **fields)
    Appeal.objects.update(status=AppealStatus.COMPLETED)


def test_train_from_settled_appeals_uses_their_final_item(world):
    settle(world, 12)
    settle(
        world, 12, title="楼道堆放杂物", content="楼道里堆满杂物，消防通道被堵。", item=world.items.hallway
    )
    new_appeal(world, item=world.items.dust)  # still open: not a training example
    train()
    summary = ClassifierModel.objects.get().training_summary
    assert summary == {
        "rows": 24,
        "labels": {world.items.fumes.code: 12, world.items.hallway.code: 12},
        "source": "settled_appeals",
    }


def test_too_few_settled_appeals_is_a_clear_error(world):
    settle(world, 25)  # one item only
    with pytest.raises(CommandError, match="训练数据不足"):
        train()
    assert not ClassifierModel.objects.exists()
