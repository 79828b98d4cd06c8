"""The inbox's parsed form becomes JSON text, and the inbox loses its single-column municipality
index (the unique key and ``inbound_mun_state`` begin with that column).

Both are done without rewriting the table: the ``jsonb`` column is dropped and a ``text`` one
added (each a catalogue change in PostgreSQL), instead of converting it in place, which would
rewrite every row under an exclusive lock. Rows still pending at that moment lose their parsed
form, which the worker handles as designed: it parses their bodies again. The foreign key stays
as it is; only its index goes (``AlterField`` would also drop and re-validate the constraint).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0004_import_heartbeat"),
        ("mcu", "0003_center_work"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "integrations_inboundmessage_municipality_id_78fad33b"',
                    reverse_sql=(
                        'CREATE INDEX "integrations_inboundmessage_municipality_id_78fad33b" '
                        'ON "integrations_inboundmessage" ("municipality_id")'
                    ),
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="inboundmessage",
                    name="municipality",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="mcu.municipality",
                        verbose_name="муниципальное образование",
                    ),
                )
            ],
        ),
        migrations.RemoveField(model_name="inboundmessage", name="normalized"),
        migrations.AddField(
            model_name="inboundmessage",
            name="normalized",
            field=models.TextField(
                blank=True, default="", editable=False, verbose_name="разобранное сообщение"
            ),
        ),
    ]
