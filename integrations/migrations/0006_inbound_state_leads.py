"""The inbox's index by state begins with the state, not the municipality.

The unique key ``(municipality, channel, external id)`` must be the only index a
municipality's condition alone can enter: for a municipality the planner's statistics do not
know yet (its first import), the duplicate check took the other one and read all the
municipality's rows for every id of a chunk. Built before the old one is dropped, in the same
transaction.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0011_repeat_lookup_ends_with_id"),
        ("integrations", "0005_inbound_normalized_text"),
        ("mcu", "0003_center_work"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="inboundmessage",
            index=models.Index(
                fields=["state", "municipality", "received_at"], name="inbound_state_mun"
            ),
        ),
        migrations.RemoveIndex(model_name="inboundmessage", name="inbound_mun_state"),
    ]
