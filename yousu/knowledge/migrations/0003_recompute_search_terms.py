"""The search terms changed (two-character pieces only, no jieba words): recompute every entry's
stored `search_terms` and move the search generation so running workers rebuild their index."""

import uuid

from django.db import migrations


def recompute(apps, schema_editor):
    # The live function, not a frozen copy: the stored terms must be whatever search() looks up now,
    # and recomputing is idempotent, so running this again after a later change of scheme is harmless.
    from yousu.knowledge.search import entry_terms

    KnowledgeEntry = apps.get_model("knowledge", "KnowledgeEntry")
    SearchGeneration = apps.get_model("knowledge", "SearchGeneration")
    for entry in KnowledgeEntry.objects.only("id", "question", "answer", "keywords").iterator():
        terms = " ".join(entry_terms(question=entry.question, answer=entry.answer, keywords=entry.keywords))
        KnowledgeEntry.objects.filter(pk=entry.pk).update(search_terms=terms)
    # Only a row already there: a fresh database gets none here, so a restore finds it empty.
    SearchGeneration.objects.filter(pk=1).update(generation=uuid.uuid4().hex)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0002_intake_answers_proposals_flags")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
