from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0005_search_trigram_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="memberimport",
            name="undone_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="memberimport",
            name="status",
            field=models.CharField(
                choices=[
                    ("invalid", "Ada kesalahan"),
                    ("valid", "Siap diimpor"),
                    ("imported", "Sudah diimpor"),
                    ("undone", "Dibatalkan"),
                ],
                max_length=10,
            ),
        ),
    ]
