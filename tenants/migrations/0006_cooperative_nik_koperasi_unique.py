"""One cooperative per NIK koperasi, in the database: a partial unique index on
``nik_koperasi`` where it is set (not empty) and the row is not a practice copy.

Before the index, the stored NIKs are kept as their digits, as sign-up keeps them
(validate_nik_koperasi: dots, dashes and spaces dropped), so one typed with separators
before that rule is compared as the same NIK.

Existing duplicates are not resolved here: which cooperative the NIK belongs to is an
operator's decision. The migration stops, changing nothing, and names every
cooperative that shares a NIK (id, address, name); correct or clear the NIK of the
wrong ones (Django admin or ``manage.py shell``), then migrate again."""

import re

from django.db import migrations, models

SEPARATORS = re.compile(r"[\s.\-]")


def digits_kept_and_no_duplicates(apps, schema_editor):
    Cooperative = apps.get_model("tenants", "Cooperative")
    for pk, nik in Cooperative.objects.exclude(nik_koperasi="").values_list("pk", "nik_koperasi"):
        digits = SEPARATORS.sub("", nik)
        if digits != nik:
            Cooperative.objects.filter(pk=pk).update(nik_koperasi=digits)
    holders: dict[str, list[str]] = {}
    for pk, slug, name, nik in (
        Cooperative.objects.filter(is_practice=False)
        .exclude(nik_koperasi="")
        .order_by("nik_koperasi", "pk")
        .values_list("pk", "slug", "name", "nik_koperasi")
    ):
        holders.setdefault(nik, []).append(f"#{pk} {slug} ({name})")
    shared = {nik: coops for nik, coops in holders.items() if len(coops) > 1}
    if shared:
        lines = "\n".join(f"  NIK {nik}: {', '.join(coops)}" for nik, coops in shared.items())
        raise RuntimeError(
            "tenants 0006: these cooperatives share a NIK koperasi, which must be one "
            "cooperative's. Correct or clear the NIK of the wrong ones (Django admin or "
            "`manage.py shell`), then migrate again; nothing was changed:\n" + lines
        )


class Migration(migrations.Migration):
    dependencies = [("tenants", "0005_signuprequest_verification_sent_at")]

    operations = [
        migrations.RunPython(digits_kept_and_no_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="cooperative",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    models.Q(("nik_koperasi", ""), _negated=True), ("is_practice", False)
                ),
                fields=("nik_koperasi",),
                name="tenants_cooperative_nik_koperasi_unique",
            ),
        ),
    ]
