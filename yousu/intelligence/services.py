"""Training, storing and activating classifier models."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

import joblib
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from yousu.appeals.choices import AppealStatus
from yousu.appeals.models import Appeal
from yousu.intelligence import classifier
from yousu.intelligence.models import ClassifierActivation, ClassifierModel

SETTLED_STATUSES = (AppealStatus.COMPLETED, AppealStatus.CLOSED)


def models_dir() -> Path:
    return Path(settings.VAR_DIR) / "models"


def settled_appeal_examples() -> classifier.Examples:
    """The platform's own settled appeals, labelled with the catalog item they finally carried."""
    appeals = (
        Appeal.objects.filter(status__in=SETTLED_STATUSES, item__isnull=False)
        .select_related("item")
        .order_by("id")
    )
    texts, labels = [], []
    for appeal in appeals:
        texts.append(f"{appeal.title}\n{appeal.content}")
        labels.append(appeal.item.code)
    return classifier.Examples(texts=texts, labels=labels, source="settled_appeals")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def model_train(*, examples: classifier.Examples, by=None, activate: bool = False) -> ClassifierModel:
    """Train on the examples, write the artifact, record it; optionally make it the active model."""
    classifier.check_trainable(examples)
    pipeline = classifier.train(examples.texts, examples.labels)
    # Training accuracy only: an honest held-out figure comes from `classify evaluate`.
    metrics = {"train": classifier.evaluate(pipeline, examples.texts, examples.labels)}
    directory = models_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with transaction.atomic():
        # Two trainings at once would pick the same version; the unique version makes the second fail
        # cleanly instead of overwriting the first one's record.
        last = ClassifierModel.objects.aggregate(v=Max("version"))["v"] or 0
        version = last + 1
        # A random suffix keeps a losing concurrent training from overwriting (then deleting) the
        # winner's file under the same version.
        name = f"classifier-v{version}-{secrets.token_hex(4)}.joblib"
        path = directory / name
        joblib.dump(pipeline, path)
        try:
            record = ClassifierModel.objects.create(
                version=version,
                file_path=name,
                sha256=_sha256(path),
                trained_by=by,
                training_summary=examples.summary(),
                metrics=metrics,
            )
            if activate:
                model_activate(model=record, by=by)
        except Exception:
            # No record means no artifact: a failed save must not leave an orphan file behind.
            path.unlink(missing_ok=True)
            raise
    return record


@transaction.atomic
def model_activate(*, model: ClassifierModel, by=None) -> ClassifierActivation:
    current = ClassifierModel.objects.select_for_update().filter(is_active=True).first()
    if current is not None and current.pk == model.pk:
        raise classifier.TrainingDataError(_("v%(version)d 已是启用中的模型") % {"version": model.version})
    if current is not None:
        ClassifierModel.objects.filter(pk=current.pk).update(is_active=False)
    ClassifierModel.objects.filter(pk=model.pk).update(is_active=True)
    model.is_active = True
    return ClassifierActivation.objects.create(from_model=current, to_model=model, by=by)


def model_load(model: ClassifierModel):
    """Load an artifact, refusing a file that is not the one recorded (changed or replaced on disk)."""
    path = models_dir() / model.file_path
    if not path.exists() or _sha256(path) != model.sha256:
        raise classifier.TrainingDataError(_("模型文件缺失或与记录不符：%(path)s") % {"path": path})
    return joblib.load(path)
