import django.utils.timezone
from django.db import migrations, models
from django.db.models import F


def sent_when_submitted(apps, schema_editor):
    """Existing sign-ups had one e-mail, sent when they were submitted."""
    SignupRequest = apps.get_model("tenants", "SignupRequest")
    SignupRequest.objects.update(verification_sent_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0004_cooperative_practice_copy"),
    ]

    operations = [
        migrations.AddField(
            model_name="signuprequest",
            name="verification_sent_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.RunPython(sent_when_submitted, migrations.RunPython.noop),
    ]
