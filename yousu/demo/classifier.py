"""The demo's dispatch-suggestion model, trained from the demo's own scenarios before the simulation.

A real platform trains on its settled appeals (`yousu classify train`) or on a labelled file; the
demo has none yet when it starts, so its model learns the scenario texts the simulated citizens
will write. Its suggestions are therefore nearly always right, and its first-try accuracy says
nothing about a real city's: the demo shows how suggestions are made, kept and measured.
"""

from __future__ import annotations

import random

from yousu.intelligence.classifier import Examples
from yousu.intelligence.models import ClassifierModel
from yousu.intelligence.services import model_train

from .activity import DEMO_MARK, ROADS, SCENARIOS

PLACES = ["演示一社区", "演示二社区", "幸福里", "阳光花园", "滨河苑", "建设巷"]
VARIANTS = 6


def demo_examples(seed: int = 2026) -> Examples:
    rng = random.Random(seed)
    texts, labels = [], []
    for item_code, _kind, _weight, title, content, _answer in SCENARIOS:
        for _ in range(VARIANTS):
            place, road = rng.choice(PLACES), rng.choice(ROADS)
            texts.append(f"{title}\n{content.format(place=place, road=road)}{DEMO_MARK}")
            labels.append(item_code)
    return Examples(texts=texts, labels=labels, source="demo_scenarios")


def train_demo_classifier() -> ClassifierModel | None:
    """Train and activate the demo model, unless a model is already active (a re-run keeps it)."""
    if ClassifierModel.objects.filter(is_active=True).exists():
        return None
    return model_train(examples=demo_examples(), activate=True)
