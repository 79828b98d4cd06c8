"""Stored masked text and address of incidents (``incidents.masking``), filled for existing rows.

The fill reads and updates by primary key in batches of 2 000, with plain SQL: the historical
model has no tenant scope to go through, and ``updated_at`` must not move (the API's output is
the same, so a ЦУР need not sync the rows again). PostgreSQL writes a new version of every row:
2 min 38 s for 1 000 000 incidents here (measured, writes to the table blocked meanwhile), and
the table and its indexes take that space again (1.3 → 2.6 GB) until autovacuum reuses it (or
``VACUUM FULL``).
"""

from django.db import migrations, models

from incidents.masking import masked_columns

BATCH = 2000


def fill_masked(apps, schema_editor):  # type: ignore[no-untyped-def]  # migration signature
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    table = quote(apps.get_model("incidents", "Incident")._meta.db_table)
    select = (
        f"SELECT id, text, citizen_name, address FROM {table} "  # noqa: S608 — model's own name
        "WHERE id > %s AND masked_text IS NULL ORDER BY id LIMIT %s"
    )
    update = f"UPDATE {table} SET masked_text = %s, masked_address = %s WHERE id = %s"  # noqa: S608
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(select, [last, BATCH])
            rows = cursor.fetchall()
            if not rows:
                return
            values = []
            for pk, text, citizen_name, address in rows:
                masked = masked_columns(text=text, citizen_name=citizen_name, address=address)
                values.append((masked["masked_text"], masked["masked_address"], pk))
            cursor.executemany(update, values)
            last = rows[-1][0]


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0009_sync_index_includes_filters"),
    ]

    operations = [
        migrations.AddField(
            model_name="incident",
            name="masked_address",
            field=models.CharField(
                editable=False, max_length=500, null=True, verbose_name="адрес без номера дома"
            ),
        ),
        migrations.AddField(
            model_name="incident",
            name="masked_text",
            field=models.TextField(
                editable=False, null=True, verbose_name="текст без персональных данных"
            ),
        ),
        migrations.RunPython(fill_masked, migrations.RunPython.noop, elidable=True),
    ]
