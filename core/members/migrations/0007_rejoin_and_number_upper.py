"""A former member may join again (a new record with the same NIP/NIK, linked to the
old one): NIP and NIK become unique over the members who have not left (and the
deceased) instead of over every record. Member numbers become unique in any case
(``UPPER(number)``); numbers that already differ only in case stop the migration, named,
for the office to renumber: nothing is renamed silently."""

import core.members.validators
import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import Upper


def number_case_duplicates_refuse(apps, schema_editor):
    """Stop with the numbers (and their members' names) when two member numbers differ
    only in case: the unique index on ``UPPER(number)`` cannot be built over them."""
    Member = apps.get_model("members", "Member")
    clashing = list(
        Member.objects.annotate(n=Upper("number"))
        .values("n")
        .annotate(c=Count("pk"))
        .filter(c__gt=1)
        .values_list("n", flat=True)
    )
    if not clashing:
        return
    rows = (
        Member.objects.annotate(n=Upper("number"))
        .filter(n__in=clashing)
        .order_by("n", "number")
        .values_list("number", "full_name")
    )
    listed = "; ".join(f"{number} ({name})" for number, name in rows)
    raise RuntimeError(
        "Nomor anggota yang hanya berbeda huruf besar/kecil harus dibedakan dulu sebelum "
        f"migrasi ini (ubah salah satunya): {listed}"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0006_memberimport_undone"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="member",
            name="previous_member",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="next_membership",
                to="members.member",
                verbose_name="keanggotaan sebelumnya",
            ),
        ),
        migrations.AlterField(
            model_name="member",
            name="nik",
            field=models.CharField(
                db_index=True,
                max_length=16,
                validators=[core.members.validators.validate_nik],
                verbose_name="NIK",
            ),
        ),
        migrations.AlterField(
            model_name="member",
            name="nip",
            field=models.CharField(
                db_index=True,
                max_length=18,
                validators=[core.members.validators.validate_nip],
                verbose_name="NIP",
            ),
        ),
        migrations.AddConstraint(
            model_name="member",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    ("exit_date__isnull", True), ("status", "deceased"), _connector="OR"
                ),
                fields=("nip",),
                name="members_member_nip_current_uniq",
            ),
        ),
        migrations.AddConstraint(
            model_name="member",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    ("exit_date__isnull", True), ("status", "deceased"), _connector="OR"
                ),
                fields=("nik",),
                name="members_member_nik_current_uniq",
            ),
        ),
        migrations.RunPython(number_case_duplicates_refuse, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="member",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Upper("number"),
                name="members_member_number_upper_uniq",
            ),
        ),
        migrations.AddConstraint(
            model_name="member",
            constraint=models.CheckConstraint(
                condition=models.Q(("previous_member", models.F("pk")), _negated=True),
                name="members_member_previous_not_self",
            ),
        ),
    ]
