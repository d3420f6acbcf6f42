"""Every appeal belongs to a jurisdiction: the city at the root of its intake unit's area."""

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    Appeal = apps.get_model("appeals", "Appeal")
    Unit = apps.get_model("org", "Unit")
    Area = apps.get_model("org", "Area")
    city_by_code = dict(Area.objects.filter(level="city").values_list("code", "pk"))
    for unit_id, area_path in Unit.objects.values_list("pk", "area__path"):
        root = next(code for code in area_path.split("/") if code)
        Appeal.objects.filter(intake_unit_id=unit_id, jurisdiction__isnull=True).update(
            jurisdiction_id=city_by_code[root]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0002_event_base_manager"),
        ("org", "0006_provincial_role"),
    ]

    operations = [
        migrations.AddField(
            model_name="appeal",
            name="jurisdiction",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.area",
                verbose_name="辖区",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="appeal",
            name="jurisdiction",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.area",
                verbose_name="辖区",
            ),
        ),
        migrations.AddIndex(
            model_name="appeal",
            index=models.Index(fields=["jurisdiction", "received_at"], name="appeal_jurisdiction_received"),
        ),
    ]
