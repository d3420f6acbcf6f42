"""The default assessment scheme, so that a month can be assessed before anyone edits one."""

import datetime as dt

from django.db import migrations


def create_default_scheme(apps, schema_editor):
    Scheme = apps.get_model("evaluation", "AssessmentScheme")
    # Weights follow the three rates (三率) first, satisfaction the heaviest; a city edits them in the admin.
    Scheme.objects.get_or_create(
        valid_from=dt.date(2000, 1, 1),
        defaults={
            "name": "默认考评方案",
            "response_weight": 20,
            "completion_weight": 20,
            "on_time_weight": 15,
            "resolution_weight": 20,
            "satisfaction_weight": 25,
            "overdue_deduction": 1,
            "refused_return_deduction": 2,
            "criticism_deduction": 5,
            "zone_rule": "threshold",
            "red_below": 60,
            "yellow_below": 80,
            "blue_share": 0.2,
            "red_share": 0.1,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]

    operations = [migrations.RunPython(create_default_scheme, migrations.RunPython.noop)]
