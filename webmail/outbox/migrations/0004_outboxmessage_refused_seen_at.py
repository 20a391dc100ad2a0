from django.db import migrations, models

OLD_PREFIX = "refused: "


def refused_from_last_error(apps, schema_editor):
    """Sent rows kept their refused recipients as text ("refused: a@x, b@y", without the server's
    words): move them to the new field, so the toast and the Boîte d'envoi can name them."""
    OutboxMessage = apps.get_model("outbox", "OutboxMessage")
    for message in OutboxMessage.objects.filter(state="sent", last_error__startswith=OLD_PREFIX):
        addresses = [a.strip() for a in message.last_error[len(OLD_PREFIX):].split(",") if a.strip()]
        message.refused = {address: "" for address in addresses}
        message.last_error = ""
        message.save(update_fields=["refused", "last_error"])


class Migration(migrations.Migration):

    dependencies = [
        ("outbox", "0003_outboxmessage_smtp_data_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxmessage",
            name="refused",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="seen_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(refused_from_last_error, migrations.RunPython.noop),
    ]
