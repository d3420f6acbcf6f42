"""The dashboard's overdue list at scale, and the watermark's one row.

The overdue list asks for running, unpaused orders past their completion deadline, most overdue
first. `dispatch_order.completion_due` has an index, but walking it from the oldest deadline passes
every completed order first (nearly all of them, at millions of orders); this partial index holds only
the running, unpaused orders, so the list and its count read just those. It lives here, with the one
query that needs it, rather than in the dispatch app.
"""

from django.db import migrations

INDEX = "reports_order_running_due"


def create_mark(apps, schema_editor):
    apps.get_model("reports", "TallyMark").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("dispatch", "0002_order_clock"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX {INDEX} ON dispatch_order (completion_due, id) "
            "WHERE status IN ('dispatched', 'accepted') AND paused_at IS NULL",
            f"DROP INDEX {INDEX}",
        ),
        migrations.RunPython(create_mark, migrations.RunPython.noop),
    ]
