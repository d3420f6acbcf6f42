"""The definitions of every figure are written in the docs: docs/assessment.md is what the code
computes by, and a change to one without the other fails here."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from yousu.evaluation import definitions

DOC = Path(__file__).resolve().parents[2] / "docs" / "assessment.md"


def test_the_document_is_the_definitions_the_code_uses():
    out = StringIO()
    with translation.override("zh-hans"):
        call_command("assess", "--definitions", stdout=out)
    assert out.getvalue() == DOC.read_text(encoding="utf-8"), (
        "docs/assessment.md differs from the code; regenerate it with `yousu assess --definitions`"
    )
    text = DOC.read_text(encoding="utf-8")
    with translation.override("zh-hans"):
        for group in ("rates", "counts", "burden"):
            for entry in definitions.as_data()[group].values():
                assert f"| {entry['name']} | {entry['definition']} |" in text


def test_assess_without_a_month_names_the_option():
    with pytest.raises(CommandError, match="--month"):
        call_command("assess")
