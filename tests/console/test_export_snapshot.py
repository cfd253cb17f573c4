"""The console's export of a cooperative is one snapshot: a write committed while the
export runs appears in none of its files (not in the tables copied after it, not in the
README's row counts), so the exported ledger is the ledger of one moment."""

import csv
import io
import zipfile

from django.db import connection

from lumbung.console.export import tenant_export_build


def test_export_is_one_snapshot_even_while_the_cooperative_is_written_to(
    scratch_tenant, django_db_blocker, monkeypatch
):
    schema = scratch_tenant.schema_name
    real_writestr = zipfile.ZipFile.writestr
    written: list[str] = []

    def writestr(self, name, data, *args, **kwargs):
        if name.startswith("csv/") and not written:
            # Another connection (a teller, say) commits a row while the export runs,
            # into a table the export has not copied yet.
            other = connection.get_new_connection(connection.get_connection_params())
            other.autocommit = True
            with other.cursor() as cur:
                cur.execute(
                    f'INSERT INTO "{schema}".django_migrations (app, name, applied) '
                    "VALUES ('zz_ditulis', 'selama_ekspor', now())"
                )
            other.close()
        written.append(name)
        return real_writestr(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", writestr)
    with django_db_blocker.unblock():
        with connection.cursor() as cur:
            cur.execute(f'SELECT count(*) FROM "{schema}".django_migrations')
            before = cur.fetchone()[0]
        out = tenant_export_build(cooperative=scratch_tenant, dump=False)
    archive = zipfile.ZipFile(out)
    assert written[0] < "csv/django_migrations.csv"  # the write came before that copy
    rows = list(csv.DictReader(io.StringIO(archive.read("csv/django_migrations.csv").decode())))
    assert not any(r["app"] == "zz_ditulis" for r in rows)
    assert len(rows) == before
    assert f"  django_migrations: {before}\n" in archive.read("README.txt").decode()


def test_export_csvs_defuse_formulas_in_text_and_keep_numbers_as_numbers(
    scratch_tenant, django_db_blocker
):
    """A cooperative that leaves opens these CSVs in Excel: a name typed as a formula must
    stay text (a leading apostrophe), while numbers (ids, amounts) stay numbers."""
    from core.users.models import User

    with django_db_blocker.unblock():
        connection.set_tenant(scratch_tenant)
        admin = User.objects.get(username=f"admin@{scratch_tenant.slug}.test")
        admin.first_name = '=HYPERLINK("http://x.test","klik")'
        admin.last_name = "-Budi"
        admin.save(update_fields=["first_name", "last_name"])
        connection.set_schema_to_public()
        out = tenant_export_build(cooperative=scratch_tenant, dump=False)
    archive = zipfile.ZipFile(out)
    rows = list(csv.DictReader(io.StringIO(archive.read("csv/users_user.csv").decode())))
    row = next(r for r in rows if r["username"] == admin.username)
    assert row["first_name"] == "'" + admin.first_name
    assert row["last_name"] == "'-Budi"
    assert row["id"] == str(admin.pk)
    assert "'" in archive.read("README.txt").decode()  # the README explains the apostrophe
