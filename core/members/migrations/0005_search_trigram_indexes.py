"""The search box in the top bar (core.overview.search) looks for part of a number, a
name, a NIP or a NIK: ``UPPER(col) LIKE '%…%'``, which Django writes for ``icontains``.
Trigram GIN indexes on ``UPPER(col)`` serve it (from three characters). Written as SQL:
Django renders ``OpClass`` index expressions correctly only with django.contrib.postgres
installed, which this project does not need otherwise."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0004_memberimport_rows"),
    ]

    operations = [
        # One pg_trgm for the whole database, in the public schema that every cooperative's
        # search_path ends with (created in a cooperative's own schema, the next
        # cooperative would not see its operator classes).
        migrations.RunSQL(
            "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public", migrations.RunSQL.noop
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS member_name_trgm ON members_member USING gin ((UPPER(full_name::text)) gin_trgm_ops)",
            "DROP INDEX IF EXISTS member_name_trgm",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS member_number_trgm ON members_member USING gin ((UPPER(number::text)) gin_trgm_ops)",
            "DROP INDEX IF EXISTS member_number_trgm",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS member_nip_trgm ON members_member USING gin ((UPPER(nip::text)) gin_trgm_ops)",
            "DROP INDEX IF EXISTS member_nip_trgm",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS member_nik_trgm ON members_member USING gin ((UPPER(nik::text)) gin_trgm_ops)",
            "DROP INDEX IF EXISTS member_nik_trgm",
        ),
    ]
